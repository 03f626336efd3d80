"""Rows of a run's events file by their 0-based position, for polls that resume at a row number.

A JSONL or CSV file is indexed incrementally: the byte offset of every ROW_STRIDE-th row
is kept, so reading from a position seeks to the nearest kept offset and reads forward
(a few hundred rows at most), whatever the size of the file. A row is a non-empty line
(for CSV, after the header), readable or not: positions never shift because a line is
bad. A Parquet file's rows are read from the row groups that hold them.
"""

from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peakwatch.sources.incremental import MAX_LINE_BYTES, IncrementalReader
from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.parquet_tail import UNREADABLE, _plain_rows, open_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import NotRegularFile, open_regular
from peakwatch.sources.run_events import EventsFile

ROW_STRIDE = 256  # rows between two kept offsets: a read skips at most this many rows
CATCH_UP_BYTES = 64 << 20  # read per call to index appended rows; the rest waits for later
_BLOCK = 1 << 20
NOT_READ = "file could not be read"


@dataclass(slots=True)
class RowsRead:
    """Rows from a position on: (position, line) pairs; `line` None for an over-long line."""

    rows: list[tuple[int, RawLine | None]] = field(default_factory=list)
    total: int = 0
    problems: list[Problem] = field(default_factory=list)


class RowPositions:
    """The rows of one JSONL or CSV events file, numbered from 0 in file order."""

    def __init__(self, events: EventsFile) -> None:
        self.events = events
        self._reader = IncrementalReader(events.path)
        self._lock = threading.Lock()
        self._offsets = array("q")  # offset of row 0, ROW_STRIDE, 2 * ROW_STRIDE, ...
        self._count = 0
        self._end = 0  # offset just after the last indexed row
        self.resets = 0  # times the file was found rewritten or replaced and indexed afresh

    def catch_up(self, max_bytes: int = CATCH_UP_BYTES) -> int:
        """Index the rows appended since the last call (at most `max_bytes`); the row count."""
        with self._lock:
            appended = self._reader.read_new(max_bytes)
            if appended.reset or appended.missing:
                self._offsets = array("q")
                self._count = 0
                self._end = 0
                self.resets += appended.reset
            starts = sorted([line.offset for line in appended.lines] + appended.skipped)
            for offset in starts:
                if self.events.format == "csv" and offset == 0:
                    continue  # the header
                if self._count % ROW_STRIDE == 0:
                    self._offsets.append(offset)
                self._count += 1
            self._end = self._reader.offset
            return self._count

    def read(self, start: int, count: int) -> RowsRead:
        """Up to `count` indexed rows from position `start`, in order."""
        with self._lock:
            total, end = self._count, self._end
            if start >= total or count <= 0:
                return RowsRead(total=total)
            anchor = start // ROW_STRIDE
            offset = self._offsets[anchor]
            first = anchor * ROW_STRIDE
        wanted = min(count, total - start)
        try:
            rows = _rows_forward(self.events.path, offset, end, first, start, wanted)
        except FileNotFoundError:
            return RowsRead(total=total)
        except NotRegularFile as error:
            return RowsRead(total=total, problems=[Problem(self.events.label, error.reason)])
        except OSError:
            return RowsRead(
                total=total, problems=[Problem(self.events.label, "file could not be read")]
            )
        return RowsRead(rows, total)


def _rows_forward(
    path: Path, offset: int, end: int, first: int, start: int, count: int
) -> list[tuple[int, RawLine | None]]:
    """Rows `start..start+count` reading forward from `offset`, where row `first` begins."""
    found: list[tuple[int, RawLine | None]] = []
    position = first
    with open_regular(path) as f:
        f.seek(offset)
        pending = bytearray()
        line_start = offset
        pos = offset
        too_long = False
        while pos < end and len(found) < count:
            chunk = f.read(min(_BLOCK, end - pos))
            if not chunk:
                break
            seg = 0
            newline = chunk.find(b"\n")
            while newline != -1 and len(found) < count:
                if not too_long:
                    pending += chunk[seg:newline]
                data = strip_cr(bytes(pending))
                if data or too_long:
                    if position >= start:
                        found.append((position, None if too_long else RawLine(line_start, data)))
                    position += 1
                pending.clear()
                too_long = False
                seg = newline + 1
                line_start = pos + seg
                newline = chunk.find(b"\n", seg)
            if not too_long:
                pending += chunk[seg:]
                if len(pending) > MAX_LINE_BYTES:
                    too_long = True
                    pending.clear()
            pos += len(chunk)
    return found


def parquet_rows(
    path: Path, start: int, count: int, label: str
) -> tuple[list[Any], int, list[Problem]]:
    """Rows `start..start+count` of a Parquet file (plain values), its row count, problems.

    Only the row groups that hold the wanted rows are read.
    """
    try:
        with open_regular(path) as f:
            parquet = open_parquet(f)
            meta = parquet.metadata
            total = meta.num_rows
            rows: list[Any] = []
            group_start = 0
            for index in range(meta.num_row_groups):
                size = meta.row_group(index).num_rows
                group_end = group_start + size
                if group_end > start and group_start < start + count:
                    table = parquet.read_row_group(index)
                    low = max(start - group_start, 0)
                    high = min(start + count - group_start, size)
                    rows.extend(_plain_rows(table.slice(low, high - low)))
                if group_end >= start + count:
                    break
                group_start = group_end
    except FileNotFoundError:
        return [], 0, []
    except NotRegularFile as error:
        return [], 0, [Problem(label, error.reason)]
    except Exception:  # pyarrow raises many error types on corrupt or truncated input
        return [], 0, [Problem(label, UNREADABLE)]
    return rows, total, []
