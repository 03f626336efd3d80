"""The decisions API: a run's decisions and their traces, scorecards and trades, as JSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain.decision_index import decode_cursor
from peakwatch.domain.trades import trade_cursor
from peakwatch.web import schemas
from peakwatch.web import schemas_decisions as shapes
from peakwatch.web.api_v1 import Id, bad_request
from peakwatch.web.context import workspace_of
from peakwatch.web.responses import json_response, not_found

router = APIRouter(prefix="/api")

Outcome = Literal["win", "loss", "flat", "open"]
TradeState = Literal["open", "closed"]
GroupBy = Literal["component", "strategy", "symbol", "run"]
Cursor = Annotated[
    str | None, Query(max_length=64, description="The next_cursor of the previous page.")
]
RUN_MISSING: dict[int | str, dict[str, Any]] = {
    **schemas.INVALID_REQUEST,
    404: {"model": schemas.Detail, "description": "No such run."},
}
DECISIONS_CURSOR_RULE = "cursor must be the next_cursor of a previous page of this run's decisions"
TRADES_CURSOR_RULE = "cursor must be the next_cursor of a previous page of this run's trades"
ACTION_RULE = "action must be a decision action as the table shows it, e.g. buy, sell or hold"


def _is_cursor(cursor: str | None, parse: Any) -> bool:
    """Whether an optional cursor is one `parse` accepts."""
    if cursor is None:
        return True
    try:
        parse(cursor)
    except ValueError:
        return False
    return True


@router.get(
    "/runs/{run_id}/decisions",
    tags=["decisions"],
    summary="A run's AI decisions, newest first, with their outcomes",
    description=(
        "Each decision with its risk outcome, orders, fills, how its trace was linked "
        "(`id`, `inferred` or `mixed`), `equity_before`, `equity_after`, `outcome_pnl` and "
        "`state` (`closed` once a later decision exists). Filter by `action` and `outcome`; "
        "page on with `cursor=<next_cursor>`. A filter that skips many decisions stops after "
        "looking at 10,000 (`scan_stopped`), and `next_cursor` goes on from there. `counts` "
        "are the whole run's; `problems` are the records the decisions could not follow."
    ),
    response_model=shapes.DecisionsPage,
    responses=RUN_MISSING,
)
async def run_decisions(
    request: Request,
    run_id: Id,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many (1..500).")] = 50,
    cursor: Cursor = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Only this action, e.g. buy.")
    ] = None,
    outcome: Annotated[
        Outcome | None, Query(description="Only decisions with this outcome.")
    ] = None,
) -> Response:
    if not _is_cursor(cursor, decode_cursor):
        return bad_request(DECISIONS_CURSOR_RULE)
    if action is not None and not action.strip():
        return bad_request(ACTION_RULE)
    found = await run_in_threadpool(
        workspace_of(request).runs.decisions,
        run_id,
        limit=limit,
        cursor=cursor,
        action=action,
        outcome=outcome,
    )
    return not_found("run not found") if found is None else json_response(found)


@router.get(
    "/runs/{run_id}/decisions/{decision_id:path}",
    tags=["decisions"],
    summary="One decision with its trace, outcome and neighbours",
    description=(
        "The decision's row plus its full rationale, its trace in order (risk checks, orders, "
        "fills, the position after it; each with `delay_ms` since the decision and `link`), "
        "and `previous_id` / `next_id` in time order. A decision without an id of its own has "
        "a stable derived one (`d-<seq>`, `row-<n>`, `ai-<offset>`)."
    ),
    response_model=shapes.DecisionDetail,
    responses={
        **schemas.INVALID_REQUEST,
        404: {"model": schemas.Detail, "description": "No such run, or no such decision."},
    },
)
async def run_decision(request: Request, run_id: Id, decision_id: Id) -> Response:
    runs = workspace_of(request).runs
    found = await run_in_threadpool(runs.decision, run_id, decision_id)
    if found is not None:
        return json_response(found)
    run = await run_in_threadpool(runs.find, run_id)
    return not_found("run not found" if run is None else "decision not found")


@router.get(
    "/runs/{run_id}/scorecard",
    tags=["decisions"],
    summary="A run's AI scorecard",
    description=(
        "Decisions by action; blocked and rejected shares; over closed decisions `hit_rate` "
        "(wins / (wins + losses), null when both are 0), average win and loss, profit factor, "
        "PnL per decision; latency and first-fill delay p50/p95; `calibration` in five "
        "confidence bins (`lo`, `hi`, `count`, `mean_confidence`, `hit_rate`) and `brier`."
    ),
    response_model=shapes.RunScorecard,
    responses=RUN_MISSING,
)
async def run_scorecard(request: Request, run_id: Id) -> Response:
    found = await run_in_threadpool(workspace_of(request).runs.scorecard, run_id)
    return not_found("run not found") if found is None else json_response(found)


@router.get(
    "/ai/scorecard",
    tags=["decisions"],
    summary="The AI scorecard across runs, grouped",
    description=(
        "One scorecard per group of every listed run's decisions, sorted by group name, and "
        "the total. `component` is the decision's component (else the run's strategy), "
        "`symbol` the decision's (else the run's); a group without a name is `(none)`."
    ),
    response_model=shapes.AiScorecard,
    responses=schemas.INVALID_REQUEST,
)
async def ai_scorecard(
    request: Request,
    group_by: Annotated[GroupBy, Query(description="How to group the decisions.")] = "component",
) -> Response:
    found = await run_in_threadpool(workspace_of(request).ai.scorecard, group_by)
    return json_response(found)


@router.get(
    "/runs/{run_id}/trades",
    tags=["decisions"],
    summary="A run's trades, newest first, with PnL per symbol and per day",
    description=(
        "A trade is a position from flat to flat or to a reversal: entry and exit time and "
        "price, qty, fees, PnL (an open trade marked at the latest price), duration, and the "
        "decisions that opened and closed it. Page on with `cursor=<next_cursor>`."
    ),
    response_model=shapes.RunTrades,
    responses=RUN_MISSING,
)
async def run_trades(
    request: Request,
    run_id: Id,
    state: Annotated[TradeState | None, Query(description="Only open or closed trades.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many (1..500).")] = 100,
    cursor: Cursor = None,
) -> Response:
    if not _is_cursor(cursor, trade_cursor):
        return bad_request(TRADES_CURSOR_RULE)
    found = await run_in_threadpool(
        workspace_of(request).runs.trades, run_id, state=state, limit=limit, cursor=cursor
    )
    return not_found("run not found") if found is None else json_response(found)


@router.get(
    "/trades",
    tags=["decisions"],
    summary="Trades across runs, newest entry first",
    description=(
        "Every listed run's trades (or one run's, with `run_id`; a run that does not exist "
        "has none), filtered by symbol and state, with closed-trade PnL per symbol and, "
        "without a symbol filter, per UTC day of the exit."
    ),
    response_model=shapes.TradesAcrossRuns,
    responses=schemas.INVALID_REQUEST,
)
async def trades(
    request: Request,
    run_id: Annotated[str | None, Query(max_length=200, description="Only this run.")] = None,
    symbol: Annotated[str | None, Query(max_length=64, description="e.g. BTC/EUR.")] = None,
    state: Annotated[TradeState | None, Query(description="Only open or closed trades.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many (1..1000).")] = 100,
) -> Response:
    found = await run_in_threadpool(
        workspace_of(request).ai.trades, symbol=symbol, state=state, run_id=run_id, limit=limit
    )
    return json_response(found)
