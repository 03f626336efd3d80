"""`peakwatch export --out DIR`: the runbook's snapshot files, written without a server.

Each file holds exactly the bytes the matching endpoint returns for the same `as_of`,
because both go through the same workspace calls and the same serializers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from peakwatch.contract.values import parse_utc
from peakwatch.domain.snapshot import build_snapshot
from peakwatch.domain.workspace import Workspace
from peakwatch.flags import add_root_flags, root_overrides
from peakwatch.settings import SettingsError, check_exportable, load_settings
from peakwatch.web.report_html import run_report_html, status_report
from peakwatch.web.responses import json_bytes

SESSIONS_LIMIT = 50
TAIL_LIMIT = 200
ALERTS_LIMIT = 50


def build_parser() -> argparse.ArgumentParser:
    """The `peakwatch export` command line."""
    parser = argparse.ArgumentParser(
        prog="peakwatch export",
        description=(
            "Write status_snapshot.json/.html, live_sessions.json, runs.json and, per run, "
            "runs/<run_id>/run_snapshot.json, run_tail.json and run_alerts.json; with --run, "
            "also run_<run_id>.html, the run report, beside status_snapshot.html."
        ),
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    parser.add_argument("--as-of", help="ISO-8601 time to evaluate at (default: now)")
    parser.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="RUN_ID",
        help="only these runs, each with its run report run_<RUN_ID>.html (repeatable; "
        "default: every run, no run reports)",
    )
    add_root_flags(parser)
    return parser


def export(workspace: Workspace, out: Path, as_of_text: str, run_ids: list[str]) -> list[Path]:
    """Write every export file; return the paths written."""
    as_of = parse_utc(as_of_text)
    assert as_of is not None
    written: list[Path] = []

    def write(relative: str, data: bytes) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    snapshot = build_snapshot(workspace, as_of)
    write("status_snapshot.json", json_bytes(snapshot))
    write("status_snapshot.html", status_report(workspace, as_of))
    sessions = workspace.sessions.listing(as_of, limit=SESSIONS_LIMIT, mode=None, status=None)
    write("live_sessions.json", json_bytes(sessions))
    runs = workspace.runs.listing(as_of)
    write("runs.json", json_bytes(runs))
    for run_id in run_ids or [run["run_id"] for run in runs]:
        run_snapshot = workspace.runs.snapshot(run_id, as_of)
        if run_snapshot is None:
            print(f"peakwatch export: run not found: {run_id}", file=sys.stderr)
            continue
        write(f"runs/{run_id}/run_snapshot.json", json_bytes(run_snapshot))
        write(f"runs/{run_id}/run_tail.json", json_bytes(workspace.runs.tail(run_id, TAIL_LIMIT)))
        alerts = workspace.runs.alerts(run_id, ALERTS_LIMIT)
        write(f"runs/{run_id}/run_alerts.json", json_bytes(alerts))
        report = run_report_html(workspace, run_id, as_of) if run_id in run_ids else None
        if report is not None:
            write(f"run_{run_id}.html", report)
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point of `peakwatch export`."""
    args = build_parser().parse_args(argv)
    as_of_text = args.as_of
    if as_of_text is None:
        from datetime import UTC, datetime

        as_of_text = datetime.now(UTC).replace(microsecond=0).isoformat()
    try:
        if parse_utc(as_of_text) is None:
            raise ValueError
    except ValueError:
        print("peakwatch export: --as-of must be an ISO-8601 timestamp", file=sys.stderr)
        return 2
    overrides = {
        **root_overrides(args),
        "index_max_age_seconds": 0.0,
    }
    try:
        settings = load_settings(overrides)
        check_exportable(settings)
    except SettingsError as error:
        print(f"peakwatch export: {error}", file=sys.stderr)
        return 2
    workspace = Workspace(settings)
    written = export(workspace, args.out, as_of_text, args.run)
    print(f"peakwatch export: wrote {len(written)} files under {args.out}")
    return 0
