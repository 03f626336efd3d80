"""The AI activity feed: run events, AI decisions and execution telemetry as one timeline.

Every item has a sort key (time, source, position) that is unique and stable, so a
cursor taken from one page pages backwards without skipping or repeating an item,
however many new items arrive in the meantime.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.contract.values import INT64_MAX, INT64_MIN, format_utc, parse_utc
from peakwatch.secrets import redact, redact_text

LEVELS = ("info", "warning", "error")
MAX_SCAN_ITEMS = 200_000

SortKey = tuple[datetime, str, int]


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One thing that happened, with a one-line summary and its full payload."""

    ts: datetime
    source_id: str
    position: int
    source: str
    kind: str
    level: str
    summary: str
    run_id: str | None
    session_id: str | None
    record: BaseModel  # the validated record; the payload is derived from it on demand

    @property
    def payload(self) -> dict[str, Any]:
        """The full record as JSON values, secrets redacted.

        Computed when asked for: a page reads many items to keep a few, and dumping and
        redacting every record read was most of the cost of a page.
        """
        return redact(self.record.model_dump(mode="json"))

    @property
    def key(self) -> SortKey:
        """The total order of the feed: time, then source, then position in the source."""
        return (self.ts, self.source_id, self.position)

    @property
    def item_id(self) -> str:
        """A stable id: the source and the position of the record in it."""
        return f"{self.source_id}@{self.position}"

    def as_dict(self, *, with_payload: bool = True) -> dict[str, Any]:
        """The JSON view of the item."""
        view: dict[str, Any] = {
            "id": self.item_id,
            "ts": format_utc(self.ts),
            "source": self.source,
            "kind": self.kind,
            "level": self.level,
            "summary": self.summary,
            "run_id": self.run_id,
            "session_id": self.session_id,
            "cursor": encode_cursor(self.key),
        }
        if with_payload:
            view["payload"] = self.payload
        return view


class ActivitySource(Protocol):
    """A file that contributes items to the feed."""

    @property
    def source_id(self) -> str:
        """Unique among the sources; breaks ties between equal times."""
        ...

    @property
    def last_write(self) -> datetime:
        """When the file was last written; no item in it is newer (prunes the merge)."""
        ...

    def read_last(self, count: int) -> tuple[list[ActivityItem], bool]:
        """Its last `count` items, oldest first, and whether that is all of them."""
        ...


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """What the operator asked to see."""

    run_id: str | None = None
    session_id: str | None = None
    kinds: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    text: str | None = None
    sources: frozenset[str] = frozenset()

    def matches(self, item: ActivityItem) -> bool:
        """True when the item passes every filter that is set."""
        if self.run_id is not None and item.run_id != self.run_id:
            return False
        if self.session_id is not None and item.session_id != self.session_id:
            return False
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.levels and item.level not in self.levels:
            return False
        if self.sources and item.source not in self.sources:
            return False
        return not (self.text and self.text.lower() not in item.summary.lower())


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """One page of the feed, newest first, and the cursor for the next (older) page."""

    items: list[ActivityItem]
    next_cursor: str | None


def write_order(source: ActivitySource) -> tuple[datetime, str]:
    """The order sources are merged in: newest write first (reverse of this key)."""
    return source.last_write, source.source_id


def page_activity(
    sources: Iterable[ActivitySource],
    *,
    limit: int,
    before: SortKey | None,
    wanted: ActivityFilter,
) -> ActivityPage:
    """The newest `limit` matching items older than `before`, merged over all sources.

    `sources` come newest write first (see `write_order`): the merge stops at the first
    source older than a full page, so the rest are never looked at.
    """
    collected: list[ActivityItem] = []
    for source in sources:
        if len(collected) >= limit:
            collected.sort(key=lambda item: item.key, reverse=True)
            del collected[limit:]
            if source.last_write < collected[-1].ts:
                break
        collected.extend(_eligible(source, limit, before, wanted.matches))
    collected.sort(key=lambda item: item.key, reverse=True)
    page = collected[:limit]
    next_cursor = encode_cursor(page[-1].key) if len(page) == limit else None
    return ActivityPage(page, next_cursor)


def _eligible(
    source: ActivitySource,
    limit: int,
    before: SortKey | None,
    matches: Callable[[ActivityItem], bool],
) -> list[ActivityItem]:
    """The source's newest `limit` matching items older than `before`, reading back as needed."""
    count = max(limit * 2, 64)
    while True:
        items, exhausted = source.read_last(count)
        found = [i for i in items if (before is None or i.key < before) and matches(i)]
        if len(found) >= limit or exhausted or count >= MAX_SCAN_ITEMS:
            found.sort(key=lambda item: item.key)
            return found[-limit:]
        count *= 4


def encode_cursor(key: SortKey) -> str:
    """An opaque cursor for a sort key."""
    raw = orjson.dumps([format_utc(key[0]), key[1], key[2]])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> SortKey | None:
    """The sort key in a cursor, or None when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, source_id, position = orjson.loads(raw)
        stamp = parse_utc(ts)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None
    if stamp is None or not isinstance(source_id, str) or type(position) is not int:
        return None
    if not INT64_MIN <= position <= INT64_MAX:
        return None
    return (stamp, source_id, position)


def run_event_item(event: RunEvent, source_id: str, position: int, run_id: str) -> ActivityItem:
    """A native run event as a feed item."""
    data = event.data
    return ActivityItem(
        ts=event.ts,
        source_id=source_id,
        position=position,
        source="run",
        kind=event.kind,
        level=event.level if event.level in LEVELS else "info",
        summary=_run_event_summary(event.kind, event.msg, data),
        run_id=run_id,
        session_id=_text(data.get("session_id")),
        record=event,
    )


def step_row_item(row: StepRow, source_id: str, position: int, run_id: str) -> ActivityItem | None:
    """A Peak_Trade step row as a feed item (kind `step`)."""
    stamp = row.ts_event or row.ts_bar
    if stamp is None:
        return None
    blocked = bool(row.orders_blocked)
    parts = [f"Step {row.step}" if row.step is not None else "Step"]
    if row.close is not None or row.price is not None:
        parts.append(f"price {_num(row.close if row.close is not None else row.price)}")
    if row.equity is not None:
        parts.append(f"equity {_num(row.equity)}")
    if row.orders_generated:
        parts.append(f"{row.orders_generated} order(s)")
    if blocked:
        parts.append(f"blocked: {row.risk_reasons or 'risk check'}")
    return ActivityItem(
        ts=stamp,
        source_id=source_id,
        position=position,
        source="run",
        kind="step",
        level="warning" if blocked or row.risk_allowed is False else "info",
        summary=", ".join(parts),
        run_id=run_id,
        session_id=None,
        record=row,
    )


def ai_event_item(event: AiDecisionEvent, source_id: str, position: int) -> ActivityItem:
    """An AI decision event as a feed item (kind `ai_decision`)."""
    decision = event.decision or event.event or "decision"
    summary = f"AI {decision}"
    if event.reason and event.reason != "none":
        summary += f" ({event.reason})"
    if event.action:
        summary += f", action {event.action}"
    if event.confidence is not None:
        summary += f", confidence {event.confidence:.2f}"
    if event.rationale:
        summary += f": {event.rationale}"
    return ActivityItem(
        ts=event.ts_utc,
        source_id=source_id,
        position=position,
        source="ai",
        kind="ai_decision",
        level="warning" if decision == "reject" else "info",
        summary=_one_line(summary),
        run_id=event.run_id,
        session_id=_text(event.extras().get("session_id")),
        record=event,
    )


def execution_item(event: ExecutionEvent, source_id: str, position: int) -> ActivityItem:
    """An execution telemetry event as a feed item (kind `execution_<kind>`)."""
    kind = event.kind or "event"
    payload = event.payload
    details = ", ".join(
        f"{key} {payload[key]}"
        for key in ("side", "qty", "price", "status", "reason", "error")
        if key in payload and payload[key] not in (None, "")
    )
    summary = f"Execution {kind}" + (f": {details}" if details else "")
    if event.symbol:
        summary += f" [{event.symbol}]"
    return ActivityItem(
        ts=event.ts,
        source_id=source_id,
        position=position,
        source="execution",
        kind=f"execution_{kind}",
        level="error" if kind == "error" else "info",
        summary=_one_line(summary),
        run_id=_text(payload.get("run_id")),
        session_id=event.session_id,
        record=event,
    )


def _run_event_summary(kind: str, msg: str, data: dict[str, Any]) -> str:
    if kind == "decision":
        action = str(data.get("action", "?")).upper()
        text = f"Decision {action}"
        if data.get("symbol"):
            text += f" {data['symbol']}"
        confidence = data.get("confidence")
        if isinstance(confidence, int | float):
            text += f" (confidence {confidence:.2f})"
        rationale = data.get("rationale") or msg
        return _one_line(f"{text}: {rationale}" if rationale else text)
    if kind == "order":
        text = f"Order {data.get('side', '?')} {_num(data.get('qty'))} @ {_num(data.get('price'))}"
        return _one_line(f"{text}: {data.get('status', 'submitted')}")
    if kind == "fill":
        text = f"Fill {data.get('side', '?')} {_num(data.get('qty'))} @ {_num(data.get('price'))}"
        if data.get("fee") is not None:
            text += f", fee {_num(data.get('fee'))}"
        return _one_line(text)
    if kind == "risk":
        if data.get("allowed") is False:
            reasons = data.get("reasons") or []
            reasons_text = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
            return _one_line(f"Risk check blocked: {reasons_text or msg or 'no reason given'}")
        return _one_line(msg or "Risk check passed")
    return _one_line(msg or kind)


def _one_line(text: str, limit: int = 500) -> str:
    flat = redact_text(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?" if value is None else str(value)
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.2f}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
