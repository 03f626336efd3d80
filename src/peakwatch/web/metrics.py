"""`GET /metrics` for Prometheus: requests, unreadable artifacts, runs by status, event age."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakwatch.domain.runs import count_by_status
from peakwatch.domain.workspace import Workspace
from peakwatch.secrets import redact_text

router = APIRouter()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@lru_cache(maxsize=1024)
def label(value: str) -> str:
    """A label value as scraped: redacted, so a label that ever carries artifact text (a run
    id, a strategy name) never carries a secret. Label values repeat, so answers are kept."""
    return redact_text(value)


class WorkspaceCollector(Collector):
    """Gauges computed from the workspace at scrape time."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def collect(self) -> Iterator[GaugeMetricFamily]:
        workspace = self.workspace
        workspace.refresh()
        now = datetime.now(UTC)
        runs = workspace.run_index.runs()
        by_status = GaugeMetricFamily(
            "peakwatch_runs", "Runs under the runs root by status.", labels=["status"]
        )
        for status, count in count_by_status(
            runs, now, workspace.settings.run_stale_seconds
        ).items():
            by_status.add_metric([label(status)], count)
        yield by_status
        errors = GaugeMetricFamily(
            "peakwatch_artifact_read_errors",
            "Unreadable artifacts or lines known right now, by kind of file.",
            labels=["kind"],
        )
        kinds = Tally(_file_kind(problem.file) for problem in workspace.health.all_problems())
        for kind in ("meta", "events", "alerts", "session", "other"):
            errors.add_metric([label(kind)], kinds.get(kind, 0))
        yield errors
        newest = max((run.last_event_time for run in runs if run.last_event_time), default=None)
        age = GaugeMetricFamily(
            "peakwatch_newest_event_age_seconds",
            "Seconds since the newest run event (NaN when there is none).",
        )
        age.add_metric([], (now - newest).total_seconds() if newest else float("nan"))
        yield age


def _file_kind(label: str) -> str:
    name = label.rsplit("/", 1)[-1]
    if name == "meta.json":
        return "meta"
    if name.startswith("events."):
        return "events"
    if name.startswith("alerts"):
        return "alerts"
    if name.endswith(".json"):
        return "session"
    return "other"


class RequestMetrics:
    """Counts requests by route template (never the raw path) and status code."""

    def __init__(self, app: ASGIApp, counter: Counter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            route = label(_route_of(scope))
            self.counter.labels(route=route, status=str(status["code"])).inc()


def _route_of(scope: Scope) -> str:
    """The matched route's path template (routing stores the route in the shared scope)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def make_registry(workspace: Workspace) -> tuple[CollectorRegistry, Counter]:
    """A registry per app (tests build many apps in one process)."""
    registry = CollectorRegistry(auto_describe=True)
    requests = Counter(
        "peakwatch_http_requests",
        "HTTP requests by route template and status code.",
        ["route", "status"],
        registry=registry,
    )
    registry.register(WorkspaceCollector(workspace))
    return registry, requests


@router.get(
    "/metrics",
    tags=["health"],
    summary="Prometheus metrics",
    description=(
        "Requests by route and status, unreadable artifacts by kind, runs by status and the "
        "age of the newest event, in the Prometheus text format."
    ),
    response_class=Response,
)
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE)
