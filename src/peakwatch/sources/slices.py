"""Reads of a line-oriented file backwards, one bounded slice at a time (for searches).

A search walks a file from its end towards its start, a slice per call, and stops when
it has found enough or spent its byte budget; no call reads more than it is allowed to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.regular_files import open_regular, read_problem


@dataclass(frozen=True, slots=True)
class Slice:
    """Complete lines of one slice, oldest first, and where the unread older part ends.

    `start` is the offset of the first line returned: pass it as `end` for the next,
    older slice; `start == floor` means nothing older is left. `stuck` means no line
    starts in the slice (a line longer than it): read again with more bytes.
    """

    lines: list[RawLine] = field(default_factory=list)
    start: int = 0
    read_bytes: int = 0
    size: int = 0
    stuck: bool = False
    missing: bool = False
    error: str | None = None


def read_slice_before(path: Path, end: int | None, max_bytes: int, *, floor: int = 0) -> Slice:
    """The complete lines in at most `max_bytes` before offset `end`, at offsets >= `floor`.

    `end` is None for the end of the file (a last line without its newline is half-written
    and not returned) or the `start` of a previous slice. Reads one block of at most
    `max_bytes + 1` bytes.
    """
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            stop = size if end is None else min(end, size)
            # one byte more than asked: a newline just before the slice means it starts a line
            low = max(stop - max(max_bytes, 1) - 1, floor, 0)
            f.seek(low)
            block = f.read(max(stop - low, 0))
    except FileNotFoundError:
        return Slice(missing=True)
    except OSError as error:
        return Slice(error=read_problem(error))
    read_bytes = len(block)
    block = block[: block.rfind(b"\n") + 1]  # what follows the last newline is not a line yet
    return _lines_of(block, low, floor, read_bytes, size)


def _lines_of(block: bytes, low: int, floor: int, read_bytes: int, size: int) -> Slice:
    """Split a block read at `low` into lines; its first line is partial unless `low == floor`."""
    first = 0
    if low > floor:
        newline = block.find(b"\n")
        if newline == -1 or newline == len(block) - 1:
            return Slice(read_bytes=read_bytes, size=size, stuck=True)
        first = newline + 1
    lines: list[RawLine] = []
    offset = low + first
    for data in block[first:].split(b"\n")[:-1]:
        text = strip_cr(data)
        if text:
            lines.append(RawLine(offset, text))
        offset += len(data) + 1
    return Slice(lines, start=low + first, read_bytes=read_bytes, size=size)
