"""Peak_Trade's watch pages, server-rendered: `/watch`, `/watch/runs/{id}`, `/watch/execution`,
`/execution_watch` and `/live/alerts`.

Each works without JavaScript and runs no inline script; its JSON twins are the
`/api/v0/...` and execution-watch endpoints it is built from. Like those, the
execution pages take `root` and `filename` only when they name the configured root.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.web import views_watch
from peakwatch.web.api_execution_watch import chosen_file, watch_of
from peakwatch.web.api_v0_runs import polls_of
from peakwatch.web.context import as_of_now, settings_of, workspace_of
from peakwatch.web.pages import page_context
from peakwatch.web.templating import quote_id, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200)]
Number = Annotated[str | None, Query(max_length=20)]  # checked here: a 400 page, not JSON
PathText = Annotated[str | None, Query(max_length=4096)]
SEVERITY_WORDS = ("critical", "warning", "warn", "info")
ALERT_RULE = "hours must be a whole number from 1 to 168 and limit one from 1 to 500."


def bad_page(request: Request, sentence: str, back: str) -> Response:
    """400: a parameter the page does not take (one sentence, no echo of the value)."""
    context = page_context(request, title="Bad request", nav="home", twins=[])
    context["tz_toggle_url"] = back + ("" if context["tz_local"] else "?tz=local")  # no echo
    data = {"sentence": sentence, "first_page_url": back}
    return render("bad_request.html", {**context, **data}, 400)


@router.get("/watch")
async def watch(request: Request) -> Response:
    """Health and the runs, each linked to its watch page."""
    data = await run_in_threadpool(views_watch.watch_overview, workspace_of(request), as_of_now())
    twins = [("Health", "/api/v0/health"), ("Runs", "/api/v0/runs")]
    context = page_context(request, title="Watch", nav="runs", twins=twins)
    return render("watch.html", {**context, **data})


@router.get("/watch/runs/{run_id:path}")
async def watch_run(request: Request, run_id: str) -> Response:
    """One run: meta, signals, positions, orders and its newest rows."""
    workspace, polls = workspace_of(request), polls_of(request)
    data = await run_in_threadpool(views_watch.watch_run, workspace, polls, run_id, as_of_now())
    if data is None:
        context = page_context(request, title="Run not found", nav="runs", twins=[])
        wanted = {"what": "Run", "wanted": run_id, "folder": settings_of(request).runs_dir}
        return render("not_found.html", {**context, **wanted}, 404)
    quoted = quote_id(run_id)
    twins = [
        ("Run", f"/api/v0/runs/{quoted}"),
        ("Signals", f"/api/v0/runs/{quoted}/signals?limit=50"),
        ("Positions", f"/api/v0/runs/{quoted}/positions?limit=50"),
        ("Orders", f"/api/v0/runs/{quoted}/orders?limit=200&only_nonzero=true"),
        ("Events", f"/api/v0/runs/{quoted}/events"),
    ]
    context = page_context(request, title=f"Watch {run_id}", nav="runs", twins=twins)
    return render("watch_run.html", {**context, **data, "run_id": run_id})


async def _execution(
    request: Request, run_id: str | None, root: str | None, filename: str | None, v02: bool
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        sentence = "root must name the execution root and filename a .jsonl file in it."
        return bad_page(request, sentence, request.url.path)
    pipeline = watch_of(request).file(name)
    data = await run_in_threadpool(views_watch.execution_page, pipeline, run_id)
    keep = {k: v for k, v in (("root", root), ("filename", filename)) if v}
    data["run_url"] = lambda rid: request.url.path + "?" + urlencode({"run_id": rid, **keep})
    twins = [("Runs", "/api/execution/runs" + (f"?{urlencode(keep)}" if keep else ""))]
    if data["selected"] is not None:
        events = f"/api/execution/runs/{quote_id(data['selected']['run_id'])}/events"
        twins.append(("Events", events + (f"?{urlencode(keep)}" if keep else "")))
    sessions = None
    if v02:
        workspace, now = workspace_of(request), as_of_now()
        sessions = await run_in_threadpool(
            workspace.sessions.listing, now, limit=50, mode=None, status=None
        )
        twins.append(("Sessions", "/api/live/sessions"))
    context = page_context(request, title="Execution watch", nav="activity", twins=twins)
    return render(
        "execution_watch.html", {**context, **data, "sessions": sessions, "filename": name}
    )


@router.get("/watch/execution")
async def watch_execution(
    request: Request, run_id: Text = None, root: PathText = None, filename: PathText = None
) -> Response:
    """Execution-pipeline runs and one run's timeline (Peak_Trade's v0 execution watch)."""
    return await _execution(request, run_id, root, filename, v02=False)


@router.get("/execution_watch")
async def execution_watch(request: Request, run_id: Text = None) -> Response:
    """The execution watch with the registry's newest sessions (Peak_Trade's v0.2 page)."""
    return await _execution(request, run_id, None, None, v02=True)


def _whole(value: str | None, default: int, low: int, high: int) -> int | None:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        return None
    return int(value)


@router.get("/live/alerts")
async def live_alerts(
    request: Request,
    hours: Number = None,
    severity: Annotated[list[str] | None, Query(max_length=20)] = None,
    category: Annotated[list[str] | None, Query(max_length=64)] = None,
    session_id: Text = None,
    limit: Number = None,
) -> Response:
    """Alerts of the last hours with Peak_Trade's tiles: total, critical, warning, sessions."""
    window, most = _whole(hours, 24, 1, 168), _whole(limit, 100, 1, 500)
    if window is None or most is None:
        return bad_page(request, ALERT_RULE, "/live/alerts")
    severities = frozenset(s.lower() for s in severity or () if s.lower() in SEVERITY_WORDS)
    categories = frozenset(c for c in category or () if c)
    data = await run_in_threadpool(
        views_watch.live_alerts,
        workspace_of(request),
        as_of_now(),
        window,
        severities,
        categories,
        session_id or None,
        most,
    )
    filters = {"hours": window, "severities": severities, "category_filter": categories}
    twins = [("Alerts", "/api/alerts?limit=1000")]
    context = page_context(request, title="Alert history", nav="alerts", twins=twins)
    return render(
        "live_alerts.html",
        {**context, **data, **filters, "session_id": session_id, "limit": most},
    )
