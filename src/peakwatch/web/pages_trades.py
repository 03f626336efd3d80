"""The scorecard, trades and compare pages, server-rendered: the AI's results across runs."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain.ai_scorecard import GROUPS
from peakwatch.domain.trades import STATES
from peakwatch.web import views, views_trades
from peakwatch.web.context import settings_of, workspace_of
from peakwatch.web.pages import page_context, pager
from peakwatch.web.templating import quote_id, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200)]
PageNumber = Annotated[str | None, Query()]  # checked by views.parse_paging: a 400 page
RunIds = Annotated[list[str] | None, Query(max_length=200)]

GROUP_RULE = "group_by must be component, strategy, symbol or run."
STATE_RULE = "state must be open or closed (or left empty for both)."
CURSOR_RULE = "cursor must be the one an “Older trades” link carries; start from the newest."


def _given(value: str | None) -> str | None:
    """A query value with blanks as absent (a GET form sends empty fields)."""
    return value.strip() or None if value is not None else None


def _bad_request(request: Request, sentence: str, first_page_url: str) -> Response:
    """The 400 page: one sentence saying what is allowed, never an echo of the value."""
    context = page_context(request, title="Bad request", nav="home", twins=[])
    data = {"sentence": sentence, "first_page_url": first_page_url}
    return render("bad_request.html", {**context, **data}, 400)


def _run_not_found(request: Request, run_id: str) -> Response:
    """The 404 page of a run id that names no run."""
    context = page_context(request, title="Run not found", nav="trades", twins=[])
    folder = settings_of(request).runs_dir
    return render(
        "not_found.html", {**context, "what": "Run", "wanted": run_id, "folder": folder}, 404
    )


@router.get("/scorecard")
async def scorecard_page(
    request: Request,
    group_by: Text = None,
    offset: PageNumber = None,
    limit: PageNumber = None,
) -> Response:
    """The AI scorecard across runs, one row per component, strategy, symbol or run."""
    group = _given(group_by) or "component"
    if group not in GROUPS:
        return _bad_request(request, GROUP_RULE, "/scorecard")
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return _bad_request(request, views.PAGING_RULE, f"/scorecard?group_by={group}")
    workspace = workspace_of(request)
    data = await run_in_threadpool(views_trades.scorecard_page, workspace, group, paging)
    data["groups_pager"] = pager(request, data["groups_listing"])
    twins = [("Scorecard", f"/api/ai/scorecard?group_by={group}")]
    context = page_context(request, title="AI scorecard", nav="scorecard", twins=twins)
    return render("scorecard.html", {**context, **data, "group_choices": GROUPS})


@router.get("/trades")
async def trades_page(
    request: Request,
    run_id: Text = None,
    symbol: Text = None,
    state: Text = None,
    offset: PageNumber = None,
    limit: PageNumber = None,
) -> Response:
    """Trades across runs (or of one run, or one symbol), open or closed, newest entry first."""
    run, name, wanted = _given(run_id), _given(symbol), _given(state)
    filters = {k: v for k, v in (("run_id", run), ("symbol", name), ("state", wanted)) if v}
    if wanted is not None and wanted not in STATES:
        return _bad_request(request, STATE_RULE, "/trades")
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return _bad_request(request, views.PAGING_RULE, "/trades")
    workspace = workspace_of(request)
    try:
        data = await run_in_threadpool(
            views_trades.trades_page, workspace, run, name, wanted, paging
        )
    except views_trades.BadParameter as bad:
        return _bad_request(request, bad.sentence, "/trades")
    if data is None:
        assert run is not None
        return _run_not_found(request, run)
    query = {**filters, **({"limit": str(paging.limit)} if paging.limit != views.PAGE_SIZE else {})}
    data["previous_url"] = _offset_url(query, max(paging.offset - paging.limit, 0))
    data["previous_url"] = data["previous_url"] if paging.offset > 0 else None
    following = paging.offset + paging.limit
    data["next_url"] = _offset_url(query, following) if data["has_next"] else None
    twins = [("Trades", "/api/trades" + (f"?{urlencode(filters)}" if filters else ""))]
    context = page_context(request, title="Trades", nav="trades", twins=twins)
    return render(
        "trades.html",
        {**context, **data, "filters": _shown(run, name, wanted), "states": STATES, "scope": "all"},
    )


def _shown(run_id: str | None, symbol: str | None, state: str | None) -> dict[str, str | None]:
    """The filters as the template shows them, every key present."""
    return {"run_id": run_id, "symbol": symbol, "state": state}


def _offset_url(query: dict[str, str], offset: int) -> str:
    """The trades page with these filters at `offset`."""
    params = {**query, **({"offset": str(offset)} if offset else {})}
    return "/trades" + (f"?{urlencode(params)}" if params else "")


@router.get("/runs/{run_id}/trades")
async def run_trades_page(
    request: Request, run_id: str, state: Text = None, cursor: Text = None
) -> Response:
    """One run's trades, open or closed, newest first, with PnL per symbol and per day."""
    wanted, after = _given(state), _given(cursor)
    quoted = quote_id(run_id)
    newest = f"/runs/{quoted}/trades"
    if wanted is not None and wanted not in STATES:
        return _bad_request(request, STATE_RULE, newest)
    workspace = workspace_of(request)
    try:
        data = await run_in_threadpool(
            views_trades.run_trades_page, workspace, run_id, wanted, after
        )
    except ValueError:
        return _bad_request(request, CURSOR_RULE, newest)
    if data is None:
        return _run_not_found(request, run_id)
    kept = {"state": wanted} if wanted else {}
    data["newest_url"] = newest + (f"?{urlencode(kept)}" if kept else "")
    data["paged"] = after is not None
    data["older_url"] = None
    if data["next_cursor"]:
        data["older_url"] = f"{newest}?{urlencode({**kept, 'cursor': data['next_cursor']})}"
    twins = [
        ("Trades", f"/api/runs/{quoted}/trades" + (f"?{urlencode(kept)}" if kept else "")),
        ("Scorecard", f"/api/runs/{quoted}/scorecard"),
    ]
    context = page_context(request, title=f"Trades of {run_id}", nav="trades", twins=twins)
    filters = _shown(run_id, None, wanted)
    return render(
        "trades.html",
        {**context, **data, "filters": filters, "states": STATES, "scope": "run"},
    )


@router.get("/compare")
async def compare_page(request: Request, run: RunIds = None) -> Response:
    """Several runs side by side: equity curves normalised to their start, and scorecards."""
    wanted = [value.strip() for value in run or [] if value.strip()]
    workspace = workspace_of(request)
    data = await run_in_threadpool(views_trades.compare_page, workspace, wanted)
    twins = [
        (f"Scorecard of {entry['run_id']}", f"/api/runs/{quote_id(entry['run_id'])}/scorecard")
        for entry in data["runs"]
    ]
    context = page_context(request, title="Compare runs", nav="runs", twins=twins)
    return render("compare.html", {**context, **data})
