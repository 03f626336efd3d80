"""A fleet of named roots in one server: each root's own pages under `/roots/NAME/`, and
the fleet view (`/`, `/api/roots`) over all of them.

A root's app is the one-root app unchanged; `RootBase` serves it under its base path by
rebasing the absolute links of its HTML and its redirects.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from prometheus_client import generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakwatch import __version__
from peakwatch.domain.activity import ActivityFilter
from peakwatch.domain.fleet import (
    FleetRoot,
    fleet_alerts,
    fleet_runs,
    fleet_sessions,
    fleet_snapshot,
    root_row,
)
from peakwatch.domain.fleet_activity import fleet_activity, root_of
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.settings import RootSpec, Settings, SettingsError
from peakwatch.sources.storage import LocationError
from peakwatch.web.api_alerts import AlertSource, alert_query
from peakwatch.web.api_snapshot import NO_STORE
from peakwatch.web.api_v1 import ActivitySourceName, Level, activity_body, activity_query
from peakwatch.web.app import create_app, guard
from peakwatch.web.context import AsOf, as_of_now, invalid_as_of, resolve_as_of
from peakwatch.web.metrics import CONTENT_TYPE, fleet_registry
from peakwatch.web.responses import json_bytes, json_response
from peakwatch.web.templating import quote_id, render

ROOTS_PATH = "/roots"
# An absolute link of a root's page, unless it already leads into /roots/ or to the
# shared static files (or is protocol-relative, `//host`).
_LINK = re.compile(rb'(\s(?:href|action|data-stream|data-base)=")/(?!roots/|static/|/)')

PAGE_ROWS = 20  # runs and sessions the fleet page lists, newest first
NOTABLE = ActivityFilter(importance="notable")  # the fleet page's feed: what matters
RunStatus = Literal["active", "stale", "completed", "unknown"]
SessionStatus = Literal["started", "stale", "completed", "failed", "aborted"]
RootName = Annotated[str | None, Query(max_length=32, description="Only this root's rows.")]
_LOCATION = re.compile(r"/(?!roots/|static/|/)")  # a redirect to a page of the same root


def create_served_app(settings: Settings) -> FastAPI:
    """The one-root app for one root (today's URLs), the fleet app for several."""
    fleet = settings.fleet()
    if len(fleet) > 1:
        return create_fleet_app(settings)
    if fleet[0].remote:
        return create_root_app(settings, fleet[0])
    return create_app(settings)


def create_root_app(settings: Settings, spec: RootSpec) -> FastAPI:
    """One root's app: a local root read in place, a remote one from its mirror."""
    if not spec.remote:
        return create_app(settings.for_root(spec))
    try:
        mirror = MirrorFollower(spec)
    except LocationError as error:  # its message names no secret, only what to change
        raise SettingsError(f"root {spec.name}: {error}") from None
    return create_app(settings.with_overrides(**mirror.paths, root_specs=(spec,)), mirror=mirror)


def create_fleet_app(settings: Settings) -> FastAPI:
    """The fleet view at `/`, and each root's full app under `/roots/NAME/`."""
    root_apps = {spec.name: create_root_app(settings, spec) for spec in settings.fleet()}
    for root_app in root_apps.values():
        root_app.state.in_fleet = True  # its pages link back to the fleet view
    roots = [
        FleetRoot(spec, root_apps[spec.name].state.workspace, root_apps[spec.name].state.mirror)
        for spec in settings.fleet()
    ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for root_app in root_apps.values():
                await stack.enter_async_context(root_app.router.lifespan_context(root_app))
            yield

    app = FastAPI(
        title="peakwatch fleet",
        version=__version__,
        description="A watch-only fleet view: one row per named root; each root's own "
        "pages and API live under /roots/NAME/.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.fleet = roots
    names = [root.name for root in roots]

    @app.get("/", include_in_schema=False)
    @app.get(f"{ROOTS_PATH}/", include_in_schema=False)
    async def fleet_page(request: Request, root: RootName = None) -> Response:
        chosen = root if root in names else None  # an unknown root shows every root
        as_of = as_of_now()
        rows = await run_in_threadpool(_rows, roots, as_of)
        runs = await run_in_threadpool(fleet_runs, roots, as_of, limit=PAGE_ROWS, root=chosen)
        sessions = await run_in_threadpool(
            fleet_sessions, roots, as_of, limit=PAGE_ROWS, root=chosen
        )
        context = _page(request, settings, rows, as_of)
        context["runs"] = [_linked(row, "dashboard/runs", row["run_id"]) for row in runs]
        context["sessions"] = [_linked(row, "sessions", row["session_id"]) for row in sessions]
        context["chosen_root"] = chosen
        feed = await run_in_threadpool(
            fleet_activity, roots, NOTABLE, limit=PAGE_ROWS, before=None, root=chosen
        )
        context["feed"] = [_feed_row(item.as_dict(with_payload=False)) for item in feed.items]
        return render("fleet.html", context)

    @app.get(ROOTS_PATH, include_in_schema=False)
    async def roots_slash() -> Response:
        return RedirectResponse(f"{ROOTS_PATH}/", 308)

    @app.get("/api/roots", tags=["fleet"], summary="One row per named root (the fleet view)")
    async def api_roots() -> Response:
        as_of = as_of_now()
        rows = await run_in_threadpool(_rows, roots, as_of)
        return json_response({"as_of": _iso(as_of), "roots": rows})

    @app.get("/runs", tags=["fleet"], summary="The runs of every root, newest activity first")
    async def runs(
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        mode: Annotated[str | None, Query(max_length=32)] = None,
        status: Annotated[RunStatus | None, Query()] = None,
        root: RootName = None,
    ) -> Response:
        if root is not None and root not in names:
            return _unknown_root(names)
        found = await run_in_threadpool(
            fleet_runs, roots, as_of_now(), limit=limit, mode=mode, status=status, root=root
        )
        return json_response([_linked(row, "dashboard/runs", row["run_id"]) for row in found])

    @app.get("/api/live_sessions", tags=["fleet"], summary="The sessions of every root")
    async def live_sessions(
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        mode: Annotated[str | None, Query(max_length=32)] = None,
        status: Annotated[SessionStatus | None, Query()] = None,
        root: RootName = None,
    ) -> Response:
        if root is not None and root not in names:
            return _unknown_root(names)
        found = await run_in_threadpool(
            fleet_sessions, roots, as_of_now(), limit=limit, mode=mode, status=status, root=root
        )
        return json_response([_linked(row, "sessions", row["session_id"]) for row in found])

    @app.get("/api/activity", tags=["fleet"], summary="The AI activity feed of every root")
    async def activity(
        root: RootName = None,
        run_id: Annotated[str | None, Query(max_length=200)] = None,
        session_id: Annotated[str | None, Query(max_length=200)] = None,
        kind: Annotated[list[str] | None, Query()] = None,
        level: Annotated[list[Level] | None, Query()] = None,
        source: Annotated[list[ActivitySourceName] | None, Query()] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        importance: Annotated[str | None, Query(max_length=40)] = None,
        before: Annotated[str | None, Query(max_length=400)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        payload: bool = True,
    ) -> Response:
        if root is not None and root not in names:
            return _unknown_root(names)
        asked = activity_query(run_id, session_id, kind, level, source, q, importance, before)
        if isinstance(asked, Response):
            return asked
        wanted, cursor = asked
        page = await run_in_threadpool(
            fleet_activity, roots, wanted, limit=limit, before=cursor, root=root
        )
        body = activity_body(page, payload)
        for item in body["items"]:
            item["root"] = root_of(item["id"])
        return json_response(body)

    @app.get("/api/alerts", tags=["fleet"], summary="The alerts of every root, firing first")
    async def alerts(
        root: RootName = None,
        state: Annotated[list[str] | None, Query(max_length=20)] = None,
        severity: Annotated[list[str] | None, Query(max_length=20)] = None,
        source: Annotated[list[AlertSource] | None, Query()] = None,
        run_id: Annotated[str | None, Query(max_length=200)] = None,
        session_id: Annotated[str | None, Query(max_length=200)] = None,
        since: Annotated[str | None, Query(max_length=64)] = None,
        until: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        if root is not None and root not in names:
            return _unknown_root(names)
        query = alert_query(state, severity, source, run_id, session_id, since, until)
        if isinstance(query, Response):
            return query
        body = await run_in_threadpool(
            fleet_alerts, roots, query, as_of_now(), limit=limit, root=root
        )
        return json_response(body)

    @app.get(
        "/api/live/status/snapshot.json",
        tags=["fleet"],
        summary="Every root's deterministic status snapshot, at one as_of",
    )
    async def snapshot(as_of: AsOf = None) -> Response:
        moment = resolve_as_of(as_of)
        if moment is None:
            return invalid_as_of()
        body = await run_in_threadpool(fleet_snapshot, roots, moment)
        return Response(json_bytes(body), media_type="application/json", headers=NO_STORE)

    registry = fleet_registry(
        roots, {name: root_app.state.metrics_registry for name, root_app in root_apps.items()}
    )

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics of every root")
    async def fleet_metrics() -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE)

    @app.get("/health", tags=["health"], summary="Liveness")
    async def health() -> Response:
        return json_response({"status": "ok", "roots": [root.name for root in roots]})

    for name, root_app in root_apps.items():
        app.router.routes.append(Mount(f"{ROOTS_PATH}/{name}", app=RootBase(root_app)))

    guard(app, settings)  # the shared static files before the answer for every other path

    @app.get("/{path:path}", include_in_schema=False)
    async def elsewhere(path: str) -> Response:
        detail = "not found: this server watches several roots; each root's pages and API "
        detail += "are under /roots/NAME/ (the roots: /api/roots)"
        return json_response({"detail": detail}, status_code=404)

    return app


def _linked(row: dict[str, Any], page: str, item_id: str) -> dict[str, Any]:
    """A fleet row with `href`, its page under its root."""
    return {**row, "href": f"{ROOTS_PATH}/{row['root']}/{page}/{quote_id(item_id)}"}


def _feed_row(item: dict[str, Any]) -> dict[str, Any]:
    """A feed item with its root and the page of its run (None without a run)."""
    root = root_of(item["id"])
    run = item["run_id"]
    href = f"{ROOTS_PATH}/{root}/dashboard/runs/{quote_id(run)}" if run else None
    return {**item, "root": root, "href": href}


def _unknown_root(names: list[str]) -> Response:
    detail = f"root must be one of the fleet's roots: {', '.join(names)}"
    return json_response({"detail": detail}, status_code=422)


def _rows(roots: list[FleetRoot], as_of: Any) -> list[dict[str, Any]]:
    rows = []
    for root in roots:
        row = root_row(root, as_of)
        row["href"] = f"{ROOTS_PATH}/{root.name}/"
        rows.append(row)
    return rows


def _page(
    request: Request, settings: Settings, rows: list[dict[str, Any]], as_of: Any
) -> dict[str, Any]:
    tz_local = request.query_params.get("tz") == "local"
    return {
        "title": "Fleet",
        "nav": [("fleet", "/", "Fleet")]
        + [(row["name"], row["href"], row["name"]) for row in rows],
        "active": "fleet",
        "twins": [("Roots", "/api/roots")],
        "as_of": as_of,
        "settings": settings,
        "refresh_seconds": settings.auto_refresh_seconds,
        "tz_local": tz_local,
        "tz_toggle_url": "/" if tz_local else "/?tz=local",
        "stream_url": None,
        "safety": None,
        "rows": rows,
    }


def _iso(as_of: Any) -> str:
    return str(as_of.isoformat(timespec="seconds").replace("+00:00", "Z"))


class RootBase:
    """Serves a root's app under its mount path: absolute links in its HTML pages and its
    redirects are rebased onto that path, so its pages link within the root."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        base = scope.get("root_path", "").rstrip("/").encode("latin-1")
        started: Message | None = None
        body: list[bytes] = []

        async def rebasing_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                location = headers.get("location", "")
                if _LOCATION.match(location):
                    headers["location"] = base.decode("latin-1") + location
                if headers.get("content-type", "").startswith("text/html"):
                    started = message  # held until the whole page is rebased
                    return
                await send(message)
                return
            if started is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = _LINK.sub(rb"\1" + base + rb"/", b"".join(body))
            headers = MutableHeaders(scope=started)
            headers["content-length"] = str(len(page))
            await send(started)
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rebasing_send)
