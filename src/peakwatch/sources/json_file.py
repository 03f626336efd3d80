"""Read one small JSON document (meta.json, a registry record) without raising."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson

from peakwatch.sources.regular_files import NotRegularFile, open_regular

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


def _reject_constant(name: str) -> Any:
    return None


def read_json_object(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed object, or None and a short reason (never exception text)."""
    try:
        with open_regular(path) as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except NotRegularFile as error:
        return None, error.reason
    except FileNotFoundError:
        return None, "file disappeared while reading"
    except PermissionError:
        return None, "permission denied"
    except IsADirectoryError:
        return None, "is a directory, not a file"
    except OSError:
        return None, "cannot be read"
    if len(raw) > MAX_DOCUMENT_BYTES:
        return None, "larger than 8 MiB"
    if not raw.strip():
        return None, "empty file (possibly being written)"
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = _lenient_loads(raw)
        if value is _INVALID:
            return None, "not valid JSON (truncated or corrupt)"
    if not isinstance(value, dict):
        return None, "JSON document is not an object"
    return value, None


_INVALID = object()


def _lenient_loads(raw: bytes) -> Any:
    """Accept NaN/Infinity literals (Python writers emit them) and map them to None."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, object_hook=_finite_floats)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _INVALID


def _finite_floats(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (None if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in obj.items()
    }
