"""`GET /api/alerts`: every alert tracked per rule and subject, firing first, filterable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain.alert_lifecycle import STATES, AlertQuery, select_alerts
from peakwatch.domain.alerts import SEVERITIES
from peakwatch.web import schemas, schemas_alerts
from peakwatch.web.api_v1 import parse_time
from peakwatch.web.context import as_of_now, workspace_of
from peakwatch.web.responses import json_response

router = APIRouter(prefix="/api")

AlertSource = Literal["alert_store", "run", "derived"]
STATE_RULE = "state must be firing or resolved"
SEVERITY_RULE = "severity must be critical, warning or info"
RESPONSES: dict[int | str, dict[str, Any]] = {
    **schemas.INVALID_REQUEST,
    400: {"model": schemas.Detail, "description": "A state or severity that does not exist."},
}


def bad_filter(rule: str) -> Response:
    """400 with the sentence saying which values the filter takes (never the value sent)."""
    return json_response({"detail": rule}, status_code=400)


@router.get(
    "/alerts",
    tags=["alerts"],
    summary="Alerts, one per rule and subject, firing first, with counts and the status",
    description=(
        "The daily alert store, every run's alerts.jsonl, and alerts peakwatch derives itself "
        "(silent run or session, unreadable artifacts, risk blocks in a row, drawdown beyond "
        "the threshold; marked `derived`), folded into one alert per `rule` and `subject`: "
        "repeats raise `count` and move `last_seen`, an occurrence written both to the store "
        "and to a run's file is one occurrence with both `sources`. A stored alert is "
        "`firing` until `alert_quiet_seconds` pass without a repeat, a derived one while its "
        "condition holds; then `resolved` with `resolved_at`. `summary` (status, headline, "
        "firing by severity) covers every alert whatever the filters."
    ),
    response_model=schemas_alerts.AlertsView,
    responses=RESPONSES,
)
async def alerts(
    request: Request,
    state: Annotated[
        list[str] | None, Query(max_length=20, description="firing or resolved; repeatable.")
    ] = None,
    severity: Annotated[
        list[str] | None,
        Query(max_length=20, description="critical, warning or info; repeatable."),
    ] = None,
    source: Annotated[list[AlertSource] | None, Query(description="Repeatable.")] = None,
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    session_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="ISO-8601; only alerts last seen at or after.")
    ] = None,
    until: Annotated[
        str | None,
        Query(max_length=64, description="ISO-8601; only alerts last seen at or before."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    query = alert_query(state, severity, source, run_id, session_id, since, until)
    if isinstance(query, Response):
        return query
    workspace = workspace_of(request)
    tracked = await run_in_threadpool(workspace.alerts.tracked, as_of_now())
    return json_response(select_alerts(tracked, query, limit))


def alert_query(
    state: Sequence[str] | None,
    severity: Sequence[str] | None,
    source: Sequence[str] | None,
    run_id: str | None,
    session_id: str | None,
    since: str | None,
    until: str | None,
) -> AlertQuery | Response:
    """The filters of an alerts request, or the 4xx for a bad one."""
    if any(value not in STATES for value in state or ()):
        return bad_filter(STATE_RULE)
    if any(value not in SEVERITIES for value in severity or ()):
        return bad_filter(SEVERITY_RULE)
    since_at, error = parse_time(since, "since")
    if error:
        return error
    until_at, error = parse_time(until, "until")
    if error:
        return error
    return AlertQuery(
        states=frozenset(state or ()),
        severities=frozenset(severity or ()),
        sources=frozenset(source or ()),
        run_id=run_id,
        session_id=session_id,
        since=since_at,
        until=until_at,
    )
