"""Run status and the run list: active, stale, completed or unknown."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from peakwatch.contract.values import format_utc
from peakwatch.sources.runs_index import RunFolder, RunList

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
    if (as_of - seen).total_seconds() <= stale_after_seconds:  # any TTL, no timedelta overflow
        return "active"
    return "stale"


def run_summary(run: RunFolder, as_of: datetime, stale_after_seconds: float) -> dict[str, Any]:
    """One entry of `GET /runs` (the Peak_Trade shape plus status and problems)."""
    return _build_summary(run, run_status(run, as_of, stale_after_seconds))


def _build_summary(run: RunFolder, status: RunStatus) -> dict[str, Any]:
    meta = run.meta
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


class RunViews:
    """Run summaries and the activity order, kept while the runs they came from are unchanged.

    A run folder is immutable (a changed run is a new object) and a run list carries a
    generation, so both are reused by identity. Summaries are shared: callers must not
    modify them. With 10^4 runs, no allocation per run means no garbage-collector passes.
    """

    def __init__(self) -> None:
        self._summaries: dict[str, tuple[RunFolder, RunStatus, dict[str, Any]]] = {}
        self._order: tuple[int, list[RunFolder]] = (0, [])

    def summary(self, run: RunFolder, as_of: datetime, stale_after: float) -> dict[str, Any]:
        """The run's `GET /runs` entry at `as_of`, built once per folder state and status."""
        status = run_status(run, as_of, stale_after)
        cached = self._summaries.get(run.run_id)
        if cached is None or cached[0] is not run or cached[1] != status:
            cached = (run, status, _build_summary(run, status))
            self._summaries[run.run_id] = cached
        return cached[2]

    def by_activity(self, runs: RunList) -> list[RunFolder]:
        """The runs newest activity first; sorted once per run list."""
        if self._order[0] != runs.generation:
            self._order = (runs.generation, sorted(runs, key=activity_sort_key, reverse=True))
            self._forget_gone(runs)
        return self._order[1]

    def list_runs(
        self,
        runs: RunList,
        as_of: datetime,
        stale_after: float,
        *,
        mode: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Runs newest activity first, filtered before the limit is applied."""
        found: list[dict[str, Any]] = []
        for run in self.by_activity(runs):
            if mode is not None and (run.meta is None or run.meta.mode != mode):
                continue
            if status is not None and run_status(run, as_of, stale_after) != status:
                continue
            found.append(self.summary(run, as_of, stale_after))
            if limit is not None and len(found) >= limit:
                break
        return found

    def _forget_gone(self, runs: RunList) -> None:
        if len(self._summaries) > len(runs):
            present = {run.run_id for run in runs}
            self._summaries = {k: v for k, v in self._summaries.items() if k in present}
