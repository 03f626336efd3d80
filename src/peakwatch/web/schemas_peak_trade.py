"""Response shapes of the Peak_Trade API tree (`/api/v0/...`, the execution watch) for OpenAPI.

Field names and types are the ones Peak_Trade's clients read; fields beyond those named
(peakwatch's own additions) may appear, as everywhere in web/schemas.py.
"""

from __future__ import annotations

from typing import Any

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
    400: {"model": Detail, "description": "A root or base_dir that names no configured root."}
}
