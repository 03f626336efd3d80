"""Bounded reads of a root's objects: the lines appended to a JSONL since an offset, and
the last rows of a Parquet file from its footer and last row groups.

Both take the `ObjectInfo` of the latest listing, so they cost no HEAD; an object whose
size and ETag did not change costs nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.parquet_tail import open_parquet
from peakwatch.sources.storage import ObjectInfo, StorageRoot

SAMPLE_BYTES = 64  # bytes before the offset, read again to tell an append from a rewrite
MAX_READ_BYTES = 4 << 20  # at most this much of an object per call; the rest waits


@dataclass
class FollowState:
    """Where a follower of one object stands: the next unread byte, what preceded it."""

    offset: int = 0
    sample: bytes = b""
    etag: str = ""
    skipping: bool = False  # inside a line longer than a whole read


@dataclass(frozen=True)
class Appended:
    """Complete lines read since the last call; `reset`: they start the object afresh."""

    lines: list[RawLine] = field(default_factory=list)
    reset: bool = False
    skipped: list[int] = field(default_factory=list)  # offsets of lines over the cap


def read_appended(
    root: StorageRoot, info: ObjectInfo, state: FollowState, max_bytes: int = MAX_READ_BYTES
) -> Appended:
    """The complete lines appended to `info` since `state` (updated); a partial last line waits.

    One ranged GET from just before the offset: if the bytes there changed, or the object
    shrank, it was rewritten and is read again from its start (`reset`).
    """
    if info.size == state.offset and info.etag == state.etag:
        return Appended()
    reset = info.size < state.offset or (info.size == state.offset and bool(state.sample))
    if not reset and state.offset:
        start = state.offset - len(state.sample)
        data = root.read_range(info.name, start, min(info.size, state.offset + max_bytes))
        if data[: len(state.sample)] == state.sample:
            return _take_lines(data[len(state.sample) :], state, info, False, max_bytes)
        reset = True
    state.offset, state.sample, state.skipping = 0, b"", False
    data = root.read_range(info.name, 0, min(info.size, max_bytes))
    return _take_lines(data, state, info, reset, max_bytes)


def _take_lines(
    data: bytes, state: FollowState, info: ObjectInfo, reset: bool, max_bytes: int
) -> Appended:
    start = state.offset
    skipped: list[int] = []
    head = 0  # bytes of an over-long line still being skipped
    if state.skipping:
        newline = data.find(b"\n")
        head = len(data) if newline < 0 else newline + 1
        state.skipping = newline < 0
    end = data.rfind(b"\n") + 1
    if end <= head and len(data) - head >= max_bytes:  # a line longer than a whole read
        skipped.append(start + head)
        state.skipping, end = True, len(data)
    end = max(end, head)
    lines: list[RawLine] = []
    position = start + head
    for chunk in data[head:end].split(b"\n")[:-1] if end > head and not state.skipping else ():
        lines.append(RawLine(position, strip_cr(chunk)))
        position += len(chunk) + 1
    state.offset = start + end
    state.sample = (state.sample + data[:end])[-SAMPLE_BYTES:] if state.offset else b""
    state.etag = info.etag
    return Appended(lines, reset, skipped)


@dataclass(frozen=True)
class ParquetRows:
    """The last rows of a Parquet object (oldest first) and its row count from the footer."""

    table: pa.Table
    total_rows: int


def read_parquet_tail(root: StorageRoot, info: ObjectInfo, limit: int) -> ParquetRows:
    """The last `limit` rows, reading the footer and only the row groups that hold them."""
    with root.open(info.name, info) as f:
        parquet = open_parquet(f)  # type: ignore[arg-type]
        metadata = parquet.metadata
        groups: list[pa.Table] = []
        collected = 0
        index = metadata.num_row_groups - 1
        while collected < limit and index >= 0:
            group = parquet.read_row_group(index)
            groups.append(group)
            collected += group.num_rows
            index -= 1
        if not groups:
            return ParquetRows(parquet.schema_arrow.empty_table(), metadata.num_rows)
        table = pa.concat_tables(reversed(groups))
        return ParquetRows(table.slice(max(table.num_rows - limit, 0)), metadata.num_rows)
