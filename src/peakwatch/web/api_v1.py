"""The Operator WebUI v1 API: sessions, activity, health details (alerts: api_alerts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.contract.values import parse_utc
from peakwatch.domain.activity import ActivityFilter, ActivityPage, SortKey, decode_cursor
from peakwatch.domain.activity_importance import IMPORTANCES
from peakwatch.web import schemas
from peakwatch.web.context import (
    AsOf,
    as_of_now,
    invalid_as_of,
    invalid_time,
    resolve_as_of,
    workspace_of,
)
from peakwatch.web.responses import json_response, not_found

router = APIRouter(prefix="/api")

SessionStatus = Literal["started", "stale", "completed", "failed", "aborted"]
Level = Literal["info", "warning", "error"]
ActivitySourceName = Literal["run", "ai", "execution"]
Id = Annotated[str, Path(max_length=200, description="An id as it appears in the artifacts.")]


def bad_request(detail: str) -> Response:
    """422 with a message that says what to change."""
    return json_response({"detail": detail}, status_code=422)


def parse_time(value: str | None, name: str) -> tuple[datetime | None, Response | None]:
    """An optional ISO-8601 query value, or the 422 to answer."""
    if value is None:
        return None, None
    try:
        return parse_utc(value), None
    except ValueError:
        return None, invalid_time(name)


@router.get(
    "/health",
    tags=["health"],
    summary="Liveness (Operator WebUI shape)",
    description='Answers `{"status": "ok"}` while the server runs.',
    response_model=schemas.Health,
)
async def api_health() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/health/details",
    tags=["health"],
    summary="Data roots and unreadable artifacts",
    description=(
        "The resolved data roots, whether each exists, and every artifact that could not be "
        "read (file relative to its root, line or byte offset, reason)."
    ),
    response_model=schemas.HealthDetails,
)
async def health_details(request: Request) -> Response:
    workspace = workspace_of(request)
    return json_response(await run_in_threadpool(workspace.health.report))


@router.get(
    "/live_sessions",
    tags=["sessions"],
    summary="Sessions from the registry, most recent first",
    description=(
        "One entry per registry record. A 'started' session without a sign of life for "
        "longer than the session TTL is reported as 'stale'. Filters apply before the limit."
    ),
    response_model=list[schemas.SessionView],
    responses=schemas.INVALID_REQUEST,
)
async def live_sessions(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many (1..100).")] = 10,
    mode: Annotated[
        str | None, Query(max_length=32, description="shadow, testnet, paper, live.")
    ] = None,
    status: Annotated[
        SessionStatus | None, Query(description="Only sessions in this status.")
    ] = None,
    as_of: AsOf = None,
) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    workspace = workspace_of(request)
    found = await run_in_threadpool(
        workspace.sessions.listing, moment, limit=limit, mode=mode, status=status
    )
    return json_response(found)


@router.get(
    "/live_sessions/stats",
    tags=["sessions"],
    summary="Session counts by status and mode",
    description="Totals over the whole registry, with the files that could not be read.",
    response_model=schemas.SessionStats,
)
async def live_sessions_stats(request: Request) -> Response:
    workspace = workspace_of(request)
    return json_response(await run_in_threadpool(workspace.sessions.stats, as_of_now()))


@router.get(
    "/live_sessions/{session_id:path}",
    tags=["sessions"],
    summary="One session with its whole record (secrets redacted)",
    response_model=schemas.SessionDetail,
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such session."},
    },
)
async def live_session(request: Request, session_id: Id) -> Response:
    workspace = workspace_of(request)
    found = await run_in_threadpool(workspace.sessions.find, session_id, as_of_now())
    return not_found("session not found") if found is None else json_response(found)


@router.get(
    "/activity",
    tags=["activity"],
    summary="The AI activity feed, newest first",
    description=(
        "Run events, AI decision events and execution telemetry merged into one timeline. "
        "Page backwards with `before=<next_cursor>`: every item appears exactly once, even "
        "while new items arrive. One page reads at most 16 MiB in 2 s from the ends of the "
        "files; when it stops there first, `truncated` is true, the items are those found so "
        "far and `next_cursor` resumes where the scan stopped."
    ),
    response_model=schemas.ActivityPageView,
    responses={
        **schemas.INVALID_REQUEST,
        400: {"model": schemas.Detail, "description": "An importance that does not exist."},
    },
)
async def activity(
    request: Request,
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    session_id: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[list[str] | None, Query(description="Repeatable, e.g. decision.")] = None,
    level: Annotated[list[Level] | None, Query(description="Repeatable.")] = None,
    source: Annotated[list[ActivitySourceName] | None, Query(description="Repeatable.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the summary.")] = None,
    importance: Annotated[
        str | None,
        Query(max_length=40, description="`notable` or `routine`: only items of that importance."),
    ] = None,
    before: Annotated[str | None, Query(max_length=400, description="A next_cursor.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    payload: Annotated[bool, Query(description="Include each item's full payload.")] = True,
) -> Response:
    asked = activity_query(run_id, session_id, kind, level, source, q, importance, before)
    if isinstance(asked, Response):
        return asked
    wanted, cursor = asked
    workspace = workspace_of(request)
    page = await run_in_threadpool(workspace.activity.page, wanted, limit=limit, before=cursor)
    return json_response(activity_body(page, payload))


def activity_query(
    run_id: str | None,
    session_id: str | None,
    kind: Sequence[str] | None,
    level: Sequence[str] | None,
    source: Sequence[str] | None,
    q: str | None,
    importance: str | None,
    before: str | None,
) -> tuple[ActivityFilter, SortKey | None] | Response:
    """The filter and cursor of an activity request, or the 4xx for a bad one."""
    if importance is not None and importance not in IMPORTANCES:
        return json_response({"detail": "importance must be notable or routine"}, status_code=400)
    cursor = None
    if before is not None:
        cursor = decode_cursor(before)
        if cursor is None:
            return bad_request("before must be a next_cursor from a previous page")
    wanted = ActivityFilter(
        run_id=run_id,
        session_id=session_id,
        kinds=frozenset(kind or ()),
        levels=frozenset(level or ()),
        text=q or None,
        sources=frozenset(source or ()),
        importance=importance,
    )
    return wanted, cursor


def activity_body(page: ActivityPage, payload: bool) -> dict[str, Any]:
    """The JSON of an activity page."""
    return {
        "items": [item.as_dict(with_payload=payload) for item in page.items],
        "next_cursor": page.next_cursor,
        "truncated": page.truncated,
        "stop_reason": page.stop_reason,
        "scanned_bytes": page.scanned_bytes,
        "reached_bytes": page.reached_bytes,
    }


@router.get(
    "/runs/{run_id}/events",
    tags=["runs"],
    summary="A run's latest raw events as feed items, newest first",
    response_model=list[schemas.ActivityItemView],
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such run."},
    },
)
async def run_events(
    request: Request,
    run_id: Id,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    found = await run_in_threadpool(workspace_of(request).runs.events, run_id, limit)
    return not_found("run not found") if found is None else json_response(found)
