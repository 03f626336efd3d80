"""A decision and its trace: the risk checks, orders, fills and position that followed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peakwatch.contract.models import ExecutionEvent, RunEvent, StepRow
from peakwatch.contract.values import format_utc
from peakwatch.domain.scorecard import Contribution, Facts
from peakwatch.domain.steps import to_finite_or_none

Key = tuple[int, int]  # (time in microseconds since the epoch, arrival serial)
MAX_TRACE = 64  # trace items kept per decision; later ones are counted as dropped
TRACE_KINDS = frozenset({"risk", "order", "fill", "position"})
EXECUTION_KINDS = {
    "gate": "risk",
    "intent": "intent",
    "order": "order",
    "fill": "fill",
    "error": "error",
}
FACT_KINDS = frozenset({"risk", "order", "fill"})


@dataclass(slots=True)
class TraceItem:
    """One thing that followed a decision, how it was linked (`id` or `inferred`) and from where."""

    kind: str  # risk | intent | order | fill | position | error
    ts: datetime
    link: str
    source: str  # events | steps | execution
    allowed: bool | None = None
    reasons: tuple[str, ...] = ()
    status: str | None = None
    order_id: str | None = None
    intent_id: str | None = None
    side: str | None = None
    qty: float | None = None
    price: float | None = None
    fee: float | None = None
    position_size: float | None = None
    equity: float | None = None
    error: str | None = None
    count: int = 1

    def view(self, since: datetime) -> dict[str, Any]:
        """JSON-ready, with the delay since the decision in milliseconds."""
        shown: dict[str, Any] = {
            "kind": self.kind,
            "ts": format_utc(self.ts),
            "delay_ms": (self.ts - since).total_seconds() * 1000.0,
            "link": self.link,
            "source": self.source,
        }
        for name in ("allowed", "status", "order_id", "intent_id", "side", "qty", "price", "fee"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value
        for name in ("position_size", "equity", "error"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value
        if self.kind == "risk":
            shown["reasons"] = list(self.reasons)
        if self.count != 1:
            shown["count"] = self.count
        return shown


@dataclass(slots=True, eq=False)
class Decision:
    """One decision of a run, merged from every source that reported it."""

    decision_id: str
    key: Key
    ts: datetime
    action: str
    explicit_id: bool
    sources: list[str]
    confidence: float | None = None
    rationale: str | None = None
    component: str | None = None
    symbol: str | None = None
    latency_ms: float | None = None
    verdict: str | None = None  # the AI events file's accept | reject | noop
    reason: str | None = None
    trace: list[TraceItem] = field(default_factory=list)
    dropped: int = 0
    contribution: Contribution | None = None

    @property
    def scored_confidence(self) -> float | None:
        """The confidence when it lies within 0..1 (others are not scored)."""
        value = self.confidence
        return value if value is not None and 0.0 <= value <= 1.0 else None

    def facts(self) -> Facts:
        """What this decision adds to the scorecard's counts, from its trace."""
        risk_checked = blocked = False
        sent = rejected = 0
        first_fill: datetime | None = None
        for item in self.trace:
            if item.kind == "risk":
                risk_checked = True
                blocked = blocked or item.allowed is False
            elif item.kind == "order":
                risk_checked = True
                if item.status == "blocked":
                    blocked = True
                else:
                    sent += item.count
                    rejected += item.count if item.status == "rejected" else 0
            elif item.kind == "fill" and (first_fill is None or item.ts < first_fill):
                first_fill = item.ts
        delay = None if first_fill is None else (first_fill - self.ts).total_seconds() * 1000.0
        latency = self.latency_ms if self.latency_ms is None or self.latency_ms >= 0 else None
        return Facts(
            key=(self.component, self.symbol),
            action=self.action,
            risk_checked=risk_checked,
            blocked=blocked,
            orders_sent=sent,
            rejected=rejected,
            latency_ms=latency,
            fill_delay_ms=delay,
            confidence=self.scored_confidence,
        )

    def summary(self) -> dict[str, Any]:
        """Risk outcome, orders, fills and link type, for the decisions table."""
        risk: str | None = None
        reasons: list[str] = []
        orders = fills = 0
        links = {item.link for item in self.trace}
        for item in self.trace:
            if item.kind == "risk":
                risk = "blocked" if item.allowed is False or risk == "blocked" else "allowed"
                reasons.extend(item.reasons)
            elif item.kind == "order":
                orders += item.count
            elif item.kind == "fill":
                fills += item.count
        facts = self.facts()
        return {
            "risk": risk,
            "risk_reasons": reasons,
            "orders": orders,
            "orders_rejected": facts.rejected,
            "fills": fills,
            "first_fill_delay_ms": facts.fill_delay_ms,
            "link": None if not links else links.pop() if len(links) == 1 else "mixed",
        }


def text_of(value: Any) -> str | None:
    """Non-blank text, or None."""
    return value if isinstance(value, str) and value.strip() else None


def native_item(event: RunEvent, link: str) -> TraceItem:
    """A native risk, order, fill or position event as a trace item."""
    data = event.data
    item = TraceItem(event.kind, event.ts, link, "events")
    _fill_fields(item, data)
    if event.kind == "order":
        item.status = text_of(data.get("status")) or "submitted"
    return item


def execution_item(event: ExecutionEvent, link: str) -> TraceItem | None:
    """An execution telemetry line (gate, intent, order, fill, error) as a trace item."""
    kind = EXECUTION_KINDS.get(event.kind or "")
    if kind is None:
        return None
    payload = event.payload
    item = TraceItem(kind, event.ts, link, "execution")
    _fill_fields(item, payload)
    item.intent_id = _id_text(payload.get("intent_id"))
    if kind == "order":
        item.status = text_of(payload.get("status")) or "submitted"
    return item


NUMBERS = {
    "order": ("qty", "price"),
    "intent": ("qty", "price"),
    "fill": ("qty", "price", "fee"),
    "position": ("position_size", "equity"),
}


def _fill_fields(item: TraceItem, data: dict[str, Any]) -> None:
    """Copy the fields a trace shows of its kind from an event's data or a telemetry payload."""
    if item.kind == "risk":
        allowed = data.get("allowed")
        item.allowed = allowed if isinstance(allowed, bool) else None
        reasons = data.get("reasons")
        if isinstance(reasons, list):
            item.reasons = tuple(str(reason) for reason in reasons)
        elif text_of(data.get("reason")):
            item.reasons = (str(data["reason"]),)
        return
    for name in NUMBERS.get(item.kind, ()):
        setattr(item, name, to_finite_or_none(data.get(name)))
    if item.kind == "position":
        return
    item.order_id = _id_text(data.get("order_id"))
    item.side = text_of(data.get("side"))
    item.error = text_of(data.get("error"))


def _id_text(value: Any) -> str | None:
    """An order or intent id as text (integers are taken as their text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text_of(value)


def row_items(row: StepRow, ts: datetime, previous_position: float | None) -> list[TraceItem]:
    """A Peak_Trade step row's own risk check, orders, fills and position, as trace items."""
    items: list[TraceItem] = []
    if row.risk_allowed is not None:
        parts = (part.strip() for part in (row.risk_reasons or "").split(";"))
        reasons = tuple(part for part in parts if part)
        items.append(TraceItem("risk", ts, "inferred", "steps", row.risk_allowed, reasons))
    generated = row.orders_generated or 0
    blocked = max(row.orders_blocked or 0, 0)
    rejected = max(row.orders_rejected or 0, 0)
    side = text_of(row.extras().get("extra_order_side"))
    for status, count in (
        ("submitted", generated - blocked - rejected),
        ("blocked", blocked),
        ("rejected", rejected),
    ):
        if count > 0:
            items.append(TraceItem("order", ts, "inferred", "steps", status=status, count=count))
            items[-1].side = side
    if row.orders_filled:
        price = to_finite_or_none(row.extras().get("extra_fill_price"))
        fill = TraceItem("fill", ts, "inferred", "steps", count=row.orders_filled, side=side)
        fill.price = (
            price if price is not None else row.price if row.price is not None else row.close
        )
        if row.position_size is not None and previous_position is not None:
            fill.qty = abs(row.position_size - previous_position) or None
        items.append(fill)
    if row.position_size is not None or row.equity is not None:
        position = TraceItem("position", ts, "inferred", "steps")
        position.position_size, position.equity = row.position_size, row.equity
        items.append(position)
    return items
