"""The Live Web Dashboard v0 API: health and runs, in the Peak_Trade shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.web import schemas
from peakwatch.web.context import AsOf, invalid_as_of, resolve_as_of, workspace_of
from peakwatch.web.rendered import RenderedCache
from peakwatch.web.responses import json_bytes, json_response, not_found

router = APIRouter()

RunId = Annotated[str, Path(description="The run's folder name under the runs root.")]
RUN_NOT_FOUND = "run not found"
TAIL_DEFAULT_LIMIT = 50
TAIL_MAX_LIMIT = 500


def tail_key(run_id: str, limit: int) -> tuple[str, str, int]:
    """The rendered-cache key of a tail body."""
    return ("tail", run_id, limit)


@router.get(
    "/health",
    tags=["health"],
    summary="Liveness",
    description='Answers `{"status": "ok"}` while the server runs.',
    response_model=schemas.Health,
)
async def health() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/runs",
    tags=["runs"],
    summary="All runs, newest activity first",
    description=(
        "Every run folder (a folder with meta.json) under the runs root, with its status "
        "(active, stale, completed, unknown), whether it is active and when its last event "
        "happened. Filters apply before the limit."
    ),
    response_model=list[schemas.RunSummary],
    responses=schemas.INVALID_REQUEST,
)
async def runs(
    request: Request,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="At most this many.")] = None,
    mode: Annotated[
        str | None, Query(max_length=32, description="paper, shadow, testnet, live.")
    ] = None,
    status: Annotated[
        Literal["active", "stale", "completed", "unknown"] | None,
        Query(description="Only runs in this status."),
    ] = None,
    as_of: AsOf = None,
) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    workspace = workspace_of(request)

    async def render() -> bytes:
        found = await run_in_threadpool(
            workspace.runs.listing, moment, mode=mode, status=status, limit=limit
        )
        return json_bytes(found)

    cache: RenderedCache = request.app.state.rendered
    version = await run_in_threadpool(workspace.runs.listing_version, moment)
    body = await cache.body(("runs", mode, status, limit), version, render)
    return Response(body, media_type="application/json")


@router.get(
    "/runs/{run_id}/snapshot",
    tags=["runs"],
    summary="One run's current state and whole-run totals",
    description=(
        "Meta fields, equity, PnL, drawdown and totals over the whole run (steps, orders, "
        "blocked orders). A run with meta.json only answers with zero totals and nulls."
    ),
    response_model=schemas.RunSnapshot,
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such run."},
    },
)
async def run_snapshot(request: Request, run_id: RunId, as_of: AsOf = None) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    snapshot = await run_in_threadpool(workspace_of(request).runs.snapshot, run_id, moment)
    return not_found(RUN_NOT_FOUND) if snapshot is None else json_response(snapshot)


@router.get(
    "/runs/{run_id}/tail",
    tags=["runs"],
    summary="The run's last steps, oldest first",
    description="One row per step (bar): equity, PnL, position, orders and the risk verdict.",
    response_model=list[schemas.TailRow],
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such run."},
    },
)
async def run_tail(
    request: Request,
    run_id: RunId,
    limit: Annotated[
        int, Query(ge=1, le=TAIL_MAX_LIMIT, description="Steps to return (1..500).")
    ] = TAIL_DEFAULT_LIMIT,
) -> Response:
    workspace = workspace_of(request)

    async def render() -> bytes | None:
        rows = await run_in_threadpool(workspace.runs.tail, run_id, limit)
        return None if rows is None else json_bytes(rows)

    cache: RenderedCache = request.app.state.rendered
    version = workspace.runs.tail_version(run_id)
    body = await cache.body(tail_key(run_id, limit), version, render)
    if body is None:
        return not_found(RUN_NOT_FOUND)
    return Response(body, media_type="application/json")


@router.get(
    "/runs/{run_id}/alerts",
    tags=["runs"],
    summary="The run's alerts, newest first",
    description="Lines of the run's alerts.jsonl in the Peak_Trade shape.",
    response_model=list[schemas.RunAlertView],
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such run."},
    },
)
async def run_alerts(
    request: Request,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=100, description="Alerts to return (1..100).")] = 20,
) -> Response:
    found = await run_in_threadpool(workspace_of(request).runs.alerts, run_id, limit)
    return not_found(RUN_NOT_FOUND) if found is None else json_response(found)


@router.get("/runs/{anything:path}", include_in_schema=False)
async def run_path_not_found(anything: str) -> Response:
    """Any other path under /runs/ (encoded slashes, extra segments) is an unknown run."""
    return not_found(RUN_NOT_FOUND)
