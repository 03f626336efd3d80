"""Bounded-cost reads of the end (and the first line) of a line-oriented file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import open_regular, read_problem

MAX_LINE_BYTES = 16 * 1024 * 1024
SCAN_LIMIT_REASON = "older lines not read: a line here is too long to read back through"


def scan_budget(limit: int, max_line_bytes: int = MAX_LINE_BYTES) -> int:
    """Bytes a tail of `limit` lines may read: generous for real lines, bounded for huge ones."""
    return 2 * max_line_bytes + limit * 4096


@dataclass(frozen=True, slots=True)
class TailResult:
    """The last lines of a file, oldest first, and what could not be returned.

    `skipped` holds (offset, reason) of lines longer than the cap; they count toward
    the limit. `missing` means the file does not exist; `error` that it could not be read.
    """

    lines: list[RawLine] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    missing: bool = False
    error: str | None = None

    def problems(self, label: str) -> list[Problem]:
        """Skipped lines and a read error as problems of the file `label` (missing is not one)."""
        found = [Problem(label, reason, offset=offset) for offset, reason in self.skipped]
        if self.error is not None:
            found.append(Problem(label, self.error))
        return found


def tail_lines(
    path: Path,
    limit: int,
    *,
    block_size: int = 65536,
    start: int = 0,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_scan_bytes: int | None = None,
) -> TailResult:
    """The last `limit` complete, non-empty lines at offsets >= `start`, read backwards.

    A last line without its newline is half-written and is not returned. With
    `max_scan_bytes`, reading stops after that many bytes (a skipped entry with
    SCAN_LIMIT_REASON marks where), so one huge line cannot make every call read it.
    """
    if limit <= 0:
        return TailResult()
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            floor = max(start, 0)
            if max_scan_bytes is not None:
                floor = max(floor, size - max(max_scan_bytes, 1))
            result = _scan_back(f, size, limit, max(block_size, 1), floor, max_line_bytes)
            if floor > max(start, 0) and len(result.lines) + len(result.skipped) < limit:
                result.skipped.insert(0, (floor, SCAN_LIMIT_REASON))
            return result
    except FileNotFoundError:
        return TailResult(missing=True)
    except OSError as error:
        return TailResult(error=read_problem(error))


def _scan_back(
    f: BinaryIO, size: int, limit: int, block_size: int, start: int, max_line_bytes: int
) -> TailResult:
    """Walk blocks from the end to `start - 1`, collecting lines newest first."""
    floor = max(start - 1, 0)  # the byte before `start` tells whether a line begins at it
    found: list[RawLine] = []
    skipped: list[tuple[int, str]] = []
    pieces: list[bytes] = []  # fragments of the line being assembled, newest first
    piece_bytes = 0
    too_long = False
    seen_newline = False  # bytes after the file's last newline are a half-written line
    count = 0
    pos = size
    while pos > floor and count < limit:
        read_start = max(pos - block_size, floor)
        f.seek(read_start)
        block = f.read(pos - read_start)
        if len(block) != pos - read_start:
            found.reverse()
            skipped.reverse()
            return TailResult(found, skipped, error="file shrank while it was read")
        end = len(block)
        nl = block.rfind(b"\n", 0, end)
        while nl != -1 and count < limit:
            if seen_newline:
                line_start = read_start + nl + 1
                piece_bytes += end - nl - 1
                if piece_bytes > max_line_bytes or too_long:
                    skipped.append((line_start, f"line longer than {max_line_bytes} bytes"))
                    count += 1
                else:
                    pieces.append(block[nl + 1 : end])
                    data = strip_cr(b"".join(reversed(pieces)))
                    if data:
                        found.append(RawLine(line_start, data))
                        count += 1
            seen_newline = True
            pieces, piece_bytes, too_long = [], 0, False
            end = nl
            nl = block.rfind(b"\n", 0, end)
        if seen_newline and count < limit:
            piece_bytes += end
            if piece_bytes > max_line_bytes:
                pieces, too_long = [], True
            elif not too_long:
                pieces.append(block[:end])
        pos = read_start
    if start == 0 and pos == 0 and seen_newline and count < limit:
        if too_long or piece_bytes > max_line_bytes:
            skipped.append((0, f"line longer than {max_line_bytes} bytes"))
        else:
            data = strip_cr(b"".join(reversed(pieces)))
            if data:
                found.append(RawLine(0, data))
    found.reverse()
    skipped.reverse()
    return TailResult(found, skipped)


def read_first_line(path: Path, max_bytes: int = 1 << 20) -> RawLine | None:
    """The file's first complete line (e.g. a CSV header), or None if there is none yet.

    A first line longer than `max_bytes`, a missing or unreadable file also give None.
    """
    return read_header(path, max_bytes)[0]


def read_header(path: Path, max_bytes: int = 1 << 20) -> tuple[RawLine | None, str | None]:
    """The file's first complete line or None, and why the file could not be read (or None)."""
    try:
        with open_regular(path) as f:
            head = f.read(max_bytes + 1)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, read_problem(error)
    nl = head.find(b"\n")
    if nl == -1:
        return None, None
    return RawLine(0, strip_cr(head[:nl])), None
