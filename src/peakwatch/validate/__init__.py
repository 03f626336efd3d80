"""`peakwatch validate PATH [--json]`: check every artifact under a folder against the contract.

Offline and whole-file, but streamed: JSONL and CSV through the incremental reader, Parquet
one record batch at a time. Reports name files relative to PATH and never echo exceptions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from peakwatch.validate.folders import validate
from peakwatch.validate.report import Validation, plural

# -- output ------------------------------------------------------------------------------------

NOTHING_FOUND = (
    "no artifacts found: PATH is not a repository root, a runs root, a run folder "
    "or a sessions registry"
)


def render_text(validation: Validation) -> str:
    """The per-file report, problems indented under their file, and a summary line."""
    if validation.layout is None:
        return f"ERROR  {NOTHING_FOUND}\n"
    lines: list[str] = []
    for report in validation.files:
        records = plural(report.records, "record")
        lines.append(f"{report.status:<5}  {report.path}  {records}  {report.summary()}")
        lines.extend(f"    {issue.where()}: {issue.reason}" for issue in report.shown)
        if report.hidden:
            lines.append(f"    ... and {report.hidden} more")
    lines.append(_summary_line(validation))
    return "\n".join(lines) + "\n"


def _summary_line(validation: Validation) -> str:
    files = validation.files
    counts = {status: sum(1 for r in files if r.status == status) for status in ("OK", "WARN")}
    failed = len(files) - counts["OK"] - counts["WARN"]
    records = sum(report.records for report in files)
    return (
        f"{validation.layout}: {plural(len(files), 'file')} checked, {counts['OK']} ok, "
        f"{counts['WARN']} with warnings, {failed} with errors; {plural(records, 'record')}"
    )


def render_json(validation: Validation) -> str:
    """The same report as one JSON document."""
    files = validation.files
    document = {
        "layout": validation.layout,
        "ok": not validation.failed,
        "error": NOTHING_FOUND if validation.layout is None else None,
        "files": [report.as_dict() for report in files],
        "summary": {
            "files": len(files),
            "ok": sum(1 for r in files if r.status == "OK"),
            "warn": sum(1 for r in files if r.status == "WARN"),
            "error": sum(1 for r in files if r.status == "ERROR"),
            "records": sum(r.records for r in files),
        },
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def build_parser() -> argparse.ArgumentParser:
    """`peakwatch validate PATH [--json]`."""
    parser = argparse.ArgumentParser(
        prog="peakwatch validate",
        description="Check a folder of runner artifacts against the peakwatch contract.",
    )
    parser.add_argument("path", metavar="PATH", help="repository root, runs root, run or registry")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Validate PATH; exit 0 when clean or warnings only, 1 on errors, 2 on a bad PATH."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    root = Path(args.path)
    if not root.exists():
        print(f"peakwatch validate: PATH does not exist: {args.path}", file=sys.stderr)
        return 2
    if not root.is_dir():
        print(f"peakwatch validate: PATH is not a folder: {args.path}", file=sys.stderr)
        return 2
    validation = validate(root.resolve())
    sys.stdout.write(render_json(validation) + "\n" if args.json else render_text(validation))
    return 1 if validation.failed else 0
