"""Where a run's events file left off: its last seq and the end of its last complete line."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

_TAIL_BLOCK = 64 * 1024


def _seq_of(line: bytes) -> int | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    seq = record.get("seq") if isinstance(record, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def scan_events_tail(path: Path) -> tuple[int, int]:
    """Return (last seq found in a complete line, byte length of the complete lines).

    Reads backwards from the end, so the cost does not grow with the file.
    """
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        position, buffer, complete = size, b"", None
        while position > 0:
            step = min(_TAIL_BLOCK, position)
            position -= step
            handle.seek(position)
            buffer = handle.read(step) + buffer
            end = buffer.rfind(b"\n")
            if end < 0:
                continue
            if complete is None:
                complete = position + end + 1
            lines = buffer[:end].split(b"\n")
            head, candidates = (b"", lines) if position == 0 else (lines[0], lines[1:])
            for line in reversed(candidates):
                seq = _seq_of(line)
                if seq is not None:
                    return seq, complete
            buffer = head + b"\n"
        return 0, complete or 0
