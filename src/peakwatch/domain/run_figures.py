"""A run's figures for the runs tables and the comparison: PnL, hit rate and equity samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from peakwatch.domain.ledger import RunLedger
from peakwatch.domain.run_decisions import scorecard_answer
from peakwatch.sources.runs_index import RunFolder

ItemT = TypeVar("ItemT")


def sample(values: Sequence[ItemT], points: int) -> list[ItemT]:
    """At most `points` evenly spaced values, the first and the last always among them."""
    count = len(values)
    if count <= points:
        return list(values)
    if points < 2:
        return [values[-1]] if points == 1 else []
    return [values[round(i * (count - 1) / (points - 1))] for i in range(points)]


def row_figures(ledger: RunLedger, run: RunFolder, points: int) -> dict[str, Any]:
    """PnL of the run's trades (closed ones after fees, open ones at the last price), the
    decisions' hit rate, and up to `points` equity values oldest first; O(symbols + points)."""
    with ledger.books() as (book, trades):
        equities = sample(book.timeline.equities, points)
        pnl = sum(sums.pnl for sums in trades.by_symbol.values())
        pnl += sum(t.pnl(trades.marks.get(t.symbol)) for t in trades.open_trades())
        count = len(trades.trades)
    card = scorecard_answer(ledger, run)  # takes the books' lock itself
    return {
        "pnl": pnl if count else None,
        "trades": count,
        "hit_rate": card["hit_rate"],
        "decisions": card["decisions"],
        "equity": equities,
    }


def equity_curve(ledger: RunLedger, points: int) -> list[tuple[int, float]]:
    """Up to `points` (time in microseconds since the epoch, equity) pairs, oldest first."""
    with ledger.books() as (book, _):
        timeline = book.timeline
        pairs = sample(range(len(timeline.equities)), points)
        return [(timeline.times[i], timeline.equities[i]) for i in pairs]
