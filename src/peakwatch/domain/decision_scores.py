"""Decisions in time order with their contributions to the tallies, settled as steps arrive.

A decision's outcome enters its tally once it is settled: a later decision exists and a step
with an equity at or after that later decision's time has been seen (steps come in time
order), so no later record can change it. The decisions not settled yet (normally just the
newest) are scored on each query from `pending()`.
"""

from __future__ import annotations

from datetime import datetime

from peakwatch.domain.decision_index import DecisionIndex
from peakwatch.domain.decision_trace import FACT_KINDS, MAX_TRACE, Decision, TraceItem
from peakwatch.domain.outcomes import EquityTimeline, micros, outcome_between
from peakwatch.domain.scorecard import Contribution, GroupKey, Tally


class DecisionScores:
    """The index, the equity timeline and one tally per (component, symbol)."""

    def __init__(self) -> None:
        self.index = DecisionIndex()
        self.timeline = EquityTimeline()
        self.tallies: dict[GroupKey, Tally] = {}
        self.version = 0  # changes whenever anything a query shows may have changed
        self._settled = 0  # decisions [0, settled) have their outcome in the tallies
        self._stale: dict[int, Decision] = {}  # decisions whose trace changed since counted

    def attach(self, decision: Decision, item: TraceItem) -> None:
        """Add a trace item to a decision (up to MAX_TRACE; later ones are counted)."""
        if len(decision.trace) >= MAX_TRACE:
            decision.dropped += 1
            self.version += 1
            return
        decision.trace.append(item)
        self.version += 1
        if item.kind in FACT_KINDS:  # counted again when settled or asked for: once, not per item
            self._stale[id(decision)] = decision

    def flush(self) -> None:
        """Count again the decisions whose traces changed since they were last counted."""
        for decision in self._stale.values():
            self.touch(decision)
        self._stale.clear()

    def add_step(self, ts: datetime, equity: float | None) -> None:
        """Take a step (in file order) and settle the decisions it settles."""
        self.timeline.add(micros(ts), equity)
        self.version += 1
        if equity is not None:
            self._settle()

    def _bound(self) -> int:
        """How many decisions are settled: all but the last of those at or before the steps."""
        until = self.timeline.settled_until
        if until is None:
            return 0
        return max(self.index.count_until(until) - 1, 0)

    def _settle(self) -> None:
        """Bring the tallies in line with the settled bound: outcomes in, or out again."""
        bound = self._bound()
        for position in range(min(self._settled, bound), max(self._settled, bound)):
            self._refresh(position, bound)
        self._settled = bound

    def place(self, decision: Decision) -> int:
        """Put a decision in time order and settle what that changes; returns its position."""
        position = self.index.insert(decision)
        if position < self._settled:
            self._settled += 1
        bound = self._bound()
        self._refresh(position - 1, bound)
        self._refresh(position, bound)
        self._settle()
        return position

    def unplace(self, decision: Decision) -> None:
        """Take a decision out of time order (to place it again at another time)."""
        position = self.index.remove(decision)
        if decision.contribution is not None:
            self._tally(decision.contribution.facts.key).add(decision.contribution, -1)
            decision.contribution = None
        if position < self._settled:
            self._settled -= 1
        self._refresh(position - 1, self._bound())
        self._settle()

    def _refresh(self, position: int, bound: int) -> None:
        """Recompute one decision's contribution (outcome included when settled)."""
        decision = self.index.get(position)
        if decision is None:
            return
        self._stale.pop(id(decision), None)  # its facts are counted afresh here
        closed, pnl = False, None
        if position < bound:
            following = self.index.get(position + 1)
            assert following is not None
            outcome = outcome_between(self.timeline, decision.key[0], following.key[0])
            closed, pnl = True, outcome.pnl
        self._swap(decision, Contribution(decision.facts(), closed, pnl))

    def touch(self, decision: Decision) -> None:
        """A decision's facts changed (trace or fields); its outcome did not."""
        old = decision.contribution
        closed, pnl = (old.closed, old.pnl) if old is not None else (False, None)
        self._swap(decision, Contribution(decision.facts(), closed, pnl))

    def _swap(self, decision: Decision, new: Contribution) -> None:
        """Replace what a decision adds to its tally. When its outcome part stays the same,
        only the counts change: the float sums of outcomes are then never taken back and
        added again, so folding in chunks gives exactly the sums of one read."""
        old = decision.contribution
        self.version += 1
        if old == new:
            return
        if old is not None and _same_outcome(old, new):
            self._tally(new.facts.key).replace_facts(old.facts, new.facts)
        elif old is not None:
            self._tally(old.facts.key).add(old, -1)
            self._tally(new.facts.key).add(new)
        else:
            self._tally(new.facts.key).add(new)
        decision.contribution = new

    def _tally(self, key: GroupKey) -> Tally:
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally()
        return tally

    def pending(self) -> list[tuple[Decision, Decision | None]]:
        """Decisions not settled yet, each with the decision after it (None for the newest)."""
        found = []
        for position in range(self._settled, len(self.index)):
            decision = self.index.get(position)
            assert decision is not None
            found.append((decision, self.index.get(position + 1)))
        return found


def _same_outcome(old: Contribution, new: Contribution) -> bool:
    """Whether two contributions add the same outcome sums to the same tally."""
    return (
        old.facts.key == new.facts.key
        and old.closed == new.closed
        and old.pnl == new.pnl
        and old.facts.confidence == new.facts.confidence
    )
