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
    if type(value) is str:
        try:  # the usual case, a well-formed timestamp, without the cleanup below
            return _as_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
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
    return _as_utc(parsed)


def _as_utc(parsed: datetime) -> datetime:
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_utc(value: datetime | None) -> str | None:
    """Format an aware datetime as UTC ISO-8601 with a `Z` suffix (fixed, deterministic)."""
    if value is None:
        return None
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.isoformat()[:-6] + "Z"  # drop "+00:00"; microseconds only when not zero


def to_finite(value: Any) -> float | None:
    """A float, or None for missing, empty, NaN and infinite values."""
    if not isinstance(value, float | int | str):  # bool is an int: True is 1.0
        if value is None:
            return None
        raise ValueError("not a number")
    try:
        number = float(value)  # text may carry surrounding whitespace
    except OverflowError:  # an int too large for a float
        return None
    except ValueError:
        if isinstance(value, str) and not value.strip():
            return None
        raise ValueError("not a number") from None
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
