"""Whole-file checks of one artifact each: JSONL, CSV and Parquet events, JSON documents."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from peakwatch.contract.models import (
    Record,
    RunEvent,
    SessionRecord,
    StepRow,
)
from peakwatch.contract.peak_trade_events import STRICT_MODELS
from peakwatch.contract.values import to_decision_id
from peakwatch.domain.steps import to_finite_or_none
from peakwatch.sources.decode import decode_csv_rows, decode_jsonl
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.lines import RawLine
from peakwatch.sources.parquet_tail import UNREADABLE, _plain_rows
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import open_regular, read_problem
from peakwatch.sources.validation import validate_record
from peakwatch.validate.report import FileReport, plural

READ_BYTES = 1 << 20
PARQUET_BATCH_ROWS = 4096
STEP_COLUMNS = frozenset(StepRow.model_fields)


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


class DecisionIdCheck:
    """Warns about decision links: a bad `data.decision_id`, one reused, one naming nothing.

    Also warns when a decision's `confidence` lies outside 0..1 (it is then not scored).
    """

    def __init__(self) -> None:
        self.declared: dict[str, int] = {}

    def __call__(self, record: RunEvent, line: int, report: FileReport) -> None:
        """Check this event's decision_id against the decisions declared before it."""
        try:
            decision_id = to_decision_id(record.data.get("decision_id"))
        except ValueError as error:
            report.warn(f"data.{error}", line=line)
            return
        if record.kind == "decision":
            confidence = to_finite_or_none(record.data.get("confidence"))
            if confidence is not None and not 0.0 <= confidence <= 1.0:
                report.warn("decision confidence outside 0..1: not scored", line=line)
            if decision_id is None:
                return
            first = self.declared.setdefault(decision_id, line)
            if first != line:
                report.warn(f"decision_id reused (first declared on line {first})", line=line)
        elif decision_id is not None and decision_id not in self.declared:
            report.warn("decision_id names no earlier decision event", line=line)


def check_native_events(path: Path, label: str) -> FileReport:
    """A native `events.jsonl`: every line a RunEvent, seq increasing by one, links resolved."""
    seq, decisions = SeqCheck(), DecisionIdCheck()

    def hook(record: RunEvent, line: int, report: FileReport) -> None:
        seq(record, line, report)
        decisions(record, line, report)

    return check_jsonl(path, label, RunEvent, "run events (JSONL)", hook)


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
        report.warn(f"{plural(extra, 'field')} more than the header names", **where)
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


FormatOf = Callable[[dict[str, Any]], str]


def check_event_formats(
    path: Path, label: str, family: str, format_of: FormatOf, model: type[Record]
) -> FileReport:
    """A JSON Lines file whose lines may be in several formats, each named and checked.

    A Peak_Trade format is checked by its strict model (what Peak_Trade requires), every
    line also by the reader's `model`; the report's kind names the formats found.
    """
    report = FileReport(label, family)
    found: set[str] = set()
    for number, line in numbered_lines(path, report):
        objects, problems = decode_jsonl([line], label, first_line_number=number)
        for problem in problems:
            report.problem(problem)
        for obj in objects:
            fmt = format_of(obj)
            found.add(fmt)
            strict = STRICT_MODELS.get(fmt)
            checked = validate_record(strict, obj, label, line=number) if strict else None
            if isinstance(checked, Problem):
                report.error(f"{fmt}: {checked.reason}", line=number)
                continue
            record = validate_record(model, obj, label, line=number, offset=line.offset)
            if isinstance(record, Problem):
                report.error(f"{fmt}: {record.reason}", line=number)
                continue
            report.records += 1
    if found:
        report.kind = f"{family} [{', '.join(sorted(found))}]"
    return report
