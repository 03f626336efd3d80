"""Records of every kind turned into feed items: a kind, a level, a one-line summary."""

from __future__ import annotations

import re
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.domain.activity import LEVELS, ActivityItem
from peakwatch.secrets import redact_text

DECIMAL = re.compile(r"-?\d{1,18}(\.\d{1,18})?")


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
        parts.append(f"price {_money(row.close if row.close is not None else row.price)}")
    if row.equity is not None:
        parts.append(f"equity {_money(row.equity)}")
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
        level=event.level or ("warning" if decision == "reject" else "info"),
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
        f"{key} {_value(key, payload[key])}"
        for key in ("side", "qty", "price", "status", "reason", "error")
        if key in payload and payload[key] not in (None, "")
    )
    summary = f"Execution {kind}" + (f": {details}" if details else "")
    if event.message:
        summary += f" ({event.message})"
    if event.symbol:
        summary += f" [{event.symbol}]"
    return ActivityItem(
        ts=event.ts,
        source_id=source_id,
        position=position,
        source="execution",
        kind=f"execution_{kind}",
        level=event.level or ("error" if kind == "error" else "info"),
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
        qty, price = _qty(data.get("qty")), _money(data.get("price"))
        text = f"Order {data.get('side', '?')} {qty} @ {price}"
        return _one_line(f"{text}: {data.get('status', 'submitted')}")
    if kind == "fill":
        qty, price = _qty(data.get("qty")), _money(data.get("price"))
        text = f"Fill {data.get('side', '?')} {qty} @ {price}"
        if data.get("fee") is not None:
            text += f", fee {_money(data.get('fee'))}"
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


def _money(value: Any) -> str:
    """A price, equity or fee: `61,755.59` (two decimals; six significant digits below 1)."""
    value = _decimal(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return "?" if value is None else str(value)
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:,.6g}"


def _qty(value: Any) -> str:
    """A quantity with the decimals it has, no trailing zeros: `29`, `1.3`, `0.00012`."""
    value = _decimal(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return "?" if value is None else str(value)
    text = f"{value:,.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _value(key: str, value: Any) -> str:
    """An execution payload value as text: quantities and prices as numbers."""
    if key == "qty":
        return _qty(value)
    return _money(value) if key == "price" else str(value)


def _decimal(value: Any) -> Any:
    """A number written as decimal text (`"61755.59"`) as a float; anything else unchanged."""
    if isinstance(value, str) and DECIMAL.fullmatch(value.strip()):
        return float(value)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
