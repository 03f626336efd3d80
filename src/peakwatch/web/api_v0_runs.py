"""`/api/v0/...`: Peak_Trade's Live Web Dashboard run API (v0, v0.1B series, v0.2 views)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain import peak_trade_views as views
from peakwatch.domain.run_event_polls import RunEventPolls
from peakwatch.web import schemas
from peakwatch.web import schemas_peak_trade as pt
from peakwatch.web.context import as_of_now, workspace_of
from peakwatch.web.peak_trade_events import events_stream, wants_stream
from peakwatch.web.responses import json_response, not_found

router = APIRouter(prefix="/api/v0", tags=["runs"])

RunId = Annotated[str, Path(description="The run's folder name under the runs root.")]
RUN_NOT_FOUND = "run not found"
RUNS_ROOT = "runs_dir"  # the settings name clients see as `base_dir`
SeriesLimit = Annotated[int, Query(ge=1, le=5000, description="Steps to look at (1..5000).")]
ERRORS = {**schemas.INVALID_REQUEST, **pt.NOT_FOUND_RUN}


def polls_of(request: Request) -> RunEventPolls:
    """The app's event polls (row positions are kept between requests)."""
    state = request.app.state
    polls: RunEventPolls | None = getattr(state, "peak_trade_polls", None)
    if polls is None:
        polls = RunEventPolls(workspace_of(request).runs)
        state.peak_trade_polls = polls
    return polls


@router.get(
    "/health",
    tags=["health"],
    summary="Liveness with the API contract version and the server's clock",
    response_model=pt.HealthV0,
)
async def health_v0() -> Response:
    return json_response(views.health_v0(as_of_now()))


@router.get(
    "/runs",
    summary="The runs, newest activity first (v0 shape)",
    description="As `GET /runs`, with mode, strategy_name, symbol and timeframe as strings "
    '(`""` when meta.json has none). At most `limit` runs (default 50, as Peak_Trade).',
    response_model=list[pt.RunListEntryV0],
    responses=schemas.INVALID_REQUEST,
)
async def runs_v0(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many.")] = 50,
) -> Response:
    runs = workspace_of(request).runs
    return json_response(await run_in_threadpool(views.runs_v0, runs, as_of_now(), limit))


@router.get(
    "/runs_v02",
    summary="The runs as v0.2 summaries, newest activity first",
    description="Status active, completed, inactive (events but neither) or unknown; "
    "`last_heartbeat` is the last event time; `base_dir` names the runs root setting.",
    response_model=list[pt.RunSummaryV02],
    responses=schemas.INVALID_REQUEST,
)
async def runs_v02(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many (1..200).")] = 50,
) -> Response:
    runs = workspace_of(request).runs
    found = await run_in_threadpool(views.runs_v02, runs, as_of_now(), limit, RUNS_ROOT)
    return json_response(found)


@router.get(
    "/runs/{run_id}",
    summary="One run: its meta.json and its snapshot",
    response_model=pt.RunDetailV0,
    responses=ERRORS,
)
async def run_detail(request: Request, run_id: RunId) -> Response:
    runs = workspace_of(request).runs
    found = await run_in_threadpool(views.run_detail_v0, runs, run_id, as_of_now())
    return not_found(RUN_NOT_FOUND) if found is None else json_response(found)


@router.get(
    "/runs/{run_id}/metrics",
    summary="One run's equity, PnL, drawdown and whole-run totals",
    response_model=pt.RunMetricsV0,
    responses=ERRORS,
)
async def run_metrics(request: Request, run_id: RunId) -> Response:
    runs = workspace_of(request).runs
    snapshot = await run_in_threadpool(runs.snapshot, run_id, as_of_now())
    return (
        not_found(RUN_NOT_FOUND) if snapshot is None else json_response(views.metrics_v0(snapshot))
    )


@router.get(
    "/runs/{run_id}/equity",
    summary="Equity and PnL per step, oldest first",
    description="The last `limit` steps that have a time. Drawdown comes from the file's "
    "drawdown column, else from the highest equity among the returned points.",
    response_model=list[pt.EquityPointV0],
    responses=ERRORS,
)
async def run_equity(request: Request, run_id: RunId, limit: SeriesLimit = 500) -> Response:
    steps = await run_in_threadpool(views.steps_v0, workspace_of(request).runs, run_id, limit)
    return not_found(RUN_NOT_FOUND) if steps is None else json_response(views.equity_points(steps))


@router.get(
    "/runs/{run_id}/signals",
    summary="The signal per step, oldest first",
    response_model=pt.SignalsV0,
    responses=ERRORS,
)
async def run_signals(request: Request, run_id: RunId, limit: SeriesLimit = 200) -> Response:
    steps = await run_in_threadpool(views.steps_v0, workspace_of(request).runs, run_id, limit)
    if steps is None:
        return not_found(RUN_NOT_FOUND)
    return json_response(views.series(run_id, as_of_now(), views.signal_points(steps)))


@router.get(
    "/runs/{run_id}/positions",
    summary="Position size, cash and equity per step, oldest first",
    response_model=pt.PositionsV0,
    responses=ERRORS,
)
async def run_positions(request: Request, run_id: RunId, limit: SeriesLimit = 200) -> Response:
    steps = await run_in_threadpool(views.steps_v0, workspace_of(request).runs, run_id, limit)
    if steps is None:
        return not_found(RUN_NOT_FOUND)
    return json_response(views.series(run_id, as_of_now(), views.position_points(steps)))


@router.get(
    "/runs/{run_id}/orders",
    summary="Order counters and the risk verdict per step, oldest first",
    description="Of the last `limit` steps; with `only_nonzero` (the default) only the "
    "steps with an order generated, filled, rejected or blocked.",
    response_model=pt.OrdersV0,
    responses=ERRORS,
)
async def run_orders(
    request: Request,
    run_id: RunId,
    limit: SeriesLimit = 500,
    only_nonzero: Annotated[bool, Query(description="Leave out steps without orders.")] = True,
) -> Response:
    steps = await run_in_threadpool(views.steps_v0, workspace_of(request).runs, run_id, limit)
    if steps is None:
        return not_found(RUN_NOT_FOUND)
    items = views.order_points(steps, only_nonzero)
    return json_response(views.series(run_id, as_of_now(), items))


@router.get(
    "/runs/{run_id}/detail_v02",
    summary="One run as a v0.2 detail: summary, pointers, alert count, config snapshot",
    response_model=pt.RunDetailV02,
    responses=ERRORS,
)
async def run_detail_v02(request: Request, run_id: RunId) -> Response:
    runs = workspace_of(request).runs
    found = await run_in_threadpool(views.run_detail_v02, runs, run_id, as_of_now(), RUNS_ROOT)
    return not_found(RUN_NOT_FOUND) if found is None else json_response(found)


@router.get(
    "/runs/{run_id}/events",
    summary="A run's rows from a position on: a poll, or with sse=1 a stream",
    description=(
        "Rows `since_seq` .. `since_seq + limit - 1` of the run's events file (0-based: "
        "JSONL line, CSV row, Parquet row) as items; pass `next_seq` back as `since_seq` to "
        "go on. With `sse=1` (or `Accept: text/event-stream`) the same items come as "
        "Server-Sent Events named `pt_event` (id = seq); the stream ends after them unless "
        "`follow=1`, which keeps it open for `max_seconds` and sends rows as they are "
        "appended (a `: ping` every 5 s). Streams count against the live stream caps: "
        "429 or 503 with `Retry-After` beyond them."
    ),
    response_model=pt.EventsPollV02,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **ERRORS,
        429: {"model": schemas.Detail, "description": "Too many open streams from here."},
        503: {"model": schemas.Detail, "description": "Too many open streams in all."},
    },
)
async def run_events(
    request: Request,
    run_id: RunId,
    since_seq: Annotated[int, Query(ge=0, le=2**62, description="First row (0-based).")] = 0,
    limit: Annotated[int, Query(ge=1, le=2000, description="Rows per answer.")] = 200,
    sse: Annotated[bool, Query(description="Answer as Server-Sent Events.")] = False,
    follow: Annotated[bool, Query(description="With sse: keep the stream open.")] = False,
    max_seconds: Annotated[
        int, Query(ge=1, le=600, description="With follow: how long the stream stays open.")
    ] = 30,
) -> Response:
    polls = polls_of(request)
    if wants_stream(request, sse):
        return await events_stream(request, polls, run_id, since_seq, limit, follow, max_seconds)
    found = await run_in_threadpool(polls.poll, run_id, since_seq, limit, as_of_now())
    return not_found(RUN_NOT_FOUND) if found is None else json_response(found)
