"""Single lines of a JSONL file read at byte offsets an index kept, each bounded in length."""

from __future__ import annotations

from pathlib import Path

from peakwatch.sources.incremental import MAX_LINE_BYTES
from peakwatch.sources.lines import RawLine, strip_cr
from peakwatch.sources.regular_files import open_regular

_CHUNK = 64 << 10


def lines_at(
    path: Path, offsets: list[int], max_line_bytes: int = MAX_LINE_BYTES
) -> list[RawLine | None]:
    """The complete line starting at each offset, in the order given.

    None for a line without its newline (the file was cut or rewritten since it was
    indexed) or longer than `max_line_bytes`. Raises OSError like `open_regular`.
    """
    found: list[RawLine | None] = []
    with open_regular(path) as f:
        for offset in offsets:
            f.seek(offset)
            data = bytearray()
            line: RawLine | None = None
            while len(data) <= max_line_bytes:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                newline = chunk.find(b"\n")
                if newline != -1:
                    data += chunk[:newline]
                    if len(data) <= max_line_bytes:
                        line = RawLine(offset, strip_cr(bytes(data)))
                    break
                data += chunk
            found.append(line)
    return found
