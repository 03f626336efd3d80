"""The demo trader's alerts: what it raises, and the drawdown rule whose severity follows its
thresholds (the text names the level that fired)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert raised while trading: run rule id and severity, store category."""

    rule_id: str
    severity: str  # info | warning | critical
    category: str  # RISK | EXECUTION | SYSTEM
    message: str
    threshold: float | None = None  # the limit that fired, as the message states it


WARN_SHARE = 0.6  # the drawdown alert warns at this share of the limit


def drawdown_alert(drawdown: float, limit: float, symbol: str) -> Alert:
    """Warning past WARN_SHARE of the limit, critical past the limit; the text names the level."""
    if drawdown < -limit:
        text = f"Drawdown {drawdown:.2%} on {symbol} is beyond the limit -{limit:.1%}"
        return Alert("drawdown", "critical", "RISK", text, -limit)
    warn_at = WARN_SHARE * limit
    text = (
        f"Drawdown {drawdown:.2%} on {symbol} passed the warning level -{warn_at:.1%} "
        f"(limit -{limit:.1%})"
    )
    return Alert("drawdown", "warning", "RISK", text, -warn_at)
