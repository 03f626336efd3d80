"""A run's decisions folded one record at a time: sightings merged, traces linked, outcomes settled.

Decisions come from native `decision` events, Peak_Trade step rows whose `signal_changed` is
true, and AI events lines with a `decision`; the same decision seen twice (same decision_id,
or without ids less than 1 ms apart in two sources) is one. Trace items link by id first
(decision_id, intent_id -> order_id, order_id -> fill), else they are inferred: native events
belong to the latest native decision before them in the file, execution telemetry to the
latest decision at or before its time, a step row's items to that row.

Each record costs O(log n) at most (a bisect; appends in time order are O(1)); nothing is
rescanned. Outcomes and tallies are kept by DecisionScores (decision_scores.py).
"""

from __future__ import annotations

from datetime import datetime

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.contract.values import to_decision_id
from peakwatch.domain.decision_links import OrderLinks
from peakwatch.domain.decision_scores import DecisionScores
from peakwatch.domain.decision_sightings import (
    Sighting,
    ai_sighting,
    native_sighting,
    row_sighting,
    take_fields,
)
from peakwatch.domain.decision_trace import (
    MAX_TRACE,
    TRACE_KINDS,
    Decision,
    execution_item,
    native_item,
    row_items,
    text_of,
)
from peakwatch.domain.outcomes import micros
from peakwatch.domain.steps import to_finite_or_none
from peakwatch.sources.problems import Problem

TWIN_US = 1000  # two sightings less than 1 ms apart are one decision
MAX_PROBLEMS = 20
ID_REUSED = "decision_id reused by another decision; shown with an id of its own"
ID_UNKNOWN = "decision_id names no decision; linked by time instead"
ID_INVALID = "data.decision_id is not text of 1 to 200 characters; ignored"
ORDER_TWICE = "order id seen twice"
FILL_ORPHAN = "fill without its order; linked by time instead"
TIME_BACK = "timestamp earlier than the record before it"
CONFIDENCE_RANGE = "decision confidence outside 0..1; not scored"


class DecisionBook:
    """The decisions of one run with their traces, outcomes and scorecard tallies."""

    def __init__(self) -> None:
        self.scores = DecisionScores()
        self.index = self.scores.index
        self.timeline = self.scores.timeline
        self.problems: list[Problem] = []
        self._noted = 0  # problems met, the ones no longer kept included
        self.rows = 0  # Peak_Trade step rows seen (their derived ids count them)
        self._ids: dict[str, Decision] = {}
        self._serial = 0
        self._native: Decision | None = None  # the latest native decision in file order
        self._row_position: float | None = None
        self._links = OrderLinks()
        self._last_time: dict[str, int] = {}  # per source file, for times going back

    @property
    def version(self) -> int:
        """Changes whenever anything a query shows may have changed."""
        return self.scores.version + self._noted

    def find(self, decision_id: str) -> Decision | None:
        """A decision by its id (or another id it was also reported under)."""
        return self._ids.get(decision_id)

    @property
    def latest(self) -> Decision | None:
        """The newest decision."""
        return self.index.get(len(self.index) - 1)

    # -- folding ------------------------------------------------------------------------------

    def add_event(self, event: RunEvent, label: str, offset: int) -> Decision | None:
        """Fold one native event; returns the decision it was linked to, if any."""
        if event.kind == "decision":
            self._check_time(Problem(label, "", offset=offset), event.ts)
            where = Problem(label, "", offset=offset)
            given = self._given_id(event.data.get("decision_id"), where)
            self._native = self._sight(native_sighting(event, where), given)
            return self._native
        if event.kind not in TRACE_KINDS:
            return None
        self._check_time(Problem(label, "", offset=offset), event.ts)
        if event.kind == "position":
            self.scores.add_step(event.ts, to_finite_or_none(event.data.get("equity")))
        where = Problem(label, "", offset=offset)
        decision, link = self._linked(event.data.get("decision_id"), where)
        order_id = text_of(event.data.get("order_id"))
        if event.kind == "fill" and decision is None and order_id is not None:
            decision, link = self._fill_link(order_id, where)
        if decision is None:
            decision, link = self._native, "inferred"
        if decision is None:
            return None
        if event.kind == "position" and link == "inferred" and _has_position(decision):
            return decision
        item = native_item(event, link)
        if event.kind == "order" and order_id is not None:
            self._register_order(order_id, decision, "events", where)
        elif event.kind == "fill" and order_id is not None:
            self._links.first_fill_from(order_id, "events")
        self.scores.attach(decision, item)
        return decision

    def add_row(self, row: StepRow, where: Problem) -> Decision | None:
        """Fold one Peak_Trade step row; returns its decision, else the latest one before it."""
        self.rows += 1
        ts = row.ts_event or row.ts_bar
        decision: Decision | None = None
        if ts is not None:
            self._check_time(where, ts)
            if row.signal_changed:
                decision = self._row_decision(row, ts, where)
            self.scores.add_step(ts, row.equity)
        if row.position_size is not None:
            self._row_position = row.position_size
        if decision is None and ts is not None:
            return self.index.latest_at(micros(ts))
        return decision

    def add_ai(self, event: AiDecisionEvent, label: str, offset: int) -> Decision | None:
        """Fold one AI events line of this run; only lines with a `decision` are decisions."""
        if event.decision is None:
            return None
        sighting = ai_sighting(event, Problem(label, "", offset=offset), offset)
        return self._sight(sighting, event.decision_id)

    def add_execution(self, event: ExecutionEvent, label: str, offset: int) -> Decision | None:
        """Fold one execution telemetry line of this run into the trace it belongs to."""
        payload = event.payload
        where = Problem(label, "", offset=offset)
        decision, link = self._linked(payload.get("decision_id"), where)
        intent_id = text_of(payload.get("intent_id"))
        order_id = text_of(payload.get("order_id"))
        kind = event.kind
        if decision is None and intent_id is not None and kind != "intent":
            decision, link = self._links.intents.get(intent_id), "id"
        if decision is None and order_id is not None and kind in ("order", "fill", "error"):
            decision, link = self._links.decision_of_order(order_id), "id"
            if decision is None and kind == "fill":
                decision, link = self._fill_link(order_id, where)
        if decision is None:
            decision, link = self.index.latest_at(micros(event.ts)), "inferred"
        item = execution_item(event, link)
        if decision is None or item is None:
            return None
        if kind == "order" and order_id is not None:
            known = self._links.orders.get(order_id)
            if known is not None and known[1] != "execution":
                return known[0]  # the same order, already in the trace from the events file
            self._register_order(order_id, decision, "execution", where)
        elif kind == "fill" and order_id is not None:
            if self._links.first_fill_from(order_id, "execution") != "execution":
                return decision  # already filled from the events file
        elif kind == "intent":
            self._links.intent(intent_id, order_id, decision)
        self.scores.attach(decision, item)
        return decision

    # -- sightings ----------------------------------------------------------------------------

    def _row_decision(self, row: StepRow, ts: datetime, where: Problem) -> Decision:
        decision = self._sight(row_sighting(row, ts, self.rows, where), None)
        for item in row_items(row, ts, self._row_position):
            self.scores.attach(decision, item)
        return decision

    def _sight(self, sighting: Sighting, given: str | None) -> Decision:
        """Merge a sighting into the decision it reports, or start a new decision."""
        if sighting.confidence is not None and not 0.0 <= sighting.confidence <= 1.0:
            self._problem(sighting.where, CONFIDENCE_RANGE)
        if given is not None:
            known = self._ids.get(given)
            if known is not None and sighting.source not in known.sources:
                self._merge(known, sighting)
                return known
            if known is not None:
                self._problem(sighting.where, ID_REUSED)
                given = None
        twin = self._twin(sighting, given)
        if twin is not None:
            if given is not None:
                self._ids.setdefault(given, twin)
            self._merge(twin, sighting)
            return twin
        return self._create(sighting, given)

    def _twin(self, sighting: Sighting, given: str | None) -> Decision | None:
        """The nearest decision less than 1 ms away from another source, ids not clashing."""
        at = micros(sighting.ts)
        best: Decision | None = None
        for candidate in self.index.between(at - TWIN_US, at + TWIN_US):
            if sighting.source in candidate.sources:
                continue
            if given is not None and candidate.explicit_id and candidate.decision_id != given:
                continue
            if best is None or abs(candidate.key[0] - at) < abs(best.key[0] - at):
                best = candidate
        return best

    def _create(self, sighting: Sighting, given: str | None) -> Decision:
        decision_id = given if given is not None else self._unique(sighting.derived_id)
        self._serial += 1
        decision = Decision(
            decision_id=decision_id,
            key=(micros(sighting.ts), self._serial),
            ts=sighting.ts,
            action=sighting.action,
            explicit_id=given is not None,
            sources=[sighting.source],
        )
        take_fields(decision, sighting)
        self._ids[decision_id] = decision
        self._reattach(self.scores.place(decision))
        return decision

    def _merge(self, decision: Decision, sighting: Sighting) -> None:
        """Fill what the decision lacks from another source's report of it."""
        precise = sighting.source != "ai" and decision.sources == ["ai"]
        decision.sources.append(sighting.source)
        if precise:  # native and step times are exact; AI events carry milliseconds
            self.scores.unplace(decision)
            decision.action = sighting.action
            decision.ts = sighting.ts
            decision.key = (micros(sighting.ts), decision.key[1])
            take_fields(decision, sighting)
            self._reattach(self.scores.place(decision))
            return
        take_fields(decision, sighting)
        self.scores.touch(decision)

    def _unique(self, derived: str) -> str:
        candidate, number = derived, 1
        while candidate in self._ids:
            number += 1
            candidate = f"{derived}.{number}"
        return candidate

    # -- links --------------------------------------------------------------------------------

    def _linked(self, value: object, where: Problem) -> tuple[Decision | None, str]:
        """The decision a decision_id names, linked by id; None when it names none."""
        given = self._given_id(value, where)
        if given is None:
            return None, "inferred"
        decision = self._ids.get(given)
        if decision is None:
            self._problem(where, ID_UNKNOWN)
        return decision, "id"

    def _given_id(self, value: object, where: Problem) -> str | None:
        """A decision_id as given, or None (a value that is not one is a problem)."""
        try:
            return to_decision_id(value)
        except ValueError:
            self._problem(where, ID_INVALID)
            return None

    def _fill_link(self, order_id: str, where: Problem) -> tuple[Decision | None, str]:
        known = self._links.orders.get(order_id)
        if known is not None:
            return known[0], "id"
        self._problem(where, FILL_ORPHAN)
        return None, "inferred"

    def _register_order(
        self, order_id: str, decision: Decision, source: str, where: Problem
    ) -> None:
        if not self._links.order(order_id, decision, source):
            self._problem(where, ORDER_TWICE)

    def _reattach(self, position: int) -> None:
        """Telemetry linked by time to the decision before a new one moves to the new one."""
        previous, decision = self.index.get(position - 1), self.index.get(position)
        if previous is None or decision is None:
            return
        moving = [
            item
            for item in previous.trace
            if item.source == "execution" and item.link == "inferred" and item.ts >= decision.ts
        ]
        if not moving:
            return
        previous.trace = [item for item in previous.trace if all(item is not m for m in moving)]
        decision.trace.extend(moving[: MAX_TRACE - len(decision.trace)])
        self._links.moved({item.order_id for item in moving if item.order_id}, decision)
        self.scores.touch(previous)
        self.scores.touch(decision)

    # -- problems -----------------------------------------------------------------------------

    def _check_time(self, where: Problem, ts: datetime) -> None:
        at = micros(ts)
        if at < self._last_time.get(where.file, at):
            self._problem(where, TIME_BACK)
        else:
            self._last_time[where.file] = at

    def note(self, where: Problem, reason: str) -> None:
        """Report a problem at a record's place (file, line or offset)."""
        self._problem(where, reason)

    def _problem(self, where: Problem, reason: str) -> None:
        problem = Problem(where.file, reason, line=where.line, offset=where.offset)
        if problem not in self.problems:
            self._noted += 1
            self.problems = (self.problems + [problem])[-MAX_PROBLEMS:]


def _has_position(decision: Decision) -> bool:
    return any(item.kind == "position" for item in decision.trace)
