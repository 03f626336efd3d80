"""Response shapes of `GET /api/alerts` for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from peakwatch.web.schemas import Shape


class AlertView(Shape):
    """One alert: the newest occurrence's fields and the lifecycle of all of them."""

    id: str
    key: str
    rule: str
    subject: str
    state: Literal["firing", "resolved"]
    timestamp: str | None
    first_seen: str | None
    last_seen: str | None
    count: int
    resolved_at: str | None
    severity: str
    source: str
    sources: list[str]
    derived: bool
    rule_id: str | None
    threshold: float | None
    title: str
    message: str
    run_id: str | None
    session_id: str | None
    category: str | None
    context: dict[str, Any]


class AlertSummary(Shape):
    """What the firing alerts say, whatever the filters: the status the dashboard shows."""

    status: Literal["ok", "warn", "error"]
    headline: str
    firing: dict[str, int]
    resolved: int


class AlertsView(Shape):
    total: int
    counts: dict[str, int]
    states: dict[str, int]
    summary: AlertSummary
    alerts: list[AlertView]
