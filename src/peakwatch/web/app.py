"""The FastAPI application factory: one app serves both runbook options."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from peakwatch import __version__
from peakwatch.domain.live import LiveFeed
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.domain.workspace import Workspace
from peakwatch.secrets import install_log_redaction
from peakwatch.settings import Settings
from peakwatch.web import (
    api_alerts,
    api_decisions,
    api_execution_watch,
    api_snapshot,
    api_v0,
    api_v0_runs,
    api_v1,
    metrics,
    pages,
    pages_alerts,
    pages_decisions,
    pages_reports,
    pages_trades,
    pages_watch,
    stream,
)
from peakwatch.web.guards import HostGuard, ReadOnlyGuard, SecurityHeaders
from peakwatch.web.interpreter import settle_after_start
from peakwatch.web.rendered import RenderedCache
from peakwatch.web.responses import json_response
from peakwatch.web.stream import Broadcaster

logger = logging.getLogger("peakwatch")
start_log = logging.getLogger("uvicorn.error")  # shown by uvicorn's default log config
# Browsers run a module script only if it is served as JavaScript, and the platform's MIME
# table may map .js to something else (text/plain on some systems): pin the standard type.
mimetypes.add_type("text/javascript", ".js")

TAGS = [
    {"name": "health", "description": "Is the server up, and can it read its data roots?"},
    {"name": "runs", "description": "Runs under the runs root (Live Web Dashboard v0 shapes)."},
    {"name": "sessions", "description": "The live sessions registry (Operator WebUI shapes)."},
    {"name": "activity", "description": "The AI activity feed: decisions, orders, fills, risk."},
    {"name": "alerts", "description": "Alerts from the store, from runs, and derived ones."},
    {"name": "snapshot", "description": "Deterministic status snapshots to archive."},
    {"name": "safety", "description": "The safety proof: is live trading locked?"},
    {"name": "stream", "description": "Server-Sent Events that keep the pages live."},
]


def create_app(
    settings: Settings,
    *,
    workspace: Workspace | None = None,
    mirror: MirrorFollower | None = None,
) -> FastAPI:
    """Build the watch-only app over the data roots in `settings`; with `mirror`, they are
    its local copy of a remote root, followed while the app runs."""
    install_log_redaction()  # log lines may quote artifact text: never a secret in them

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if mirror is not None:
            start_log.info("peakwatch root %s: %s", mirror.spec.name, mirror.root.location)
            mirror.start()
        else:
            for name, path in settings.roots().items():
                start_log.info("peakwatch data root %s: %s", name, path)
        workspace: Workspace = app.state.workspace
        broadcaster = Broadcaster(LiveFeed(workspace), settings)
        app.state.broadcaster = broadcaster
        await broadcaster.start()
        watcher = workspace.notified.watcher  # one thread per app, not one per Workspace
        watcher.start()
        settle_after_start()  # the first indexes are built: keep them out of collections
        try:
            yield
        finally:
            await asyncio.to_thread(watcher.stop)
            await broadcaster.stop()
            if mirror is not None:
                await asyncio.to_thread(mirror.stop)

    app = FastAPI(
        title="peakwatch",
        version=__version__,
        description=(
            "A watch-only operator dashboard. Every operation reads; nothing here can start, "
            "stop or steer a trading runner."
        ),
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # No OpenTelemetry: nothing is exported, and the per-request check costs ~30 us.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.mirror = mirror
    app.state.workspace = workspace or Workspace(settings, background_refresh=True, mirror=mirror)
    app.state.rendered = RenderedCache()
    app.include_router(pages_trades.router)  # first: v0's /runs/ catch-all would hide its route
    app.include_router(pages_reports.router)  # before v0 for the same reason
    app.include_router(api_v0.router)
    app.include_router(api_v0_runs.router)
    app.include_router(api_execution_watch.router)
    app.include_router(api_v1.router)
    app.include_router(api_alerts.router)
    app.include_router(api_decisions.router)
    app.include_router(api_snapshot.router)
    app.include_router(metrics.router)
    app.include_router(stream.router)
    app.include_router(pages.router)
    app.include_router(pages_alerts.router)
    app.include_router(pages_watch.router)
    app.include_router(pages_decisions.router)
    app.state.metrics_registry, requests_counter = metrics.make_registry(app.state.workspace)
    app.add_middleware(metrics.RequestMetrics, counter=requests_counter)
    guard(app, settings)
    return app


def guard(app: FastAPI, settings: Settings) -> None:
    """The static files, the error answers and the guards every peakwatch app has."""
    app.mount("/static", StaticFiles(packages=[("peakwatch.web", "static")]), name="static")
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HostGuard, allowed=(settings.host, *settings.allowed_hosts))
    app.add_middleware(ReadOnlyGuard)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in exc.errors()
    ]
    return json_response({"detail": problems}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404:
        detail = "not found"
    return json_response({"detail": detail}, status_code=exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s", request.url.path)
    return json_response({"detail": "internal error; see the server log"}, status_code=500)
