"""Peak_Trade's own event formats, checked strictly by `peakwatch validate` as Peak_Trade does.

Each model requires what Peak_Trade's schema requires (schemas/events/*.schema.json,
the pipeline's `execution_event_v0`, the ExecEvent dataclass); readers use the lenient
AiDecisionEvent and ExecutionEvent, which map all of them onto one set of fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from peakwatch.contract.models import (
    Flag,
    Mapping,
    Number,
    Record,
    RequiredUtcTime,
    Text,
)
from peakwatch.contract.normalize import (
    AI_EVENT_V1,
    BETA_EXEC_V1,
    EXEC_EVENT,
    EXECUTION_EVENT_V1,
    PIPELINE_V0,
)


def _epoch(value: object) -> object:
    """Epoch seconds as Peak_Trade's v1 schemas want them: a number, at least 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("not epoch seconds (a number, at least 0)")
    return value


Epoch = Annotated[float, BeforeValidator(_epoch)]
Name = Annotated[str, Field(min_length=1)]
Side = Literal["buy", "sell"] | None


class AiEventV1(Record):
    """`ai_event.v1`: one AI event of a run's layer (Peak_Trade's AIEvent v1)."""

    schema_version: Literal["ai_event.v1"]
    ts: Epoch
    event_type: Name
    run_id: Name
    layer: Name
    component: Text = None
    model: Text = None
    prompt_id: Text = None
    decision: Text = None
    severity: Literal["debug", "info", "warning", "error", "critical"] | None = None
    reason: Text = None
    extra: Mapping = Field(default_factory=dict)


class ExecutionEventV1(Record):
    """`execution_event.v1`: one order lifecycle event (Peak_Trade's ExecutionEvent v1)."""

    schema_version: Literal["execution_event.v1"]
    ts: Epoch
    event_type: Name
    run_id: Name
    component: Text = None
    order_id: Text = None
    idempotency_key: Text = None
    exchange_order_id: Text = None
    symbol: Text = None
    side: Side = None
    qty: Number = None
    price: Number = None
    status: Text = None
    reason: Text = None
    extra: Mapping = Field(default_factory=dict)


class PipelineEventV0(Record):
    """`execution_event_v0`: one event of Peak_Trade's execution pipeline."""

    schema_: Literal["execution_event_v0"] = Field(alias="schema")
    ts: RequiredUtcTime
    run_id: Name
    correlation_id: Name
    event_type: Literal[
        "created", "validated", "submitted", "acked", "filled", "canceled", "failed"
    ]
    payload: dict[str, object]
    order_id: Text = None
    idempotency_key: Text = None


class BetaExecV1(Record):
    """`BETA_EXEC_V1`: one event of Peak_Trade's execution beta bridge (slice 1)."""

    schema_version: Literal["BETA_EXEC_V1"]
    event_id: Name
    run_id: Name
    session_id: Name
    intent_id: Name
    symbol: Name
    event_type: Literal[
        "INTENT",
        "VALIDATION_REJECT",
        "RISK_REJECT",
        "SUBMIT",
        "ACK",
        "REJECT",
        "FILL",
        "ERROR",
    ]
    ts_sim: Annotated[int, Field(ge=0)]
    ts_utc: RequiredUtcTime
    request_id: Text = None
    client_order_id: Text = None
    reason_code: Text = None
    reason_detail: Text = None
    payload: Mapping = Field(default_factory=dict)


class ExecEventSample(Record):
    """ExecEvent: one line of `out/ops/execution_events/execution_events.jsonl`."""

    ts: RequiredUtcTime
    mode: str
    event_type: Name
    level: str
    is_anomaly: Flag = False
    is_error: Flag = False
    msg: str = ""
    exchange: Text = None
    symbol: Text = None
    order_id: Text = None
    client_order_id: Text = None
    side: Text = None
    qty: Number = None
    price: Number = None
    extra: Mapping = Field(default_factory=dict)


STRICT_MODELS: dict[str, type[Record]] = {
    AI_EVENT_V1: AiEventV1,
    EXECUTION_EVENT_V1: ExecutionEventV1,
    PIPELINE_V0: PipelineEventV0,
    EXEC_EVENT: ExecEventSample,
    BETA_EXEC_V1: BetaExecV1,
}
"""The strict model of each Peak_Trade format, by format name."""
