"""Server-rendered HTML pages; each one works without JavaScript and has a JSON twin."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import RedirectResponse, Response

from peakwatch.domain.activity import ActivityFilter, decode_cursor
from peakwatch.web import views, views_decisions
from peakwatch.web.context import as_of_now, settings_of, workspace_of
from peakwatch.web.stream import remember_stream_cursor, stream_cursor
from peakwatch.web.templating import quote_id, render

# Every page notes the stream's position before reading data: its live updates then start
# from there, so nothing that happens while the page loads is missed.
router = APIRouter(include_in_schema=False, dependencies=[Depends(remember_stream_cursor)])


class RunPagePath(Convertor[str]):
    """A run page's id: any text (a bad one is a 404 page) but `<run>/decisions/<id>`, which
    is a decision page (pages_decisions)."""

    regex = r"(?![^/]*/decisions/).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("run_page", RunPagePath())

Text = Annotated[str | None, Query(max_length=200)]
PageNumber = Annotated[str | None, Query()]  # checked by views.parse_paging: a 400 page, not JSON
Filter = Annotated[str | None, Query()]  # checked by views_decisions.parse_filter: a 400 page

NAV = (
    ("home", "/", "Home"),
    ("sessions", "/sessions", "Sessions"),
    ("runs", "/dashboard", "Runs"),
    ("activity", "/activity", "Activity"),
    ("alerts", "/alerts", "Alerts"),
    ("health", "/status/health", "Health"),
    ("docs", "/docs", "API"),
)

FLEET_NAV = ("fleet", "/roots/", "Fleet")  # first in a fleet's root pages: back to all roots


def page_context(
    request: Request,
    *,
    title: str,
    nav: str,
    twins: list[tuple[str, str]],
    stream: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What every page template needs: settings, clock, nav, JSON twins, the live stream."""
    settings = settings_of(request)
    as_of = as_of_now()
    tz_local = request.query_params.get("tz") == "local"
    params = {k: v for k, v in request.query_params.items() if k != "tz"}
    if not tz_local:
        params["tz"] = "local"
    stream_url = None
    if stream is not None:
        query = dict(stream)
        last_id = stream_cursor(request)
        if last_id:
            query["last_event_id"] = last_id
        stream_url = "/api/stream" + (f"?{urlencode(query)}" if query else "")
    return {
        "title": title,
        "nav": (FLEET_NAV, *NAV) if getattr(request.app.state, "in_fleet", False) else NAV,
        "active": nav,
        "twins": twins,
        "as_of": as_of,
        "settings": settings,
        "refresh_seconds": settings.auto_refresh_seconds,
        "tz_local": tz_local,
        "tz_toggle_url": _raw_path(request) + (f"?{urlencode(params)}" if params else ""),
        **feed_view(request),
        "stream_url": stream_url,
        # Two stat calls (the config is re-read only when it changed): cheap enough here.
        "safety": workspace_of(request).safety(as_of),
    }


def feed_view(request: Request) -> dict[str, Any]:
    """Whether feeds show every item (`view=all`) or fold routine ones, and the toggle link."""
    show_all = request.query_params.get("view") == "all"
    params = {k: v for k, v in request.query_params.items() if k != "view"}
    if not show_all:
        params["view"] = "all"
    url = _raw_path(request) + (f"?{urlencode(params)}" if params else "")
    return {"feed_all": show_all, "feed_view_url": url}


def _raw_path(request: Request) -> str:
    """The path as the browser sent it (ids stay percent-encoded)."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(request.url.path)


def pager(request: Request, listing: dict[str, int]) -> dict[str, Any]:
    """A page's listing plus the links to the previous and next pages (same filters)."""
    offset, limit, total = listing["offset"], listing["limit"], listing["total"]
    previous = max(offset - limit, 0) if offset > 0 else None
    following = offset + limit if offset + limit < total else None
    return {
        **listing,
        "previous_url": _page_url(request, previous, limit) if previous is not None else None,
        "next_url": _page_url(request, following, limit) if following is not None else None,
    }


def _page_url(request: Request, offset: int, limit: int) -> str:
    """This page's URL with another offset; other parameters are kept."""
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}
    if offset:
        params["offset"] = str(offset)
    if limit != views.PAGE_SIZE:
        params["limit"] = str(limit)
    return _raw_path(request) + (f"?{urlencode(params)}" if params else "")


def bad_paging(request: Request) -> Response:
    """400: the page's offset or limit is not allowed (one sentence, no echo of the value)."""
    return bad_request(request, views.PAGING_RULE)


def bad_request(request: Request, sentence: str) -> Response:
    """400 with one sentence saying what is allowed (never an echo of the value)."""
    context = page_context(request, title="Bad request", nav="home", twins=[])
    data = {"sentence": sentence, "first_page_url": _raw_path(request)}
    return render("bad_request.html", {**context, **data}, 400)


SESSION_MODES = ("shadow", "testnet", "paper", "live")
SESSION_STATUSES = ("started", "stale", "completed", "failed", "aborted")


@router.get("/")
async def home(
    request: Request, run: Text = None, mode: Text = None, status: Text = None
) -> Response:
    """The operator home (its sessions filtered by `mode` and `status`, as Peak_Trade's home
    is), or the runs dashboard when the server runs runs-first."""
    if settings_of(request).home == "runs":
        return await runs_dashboard(request, run)
    mode = mode if mode in SESSION_MODES else None
    status = status if status in SESSION_STATUSES else None
    workspace = workspace_of(request)
    data = await run_in_threadpool(views.home, workspace, as_of_now(), mode, status)
    data["session_filter"] = {"mode": mode, "status": status}
    data["session_modes"], data["session_statuses"] = SESSION_MODES, SESSION_STATUSES
    session_query = {"limit": "50", **{k: v for k, v in (("mode", mode), ("status", status)) if v}}
    twins = [
        ("Status snapshot (JSON)", "/api/live/status/snapshot.json"),
        ("Status snapshot (HTML)", "/api/live/status/snapshot.html"),
        ("Sessions", f"/api/live_sessions?{urlencode(session_query)}"),
        ("Runs", f"/runs?limit={views.HOME_ROWS}"),
    ]
    context = page_context(request, title="Operator home", nav="home", twins=twins, stream={})
    return render("home.html", {**context, **data})


@router.get("/dashboard")
async def runs_dashboard(
    request: Request, run: Text = None, offset: PageNumber = None, limit: PageNumber = None
) -> Response:
    """The runs dashboard (runbook Option B): a page of the runs and the selected run."""
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return bad_paging(request)
    workspace = workspace_of(request)
    data = await run_in_threadpool(views.dashboard, workspace, run, as_of_now(), paging)
    twins = [("Runs", "/runs")]
    if data["detail"] is not None:
        twins.append(("Selected run snapshot", f"/runs/{quote_id(data['selected'])}/snapshot"))
    context = page_context(request, title="Runs", nav="runs", twins=twins, stream={})
    data["runs_pager"] = pager(request, data["runs_listing"])
    return render("dashboard.html", {**context, **data})


@router.get("/dashboard/runs/{run_id:run_page}")
async def run_page(
    request: Request,
    run_id: str,
    action: Filter = None,
    outcome: Filter = None,
    cursor: Filter = None,
) -> Response:
    """One run: meta, tiles, chart, AI scorecard, decisions (filtered by `action` and
    `outcome`, paged by `cursor`), the live tail of events and its alerts."""
    try:
        wanted = views_decisions.parse_filter(action, outcome, cursor)
    except views_decisions.BadFilter:
        return bad_request(request, views_decisions.FILTER_RULE)
    workspace = workspace_of(request)
    try:
        data = await run_in_threadpool(
            views_decisions.run_page, workspace, run_id, as_of_now(), wanted
        )
    except views_decisions.BadFilter:  # a cursor of the right shape that is not one of ours
        return bad_request(request, views_decisions.FILTER_RULE)
    if data is None:
        return _not_found(request, "Run", run_id)
    quoted = quote_id(run_id)
    twins = [
        ("Snapshot", f"/runs/{quoted}/snapshot"),
        ("Tail", f"/runs/{quoted}/tail?limit=200"),
        ("Alerts", f"/runs/{quoted}/alerts?limit=50"),
        ("Events", f"/api/runs/{quoted}/events"),
        ("Decisions", views_decisions.decisions_api_url(run_id, wanted)),
        ("Scorecard", f"/api/runs/{quoted}/scorecard"),
    ]
    context = page_context(
        request, title=f"Run {run_id}", nav="runs", twins=twins, stream={"run_id": run_id}
    )
    return render("run.html", {**context, **data, "run_id": run_id})


@router.get("/sessions")
async def sessions_list_page(
    request: Request, offset: PageNumber = None, limit: PageNumber = None
) -> Response:
    """The session registry, most recent first, a page at a time."""
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return bad_paging(request)
    workspace = workspace_of(request)
    data = await run_in_threadpool(views.sessions_page, workspace, as_of_now(), paging)
    twins = [("Sessions", "/api/live_sessions?limit=100"), ("Counts", "/api/live_sessions/stats")]
    context = page_context(request, title="Sessions", nav="sessions", twins=twins)
    data["sessions_pager"] = pager(request, data["sessions_listing"])
    return render("sessions.html", {**context, **data})


@router.get("/sessions/")
async def sessions_list_slash(request: Request) -> Response:
    """`/sessions/` is the sessions list too (a redirect keeping the query), not session ""."""
    query = request.url.query
    return RedirectResponse("/sessions" + (f"?{query}" if query else ""), 308)


@router.get("/sessions/{session_id:path}")
async def session_page(request: Request, session_id: str) -> Response:
    """One session of the registry with its record and activity."""
    workspace = workspace_of(request)
    data = await run_in_threadpool(views.session_page, workspace, session_id, as_of_now())
    if data is None:
        return _not_found(request, "Session", session_id)
    quoted = quote_id(session_id)
    twins = [
        ("Session", f"/api/live_sessions/{quoted}"),
        ("Activity", f"/api/activity?session_id={quoted}&limit={views.SESSION_FEED_ROWS}"),
    ]
    context = page_context(
        request,
        title=f"Session {session_id}",
        nav="sessions",
        twins=twins,
        stream={"session_id": session_id},
    )
    return render("session.html", {**context, **data})


@router.get("/activity")
async def activity_page(
    request: Request,
    run: Text = None,
    session: Text = None,
    kind: Text = None,
    level: Text = None,
    q: Text = None,
    before: Annotated[str | None, Query(max_length=400)] = None,
    limit: PageNumber = None,
) -> Response:
    """The merged activity feed with filters and paging to older items."""
    paging = views.parse_paging(None, limit or str(views.ACTIVITY_PAGE_SIZE))
    if paging is None:
        return bad_paging(request)
    level = level if level in views.LEVELS else None
    given = {"run": run, "session": session, "kind": kind, "level": level, "q": q}
    filters = {key: value.strip() for key, value in given.items() if value and value.strip()}
    wanted = ActivityFilter(
        run_id=filters.get("run"),
        session_id=filters.get("session"),
        kinds=frozenset({filters["kind"]}) if "kind" in filters else frozenset(),
        levels=frozenset({filters["level"]}) if "level" in filters else frozenset(),
        text=filters.get("q"),
    )
    cursor = decode_cursor(before) if before else None
    workspace = workspace_of(request)
    view_all = request.query_params.get("view") == "all"
    data = await run_in_threadpool(
        partial(views.activity_page, notable_only=not view_all),
        workspace,
        wanted,
        cursor,
        paging.limit,
    )
    custom_limit = str(paging.limit) if paging.limit != views.ACTIVITY_PAGE_SIZE else None
    api_params = {
        "run_id": filters.get("run"),
        "session_id": filters.get("session"),
        "kind": filters.get("kind"),
        "level": filters.get("level"),
        "q": filters.get("q"),
        "before": before if cursor else None,
        "limit": custom_limit,
    }
    api_query = urlencode({k: v for k, v in api_params.items() if v})
    twins = [("Activity", "/api/activity" + (f"?{api_query}" if api_query else ""))]
    older = None
    kept = {**filters, **({"limit": custom_limit} if custom_limit else {})}
    if view_all:
        kept["view"] = "all"
    if data["next_cursor"]:
        older = "/activity?" + urlencode({**kept, "before": data["next_cursor"]})
    newest = "/activity" + (f"?{urlencode(kept)}" if kept else "")
    stream = None
    if cursor is None:  # only the newest page grows live
        stream = {k: v for k, v in (("run_id", run), ("session_id", session)) if v}
    context = page_context(request, title="Activity", nav="activity", twins=twins, stream=stream)
    return render(
        "activity.html",
        {
            **context,
            **data,
            "filters": {key: filters.get(key) for key in ("run", "session", "kind", "level", "q")},
            "older_url": older,
            "newest_url": newest,
            "page_size": paging.limit,
            "paged": cursor is not None,
            "bad_cursor": bool(before) and cursor is None,
            "kinds": views.KNOWN_KINDS,
            "levels": views.LEVELS,
        },
    )


@router.get("/status/health")
async def health_page(
    request: Request, offset: PageNumber = None, limit: PageNumber = None
) -> Response:
    """Resolved data roots, whether they exist, and the unreadable artifacts, paged."""
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return bad_paging(request)
    data = await run_in_threadpool(views.health_page, workspace_of(request), paging)
    data["problems_pager"] = pager(request, data["problems_listing"])
    twins = [("Health details", "/api/health/details"), ("Liveness", "/health")]
    context = page_context(request, title="Health", nav="health", twins=twins, stream={})
    return render("health.html", {**context, **data})


@router.get("/docs")
async def docs_page(request: Request) -> Response:
    """Every operation of the OpenAPI document, grouped by tag; no Swagger JavaScript."""
    groups = views.api_operations(request.app.openapi())
    twins = [("OpenAPI document", "/openapi.json")]
    context = page_context(request, title="API", nav="docs", twins=twins)
    return render("docs.html", {**context, "groups": groups})


def _not_found(request: Request, what: str, wanted: str) -> Response:
    settings = settings_of(request)
    folder = settings.runs_dir if what == "Run" else settings.sessions_dir
    nav = "runs" if what == "Run" else "sessions"
    context = page_context(request, title=f"{what} not found", nav=nav, twins=[])
    return render(
        "not_found.html", {**context, "what": what, "wanted": wanted, "folder": folder}, 404
    )
