"""What a run report shows of one run at `as_of`: totals, the whole equity curve (bounded),
its scorecard, its latest decisions and alerts; a part that cannot be read is a sentence.

Everything here is a pure function of the run's files and `as_of`, so a report built twice
from the same artifacts is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any, TypeVar

from peakwatch.domain.workspace import Workspace

MAX_POINTS = 1000  # per curve: the report's size does not grow with the run
DECISION_ROWS = 10
ALERT_ROWS = 20

logger = logging.getLogger("peakwatch")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Curve:
    """A run's equity and drawdown, downsampled: (step index, time in us, value) triples."""

    steps: int
    equity: list[tuple[int, int, float]]
    drawdown: list[tuple[int, int, float]]
    low: float
    high: float
    last: float
    worst_drawdown: float


def extremes(values: Sequence[float], max_points: int = MAX_POINTS) -> list[int]:
    """Indexes of at most `max_points` values, oldest first: the first, the last, and the
    lowest and highest value of each of equal buckets between, so spikes stay visible."""
    count = len(values)
    if count <= max_points:
        return list(range(count))
    buckets = max((max_points - 2) // 2, 1)
    kept = {0, count - 1}
    for bucket in range(buckets):
        start = 1 + bucket * (count - 2) // buckets
        end = 1 + (bucket + 1) * (count - 2) // buckets
        if start >= end:
            continue
        part = values[start:end]
        kept.add(start + part.index(min(part)))
        kept.add(start + part.index(max(part)))
    return sorted(kept)


def drawdowns(equities: Sequence[float]) -> list[float]:
    """Drawdown from the running peak, a fraction <= 0 (0 while the peak is not positive)."""
    peaks = accumulate(equities, max)
    return [
        (value - peak) / peak if peak > 0 else 0.0
        for value, peak in zip(equities, peaks, strict=True)
    ]


def curve_of(times: Sequence[int], equities: Sequence[float], max_points: int) -> Curve | None:
    """The curve of a whole timeline; None with fewer than two equity values."""
    if len(equities) < 2:
        return None
    dds = drawdowns(equities)
    return Curve(
        steps=len(equities),
        equity=[(i, times[i], equities[i]) for i in extremes(equities, max_points)],
        drawdown=[(i, times[i], dds[i]) for i in extremes(dds, max_points)],
        low=min(equities),
        high=max(equities),
        last=equities[-1],
        worst_drawdown=min(dds),
    )


def run_report(
    workspace: Workspace, run_id: str, as_of: datetime, max_points: int = MAX_POINTS
) -> dict[str, Any] | None:
    """One run's report data; None when there is no such run. A part whose source fails is
    None and its sentence is in `unreadable`, the other parts are still there."""
    snapshot = workspace.runs.snapshot(run_id, as_of)
    if snapshot is None:
        return None
    unreadable: list[str] = []

    def part(what: str, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except Exception:  # one unreadable part must not take the report down
            logger.exception("run report: %s of a run failed", what)
            unreadable.append(f"The {what} of this run could not be read.")
            return None

    def books() -> dict[str, Any] | None:
        found = workspace.runs.followed(run_id)
        if found is None:
            return None
        with found[1].books() as (book, trades):
            times, equities = list(book.timeline.times), list(book.timeline.equities)
            fills, count = trades.fills, len(trades.trades)
        return {"curve": curve_of(times, equities, max_points), "fills": fills, "trades": count}

    return {
        "run_id": run_id,
        "snapshot": snapshot,
        "books": part("equity curve and trades", books) or {},
        "scorecard": part("AI scorecard", lambda: workspace.runs.scorecard(run_id)),
        "decisions": part(
            "decisions", lambda: workspace.runs.decisions(run_id, limit=DECISION_ROWS)
        ),
        "alerts": part("alerts", lambda: workspace.runs.alerts(run_id, ALERT_ROWS)),
        "unreadable": unreadable,
    }
