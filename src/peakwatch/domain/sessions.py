"""Sessions from the registry: the Peak_Trade list shape, staleness and statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peakwatch.contract.models import SessionRecord
from peakwatch.contract.values import format_utc
from peakwatch.secrets import redact
from peakwatch.sources.session_summary import SessionSummary
from peakwatch.sources.sessions_index import SessionFile

RISK_STATUS_BY_SEVERITY = {"ok": "green", "warning": "yellow", "breach": "red"}
FINAL_STATUSES = ("completed", "failed", "aborted")

RunLastEvent = Callable[[str], datetime | None]
DETAIL_FIELDS = ("run_type", "env_name", "symbol", "config", "metrics", "cli_args", "created_at")


def last_sign_of_life(
    file: SessionFile, run_last_event: RunLastEvent
) -> tuple[datetime | None, str]:
    """The newest sign of life of a session and where it came from."""
    record = file.record
    assert record is not None
    if record.heartbeat_at is not None:
        return record.heartbeat_at, "heartbeat"
    if record.run_id:
        seen = run_last_event(record.run_id)
        if seen is not None:
            return seen, "run"
    return file.mtime, "file_mtime"


def session_status(
    file: SessionFile, as_of: datetime, ttl_seconds: float, run_last_event: RunLastEvent
) -> str:
    """The registry status, except that a silent "started" session is "stale"."""
    record = file.record
    assert record is not None
    status = (record.status or "unknown").lower()
    if status != "started":
        return status
    seen, _ = last_sign_of_life(file, run_last_event)
    if seen is not None and (as_of - seen).total_seconds() > ttl_seconds:
        return "stale"
    return "started"


def session_view(
    file: SessionFile, as_of: datetime, ttl_seconds: float, run_last_event: RunLastEvent
) -> dict[str, Any]:
    """One entry of `GET /api/live_sessions` (Peak_Trade shape plus staleness fields)."""
    record = file.record
    assert record is not None
    severity = _risk_severity(record.risk_severity)
    seen, seen_source = last_sign_of_life(file, run_last_event)
    return {
        "session_id": record.session_id,
        "run_id": record.run_id,
        "started_at": format_utc(record.started_at),
        "ended_at": format_utc(record.finished_at),
        "mode": record.mode,
        "environment": " / ".join(p for p in (record.env_name, record.symbol) if p) or None,
        "status": session_status(file, as_of, ttl_seconds, run_last_event),
        "registry_status": record.status,
        "realized_pnl": record.realized_pnl,
        "max_drawdown": record.max_drawdown,
        "num_orders": record.num_orders,
        "duration_seconds": _duration(record, as_of),
        "is_live_warning": (record.mode or "").lower() == "live",
        "risk_status": _risk_status(record.risk_status, severity),
        "risk_severity": severity,
        "notes": record.error or record.notes,
        "error": record.error,
        "last_seen_at": format_utc(seen),
        "last_seen_source": seen_source,
    }


def session_detail(
    file: SessionFile,
    record: SessionRecord,
    as_of: datetime,
    ttl_seconds: float,
    run_last_event: RunLastEvent,
) -> dict[str, Any]:
    """The list view of a file just read again plus its whole record, secrets redacted."""
    view = session_view(file, as_of, ttl_seconds, run_last_event)
    redacted = redact(record.model_dump(mode="json"))
    view["record"] = redacted
    view["file"] = file.name
    for name in DETAIL_FIELDS:  # Peak_Trade's detail view has these at the top level
        view[name] = redacted.get(name)
    return view


def filter_sessions(
    files: list[SessionFile],
    as_of: datetime,
    ttl_seconds: float,
    run_last_event: RunLastEvent,
    *,
    mode: str | None,
    status: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Most recent first; filters are applied before the limit, so they never under-deliver."""
    found: list[dict[str, Any]] = []
    for file in files:
        record = file.record
        if record is None:
            continue
        if mode is not None and (record.mode or "").lower() != mode.lower():
            continue
        if status is not None:
            current = session_status(file, as_of, ttl_seconds, run_last_event)
            if current != status.lower():
                continue
        found.append(session_view(file, as_of, ttl_seconds, run_last_event))
        if len(found) >= limit:
            break
    return found


@dataclass(frozen=True, slots=True)
class RegistryTotals:
    """What the session stats need that does not depend on `as_of`."""

    by_status: Counter[str]  # final statuses only; "started" ones are in `started`
    by_mode: Counter[str]
    realized: float
    unreadable: int
    started: list[SessionFile]
    drawdowns: tuple[float, int] = (0.0, 0)  # sum and count of the finite max_drawdown values


def registry_totals(files: list[SessionFile]) -> RegistryTotals:
    """Counts by final status and mode, PnL total, unreadable files, the started sessions."""
    by_status: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    started: list[SessionFile] = []
    realized = 0.0
    unreadable = 0
    drawdown_sum, drawdown_count = 0.0, 0
    for file in files:
        record = file.record
        if record is None:
            unreadable += 1
            continue
        status = (record.status or "unknown").lower()
        if status == "started":
            started.append(file)
        else:
            by_status[status] += 1
        by_mode[(record.mode or "unknown").lower()] += 1
        realized += record.realized_pnl or 0.0
        drawdown = record.max_drawdown
        if drawdown is not None:
            drawdown_sum += drawdown
            drawdown_count += 1
    drawdowns = (drawdown_sum, drawdown_count)
    return RegistryTotals(by_status, by_mode, realized, unreadable, started, drawdowns)


def session_stats(
    totals: RegistryTotals, as_of: datetime, ttl_seconds: float, run_last_event: RunLastEvent
) -> dict[str, Any]:
    """Counts by status and mode, PnL totals, and how many files could not be read.

    Only the started sessions are evaluated at `as_of`; the rest comes from `totals`.
    """
    by_status = Counter(totals.by_status)
    for file in totals.started:
        by_status[session_status(file, as_of, ttl_seconds, run_last_event)] += 1
    by_mode = totals.by_mode
    readable = sum(by_status.values())
    drawdown_sum, drawdown_count = totals.drawdowns
    return {
        "total_sessions": readable,
        "unreadable_files": totals.unreadable,
        "by_status": dict(sorted(by_status.items())),
        "by_mode": dict(sorted(by_mode.items())),
        "active_sessions": by_status.get("started", 0),
        "stale_sessions": by_status.get("stale", 0),
        "total_realized_pnl": round(totals.realized, 10),
        "total_pnl": round(totals.realized, 10),
        "avg_drawdown": round(drawdown_sum / drawdown_count, 10) if drawdown_count else 0.0,
        "live_sessions": by_mode.get("live", 0),
    }


def _risk_severity(severity: str | None) -> str:
    severity = severity.lower() if severity is not None else "ok"
    return severity if severity in RISK_STATUS_BY_SEVERITY else "ok"


def _risk_status(status: str | None, severity: str) -> str:
    if status is not None and status.lower() in ("green", "yellow", "red"):
        return status.lower()
    return RISK_STATUS_BY_SEVERITY[severity]


def _duration(record: SessionSummary, as_of: datetime) -> float | None:
    if record.started_at is None:
        return None
    end = record.finished_at or as_of
    return max((end - record.started_at).total_seconds(), 0.0)
