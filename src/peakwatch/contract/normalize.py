"""Peak_Trade's other event formats mapped onto the fields of the AI and execution records.

`ai_event.v1` lines join the AI events file's records; `execution_event.v1`, the
execution pipeline's `execution_event_v0`, the beta bridge's `BETA_EXEC_V1` and the
ExecEvent samples join the execution telemetry records. Each keeps its own fields and
gains `format`, the name of its format.
"""

from __future__ import annotations

import math
from typing import Any

AI_DECISION = "ts_utc decision"
AI_EVENT_V1 = "ai_event.v1"
TELEMETRY = "kind telemetry"
EXECUTION_EVENT_V1 = "execution_event.v1"
PIPELINE_V0 = "execution_event_v0"
EXEC_EVENT = "ExecEvent"
BETA_EXEC_V1 = "BETA_EXEC_V1"

BETA_KINDS: dict[str, tuple[str, dict[str, Any]]] = {  # event type: kind, what it says
    "INTENT": ("intent", {}),
    "VALIDATION_REJECT": ("gate", {"allowed": False, "status": "blocked"}),
    "RISK_REJECT": ("gate", {"allowed": False, "status": "blocked"}),
    "SUBMIT": ("order", {"status": "submitted"}),
    "ACK": ("order", {"status": "acked"}),
    "REJECT": ("order", {"status": "rejected"}),
    "FILL": ("fill", {}),
    "ERROR": ("error", {}),
}

_KIND_WORDS = (  # the first word found in an event type names the telemetry kind
    ("fill", "fill"),
    ("reject", "error"),
    ("fail", "error"),
    ("error", "error"),
    ("gate", "gate"),
    ("risk", "gate"),
    ("validat", "gate"),
    ("intent", "intent"),
    ("created", "intent"),
    ("submit", "order"),
    ("ack", "order"),
    ("cancel", "order"),
    ("order", "order"),
)
_IDS_AND_ORDER = (  # top-level fields of the other formats that go into telemetry's payload
    "run_id",
    "order_id",
    "idempotency_key",
    "correlation_id",
    "client_order_id",
    "side",
    "qty",
    "price",
    "status",
    "reason",
    "event_type",
    "exchange",
)
_LEVELS = {"debug": "info", "info": "info", "warn": "warning", "warning": "warning"}


def ai_format(obj: dict[str, Any]) -> str:
    """Which format an AI events line is written in."""
    return AI_EVENT_V1 if obj.get("schema_version") == AI_EVENT_V1 else AI_DECISION


def execution_format(obj: dict[str, Any]) -> str:
    """Which format an execution events line is written in."""
    if obj.get("schema") == PIPELINE_V0:
        return PIPELINE_V0
    if obj.get("schema_version") == EXECUTION_EVENT_V1:
        return EXECUTION_EVENT_V1
    if obj.get("schema_version") == BETA_EXEC_V1:
        return BETA_EXEC_V1
    if "kind" not in obj and "event_type" in obj:
        return EXEC_EVENT
    return TELEMETRY


def kind_of(event_type: Any) -> str | None:
    """The telemetry kind (gate, intent, order, fill, error) an event type stands for."""
    if not isinstance(event_type, str) or not event_type.strip():
        return None
    lowered = event_type.lower()
    for word, kind in _KIND_WORDS:
        if word in lowered:
            return kind
    return lowered


def level_of(severity: Any, *, is_error: Any = False) -> str | None:
    """A feed level (info, warning, error) from a severity or level word; None if absent."""
    if is_error is True:
        return "error"
    if not isinstance(severity, str) or not severity.strip():
        return None
    return _LEVELS.get(severity.strip().lower(), "error")


def as_ai_decision(obj: Any) -> Any:
    """An `ai_event.v1` line with the AI decision fields added; others unchanged but named."""
    if not isinstance(obj, dict):
        return obj
    fmt = ai_format(obj)
    if fmt != AI_EVENT_V1:
        return {"format": fmt, **obj}
    extra = _object(obj.get("extra"))
    mapped = {
        "ts_utc": obj.get("ts"),
        "event": obj.get("event_type"),
        "confidence": extra.get("confidence"),
        "level": level_of(obj.get("severity")),
    }
    return {**mapped, **obj, "format": fmt}


def as_execution(obj: Any) -> Any:
    """Any execution line with the telemetry fields (ts, kind, payload, level, message)."""
    if not isinstance(obj, dict):
        return obj
    fmt = execution_format(obj)
    if fmt == TELEMETRY:
        return {"format": fmt, **obj}
    if fmt == BETA_EXEC_V1:
        return _beta_execution(obj)
    payload = _object(obj.get("payload"))
    extra = _object(obj.get("extra"))
    fields = {name: obj[name] for name in _IDS_AND_ORDER if obj.get(name) is not None}
    mapped = {
        "kind": kind_of(obj.get("event_type")),
        "payload": {**extra, **payload, **fields},
        "level": level_of(obj.get("level"), is_error=obj.get("is_error")),
        "message": obj.get("msg"),
    }
    if fmt == PIPELINE_V0 and mapped["kind"] == "error":
        mapped["level"] = "error"
    kept = {key: value for key, value in obj.items() if key not in ("payload", "kind", "level")}
    return {**kept, **mapped, "format": fmt}


def _beta_execution(obj: dict[str, Any]) -> dict[str, Any]:
    """A `BETA_EXEC_V1` line: time from `ts_utc` (`ts_sim` is a counter), its payload's
    `quantity` as `qty`, the side in lower case, `client_order_id` as the order id."""
    payload = _object(obj.get("payload"))
    event_type = obj.get("event_type")
    kind, says = BETA_KINDS.get(str(event_type), (kind_of(event_type), {}))
    side = payload.get("side")
    mapped = {
        **payload,
        **says,
        "qty": _decimal(payload.get("quantity", payload.get("qty"))),
        "price": _decimal(payload.get("price")),
        "fee": _decimal(payload.get("fee")),
        "side": side.lower() if isinstance(side, str) else side,
        "event_type": event_type,
    }
    for field, name in (
        ("run_id", "run_id"),
        ("event_id", "event_id"),
        ("intent_id", "intent_id"),
        ("client_order_id", "order_id"),
        ("reason_code", "reason"),
    ):
        if obj.get(field) is not None:
            mapped[name] = obj[field]
    level = "error" if kind == "error" else "warning" if "REJECT" in str(event_type) else None
    kept = {key: value for key, value in obj.items() if key not in ("payload", "kind", "level")}
    return {
        **kept,
        "ts": obj.get("ts_utc"),
        "kind": kind,
        "payload": {key: value for key, value in mapped.items() if value is not None},
        "level": level,
        "message": obj.get("reason_detail"),
        "format": BETA_EXEC_V1,
    }


def _decimal(value: Any) -> Any:
    """A decimal written as text ("0.01000000") as a number; anything else unchanged."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _object(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}
