"""One source's report of a decision (native event, step row, AI events line), before merging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peakwatch.contract.models import AiDecisionEvent, RunEvent, StepRow
from peakwatch.domain.decision_trace import Decision, text_of
from peakwatch.domain.steps import to_finite_or_none
from peakwatch.sources.problems import Problem

SIGNAL_ACTIONS = {1: "buy", -1: "sell", 0: "close"}
MERGED_FIELDS = (
    "confidence",
    "rationale",
    "component",
    "symbol",
    "latency_ms",
    "verdict",
    "reason",
)


@dataclass(frozen=True, slots=True)
class Sighting:
    """A decision as one source reports it, and where (a problem without a reason yet)."""

    ts: datetime
    source: str  # events | steps | ai
    action: str
    derived_id: str
    where: Problem
    confidence: float | None = None
    rationale: str | None = None
    component: str | None = None
    symbol: str | None = None
    latency_ms: float | None = None
    verdict: str | None = None
    reason: str | None = None


def native_sighting(event: RunEvent, where: Problem) -> Sighting:
    """A native `decision` event; its derived id is `d-<seq>`."""
    data = event.data
    return Sighting(
        ts=event.ts,
        source="events",
        action=text_of(data.get("action")) or "unknown",
        derived_id=f"d-{event.seq}",
        where=where,
        confidence=to_finite_or_none(data.get("confidence")),
        rationale=text_of(data.get("rationale")) or text_of(event.msg),
        component=text_of(data.get("component")) or text_of(data.get("model")),
        symbol=text_of(data.get("symbol")),
        latency_ms=to_finite_or_none(data.get("latency_ms")),
    )


def row_sighting(row: StepRow, ts: datetime, number: int, where: Problem) -> Sighting:
    """A step row whose signal changed (1 buy, -1 sell, 0 close); its id is `row-<number>`."""
    extras = row.extras()
    action = "unknown" if row.signal is None else SIGNAL_ACTIONS.get(row.signal, "unknown")
    return Sighting(
        ts=ts,
        source="steps",
        action=action,
        derived_id=f"row-{number}",
        where=where,
        confidence=to_finite_or_none(extras.get("extra_ai_confidence")),
        rationale=text_of(extras.get("extra_ai_rationale")),
    )


def ai_sighting(event: AiDecisionEvent, where: Problem, offset: int) -> Sighting:
    """An AI events line with a `decision`; its derived id is `ai-<byte offset>`."""
    assert event.decision is not None
    return Sighting(
        ts=event.ts_utc,
        source="ai",
        action=event.action or event.decision,
        derived_id=f"ai-{offset}",
        where=where,
        confidence=event.confidence,
        rationale=event.rationale,
        component=event.component,
        latency_ms=event.latency_ms,
        verdict=event.decision,
        reason=event.reason,
    )


def take_fields(decision: Decision, sighting: Sighting) -> None:
    """Fill the fields the decision does not have yet from a sighting."""
    for name in MERGED_FIELDS:
        if getattr(decision, name) is None:
            setattr(decision, name, getattr(sighting, name))
