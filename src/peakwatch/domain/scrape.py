"""What `/metrics` exports about the watched runs, sessions, alerts and safety.

Run totals, decisions and trades are the ledgers the live feed keeps caught up (a scrape
never reads a run's history), sessions and runs come from the indexes, and firing alerts
are counted as the alerts page counts them (its cached reads of the alert files; an open
run's ledger caught up, which costs a `stat` once the live feed has read its new lines). To
bound the number of series, runs completed longer than `metrics_completed_seconds` ago drop
out and at most `metrics_max_runs` runs are exported, active ones first, then the most
recently active.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from peakwatch.domain.run_decisions import scorecard_answer
from peakwatch.domain.run_totals import orders_sent
from peakwatch.domain.runs import RUN_STATUSES
from peakwatch.domain.workspace import Workspace
from peakwatch.sources.runs_index import RunFolder

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class RunFigures:
    """One exported run: its labels and its figures (None: not known yet)."""

    run_id: str
    strategy: str
    symbol: str
    mode: str
    status: str
    last_event_age_seconds: float | None
    counted: bool  # its events file has been read to its end
    steps: int = 0
    equity: float | None = None
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    drawdown: float | None = None
    max_drawdown: float | None = None
    orders: dict[str, int] = field(default_factory=dict)  # submitted, filled, blocked, rejected
    decisions: dict[str, int] = field(default_factory=dict)  # by action
    hit_rate: float | None = None
    brier: float | None = None


@dataclass(frozen=True, slots=True)
class ScrapeState:
    """Everything one scrape exports about what peakwatch watches."""

    runs_by_status: dict[str, int]
    runs: list[RunFigures]
    runs_left_out: int
    sessions_by_status: dict[str, int]
    alerts_firing: dict[str, int]  # by severity: info, warning, critical
    live_locked: bool


def scrape_state(
    workspace: Workspace, as_of: datetime, *, max_runs: int, completed_seconds: float
) -> ScrapeState:
    """The figures of a scrape at `as_of` (see the module docstring for the bounds)."""
    runs = workspace.runs
    statuses = runs.statuses(as_of)
    by_status: dict[str, int] = dict.fromkeys(RUN_STATUSES, 0)
    by_status.update(Counter(statuses.values()))
    listed = workspace.run_index.runs()
    cutoff = _cutoff(as_of, completed_seconds)
    wanted = [
        run for run in listed if statuses.get(run.run_id) != "completed" or _last(run) >= cutoff
    ]
    chosen = heapq.nlargest(
        max_runs, wanted, key=lambda run: (statuses.get(run.run_id) == "active", _last(run))
    )
    exported = [_figures(workspace, run, statuses, as_of) for run in chosen]
    sessions = workspace.sessions.stats(as_of)["by_status"]
    verdict = workspace.safety(as_of).verdict
    firing = dict.fromkeys(SEVERITIES, 0)
    firing.update(Counter(a.severity for a in workspace.alerts.tracked(as_of) if a.firing))
    return ScrapeState(
        runs_by_status=by_status,
        runs=exported,
        runs_left_out=len(listed) - len(exported),
        sessions_by_status=dict(sessions),
        alerts_firing=firing,
        live_locked=verdict == "LIVE LOCKED",
    )


def _last(run: RunFolder) -> datetime:
    """When the run last showed activity."""
    return run.last_event_time or run.last_write


def _cutoff(as_of: datetime, completed_seconds: float) -> datetime:
    """The moment before which a completed run has no series any more."""
    try:
        return as_of - timedelta(seconds=completed_seconds)
    except OverflowError:  # a setting of "forever"
        return datetime.min.replace(tzinfo=UTC)


def _figures(
    workspace: Workspace, run: RunFolder, statuses: dict[str, str], as_of: datetime
) -> RunFigures:
    meta = run.meta
    known = RunFigures(
        run_id=run.run_id,
        strategy=(meta.strategy_name if meta else None) or "",
        symbol=(meta.symbol if meta else None) or "",
        mode=(meta.mode if meta else None) or "",
        status=statuses.get(run.run_id, "unknown"),
        last_event_age_seconds=(
            (as_of - run.last_event_time).total_seconds() if run.last_event_time else None
        ),
        counted=run.events is None,  # nothing to count yet
    )
    ledger = workspace.runs.known_ledger(run.run_id)
    if ledger is None or run.events is None:
        return known
    totals = ledger.totals
    with ledger.books() as (_, trades):
        fills = trades.fills
    card = scorecard_answer(ledger, run)
    return replace(
        known,
        counted=ledger.read_to_end(run.events),
        steps=totals.total_steps,
        equity=totals.equity,
        realized_pnl=totals.realized_pnl,
        unrealized_pnl=totals.unrealized_pnl,
        drawdown=totals.drawdown,
        max_drawdown=totals.max_drawdown,
        orders={
            "submitted": orders_sent(totals.total_orders, totals.total_blocked_orders),
            "filled": fills,
            "blocked": totals.total_blocked_orders,
            "rejected": card["orders_rejected"],
        },
        decisions=dict(card["by_action"]),
        hit_rate=card["hit_rate"],
        brier=card["brier"],
    )
