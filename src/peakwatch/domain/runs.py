"""Run status and the run list: active, stale, completed or unknown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from peakwatch.contract.values import format_utc
from peakwatch.sources.runs_index import RunFolder

RunStatus = Literal["active", "stale", "completed", "unknown"]
RUN_STATUSES: tuple[RunStatus, ...] = ("active", "stale", "completed", "unknown")


def last_sign_of_life(run: RunFolder) -> datetime | None:
    """The last event's time; for a run without events, its start time."""
    if run.last_event_time is not None:
        return run.last_event_time
    return run.meta.started_at if run.meta else None


def run_status(run: RunFolder, as_of: datetime, stale_after_seconds: float) -> RunStatus:
    """Completed when ended_at is set; active when it wrote within the TTL; else stale."""
    if run.meta is None:
        return "unknown"
    if run.meta.ended_at is not None:
        return "completed"
    seen = last_sign_of_life(run)
    if seen is None:
        return "unknown"
    if as_of - seen <= timedelta(seconds=stale_after_seconds):
        return "active"
    return "stale"


def run_summary(run: RunFolder, as_of: datetime, stale_after_seconds: float) -> dict[str, Any]:
    """One entry of `GET /runs` (the Peak_Trade shape plus status and problems)."""
    meta = run.meta
    status = run_status(run, as_of, stale_after_seconds)
    return {
        "run_id": run.run_id,
        "mode": meta.mode if meta else None,
        "strategy_name": meta.strategy_name if meta else None,
        "symbol": meta.symbol if meta else None,
        "timeframe": meta.timeframe if meta else None,
        "started_at": format_utc(meta.started_at) if meta else None,
        "ended_at": format_utc(meta.ended_at) if meta else None,
        "is_active": status == "active",
        "last_event_time": format_utc(run.last_event_time),
        "status": status,
        "events_format": run.events.format if run.events else None,
        "problems": [p.as_dict() for p in run.problems()],
    }


def activity_sort_key(run: RunFolder) -> tuple[datetime, str]:
    """Newest activity first: last event, else start, else the last write to the folder."""
    return (last_sign_of_life(run) or run.last_write, run.run_id)


def list_runs(
    runs: list[RunFolder],
    as_of: datetime,
    stale_after_seconds: float,
    *,
    mode: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Runs newest activity first, filtered before the limit is applied."""
    ordered = sorted(runs, key=activity_sort_key, reverse=True)
    found: list[dict[str, Any]] = []
    for run in ordered:
        if mode is not None and (run.meta is None or run.meta.mode != mode):
            continue
        summary = run_summary(run, as_of, stale_after_seconds)
        if status is not None and summary["status"] != status:
            continue
        found.append(summary)
        if limit is not None and len(found) >= limit:
            break
    return found


def count_by_status(
    runs: list[RunFolder], as_of: datetime, stale_after_seconds: float
) -> dict[str, int]:
    """How many runs are in each status (every status present, zero included)."""
    counts: dict[str, int] = dict.fromkeys(RUN_STATUSES, 0)
    for run in runs:
        counts[run_status(run, as_of, stale_after_seconds)] += 1
    return counts
