"""Response shapes of the Peak_Trade API tree (`/api/v0/...`, the execution watch) for OpenAPI.

Field names and types are the ones Peak_Trade's clients read; fields beyond those named
(peakwatch's own additions) may appear, as everywhere in web/schemas.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from peakwatch.web.schemas import Detail, RunSnapshot, RunSummary, Shape


class HealthV0(Shape):
    status: str
    contract_version: str
    server_time: str


class RunMetaV0(Shape):
    run_id: str
    mode: str
    strategy_name: str
    symbol: str
    timeframe: str
    started_at: str | None
    ended_at: str | None
    config_snapshot: dict[str, Any]
    notes: str


class RunListEntryV0(RunSummary):
    """A `/runs` entry with Peak_Trade's text fields as strings (`""` when missing)."""

    mode: str
    strategy_name: str
    symbol: str
    timeframe: str


class RunSnapshotV0(RunSnapshot):
    """The `/runs/{id}/snapshot` body with Peak_Trade's text fields as strings."""

    mode: str
    strategy_name: str
    symbol: str
    timeframe: str


class RunDetailV0(Shape):
    meta: RunMetaV0
    snapshot: RunSnapshotV0


class RunMetricsV0(Shape):
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    drawdown: float | None
    total_steps: int
    total_orders: int
    total_blocked_orders: int


class EquityPointV0(Shape):
    ts: str
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    drawdown: float | None


class SignalPointV0(Shape):
    ts: str
    step: int | None
    signal: int | None
    signal_changed: bool | None


class PositionPointV0(Shape):
    ts: str
    step: int | None
    position_size: float | None
    cash: float | None
    equity: float | None


class OrderPointV0(Shape):
    ts: str
    step: int | None
    orders_generated: int | None
    orders_filled: int | None
    orders_rejected: int | None
    orders_blocked: int | None
    risk_allowed: bool | None
    risk_reasons: str | None


class SignalsV0(Shape):
    run_id: str
    asof: str
    count: int
    items: list[SignalPointV0]


class PositionsV0(Shape):
    run_id: str
    asof: str
    count: int
    items: list[PositionPointV0]


class OrdersV0(Shape):
    run_id: str
    asof: str
    count: int
    items: list[OrderPointV0]


class RunSummaryV02(Shape):
    run_id: str
    status: str
    started_at: str | None
    last_heartbeat: str | None
    strategy_id: str | None
    tags: list[str]
    base_dir: str | None


class RunDetailV02(Shape):
    summary: RunSummaryV02
    pointers: dict[str, str]
    alerts_summary: dict[str, Any]
    config_snapshot: dict[str, Any]


class EventItemV02(Shape):
    seq: int
    ts: str
    level: str
    component: str
    msg: str
    run_id: str
    kind: str
    event_seq: int | None


class EventsPollV02(Shape):
    run_id: str
    asof: str
    next_seq: int
    count: int
    items: list[EventItemV02]
    total_rows: int


NOT_FOUND_RUN: dict[int | str, dict[str, Any]] = {
    404: {"model": Detail, "description": "No such run."}
}
BAD_ROOT: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Detail,
        "description": "A root, base_dir or filename that names nothing configured, or a "
        "cursor that is not ours.",
    }
}


# -- the execution watch --------------------------------------------------------------------


class ExecutionHealthV0(Shape):
    status: str
    watch_only: bool
    schema_: str = Field(alias="schema")
    root: str
    filename: str
    exists: bool


class ExecutionRunV0(Shape):
    run_id: str
    correlation_id: str
    started_at: str | None
    last_event_at: str | None
    status: str
    counts: dict[str, int]


class ExecutionRunsV0(Shape):
    count: int
    runs: list[ExecutionRunV0]


class ExecutionEventV0(Shape):
    schema_: str = Field(alias="schema")
    ts: str | None
    run_id: str
    correlation_id: str
    event_type: str
    order_id: str | None
    idempotency_key: str | None
    payload: dict[str, Any]


class ExecutionRunSummaryV0(Shape):
    started_at: str | None
    last_event_at: str | None
    status: str
    counts: dict[str, int]


class ExecutionRunDetailV0(Shape):
    run_id: str
    correlation_id: str
    events: list[ExecutionEventV0]
    count: int
    summary: ExecutionRunSummaryV0


class ResponseMetaV02(Shape):
    api_version: str
    generated_at_utc: str
    has_more: bool
    next_cursor: str | None
    read_errors: int
    source: str


class EnvelopeV02(Shape):
    api_version: str
    generated_at_utc: str
    meta: ResponseMetaV02


class HealthzV02(EnvelopeV02):
    status: str
    watch_only: bool


class ExecutionRunV02(Shape):
    api_version: str
    run_id: str
    correlation_id: str
    started_at_utc: str | None
    last_event_at_utc: str | None
    status: str
    counts: dict[str, int]


class ExecutionRunsV02(EnvelopeV02):
    count: int
    runs: list[ExecutionRunV02]


class ExecutionRunDetailV02(ExecutionRunV02):
    total_events: int


class ExecutionRunDetailResponseV02(EnvelopeV02):
    run: ExecutionRunDetailV02


class ExecutionEventV02(Shape):
    api_version: str
    seq: int
    ts: str
    event_type: str
    order_id: str | None
    idempotency_key: str | None
    payload: dict[str, Any]


class ExecutionEventsV02(EnvelopeV02):
    run_id: str
    count: int
    items: list[ExecutionEventV02]
    events: list[ExecutionEventV02]
    next_cursor: str | None
    has_more: bool


class SessionSummaryV02(Shape):
    api_version: str
    session_id: str
    status: str
    mode: str
    environment: str
    started_at_utc: str | None
    ended_at_utc: str | None
    last_update_utc: str | None
    is_stale: bool


class SessionsV02(EnvelopeV02):
    count: int
    sessions: list[SessionSummaryV02]
