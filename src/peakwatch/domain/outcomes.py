"""Equity by step time, and the outcome of a decision read from it (before, after, PnL).

A step's time is its `ts_event` (natively: the time of the `position` event that closes
it). `equity_before` is the equity of the latest step strictly before the decision (the
run's first step when there is none); `equity_after` is the next decision's equity_before,
or the run's latest equity while the decision is the newest.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

EPOCH_US = 1_000_000


def micros(ts: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime, exactly."""
    return (
        (ts.toordinal() - 719_163) * 86_400 * EPOCH_US
        + ((ts.hour * 3600 + ts.minute * 60 + ts.second) * EPOCH_US + ts.microsecond)
        - _offset_us(ts)
    )


def _offset_us(ts: datetime) -> int:
    offset = ts.utcoffset()
    return 0 if offset is None else (offset.days * 86_400 + offset.seconds) * EPOCH_US


class EquityTimeline:
    """Steps with an equity, oldest first; a step whose time went back is kept at the latest."""

    __slots__ = ("times", "equities", "last_step")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.equities: list[float] = []
        self.last_step: int | None = None  # time of the latest step, with or without equity

    def add(self, time_us: int, equity: float | None) -> bool:
        """Take one step in file order; False when its time went back (it is then kept later)."""
        in_order = self.last_step is None or time_us >= self.last_step
        if not in_order:
            assert self.last_step is not None
            time_us = self.last_step
        self.last_step = time_us
        if equity is not None:
            self.times.append(time_us)
            self.equities.append(equity)
        return in_order

    @property
    def settled_until(self) -> int | None:
        """Steps before this time are all known (the latest step with an equity), or None."""
        return self.times[-1] if self.times else None

    @property
    def latest(self) -> float | None:
        """The run's latest equity."""
        return self.equities[-1] if self.equities else None

    def before(self, time_us: int) -> float | None:
        """Equity of the latest step strictly before `time_us` (the first step's if none)."""
        if not self.times:
            return None
        index = bisect_left(self.times, time_us)
        return self.equities[index - 1] if index else self.equities[0]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a decision: equity before and after, PnL, state and result."""

    equity_before: float | None
    equity_after: float | None
    closed: bool

    @property
    def pnl(self) -> float | None:
        """equity_after - equity_before, when both are known."""
        if self.equity_before is None or self.equity_after is None:
            return None
        return self.equity_after - self.equity_before

    @property
    def result(self) -> str | None:
        """`win`, `loss` or `flat` for a closed decision with an outcome, else None."""
        pnl = self.pnl
        if not self.closed or pnl is None:
            return None
        return "win" if pnl > 0 else "loss" if pnl < 0 else "flat"

    def view(self) -> dict[str, object]:
        """The issue's field names."""
        return {
            "equity_before": self.equity_before,
            "equity_after": self.equity_after,
            "outcome_pnl": self.pnl,
            "state": "closed" if self.closed else "open",
            "result": self.result,
        }


def outcome_between(timeline: EquityTimeline, time_us: int, next_us: int | None) -> Outcome:
    """The outcome of a decision at `time_us` whose next decision is at `next_us` (None: newest)."""
    before = timeline.before(time_us)
    after = timeline.latest if next_us is None else timeline.before(next_us)
    return Outcome(before, after, next_us is not None)
