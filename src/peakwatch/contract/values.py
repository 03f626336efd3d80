"""Value rules shared by every record: aware UTC timestamps, finite numbers, lenient scalars.

Every rule also keeps values inside what the rest of the program can handle: timestamps
within a day of Python's datetime range, integers within signed 64 bits (what JSON
consumers and the JSON writer take), JSON documents at most MAX_JSON_NESTING levels deep.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,25}")
_DIGIT = re.compile(r"[0-9]")

EARLIEST_UTC = datetime(1, 1, 2, tzinfo=UTC)
LATEST_UTC = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
TIME_OUT_OF_RANGE = "timestamp outside 0001-01-02 to 9999-12-30 UTC"

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT_OUT_OF_RANGE = "integer outside the signed 64-bit range"

MAX_JSON_NESTING = 200
"""Deepest nesting of objects and arrays in a record (the record itself is level 1).

orjson writes at most 254 levels; the margin leaves room for the response around a record.
"""


def parse_utc(value: Any) -> datetime | None:
    """Turn an ISO-8601 string or datetime into an aware UTC datetime; naive means UTC.

    Empty values become None; anything else that is not a timestamp in range raises ValueError.
    """
    if value is None:
        return None
    if type(value) is str:
        try:  # the usual case, a well-formed timestamp, without the cleanup below
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _as_utc(parsed)
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
    """The same moment in UTC (naive means UTC); ValueError when it is out of range."""
    if parsed.tzinfo is None:
        utc = parsed.replace(tzinfo=UTC)
    elif parsed.tzinfo is UTC:
        utc = parsed
    else:
        try:
            utc = parsed.astimezone(UTC)
        except OverflowError:  # the offset moves it past year 1 or 9999
            raise ValueError(TIME_OUT_OF_RANGE) from None
    if not EARLIEST_UTC <= utc <= LATEST_UTC:
        raise ValueError(TIME_OUT_OF_RANGE)
    return utc


def format_utc(value: datetime | None) -> str | None:
    """Format a datetime as UTC ISO-8601 with a `Z` suffix (fixed, deterministic); naive is UTC."""
    if value is None:
        return None
    return _as_utc(value).isoformat()[:-6] + "Z"  # drop "+00:00"; microseconds only when not 0


def to_finite(value: Any) -> float | None:
    """A float, or None for missing, empty, NaN and infinite values (and ints beyond a float)."""
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
    """An int from an int, an integral float or its text; missing and NaN become None.

    Values outside the signed 64-bit range, infinity included, raise ValueError.
    """
    if isinstance(value, int):  # exact, also beyond a float's 53 bits; bool is 0 or 1
        return int64(int(value))
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER_TEXT.fullmatch(text):
            return int64(int(text))
        if not text:
            return None
    if not isinstance(value, float | str):
        if value is None:
            return None
        raise ValueError("not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("not a number") from None
    if math.isnan(number):
        return None
    if math.isinf(number):  # "inf" marks a missing value like NaN; "1e400" is too large
        if isinstance(value, str) and _DIGIT.search(value):
            raise ValueError(INT_OUT_OF_RANGE)
        return None
    if not number.is_integer():
        raise ValueError("not an integer")
    return int64(int(number))


def int64(value: int) -> int:
    """The value itself when it fits in a signed 64-bit integer; else ValueError."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(INT_OUT_OF_RANGE)
    return value


def saturated_int64(value: float) -> int:
    """A count or sum as an int, held at the signed 64-bit ends; NaN is 0."""
    if math.isnan(value):
        return 0
    if value >= INT64_MAX:
        return INT64_MAX
    if value <= INT64_MIN:
        return INT64_MIN
    return int(value)


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
    """Text, with missing, empty and NaN values as None; an int beyond 64 bits raises ValueError."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int):
        int64(value)
    text = str(value)
    return text if text.strip() else None


MAX_DECISION_ID = 200
DECISION_ID_INVALID = "decision_id is not text of 1 to 200 characters"


def to_decision_id(value: Any) -> str | None:
    """A decision id: text of 1-200 characters, an integer taken as its text; None when missing.

    Blank text counts as missing; any other value (a float, a list, longer text) raises ValueError.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(int64(value))
    if not isinstance(value, str):
        raise ValueError(DECISION_ID_INVALID)
    if not value.strip():
        return None
    if len(value) > MAX_DECISION_ID:
        raise ValueError(DECISION_ID_INVALID)
    return value


def json_limit_violation(value: Any) -> str | None:
    """Why a parsed JSON value cannot be served (too deep, an integer beyond 64 bits), or None.

    The reason reads after "line" or "document", e.g. "is nested deeper than 200 levels".
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if type(item) is int and not INT64_MIN <= item <= INT64_MAX:
                return f"has an {INT_OUT_OF_RANGE}"
            continue
        if depth > MAX_JSON_NESTING:
            return f"is nested deeper than {MAX_JSON_NESTING} levels"
        pending.extend((child, depth + 1) for child in children)
    return None


def parse_epoch_or_iso(value: Any) -> datetime | None:
    """Epoch seconds (a non-negative number, as Peak_Trade's v1 events write) or ISO text as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            raise ValueError("not a time: epoch seconds must be finite and not negative")
        try:
            return _as_utc(datetime.fromtimestamp(value, tz=UTC))
        except (OverflowError, OSError, ValueError):
            raise ValueError(TIME_OUT_OF_RANGE) from None
    return parse_utc(value)
