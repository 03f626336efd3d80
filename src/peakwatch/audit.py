"""`export_live_audit_snapshot`: prove from the config that live trading stays locked.

Reads the config read-only and writes only the report files the operator names.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from peakwatch.contract.values import parse_utc
from peakwatch.domain.safety import SafetyReport, evaluate_safety, with_data_roots
from peakwatch.domain.safety_report import report_to_json_bytes, report_to_markdown
from peakwatch.settings import DEFAULT_ROOTS, load_settings
from peakwatch.sources.safety_config import (
    BOUNDED_LIVE_NAME,
    read_safety_config,
    resolve_config_path,
)

EXIT_LOCKED = 0
EXIT_UNLOCKED = 2
EXIT_UNKNOWN = 3
EXIT_USAGE = 64
EXIT_CANNOT_WRITE = 73

EPILOG = """\
exit codes:
  0   report written; live trading is LOCKED
  2   report written; live trading is UNLOCKED
  3   report written; verdict UNKNOWN (config missing, unreadable or malformed,
      or a gate that is not a boolean)
  64  usage error (bad flag or --as-of, or an output path that is not allowed)
  73  an output file could not be written

The config is --config, else $PEAK_TRADE_CONFIG_PATH, else config/config.toml.
Without --output-json, --output-markdown or --stdout the JSON goes to stdout.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors mapped to 64 so they never look like "unlocked" (2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _UsageError(Exception):
    """A flag value that parses but cannot be used."""


def build_parser() -> argparse.ArgumentParser:
    """The command line of `scripts/export_live_audit_snapshot.py`."""
    parser = _Parser(
        prog="export_live_audit_snapshot.py",
        description="Export a read-only safety proof: is live trading locked by the config?",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="config file to audit (default: config/config.toml)")
    parser.add_argument("--output-json", metavar="FILE", help="write the JSON report here")
    parser.add_argument("--output-markdown", metavar="FILE", help="write the Markdown report here")
    parser.add_argument("--stdout", action="store_true", help="print the JSON report to stdout")
    parser.add_argument("--environment-id", help="a label for the audited environment")
    parser.add_argument(
        "--as-of", help="report time, ISO-8601 (default: now, UTC, whole seconds; naive = UTC)"
    )
    return parser


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the export; the exit code tells the verdict (see the --help epilog)."""
    environ = os.environ if environ is None else environ
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    cwd = Path.cwd()
    config_path = resolve_config_path(args.config, environ, cwd)
    try:
        as_of = _as_of(args.as_of)
        outputs = _outputs(args, config_path, environ, cwd)
    except _UsageError as problem:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate_safety(
        read_safety_config(config_path), as_of=as_of, environment_id=args.environment_id
    )
    report = with_data_roots(report, load_settings(environ=environ, cwd=cwd).fleet())
    try:
        _write(report, args, outputs)
    except OSError:
        print(f"{parser.prog}: error: an output file could not be written", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    print(summary_line(report), file=sys.stderr)
    if report.verdict == "LIVE LOCKED":
        return EXIT_LOCKED
    return EXIT_UNLOCKED if report.verdict == "LIVE UNLOCKED" else EXIT_UNKNOWN


def summary_line(report: SafetyReport) -> str:
    """One line for the terminal: verdict, modes, first reason, config hash prefix."""
    gating = report.gating
    first = report.reasons[0].code if report.reasons else "none"
    digest = (report.config["sha256"] or "none")[:12]
    return (
        f"{report.verdict}: mode={gating['mode']} effective_mode={gating['effective_mode']} "
        f"reason={first} (+{max(len(report.reasons) - 1, 0)}) "
        f"config={report.config['file']} status={report.config['status']} sha256={digest}"
    )


def _as_of(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = parse_utc(text)
    except ValueError:
        raise _UsageError("--as-of is not an ISO-8601 timestamp") from None
    if moment is None:
        raise _UsageError("--as-of is empty")
    return moment


def _outputs(
    args: argparse.Namespace, config_path: Path, environ: Mapping[str, str], cwd: Path
) -> dict[str, Path]:
    """Resolved output files, refusing any that would overwrite a config or land in a data root."""
    settings = load_settings(environ=environ, cwd=cwd)
    protected_files = {config_path.resolve(), (config_path.parent / BOUNDED_LIVE_NAME).resolve()}
    roots = [settings.roots()[name] for name in DEFAULT_ROOTS if name != "config_path"]
    outputs: dict[str, Path] = {}
    for flag, value in (
        ("--output-json", args.output_json),
        ("--output-markdown", args.output_markdown),
    ):
        if value is None:
            continue
        if not value.strip():
            raise _UsageError(f"{flag} is empty")
        path = (cwd / Path(value).expanduser()).resolve()
        if path in protected_files:
            raise _UsageError(f"{flag} would overwrite the audited config")
        if any(path == root or root in path.parents for root in roots):
            raise _UsageError(f"{flag} points into a data folder; peakwatch never writes there")
        outputs[flag] = path
    if len(set(outputs.values())) < len(outputs):
        raise _UsageError("--output-json and --output-markdown name the same file")
    return outputs


def _write(report: SafetyReport, args: argparse.Namespace, outputs: dict[str, Path]) -> None:
    json_bytes = report_to_json_bytes(report)
    if "--output-json" in outputs:
        _write_file(outputs["--output-json"], json_bytes)
    if "--output-markdown" in outputs:
        _write_file(outputs["--output-markdown"], report_to_markdown(report).encode("utf-8"))
    if args.stdout or not outputs:
        sys.stdout.buffer.write(json_bytes)
        sys.stdout.flush()


def _write_file(path: Path, data: bytes) -> None:
    """Create the parent folders, then replace `path` atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
