"""A run's events file in any of its formats: native JSONL, Peak_Trade CSV or Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from peakwatch.contract.models import RunEvent, StepRow
from peakwatch.sources.checked import checked_record
from peakwatch.sources.decode import decode_csv_rows, decode_jsonl
from peakwatch.sources.event_columns import (
    NativeColumns,
    StepColumns,
    native_columns,
    step_columns,
)
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.incremental import MAX_LINE_BYTES, Appended, IncrementalReader
from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.parquet_tail import tail_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.steady import REWRITING, STEADY
from peakwatch.sources.tail import read_first_line, read_header, scan_budget, tail_lines

EventsFormat = Literal["jsonl", "csv", "parquet"]
EVENTS_FILES: tuple[tuple[str, EventsFormat], ...] = (
    ("events.jsonl", "jsonl"),
    ("events.parquet", "parquet"),
    ("events.csv", "csv"),
)
RunRecord = RunEvent | StepRow
LINE_TOO_LONG = f"line longer than {MAX_LINE_BYTES} bytes"
SMALLEST_PIECE = 64 << 10  # a block that will not parse as columns is halved down to this


@dataclass(frozen=True, slots=True)
class EventsFile:
    """The events file of a run: where, which format, and its stat key when last seen."""

    path: Path
    format: EventsFormat
    key: FileKey
    label: str


@dataclass(frozen=True, slots=True)
class Located:
    """A record and where it sits: byte offset (JSONL, CSV) or row index (Parquet)."""

    position: int
    record: RunRecord


@dataclass(slots=True)
class RecordsRead:
    """Records read from an events file, oldest first, with the problems met on the way."""

    records: list[Located] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reset: bool = False
    exhausted: bool = False
    truncated: bool = False
    missing: bool = False
    error: Problem | None = None
    pieces: list[NativeColumns | StepColumns | list[Located]] = field(default_factory=list)
    rewriting: bool = False  # the file is mid-rewrite: these are its last whole records


def find_events_file(run_dir: Path, label: str) -> EventsFile | None:
    """The run's events file, preferring native JSONL, then Parquet, then CSV."""
    for name, fmt in EVENTS_FILES:
        key = stat_key(run_dir / name)
        if key is not None:
            return EventsFile(run_dir / name, fmt, key, f"{label}/{name}")
    return None


def record_time(record: RunRecord) -> datetime | None:
    """When a record happened: `ts` for native events, else `ts_event` or `ts_bar`."""
    if isinstance(record, RunEvent):
        return record.ts
    return record.ts_event or record.ts_bar


def read_tail(events: EventsFile, limit: int) -> RecordsRead:
    """The last `limit` readable records, oldest first, reading from the end of the file.

    While the file is being rewritten in place (a CSV file shorter than when last read
    whole, a Parquet file without its footer), the records last read from it whole, marked.
    Native JSONL is append-only: a shorter one was truncated and is read as it is.
    """
    if events.format == "parquet":
        return _parquet_tail(events, limit)
    try:
        st: os.stat_result | None = os.stat(events.path)
    except OSError:
        st = None
    held = st is not None and events.format == "csv"  # native JSONL is append-only: no hold
    whole = STEADY.shrunk(events.path, ("tail", limit), st) if held else None
    if whole is not None:
        kept: RecordsRead = whole.result
        problem = Problem(events.label, STEADY.broken(events.path))
        return RecordsRead(list(kept.records), [problem], exhausted=kept.exhausted, rewriting=True)
    result = _line_tail(events, limit)
    if held:
        STEADY.remember(events.path, ("tail", limit), st, result)
    return result


def _line_tail(events: EventsFile, limit: int) -> RecordsRead:
    """The last `limit` records of a JSONL or CSV events file."""
    start = 0
    header: RawLine | None = None
    if events.format == "csv":
        header, reason = read_header(events.path)
        if header is None:
            problems = [] if reason is None else [Problem(events.label, reason)]
            return RecordsRead(problems=problems, exhausted=True)
        start = len(header.data) + 1
    tail = tail_lines(events.path, limit, start=start, max_scan_bytes=scan_budget(limit))
    result = RecordsRead(problems=tail.problems(events.label))
    result.records, problems = decode_lines(events, tail.lines, header)
    result.problems.extend(problems)
    result.exhausted = len(tail.lines) + len(tail.skipped) < limit
    return result


def read_last_event_time(events: EventsFile) -> tuple[datetime | None, Problem | None]:
    """The time of the newest readable record, looking back a few lines past bad ones."""
    read = read_tail(events, 8)
    for located in reversed(read.records):
        stamp = record_time(located.record)
        if stamp is not None:
            return stamp, read.problems[-1] if read.rewriting else None
    if read.problems:
        return None, read.problems[-1]
    return None, None


def decode_lines(
    events: EventsFile, lines: list[RawLine], header: RawLine | None
) -> tuple[list[Located], list[Problem]]:
    """Validate raw lines of a JSONL or CSV events file as contract records."""
    located: list[Located] = []
    problems: list[Problem] = []
    for line in lines:
        objects: list[dict[str, Any]]
        if header is not None:
            rows, bad = decode_csv_rows(header, [line], events.label)
            objects = [dict(row) for row in rows]
        else:
            objects, bad = decode_jsonl([line], events.label)
        problems.extend(bad)
        for obj in objects:
            model: type[RunEvent] | type[StepRow] = RunEvent if header is None else StepRow
            record = checked_record(model, obj, events.label, offset=line.offset)
            if isinstance(record, Problem):
                problems.append(record)
            else:
                located.append(Located(line.offset, record))
    return located, problems


def _parquet_tail(events: EventsFile, limit: int) -> RecordsRead:
    tail = tail_parquet(events.path, limit, events.label)
    result = RecordsRead(
        problems=list(tail.problems), exhausted=len(tail.rows) < limit, rewriting=tail.rewriting
    )
    first_index = tail.total_rows - len(tail.rows)
    for index, row in enumerate(tail.rows, start=first_index):
        record = checked_record(StepRow, row, events.label, line=index + 1)
        if isinstance(record, Problem):
            result.problems.append(record)
        else:
            result.records.append(Located(index, record))
    return result


class EventsFollower:
    """Follows a JSONL or CSV events file, returning the records appended since the last call."""

    def __init__(self, events: EventsFile) -> None:
        self.events = events
        self._reader = IncrementalReader(events.path)
        self._header: RawLine | None = None

    def skip_to_end(self) -> None:
        """Ignore what the file holds now; later calls return only what is appended."""
        if self.events.format == "csv":
            self._header = read_first_line(self.events.path)
        self._reader.skip_to_end()

    @property
    def offset(self) -> int:
        """Byte offset of the next unread line."""
        return self._reader.offset

    def read_new(self, max_bytes: int | None = None) -> RecordsRead:
        """Records appended since the previous call (all of them on the first call).

        `max_bytes` bounds one call's read (and memory); call again for the rest. While the
        file is shorter than what was read of it (a rewrite in place under way), nothing is
        read and `error` says so: the records read so far stand until it is whole again.
        """
        if self._mid_rewrite():
            return RecordsRead(error=Problem(self.events.label, STEADY.broken(self.events.path)))
        return self._records_of(self._reader.read_new(max_bytes))

    def read_batch(self, max_bytes: int) -> RecordsRead:
        """Like `read_new`, but what was appended comes in `pieces`, in file order: blocks of
        plain lines as columns, records where a block does not parse as such."""
        if self._mid_rewrite():
            return self._as_pieces(self.read_new(max_bytes))
        appended = self._reader.read_block(max_bytes)
        if not appended.block:  # no complete line within the block, or the file is gone
            if appended.missing or appended.error:
                return self._as_pieces(self._records_of(appended))
            read = self._records_of(self._reader.read_new(max_bytes))
            read.reset = read.reset or appended.reset
            read.truncated = read.truncated or appended.truncated
            return self._as_pieces(read)
        read = RecordsRead(reset=appended.reset, truncated=appended.truncated)
        block, start = appended.block, appended.start
        if self.events.format == "csv":
            if appended.reset:
                self._header = None
            if self._header is None and start == 0:
                end = block.find(b"\n") + 1
                first = strip_cr(block[: end - 1])
                self._header = RawLine(0, first) if first else None
                block, start = block[end:], end
            if self._header is None:
                return read
        if block:
            self._pieces(block, start, read)
        return read

    @staticmethod
    def _as_pieces(read: RecordsRead) -> RecordsRead:
        read.pieces, read.records = [read.records], []
        return read

    def _columns(self, block: bytes, start: int) -> NativeColumns | StepColumns | None:
        if self._header is not None:
            return step_columns(self._header.data, block)
        return native_columns(block, at_start=start == 0)

    def _pieces(self, block: bytes, start: int, read: RecordsRead) -> None:
        """Columns of `block` where it parses as such (halving what does not), else records."""
        columns = self._columns(block, start)
        if columns is not None:
            read.pieces.append(columns)
            return
        middle = block.find(b"\n", len(block) // 2) + 1
        if len(block) <= SMALLEST_PIECE or middle in (0, len(block)):
            lines = split_lines(block, start)
            records, problems = decode_lines(self.events, lines, self._header)
            read.pieces.append(records)
            read.problems.extend(problems)
            return
        self._pieces(block[:middle], start, read)
        self._pieces(block[middle:], start + middle, read)

    def _records_of(self, appended: Appended) -> RecordsRead:
        """The records of what the reader returned, with its problems."""
        result = RecordsRead(
            reset=appended.reset, truncated=appended.truncated, missing=appended.missing
        )
        if appended.error:
            result.error = Problem(self.events.label, appended.error)
        for offset in appended.skipped:
            result.problems.append(Problem(self.events.label, LINE_TOO_LONG, offset=offset))
        lines = appended.lines
        if self.events.format == "csv":
            if appended.reset:
                self._header = None
            if self._header is None and lines and lines[0].offset == 0:
                self._header, lines = lines[0], lines[1:]
            if self._header is None:
                return result
        result.records, problems = decode_lines(self.events, lines, self._header)
        result.problems.extend(problems)
        return result

    def _mid_rewrite(self) -> bool:
        """True while the same CSV file is shorter than the offset read so far (in the grace)."""
        identity, offset = self._reader.identity, self._reader.offset
        if self.events.format != "csv" or identity is None or not offset:
            return False
        try:
            st = os.stat(self.events.path)
        except OSError:
            return False
        if (st.st_ino, st.st_dev) != identity or st.st_size >= offset:
            STEADY.forget_broken(self.events.path)
            return False
        return STEADY.broken(self.events.path) == REWRITING


def split_lines(block: bytes, start: int) -> list[RawLine]:
    """The non-empty lines of a block of complete lines whose first byte is at `start`."""
    lines: list[RawLine] = []
    offset = start
    for data in block.split(b"\n")[:-1]:
        line = strip_cr(data)
        if line:
            lines.append(RawLine(offset, line))
        offset += len(data) + 1
    return lines
