"""What the sessions index keeps of one record: the few fields lists, filters and stats read.

The whole record (config, metrics, cli_args) is not kept: a detail view reads the file again.
Repeated short strings are interned, so 100,000 records share one "paper" and one "completed".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peakwatch.contract.models import SessionRecord
from peakwatch.contract.values import to_finite, to_int
from peakwatch.secrets import redact_text

ERROR_TEXT_MAX = 2000


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One record as the list view, the filters, the stats and the staleness need it."""

    session_id: str
    run_id: str | None
    mode: str | None
    env_name: str | None
    symbol: str | None
    status: str | None
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    error: str | None  # one line, secrets redacted, at most ERROR_TEXT_MAX characters
    notes: str | None  # config.notes when it is non-empty text
    realized_pnl: float | None
    max_drawdown: float | None
    num_orders: int | None
    risk_severity: str | None  # metrics.risk_severity, else metrics.risk_check.severity (text)
    risk_status: str | None  # metrics.risk_status when it is text


def summarize(record: SessionRecord) -> SessionSummary:
    """The summary of a validated record."""
    metrics = record.metrics
    severity = metrics.get("risk_severity")
    check = metrics.get("risk_check")
    if not isinstance(severity, str) and isinstance(check, dict):
        severity = check.get("severity")
    notes = record.config.get("notes")
    return SessionSummary(
        session_id=record.session_id,
        run_id=_shared(record.run_id),
        mode=_shared(record.mode),
        env_name=_shared(record.env_name),
        symbol=_shared(record.symbol),
        status=_shared(record.status),
        started_at=record.started_at,
        finished_at=record.finished_at,
        heartbeat_at=record.heartbeat_at,
        error=_one_line(record.error),
        notes=notes if isinstance(notes, str) and notes else None,
        realized_pnl=_finite(metrics.get("realized_pnl")),
        max_drawdown=_finite(metrics.get("max_drawdown")),
        num_orders=_whole(metrics.get("num_orders")),
        risk_severity=_shared(severity),
        risk_status=_shared(metrics.get("risk_status")),
    )


def _shared(value: Any) -> str | None:
    """Text as the one interned copy every record with the same value points to."""
    return sys.intern(value) if isinstance(value, str) else None


def _one_line(error: str | None) -> str | None:
    """A failed session's error as one line (secrets redacted), or None."""
    if not error:
        return None
    return " ".join(redact_text(error).split())[:ERROR_TEXT_MAX] or None


def _finite(value: Any) -> float | None:
    try:
        return to_finite(value)
    except ValueError:
        return None


def _whole(value: Any) -> int | None:
    """A whole number within 64 bits from free-form metrics, or None."""
    try:
        return to_int(value)
    except ValueError:
        return None
