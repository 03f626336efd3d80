"""`redact`: a deep copy of a record with every secret in it replaced."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from peakwatch.secrets.entropy import looks_random
from peakwatch.secrets.names import is_secret_key, is_suspicious_key
from peakwatch.secrets.text import redact_text
from peakwatch.secrets.values import REDACTED


def redact(value: Any) -> Any:
    """A deep copy with secret-keyed values, secret command-line values and secret-shaped
    text replaced.

    Values under secret-looking keys become "[redacted]", except None and booleans,
    which hold no secret (`require_confirm_token: true` stays readable). Under merely
    suspicious keys (`key`, `signature`, `session`, ...) only random-looking text goes.
    """
    if isinstance(value, Mapping):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = _redact_argv([redact(item) for item in value])
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, str):
        return redact_text(value)
    return copy.deepcopy(value)


def _redact_item(key: Any, item: Any) -> Any:
    if isinstance(key, str) and item is not None:
        if is_secret_key(key):
            return item if isinstance(item, bool) else REDACTED
        if isinstance(item, str) and is_suspicious_key(key) and looks_random(item):
            return REDACTED
    return redact(item)


def _is_bare_flag(item: Any) -> bool:
    return isinstance(item, str) and item.startswith("-") and "=" not in item and " " not in item


def _redact_argv(items: list[Any]) -> list[Any]:
    """In an argv-like list, a flag's next element is its value: hide it when the flag is
    secret-looking, or suspicious and the value looks random (`--sig 9fQ...`)."""
    result = list(items)
    for index in range(len(result) - 1):
        flag, following = result[index], result[index + 1]
        if not _is_bare_flag(flag) or not isinstance(following, str):
            continue
        if following.startswith("--") or following == REDACTED:
            continue
        if is_secret_key(flag) or (is_suspicious_key(flag) and looks_random(following)):
            result[index + 1] = REDACTED
    return result
