"""The units figures are shown in: a run's or session's money currency (from its meta or
config where the artifact names one, else the symbol's quote) and its position's asset."""

from __future__ import annotations

import re
from typing import Any

CURRENCY = re.compile(r"[A-Z]{3,5}")
CURRENCY_KEYS = ("currency", "quote_currency")


def currency_of(symbol: Any) -> str | None:
    """The quote (or settle) currency of a market symbol: `BTC/EUR` -> EUR; None if unknown."""
    if not isinstance(symbol, str) or "/" not in symbol:
        return None
    quote = symbol.rpartition(":")[2] if ":" in symbol else symbol.partition("/")[2]
    return quote if CURRENCY.fullmatch(quote) else None


def asset_of(symbol: Any) -> str | None:
    """The base asset of a market symbol, the unit of a position: `BTC/EUR` -> BTC."""
    if not isinstance(symbol, str) or "/" not in symbol:
        return None
    base = symbol.partition("/")[0]
    return base if CURRENCY.fullmatch(base) else None


def money_currency(holder: Any) -> str | None:
    """The currency of a run snapshot's or session's money: a `currency` its meta or config
    names, else the quote of its symbol; None when neither says."""
    if not isinstance(holder, dict):
        return None
    for part in (holder.get("meta"), (holder.get("record") or {}).get("config"), holder):
        if isinstance(part, dict):
            for key in CURRENCY_KEYS:
                value = part.get(key)
                if isinstance(value, str) and CURRENCY.fullmatch(value):
                    return value
    symbol = holder.get("symbol") or (holder.get("record") or {}).get("symbol")
    return currency_of(symbol)


def quantity(value: Any) -> str:
    """A quantity with the decimals it has, no trailing zeros: `29`, `1.3`, `1,250.5`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    if value != value or value in (float("inf"), float("-inf")):
        return "–"
    text = f"{value:,.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def byte_size(count: Any) -> str:
    """A size in bytes as people read it: "640 kB", "2.1 GB" (powers of 1000)."""
    if not isinstance(count, int) or count < 0:
        return "–"
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 999.5 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit in ("B", "kB") else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"
