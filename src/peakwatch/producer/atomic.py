"""Crash-safe file writes, whole-line appends, and the JSON and time encoding they share."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

_TIME_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
_DOCUMENT_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | _TIME_OPTIONS
_LINE_OPTIONS = orjson.OPT_APPEND_NEWLINE | _TIME_OPTIONS


def _default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps_document(obj: Any) -> bytes:
    """A JSON document: sorted keys, indent 2, trailing newline, non-finite floats as null."""
    return orjson.dumps(obj, default=_default, option=_DOCUMENT_OPTIONS) + b"\n"


def dumps_line(obj: Any) -> bytes:
    """One compact JSON line in insertion order, newline included; NaN and inf become null."""
    return orjson.dumps(obj, default=_default, option=_LINE_OPTIONS)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_ts(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, the timestamp of every artifact we write."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_ts_ms(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.fffZ`, millisecond precision (the AI events file)."""
    utc = as_utc(moment)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success it is fsynced and renamed over `path`.

    On any error the temp file is removed and `path` keeps its previous content.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        os.chmod(temp, 0o644)
        yield temp
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a torn one."""
    with atomic_path(path) as temp, temp.open("wb") as handle:
        handle.write(data)
        handle.flush()


def write_json_atomic(path: Path, obj: Any) -> None:
    """Replace `path` with `obj` as a JSON document (see `dumps_document`), atomically."""
    write_bytes_atomic(path, dumps_document(obj))


def append_bytes(path: Path, data: bytes) -> None:
    """Append `data` with one `os.write` in O_APPEND mode, so concurrent lines never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):  # a short write only happens on a full disk or a signal
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def append_json_line(path: Path, obj: Any) -> bytes:
    """Append `obj` as one JSON line (see `dumps_line`) and return the bytes written."""
    line = dumps_line(obj)
    append_bytes(path, line)
    return line
