"""Offset-keeping reads of an append-only file that survive partial writes and rotation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.regular_files import open_regular, read_problem

READ_BLOCK = 1 << 20
SAMPLE_BYTES = 64  # bytes before the offset, compared on each call to spot in-place rewrites
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Appended:
    """Complete lines appended since the last read, and what happened to the file.

    `reset`: the file was truncated or replaced and `lines` start at its beginning.
    `missing`: the file does not exist. `skipped`: offsets of lines over the length cap.
    `error`: the file exists but could not be read (the offset is kept).
    `truncated`: the reset is an in-place truncation or rewrite of the same file
    (not a new file put in its place).
    """

    lines: list[RawLine]
    reset: bool
    missing: bool
    skipped: list[int] = field(default_factory=list)
    error: str | None = None
    truncated: bool = field(default=False, compare=False)
    block: bytes = field(default=b"", compare=False)  # `read_block`: the lines, as read
    start: int = field(default=0, compare=False)  # where the block starts


class IncrementalReader:
    """Reads the complete lines appended to one file since the previous call."""

    def __init__(self, path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._path = path
        self._max_line_bytes = max_line_bytes
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._lost = False  # the file went missing after it was seen: report a reset
        self._interrupted = False  # missing or unreadable since the last read: not a truncation
        self._skip_start: int | None = None  # start of an over-long line being skipped
        self._sample = b""  # the bytes just before the offset, as last read

    @property
    def identity(self) -> tuple[int, int] | None:
        """The (inode, device) of the file being read, once it has been opened."""
        return self._identity

    @property
    def offset(self) -> int:
        """Byte offset of the next unread byte (the start of a partial line, if any)."""
        return self._offset

    def skip_to_end(self) -> None:
        """Start after the file's last complete line: only lines appended later are read."""
        try:
            with open_regular(self._path) as f:
                st = os.fstat(f.fileno())
                self._restart((st.st_ino, st.st_dev))
                self._offset = _end_of_last_line(f, st.st_size)
                if self._offset:
                    self._remember_sample(f)
        except OSError:
            self._restart(None)

    def read_new(self, max_bytes: int | None = None) -> Appended:
        """The complete lines appended since the last call, oldest first.

        `max_bytes` bounds the bytes read by one call, except that a call reads on
        until it has at least one complete line (up to the line cap).
        """
        return self._read(max_bytes, whole=False)

    def read_block(self, max_bytes: int) -> Appended:
        """Like `read_new`, but the complete lines come as one block (`Appended.block`, its
        first byte at `Appended.start`), read with at most `max_bytes` bytes; a block without
        a newline gives no lines and leaves the offset, for `read_new` to take on."""
        return self._read(max_bytes, whole=True)

    def _read(self, max_bytes: int | None, *, whole: bool) -> Appended:
        """Open the file and read what is new; a missing or unreadable file is reported."""
        try:
            with open_regular(self._path) as f:
                return self._read_open(f, max_bytes, whole=whole)
        except FileNotFoundError:
            self._lost = self._lost or self._identity is not None
            self._interrupted = True
            self._restart(None)
            return Appended([], reset=False, missing=True)
        except OSError as error:
            self._interrupted = True
            return Appended([], reset=False, missing=False, error=read_problem(error))

    def _restart(self, identity: tuple[int, int] | None) -> None:
        """Start over at offset 0 of the file with this identity."""
        self._offset = 0
        self._identity = identity
        self._skip_start = None
        self._sample = b""

    def _read_open(self, f: BinaryIO, max_bytes: int | None, *, whole: bool) -> Appended:
        """Detect truncation or replacement of the open file, then read what is new."""
        st = os.fstat(f.fileno())
        identity = (st.st_ino, st.st_dev)
        reset = self._lost
        truncated = False
        if self._identity is None:
            self._restart(identity)
        elif identity != self._identity or st.st_size < self._offset or self._rewritten(f):
            truncated = identity == self._identity and not self._interrupted
            self._restart(identity)
            reset = True
        before = self._offset
        block = b""
        lines: list[RawLine]
        skipped: list[int]
        if whole and self._skip_start is None:
            block = self._read_whole_lines(f, st.st_size, max_bytes or READ_BLOCK)
            lines, skipped = [], []
        else:
            lines, skipped = self._read_lines(f, st.st_size, max_bytes)
        if self._offset != before:
            self._remember_sample(f)
        self._lost = False
        self._interrupted = False
        return Appended(
            lines, reset=reset, missing=False, skipped=skipped, truncated=truncated,
            block=block, start=before,
        )  # fmt: skip

    def _read_whole_lines(self, f: BinaryIO, size: int, max_bytes: int) -> bytes:
        """Up to `max_bytes` from the offset, cut after the last newline; moves the offset."""
        f.seek(self._offset)
        data = f.read(min(max_bytes, size - self._offset))
        end = data.rfind(b"\n") + 1
        self._offset += end
        return data[:end]

    def _rewritten(self, f: BinaryIO) -> bool:
        """True when the bytes before the offset differ from those read there last time.

        This catches a same-inode rewrite that grew past the offset, unless the new
        content happens to repeat those bytes at the same place.
        """
        if not self._sample:
            return False
        f.seek(self._offset - len(self._sample))
        return f.read(len(self._sample)) != self._sample

    def _remember_sample(self, f: BinaryIO) -> None:
        """Keep the bytes just before the offset for the next call's rewrite check."""
        size = min(self._offset, SAMPLE_BYTES)
        f.seek(self._offset - size)
        self._sample = f.read(size)

    def _read_lines(
        self, f: BinaryIO, size: int, max_bytes: int | None
    ) -> tuple[list[RawLine], list[int]]:
        """Read from the offset towards `size`, splitting complete lines; update the offset."""
        block = READ_BLOCK if max_bytes is None else max(1, min(max_bytes, READ_BLOCK))
        budget = max_bytes if max_bytes is not None else size
        lines: list[RawLine] = []
        skipped: list[int] = []
        partial = bytearray()
        line_start = self._offset
        pos = self._offset
        f.seek(pos)
        while pos < size and not (pos - self._offset >= budget and (lines or skipped)):
            chunk = f.read(min(block, size - pos))
            if not chunk:
                break
            seg = 0
            nl = chunk.find(b"\n")
            while nl != -1:
                if self._skip_start is not None:
                    skipped.append(self._skip_start)
                    self._skip_start = None
                elif len(partial) + nl - seg > self._max_line_bytes:
                    skipped.append(line_start)
                else:
                    partial += chunk[seg:nl]
                    data = strip_cr(bytes(partial))
                    if data:
                        lines.append(RawLine(line_start, data))
                partial.clear()
                seg = nl + 1
                line_start = pos + seg
                nl = chunk.find(b"\n", seg)
            if self._skip_start is None:
                partial += chunk[seg:]
                if len(partial) > self._max_line_bytes:
                    self._skip_start = line_start
                    partial.clear()
            pos += len(chunk)
        self._offset = pos if self._skip_start is not None else line_start
        return lines, skipped


def _end_of_last_line(f: BinaryIO, size: int) -> int:
    """The offset just after the last newline in the file (0 when there is none)."""
    pos = size
    while pos > 0:
        start = max(pos - READ_BLOCK, 0)
        f.seek(start)
        block = f.read(pos - start)
        newline = block.rfind(b"\n")
        if newline != -1:
            return start + newline + 1
        pos = start
    return 0
