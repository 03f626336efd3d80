"""A raw line of an artifact file: its bytes and where it starts."""

from __future__ import annotations

from typing import NamedTuple


class RawLine(NamedTuple):
    """A complete line without its `\\n` or `\\r\\n` terminator, never decoded."""

    offset: int
    data: bytes


def strip_cr(data: bytes) -> bytes:
    """The line without the `\\r` of a `\\r\\n` terminator."""
    return data[:-1] if data.endswith(b"\r") else data
