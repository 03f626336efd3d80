"""Read one small JSON document (meta.json, a registry record) without raising."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peakwatch.sources.decode import parse_json
from peakwatch.sources.regular_files import NotRegularFile, open_regular

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


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
    value, reason = parse_json(raw)
    if reason in ("is not valid JSON", "is not valid UTF-8"):
        return None, "not valid JSON (truncated or corrupt)"
    if reason is not None:
        return None, f"document {reason}"
    if not isinstance(value, dict):
        return None, "JSON document is not an object"
    return value, None
