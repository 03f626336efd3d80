"""The one Jinja2 environment of the pages: autoescape on, a few formatting filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from peakwatch.contract.values import parse_utc
from peakwatch.web import units

TEMPLATES_DIR = Path(__file__).parent / "templates"
DASH = "–"


def as_datetime(value: Any) -> datetime | None:
    """A datetime from a datetime or ISO text; None when it is neither."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        return parse_utc(value)
    except (TypeError, ValueError):
        return None


def iso_z(value: Any) -> str:
    """`2026-01-01T12:00:00Z` (the `datetime` attribute), or "" when unknown."""
    stamp = as_datetime(value)
    if stamp is None:
        return ""
    text = stamp.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def utc_text(value: Any, fmt: str = "full") -> str:
    """`2026-01-01 12:00:00 UTC`, or `12:00:00 UTC` with fmt="time"; a dash when unknown."""
    stamp = as_datetime(value)
    if stamp is None:
        return DASH
    stamp = stamp.astimezone(UTC)
    if fmt == "time":
        return stamp.strftime("%H:%M:%S UTC")
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def age_text(value: Any, as_of: datetime) -> str:
    """`4 s ago`, `3 min ago`, `2 h ago`, `5 d ago`; "never" when unknown."""
    stamp = as_datetime(value)
    if stamp is None:
        return "never"
    seconds = int((as_of - stamp).total_seconds())
    if seconds < 0:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def number(value: Any, digits: int = 2) -> str:
    """`12,345.68`; a dash for None, NaN or anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DASH
    if value != value or value in (float("inf"), float("-inf")):
        return DASH
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """Like `number`, with a leading `+` on positive values."""
    text = number(value, digits)
    return f"+{text}" if text != DASH and value > 0 else text


def percent(value: Any, digits: int = 2) -> str:
    """A fraction as `-3.20 %`; a dash when unknown."""
    text = number(value * 100 if isinstance(value, int | float) else None, digits)
    return DASH if text == DASH else f"{text} %"


def quote_id(value: Any) -> str:
    """An id as one URL path segment (every reserved character percent-encoded)."""
    return quote(str(value), safe="")


def text_or_dash(value: Any) -> Any:
    """The value, or a dash when it is None or empty."""
    return DASH if value is None or value == "" else value


def build_environment() -> Environment:
    """The environment: HTML autoescaped, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        iso=iso_z,
        utc=utc_text,
        age=age_text,
        num=number,
        signed=signed,
        pct=percent,
        quote=quote_id,
        dash=text_or_dash,
        qty=units.quantity,
        currency=units.money_currency,
        asset=units.asset_of,
        bytes=units.byte_size,
    )
    return env


ENVIRONMENT = build_environment()


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page rendered from `templates/<name>`."""
    html = ENVIRONMENT.get_template(name).render(context)
    return HTMLResponse(html, status_code=status_code)
