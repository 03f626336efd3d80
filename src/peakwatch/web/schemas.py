"""Response shapes for the OpenAPI document (the data itself is shaped in domain/)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Shape(BaseModel):
    """A documented response; fields beyond those named may appear."""

    model_config = ConfigDict(extra="allow")


class Health(Shape):
    status: str


class Detail(Shape):
    detail: Any


class ArtifactProblem(Shape):
    file: str
    kind: str
    line: int | None
    offset: int | None
    reason: str


class RunSummary(Shape):
    run_id: str
    mode: str | None
    strategy_name: str | None
    symbol: str | None
    timeframe: str | None
    started_at: str | None
    ended_at: str | None
    is_active: bool
    last_event_time: str | None
    status: str
    events_format: str | None
    problems: list[ArtifactProblem]


class RunSnapshot(RunSummary):
    total_steps: int
    total_orders: int
    total_blocked_orders: int
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    position_size: float | None
    drawdown: float | None
    max_drawdown: float | None
    meta: dict[str, Any] | None


class TailRow(Shape):
    step: int | None
    ts_bar: str | None
    ts_event: str | None
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    position_size: float | None
    orders_count: int
    risk_allowed: bool | None
    risk_reasons: str


class RunAlertView(Shape):
    rule_id: str | None
    severity: str
    message: str | None
    run_id: str | None
    timestamp: str | None


class SessionView(Shape):
    session_id: str
    run_id: str | None
    started_at: str | None
    ended_at: str | None
    mode: str | None
    environment: str | None
    status: str
    realized_pnl: float | None
    max_drawdown: float | None
    num_orders: int | None
    duration_seconds: float | None
    is_live_warning: bool
    risk_status: str
    risk_severity: str
    notes: str | None


class SessionList(Shape):
    """Only used for documentation of the problems header; the list is a plain array."""


class ActivityItemView(Shape):
    id: str
    ts: str | None
    source: str
    kind: str
    level: str
    summary: str
    run_id: str | None
    session_id: str | None
    cursor: str


class ActivityPageView(Shape):
    items: list[ActivityItemView]
    next_cursor: str | None


class AlertView(Shape):
    id: str
    timestamp: str | None
    severity: str
    source: str
    derived: bool
    title: str
    message: str


class AlertsView(Shape):
    total: int
    counts: dict[str, int]
    alerts: list[AlertView]


class Panel(Shape):
    id: str
    title: str
    status: str
    details: dict[str, Any]


class StatusSnapshot(Shape):
    version: str
    generated_at: str
    panels: list[Panel]
    meta: dict[str, Any]
    content_sha256: str
