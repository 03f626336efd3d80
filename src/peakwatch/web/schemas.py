"""Response shapes for the OpenAPI document (the data itself is shaped in domain/)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    """A documented response; fields beyond those named may appear."""

    model_config = ConfigDict(extra="allow")


class Health(Shape):
    status: str


class Detail(Shape):
    detail: Any


class FieldProblem(Shape):
    """One invalid query or path value: where it is, what is wrong, and the error type."""

    loc: list[str]
    msg: str
    type: str


class RequestProblem(Shape):
    """422: either one sentence saying what to change, or one entry per invalid value."""

    detail: str | list[FieldProblem]


INVALID_REQUEST: dict[int | str, dict[str, Any]] = {
    422: {"model": RequestProblem, "description": "A query or path value is invalid."}
}
"""`responses=` for every operation with parameters (replaces FastAPI's list-only 422)."""


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


class Counting(Shape):
    """How far the first look at a huge run is: its backlog is read in the background."""

    part: str = Field(description='"totals" first, then "decisions" (and trades)')
    read_bytes: int
    total_bytes: int
    share: float = Field(description="read_bytes / total_bytes, 0 to 1")


class RunSnapshot(RunSummary):
    total_steps: int
    total_orders: int
    total_blocked_orders: int
    total_orders_sent: int = Field(
        description="Orders sent to the venue: total_orders minus total_blocked_orders, the "
        "count every page calls orders"
    )
    blocked_in_a_row: int
    error_events: int
    warning_events: int
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    position_size: float | None
    drawdown: float | None
    max_drawdown: float | None
    counting: Counting | None = Field(
        description="Set while the totals (or the decisions) of a huge run are still being "
        "counted in the background: the figures are those of the part read so far"
    )
    meta: dict[str, Any] | None


class TailRow(Shape):
    step: int | None
    seq: int | None
    ts_bar: str | None
    ts_event: str | None
    equity: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None
    position_size: float | None
    orders_count: int
    orders_blocked: int
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
    error: str | None
    registry_status: str | None
    last_seen_at: str | None
    last_seen_source: str | None


class SessionDetail(SessionView):
    """The list view plus the registry file's name and its whole record (secrets redacted)."""

    file: str
    record: dict[str, Any]
    run_type: str | None
    env_name: str | None
    symbol: str | None
    config: dict[str, Any]
    metrics: dict[str, Any]
    cli_args: list[Any]
    created_at: str | None


class SessionStats(Shape):
    total_sessions: int
    unreadable_files: int
    by_status: dict[str, int]
    by_mode: dict[str, int]
    active_sessions: int
    stale_sessions: int
    total_realized_pnl: float
    total_pnl: float
    avg_drawdown: float
    live_sessions: int
    problems: list[ArtifactProblem]


class SessionList(Shape):
    """Only used for documentation of the problems header; the list is a plain array."""


class ActivityItemView(Shape):
    id: str
    ts: str | None
    source: str
    kind: str
    level: str
    importance: Literal["notable", "routine"]
    summary: str
    run_id: str | None
    session_id: str | None
    cursor: str
    payload: dict[str, Any] | None = None


class ActivityPageView(Shape):
    items: list[ActivityItemView]
    next_cursor: str | None
    truncated: bool
    stop_reason: Literal["bytes", "time"] | None
    scanned_bytes: int
    reached_bytes: int


class RootView(Shape):
    path: str
    exists: bool
    changes: Literal["notify", "scan"]
    changes_reason: str | None


class RemoteRootView(Shape):
    location: str
    last_success_at: str | None
    newest_object_at: str | None
    failures_in_a_row: int
    reason: str | None
    objects: int
    bytes_behind: int
    reachable: bool | None


class HealthDetails(Shape):
    status: str
    roots: dict[str, RootView]
    remote: RemoteRootView | None
    runs: int
    sessions: int
    unreadable_count: int
    unreadable: list[ArtifactProblem]


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
