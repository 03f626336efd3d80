"""Value rules shared by every record: aware UTC timestamps, finite numbers, lenient scalars."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def parse_utc(value: Any) -> datetime | None:
    """Turn an ISO-8601 string or datetime into an aware UTC datetime; naive means UTC.

    Empty values become None; anything else that is not a timestamp raises ValueError.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in {"nan", "nat", "none", "null"}:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("not an ISO-8601 timestamp") from None
    elif isinstance(value, float) and math.isnan(value):
        return None
    else:
        raise ValueError("not an ISO-8601 timestamp")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_utc(value: datetime | None) -> str | None:
    """Format an aware datetime as UTC ISO-8601 with a `Z` suffix (fixed, deterministic)."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def to_finite(value: Any) -> float | None:
    """A float, or None for missing, empty, NaN and infinite values."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError("not a number") from None
    else:
        raise ValueError("not a number")
    return number if math.isfinite(number) else None


def to_int(value: Any) -> int | None:
    """An int from an int, an integral float or its text; missing and NaN become None."""
    number = to_finite(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError("not an integer")
    return int(number)


def to_bool(value: Any) -> bool | None:
    """A bool from a bool, 0/1 or true/false text; missing becomes None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if not text or text == "nan":
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("not a boolean")


def to_text(value: Any) -> str | None:
    """Text, with missing, empty and NaN values as None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value)
    return text if text.strip() else None
