"""The AI scorecard: running sums over decisions and their outcomes, mergeable across runs.

Percentiles come from a fixed-resolution histogram: values are rounded to three significant
digits and counted, so memory is bounded by the distinct rounded values (a few thousand at
most), two histograms merge by adding counts, and p50/p95 are exact for values that already
have three significant digits (12.5 ms, 240 ms) and within 0.5 % otherwise (nearest rank).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

GroupKey = tuple[str | None, str | None]  # (component, symbol) as the decisions carry them
BIN_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BINS = len(BIN_EDGES) - 1


@dataclass(frozen=True, slots=True)
class Facts:
    """What one decision adds to the counts, whatever its outcome."""

    key: GroupKey
    action: str
    risk_checked: bool
    blocked: bool
    orders_sent: int
    rejected: int
    latency_ms: float | None
    fill_delay_ms: float | None
    confidence: float | None  # only a confidence within 0..1


@dataclass(frozen=True, slots=True)
class Contribution:
    """What a decision has added to its tally: its facts, and its outcome once settled."""

    facts: Facts
    closed: bool
    pnl: float | None


class Histogram:
    """Counts of values rounded to three significant digits; nearest-rank percentiles."""

    __slots__ = ("counts", "total", "_sorted")

    def __init__(self) -> None:
        self.counts: Counter[float] = Counter()
        self.total = 0
        self._sorted: list[float] | None = None

    @staticmethod
    def bucket(value: float) -> float:
        """The value rounded to three significant digits."""
        return float(f"{value:.3g}")

    def add(self, value: float, sign: int = 1) -> None:
        """Count a value once (sign -1 takes a count back)."""
        key = self.bucket(value)
        count = self.counts[key] + sign
        if count > 0:
            self.counts[key] = count
        else:
            del self.counts[key]
        self.total += sign
        self._sorted = None

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts to this one."""
        self.counts.update(other.counts)
        self.total += other.total
        self._sorted = None

    def copy(self) -> Histogram:
        """An independent copy."""
        twin = Histogram()
        twin.merge(self)
        return twin

    def percentile(self, p: float) -> float | None:
        """The smallest value with at least p % of the counts at or below it; None when empty."""
        if self.total <= 0:
            return None
        if self._sorted is None:
            self._sorted = sorted(self.counts)
        rank = max(1, math.ceil(p / 100.0 * self.total))
        seen = 0
        for value in self._sorted:
            seen += self.counts[value]
            if seen >= rank:
                return value
        return self._sorted[-1]

    def view(self) -> dict[str, Any]:
        """`{count, p50, p95}`."""
        return {"count": self.total, "p50": self.percentile(50), "p95": self.percentile(95)}


def bin_of(confidence: float) -> int:
    """The calibration bin of a confidence in 0..1: [0,0.2) [0.2,0.4) ... [0.8,1.0]."""
    return min(int(confidence * BINS), BINS - 1)


@dataclass(slots=True)
class Tally:
    """Running sums for one group of decisions; `add` with sign -1 takes a contribution back."""

    decisions: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    risk_checked: int = 0
    blocked: int = 0
    orders_sent: int = 0
    rejected: int = 0
    latency: Histogram = field(default_factory=Histogram)
    fill_delay: Histogram = field(default_factory=Histogram)
    closed: int = 0
    scored: int = 0  # closed decisions with an outcome (equity before and after known)
    wins: int = 0
    losses: int = 0
    sum_win: float = 0.0
    sum_loss: float = 0.0
    sum_pnl: float = 0.0
    bin_count: list[int] = field(default_factory=lambda: [0] * BINS)
    bin_confidence: list[float] = field(default_factory=lambda: [0.0] * BINS)
    bin_wins: list[int] = field(default_factory=lambda: [0] * BINS)
    brier_sum: float = 0.0

    def add(self, contribution: Contribution, sign: int = 1) -> None:
        """Add (or with sign -1 remove) a decision's facts and, when closed, its outcome."""
        self.add_facts(contribution.facts, sign)
        if contribution.closed:
            self.add_outcome(contribution.facts, contribution.pnl, sign)

    def add_facts(self, facts: Facts, sign: int = 1) -> None:
        """Count a decision: its action, risk check, orders, latency and first-fill delay."""
        self.decisions += sign
        count = self.by_action[facts.action] + sign
        if count > 0:
            self.by_action[facts.action] = count
        else:
            del self.by_action[facts.action]
        self.risk_checked += sign * facts.risk_checked
        self.blocked += sign * facts.blocked
        self.orders_sent += sign * facts.orders_sent
        self.rejected += sign * facts.rejected
        if facts.latency_ms is not None:
            self.latency.add(facts.latency_ms, sign)
        if facts.fill_delay_ms is not None:
            self.fill_delay.add(facts.fill_delay_ms, sign)

    def replace_facts(self, old: Facts, new: Facts) -> None:
        """Count `new` instead of `old` for one decision, touching only what differs."""
        if old.action != new.action:
            self.by_action[old.action] -= 1
            if not self.by_action[old.action]:
                del self.by_action[old.action]
            self.by_action[new.action] += 1
        self.risk_checked += new.risk_checked - old.risk_checked
        self.blocked += new.blocked - old.blocked
        self.orders_sent += new.orders_sent - old.orders_sent
        self.rejected += new.rejected - old.rejected
        for histogram, before, after in (
            (self.latency, old.latency_ms, new.latency_ms),
            (self.fill_delay, old.fill_delay_ms, new.fill_delay_ms),
        ):
            if before != after:
                if before is not None:
                    histogram.add(before, -1)
                if after is not None:
                    histogram.add(after)

    def add_outcome(self, facts: Facts, pnl: float | None, sign: int = 1) -> None:
        """Count a closed decision's outcome: win, loss or flat, and its calibration bin."""
        self.closed += sign
        if pnl is None:
            return
        self.scored += sign
        self.sum_pnl += sign * pnl
        if pnl == 0:
            return
        win = pnl > 0
        if win:
            self.wins += sign
            self.sum_win += sign * pnl
        else:
            self.losses += sign
            self.sum_loss += sign * pnl
        confidence = facts.confidence
        if confidence is not None:
            index = bin_of(confidence)
            self.bin_count[index] += sign
            self.bin_confidence[index] += sign * confidence
            self.bin_wins[index] += sign * win
            self.brier_sum += sign * (confidence - win) ** 2

    def merge(self, other: Tally) -> None:
        """Add another tally's sums to this one."""
        self.decisions += other.decisions
        self.by_action.update(other.by_action)
        for name in ("risk_checked", "blocked", "orders_sent", "rejected", "closed", "scored"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("wins", "losses", "sum_win", "sum_loss", "sum_pnl", "brier_sum"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latency.merge(other.latency)
        self.fill_delay.merge(other.fill_delay)
        for index in range(BINS):
            self.bin_count[index] += other.bin_count[index]
            self.bin_confidence[index] += other.bin_confidence[index]
            self.bin_wins[index] += other.bin_wins[index]

    def copy(self) -> Tally:
        """An independent copy."""
        twin = Tally()
        twin.merge(self)
        return twin

    def view(self) -> dict[str, Any]:
        """The scorecard: counts over every decision, outcome figures over closed ones."""
        flats = self.scored - self.wins - self.losses
        calibrated = sum(self.bin_count)
        return {
            "decisions": self.decisions,
            "by_action": dict(sorted(self.by_action.items())),
            "open": self.decisions - self.closed,
            "closed": self.closed,
            "scored": self.scored,
            "wins": self.wins,
            "losses": self.losses,
            "flats": flats,
            "risk_checked": self.risk_checked,
            "blocked": self.blocked,
            "blocked_share": _share(self.blocked, self.risk_checked),
            "orders_sent": self.orders_sent,
            "orders_rejected": self.rejected,
            "rejected_share": _share(self.rejected, self.orders_sent),
            "hit_rate": _share(self.wins, self.wins + self.losses),
            "avg_win": self.sum_win / self.wins if self.wins else None,
            "avg_loss": self.sum_loss / self.losses if self.losses else None,
            "profit_factor": self.sum_win / -self.sum_loss if self.sum_loss < 0 else None,
            "pnl_total": self.sum_pnl,
            "pnl_per_decision": self.sum_pnl / self.scored if self.scored else None,
            "latency_ms": self.latency.view(),
            "first_fill_delay_ms": self.fill_delay.view(),
            "calibration": [self._bin_view(index) for index in range(BINS)],
            "calibrated": calibrated,
            "brier": self.brier_sum / calibrated if calibrated else None,
        }

    def _bin_view(self, index: int) -> dict[str, Any]:
        count = self.bin_count[index]
        return {
            "lo": BIN_EDGES[index],
            "hi": BIN_EDGES[index + 1],
            "count": count,
            "mean_confidence": self.bin_confidence[index] / count if count else None,
            "hit_rate": self.bin_wins[index] / count if count else None,
        }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
