"""`peakwatch validate PATH [--json]`: check every artifact under a folder against the contract.

Offline and whole-file, but streamed: JSONL and CSV through the incremental reader, Parquet
one record batch at a time. Reports name files relative to PATH and never echo exceptions.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from peakwatch.contract.models import (
    AiDecisionEvent,
    ExecutionEvent,
    Record,
    RunAlert,
    RunEvent,
    RunMeta,
    SessionRecord,
    StepRow,
    StoreAlert,
)
from peakwatch.contract.parse import validate_record
from peakwatch.sources.decode import decode_csv_rows, decode_jsonl
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.lines import RawLine
from peakwatch.sources.parquet_tail import UNREADABLE, _plain_rows
from peakwatch.sources.paths import is_inside, is_valid_id, relative_label
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import open_regular, read_problem
from peakwatch.sources.run_events import EVENTS_FILES

Severity = Literal["error", "warning"]
Layout = Literal["repository", "runs root", "run folder", "sessions registry"]
MAX_SHOWN = 20
READ_BYTES = 1 << 20
PARQUET_BATCH_ROWS = 4096
RUNS_DIR = "live_runs"
ALERTS_DIR = "live_runs/alerts"
SESSIONS_DIR = "reports/experiments/live_sessions"
AI_EVENTS = "logs/ai/ai_events.jsonl"
EXECUTION_DIR = "logs/execution"
REPOSITORY_MARKERS = (RUNS_DIR, SESSIONS_DIR, AI_EVENTS, EXECUTION_DIR, ALERTS_DIR)
STEP_COLUMNS = frozenset(StepRow.model_fields)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a file: how bad, what, and where (line, Parquet row or byte offset)."""

    severity: Severity
    reason: str
    line: int | None = None
    row: int | None = None
    offset: int | None = None

    def where(self) -> str:
        """`line 7`, `row 12`, `byte 4096` or `file`."""
        if self.line is not None:
            return f"line {self.line}"
        if self.row is not None:
            return f"row {self.row}"
        return "file" if self.offset is None else f"byte {self.offset}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "severity": self.severity,
            "reason": self.reason,
            "line": self.line,
            "row": self.row,
            "offset": self.offset,
        }


@dataclass(slots=True)
class FileReport:
    """What checking one file found: valid records, counts of problems, the first few."""

    path: str
    kind: str
    records: int = 0
    errors: int = 0
    warnings: int = 0
    shown: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Count an issue; keep it for display while fewer than MAX_SHOWN are kept."""
        if issue.severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.shown) < MAX_SHOWN:
            self.shown.append(issue)

    def error(self, reason: str, **where: int | None) -> None:
        """Add an error."""
        self.add(Issue("error", reason, **where))

    def warn(self, reason: str, **where: int | None) -> None:
        """Add a warning."""
        self.add(Issue("warning", reason, **where))

    def problem(self, problem: Problem, line: int | None = None) -> None:
        """Add a reader's Problem as an error, with a line number when one is known."""
        self.error(problem.reason, line=line or problem.line, offset=problem.offset)

    @property
    def status(self) -> str:
        """ERROR, WARN or OK."""
        return "ERROR" if self.errors else "WARN" if self.warnings else "OK"

    @property
    def hidden(self) -> int:
        """Problems counted but not kept for display."""
        return self.errors + self.warnings - len(self.shown)

    def summary(self) -> str:
        """The kind of file and its problem counts."""
        counts = [_plural(self.errors, "error"), _plural(self.warnings, "warning")]
        found = [text for text, n in zip(counts, (self.errors, self.warnings), strict=True) if n]
        return f"{self.kind}: {', '.join(found)}" if found else self.kind

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "records": self.records,
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": [issue.as_dict() for issue in self.shown],
            "more_problems": self.hidden,
        }


@dataclass(slots=True)
class Validation:
    """Everything checked under one PATH."""

    root: Path
    layout: Layout | None = None
    files: list[FileReport] = field(default_factory=list)

    def label(self, path: Path) -> str:
        """`path` relative to the root, for messages."""
        return relative_label(path, self.root)

    @property
    def failed(self) -> bool:
        """True when any file has an error, or nothing was recognised."""
        return self.layout is None or any(report.errors for report in self.files)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# -- streaming lines with exact line numbers ---------------------------------------------------


class LineNumbers:
    """Turns the byte offsets of successive lines into 1-based line numbers, exactly.

    Between two lines only the bytes not already known to be line content are scanned,
    so a file with plain `\\n` endings is never read a second time.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._offset = 0
        self._line = 1
        self._known = 0  # bytes after `_offset` that hold no newline

    def at(self, offset: int, known: int = 0) -> int:
        """The line number of the line starting at `offset` (`known` bytes of it hold no `\\n`)."""
        start = self._offset + self._known
        if offset > self._offset:
            gap = offset - start
            self._line += 1 if gap == 1 else self._count_newlines(start, offset)
        self._offset, self._known = offset, known
        return self._line

    def _count_newlines(self, start: int, end: int) -> int:
        self._handle.seek(start)
        count = 0
        while start < end:
            chunk = self._handle.read(min(READ_BYTES, end - start))
            if not chunk:
                break
            count += chunk.count(b"\n")
            start += len(chunk)
        return count


def numbered_lines(path: Path, report: FileReport) -> Iterator[tuple[int, RawLine]]:
    """Every complete line with its line number; over-long and unfinished lines become issues."""
    reader = IncrementalReader(path)
    with open_regular(path) as handle:
        numbers = LineNumbers(handle)
        while True:
            appended = reader.read_new(READ_BYTES)
            if appended.error or appended.missing:
                report.error("file could not be read" if appended.error else "file disappeared")
                return
            if appended.reset:
                report.warn("file was replaced or truncated while being checked")
            entries: list[tuple[int, RawLine | None]] = [(ln.offset, ln) for ln in appended.lines]
            entries += [(offset, None) for offset in appended.skipped]
            if not entries:
                break
            for offset, line in sorted(entries, key=lambda entry: entry[0]):
                if line is None:
                    report.error("line too long", line=numbers.at(offset), offset=offset)
                else:
                    yield numbers.at(offset, len(line.data)), line
        _check_last_line(handle, reader.offset, numbers, report)


def _check_last_line(
    handle: BinaryIO, offset: int, numbers: LineNumbers, report: FileReport
) -> None:
    """Warn when the file does not end with a newline (a half-written last line)."""
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    if offset < size:
        line = numbers.at(offset)
        report.warn("incomplete last line (no newline at the end)", line=line, offset=offset)
    else:
        report.warn("incomplete last line (no newline at the end)")


# -- file checkers -----------------------------------------------------------------------------

RecordHook = Callable[[Any, int, FileReport], None]


def check_jsonl(
    path: Path, label: str, model: type[Record], kind: str, hook: RecordHook | None = None
) -> FileReport:
    """Every line of a JSON Lines file validated as `model`."""
    report = FileReport(label, kind)
    for number, line in numbered_lines(path, report):
        objects, problems = decode_jsonl([line], label, first_line_number=number)
        for problem in problems:
            report.problem(problem)
        for obj in objects:
            record = validate_record(model, obj, label, line=number, offset=line.offset)
            if isinstance(record, Problem):
                report.problem(record)
                continue
            report.records += 1
            if hook is not None:
                hook(record, number, report)
    return report


class SeqCheck:
    """Warns when a run's `seq` does not go up by one from 1: gaps, repeats, going back."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self, record: RunEvent, line: int, report: FileReport) -> None:
        """Compare this event's seq with the previous one."""
        seq, expected = record.seq, self.last + 1
        if seq == self.last:
            report.warn(f"seq {seq} repeated", line=line)
        elif seq < self.last:
            report.warn(f"seq went back from {self.last} to {seq}", line=line)
        elif seq != expected:
            report.warn(f"seq gap: expected {expected}, got {seq}", line=line)
        self.last = seq


def check_native_events(path: Path, label: str) -> FileReport:
    """A native `events.jsonl`: every line a RunEvent, seq increasing by one."""
    return check_jsonl(path, label, RunEvent, "run events (JSONL)", SeqCheck())


def check_csv_events(path: Path, label: str) -> FileReport:
    """A Peak_Trade `events.csv`: a header, then every row a StepRow."""
    report = FileReport(label, "run steps (CSV)")
    header: RawLine | None = None
    for number, line in numbered_lines(path, report):
        if header is None:
            header = line
            if not _check_csv_header(header, label, number, report):
                return report
            continue
        rows, problems = decode_csv_rows(header, [line], label)
        for problem in problems:
            report.problem(problem, line=number)
        for row in rows:
            _check_step(row, label, report, line=number, offset=line.offset)
    return report


def _check_csv_header(header: RawLine, label: str, number: int, report: FileReport) -> bool:
    """True when the header is readable CSV naming at least one step column."""
    rows, problems = decode_csv_rows(header, [], label)
    if problems:
        report.error("header is not valid UTF-8 CSV", line=number)
        return False
    columns, _ = decode_csv_rows(header, [header], label)  # the header read as a row: its names
    if not columns or not STEP_COLUMNS & set(columns[0]):
        report.error("header names none of the step columns (step, ts_bar, ...)", line=number)
        return False
    return True


def _check_step(values: dict[str, Any], label: str, report: FileReport, **where: int) -> None:
    """Validate one step row; extra unnamed fields (misaligned columns) are a warning."""
    extra = sum(1 for name in values if name.startswith("_extra_"))
    if extra:
        report.warn(f"{_plural(extra, 'field')} more than the header names", **where)
    record = validate_record(StepRow, values, label)
    if isinstance(record, Problem):
        report.error(record.reason, **where)
    else:
        report.records += 1


def check_parquet_events(path: Path, label: str) -> FileReport:
    """A Peak_Trade `events.parquet`: every row a StepRow, read one batch at a time."""
    report = FileReport(label, "run steps (Parquet)")
    try:
        with open_regular(path) as handle:
            parquet = pq.ParquetFile(handle)
            if not STEP_COLUMNS & set(parquet.schema_arrow.names):
                report.error("no step columns (step, ts_bar, ...)")
                return report
            row = 0
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                for values in _plain_rows(pa.Table.from_batches([batch])):
                    row += 1
                    _check_step(values, label, report, row=row)
    except OSError as error:
        report.error(read_problem(error))
    except Exception:  # pyarrow raises many error types on corrupt or truncated input
        report.error(UNREADABLE)
    return report


def check_json_document(
    path: Path, label: str, model: type[Record], kind: str, defaults: dict[str, Any] | None = None
) -> FileReport:
    """One JSON object file (meta.json, a registry record) validated as `model`."""
    report = FileReport(label, kind)
    obj, reason = read_json_object(path)
    if obj is None:
        report.error(reason or "unreadable")
        return report
    for key, value in (defaults or {}).items():
        if key not in obj:
            report.warn(f"no '{key}': the dashboard uses {value!r}")
            obj = {**obj, key: value}
    record = validate_record(model, obj, label)
    if isinstance(record, Problem):
        report.problem(record)
    else:
        report.records = 1
    return report


def check_session_record(path: Path, label: str) -> FileReport:
    """A sessions registry record; a missing session_id falls back to the file name."""
    defaults = {"session_id": path.name.removesuffix(".json")}
    return check_json_document(path, label, SessionRecord, "session record", defaults)


# -- folders -----------------------------------------------------------------------------------


def _entries(folder: Path, validation: Validation) -> list[Path]:
    """Visible entries of a folder that stay inside PATH, sorted by name."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        report = FileReport(validation.label(folder) + "/", "folder")
        report.error("folder cannot be listed")
        validation.files.append(report)
        return []
    found = []
    for name in names:
        path = folder / name
        if name.startswith("."):
            continue
        if is_inside(validation.root, path):
            found.append(path)
        else:
            report = FileReport(validation.label(path), "link")
            report.warn("points outside PATH: not checked")
            validation.files.append(report)
    return found


def _guarded(validation: Validation, path: Path, check: Callable[[Path, str], FileReport]) -> None:
    """Run one file check; an unexpected failure becomes an error, never a traceback."""
    label = validation.label(path)
    try:
        report = check(path, label)
    except OSError as error:
        report = FileReport(label, "file")
        report.error(read_problem(error))
    except Exception:  # validation must report on every file, whatever one of them holds
        report = FileReport(label, "file")
        report.error("file could not be checked")
    validation.files.append(report)


def check_run(validation: Validation, run_dir: Path) -> None:
    """meta.json, every events file and alerts.jsonl of one run folder."""
    _guarded(validation, run_dir / "meta.json", _meta_checker(run_dir))
    present = [(name, fmt) for name, fmt in EVENTS_FILES if (run_dir / name).is_file()]
    for index, (name, fmt) in enumerate(present):
        checker = {
            "jsonl": check_native_events,
            "csv": check_csv_events,
            "parquet": check_parquet_events,
        }[fmt]
        _guarded(validation, run_dir / name, checker)
        if index:
            note = f"not read by the dashboard: {present[0][0]} takes precedence"
            validation.files[-1].warn(note)
    if (run_dir / "alerts.jsonl").is_file():
        _guarded(validation, run_dir / "alerts.jsonl", _jsonl_checker(RunAlert, "run alerts"))


def _meta_checker(run_dir: Path) -> Callable[[Path, str], FileReport]:
    def check(path: Path, label: str) -> FileReport:
        report = check_json_document(path, label, RunMeta, "run meta")
        if not is_valid_id(run_dir.name):
            report.warn("folder name is not a valid run id: the dashboard does not list it")
        return report

    return check


def _jsonl_checker(model: type[Record], kind: str) -> Callable[[Path, str], FileReport]:
    def check(path: Path, label: str) -> FileReport:
        return check_jsonl(path, label, model, kind)

    return check


def check_runs_root(validation: Validation, runs_dir: Path) -> None:
    """Every run folder under a runs root; `alerts/` without meta.json is the alert store."""
    for path in _entries(runs_dir, validation):
        if not path.is_dir():
            continue
        if (path / "meta.json").is_file():
            check_run(validation, path)
        elif path.name == "alerts":
            check_jsonl_folder(validation, path, StoreAlert, "alert store")
        elif any((path / name).is_file() for name, _ in EVENTS_FILES):
            report = FileReport(validation.label(path) + "/", "folder")
            report.warn("has events but no meta.json: not a run, the dashboard ignores it")
            validation.files.append(report)


def check_jsonl_folder(
    validation: Validation, folder: Path, model: type[Record], kind: str
) -> None:
    """Every `*.jsonl` file in a folder (alert store, execution telemetry)."""
    for path in _entries(folder, validation):
        if path.suffix == ".jsonl" and path.is_file():
            _guarded(validation, path, _jsonl_checker(model, kind))


def check_registry(validation: Validation, folder: Path) -> None:
    """Every `*.json` record of a sessions registry."""
    for path in _entries(folder, validation):
        if path.suffix == ".json" and path.is_file():
            _guarded(validation, path, check_session_record)


def check_repository(validation: Validation) -> None:
    """Every artifact kind at its default place under a repository-like root."""
    root = validation.root
    if (root / RUNS_DIR).is_dir():
        check_runs_root(validation, root / RUNS_DIR)
    if (root / SESSIONS_DIR).is_dir():
        check_registry(validation, root / SESSIONS_DIR)
    if (root / AI_EVENTS).is_file():
        _guarded(validation, root / AI_EVENTS, _jsonl_checker(AiDecisionEvent, "AI events"))
    if (root / EXECUTION_DIR).is_dir():
        check_jsonl_folder(validation, root / EXECUTION_DIR, ExecutionEvent, "execution events")


def detect_layout(root: Path) -> Layout | None:
    """Which kind of folder PATH is, or None when it holds no recognisable artifacts."""
    if (root / "meta.json").is_file():
        return "run folder"
    if any((root / marker).exists() for marker in REPOSITORY_MARKERS):
        return "repository"
    try:
        children = sorted(root.iterdir())
    except OSError:
        return None
    if any(child.is_dir() and (child / "meta.json").is_file() for child in children):
        return "runs root"
    if any(child.suffix == ".json" and child.is_file() for child in children):
        return "sessions registry"
    return None


def validate(root: Path) -> Validation:
    """Check every artifact under `root`."""
    validation = Validation(root, detect_layout(root))
    if validation.layout == "run folder":
        check_run(validation, root)
    elif validation.layout == "repository":
        check_repository(validation)
    elif validation.layout == "runs root":
        check_runs_root(validation, root)
    elif validation.layout == "sessions registry":
        check_registry(validation, root)
    return validation


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
        records = _plural(report.records, "record")
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
        f"{validation.layout}: {_plural(len(files), 'file')} checked, {counts['OK']} ok, "
        f"{counts['WARN']} with warnings, {failed} with errors; {_plural(records, 'record')}"
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
