"""`GET /metrics` for Prometheus: requests, unreadable artifacts, runs by status, event age."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import APIRouter, Request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from peakwatch.domain.fleet import FleetRoot, reach
from peakwatch.domain.runs import RUN_STATUSES
from peakwatch.domain.scrape import RunFigures, ScrapeState, scrape_state
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
    """Gauges and counters computed at scrape time (see domain/scrape.py for what is read)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def collect(self) -> Iterator[Metric]:
        workspace = self.workspace
        settings = workspace.settings
        now = datetime.now(UTC)
        state = scrape_state(
            workspace,
            now,
            max_runs=settings.metrics_max_runs,
            completed_seconds=settings.metrics_completed_seconds,
        )
        yield from _fleet_metrics(state)
        yield from _run_metrics(state.runs)
        errors = GaugeMetricFamily(
            "peakwatch_artifact_read_errors",
            "Unreadable artifacts or lines known right now, by kind of file.",
            labels=["kind"],
        )
        kinds = Tally(_file_kind(problem.file) for problem in workspace.health.all_problems())
        for kind in ("meta", "events", "alerts", "session", "other"):
            errors.add_metric([label(kind)], kinds.get(kind, 0))
        yield errors
        runs = workspace.run_index.runs()
        newest = max((run.last_event_time for run in runs if run.last_event_time), default=None)
        age = GaugeMetricFamily(
            "peakwatch_newest_event_age_seconds",
            "Seconds since the newest run event (NaN when there is none).",
        )
        age.add_metric([], (now - newest).total_seconds() if newest else float("nan"))
        yield age


RUN_LABELS = ["run_id", "strategy", "symbol", "mode"]


def _fleet_metrics(state: ScrapeState) -> Iterator[Metric]:
    """Counts over every run and session, the runs left out, and the safety lock."""
    by_status = GaugeMetricFamily(
        "peakwatch_runs", "Runs under the runs root by status.", labels=["status"]
    )
    for status, count in state.runs_by_status.items():
        by_status.add_metric([label(status)], count)
    yield by_status
    left_out = GaugeMetricFamily(
        "peakwatch_runs_not_exported",
        "Runs without series of their own (over metrics_max_runs, or completed long ago).",
    )
    left_out.add_metric([], state.runs_left_out)
    yield left_out
    sessions = GaugeMetricFamily(
        "peakwatch_sessions", "Session records in the registry by status.", labels=["status"]
    )
    for status, count in sorted(state.sessions_by_status.items()):
        sessions.add_metric([label(status)], count)
    yield sessions
    firing = GaugeMetricFamily(
        "peakwatch_alerts_firing",
        "Alerts firing now (one per rule and subject), by severity.",
        labels=["severity"],
    )
    for severity, count in state.alerts_firing.items():
        firing.add_metric([label(severity)], count)
    yield firing
    locked = GaugeMetricFamily(
        "peakwatch_live_locked",
        "1 while the safety config keeps live trading locked (LIVE LOCKED), else 0.",
    )
    locked.add_metric([], 1 if state.live_locked else 0)
    yield locked


def _run_metrics(runs: list[RunFigures]) -> Iterator[Metric]:
    """One series per exported run (labels run_id, strategy, symbol, mode) and figure."""
    status = GaugeMetricFamily(
        "peakwatch_run_status",
        "1 for the run's current status, 0 for the others.",
        labels=[*RUN_LABELS, "status"],
    )
    gauges = {
        field: GaugeMetricFamily(f"peakwatch_run_{name}", text, labels=RUN_LABELS)
        for name, (field, text) in RUN_GAUGES.items()
    }
    counted = GaugeMetricFamily(
        "peakwatch_run_counted",
        "1 once the run's events file has been read to its end (its totals are whole).",
        labels=RUN_LABELS,
    )
    steps = CounterMetricFamily(
        "peakwatch_run_steps", "Steps (bars) the run has recorded.", labels=RUN_LABELS
    )
    orders = CounterMetricFamily(
        "peakwatch_run_orders",
        "The run's orders by state: submitted, filled, blocked, rejected.",
        labels=[*RUN_LABELS, "state"],
    )
    decisions = CounterMetricFamily(
        "peakwatch_run_decisions", "The AI's decisions by action.", labels=[*RUN_LABELS, "action"]
    )
    for run in runs:
        values = [label(run.run_id), label(run.strategy), label(run.symbol), label(run.mode)]
        for run_status in RUN_STATUSES:
            status.add_metric([*values, run_status], 1 if run.status == run_status else 0)
        counted.add_metric(values, 1 if run.counted else 0)
        for field, gauge in gauges.items():
            value = getattr(run, field)
            if value is not None:
                gauge.add_metric(values, value)
        if not run.counted:
            continue
        steps.add_metric(values, run.steps)
        for state, count in run.orders.items():
            orders.add_metric([*values, state], count)
        for action, count in run.decisions.items():
            decisions.add_metric([*values, label(action)], count)
    yield status
    yield counted
    yield from gauges.values()
    yield steps
    yield orders
    yield decisions


RUN_GAUGES = {  # metric name (after peakwatch_run_): the RunFigures field, its help text
    "last_event_age_seconds": ("last_event_age_seconds", "Seconds since the run's last event."),
    "equity": ("equity", "The run's latest equity, in its quote currency."),
    "realized_pnl": ("realized_pnl", "The run's realized PnL, in its quote currency."),
    "unrealized_pnl": ("unrealized_pnl", "The run's unrealized PnL, in its quote currency."),
    "drawdown_ratio": ("drawdown", "The run's drawdown from its equity peak, a fraction <= 0."),
    "max_drawdown_ratio": ("max_drawdown", "The run's deepest drawdown so far, a fraction <= 0."),
    "hit_rate_ratio": ("hit_rate", "Wins / (wins + losses) over the run's closed decisions."),
    "brier_score": ("brier", "Brier score of the run's decision confidences (0 is best)."),
}


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
    disable_created_metrics()  # no `_created` series beside each counter: noise for alerting
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


class FleetCollector(Collector):
    """Every root's metrics with a `root` label, one family per name, and each root's
    reachability (a remote root's last poll too)."""

    def __init__(self, roots: list[FleetRoot], registries: dict[str, CollectorRegistry]) -> None:
        self.roots = roots
        self.registries = registries

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for root in self.roots:
            for family in self.registries[root.name].collect():
                merged = families.get(family.name)
                if merged is None:
                    merged = Metric(family.name, family.documentation, family.type, family.unit)
                    families[family.name] = merged
                root_label = {"root": label(root.name)}
                merged.samples.extend(
                    sample._replace(labels={**root_label, **sample.labels})
                    for sample in family.samples
                )
        yield from families.values()
        yield from _root_metrics(self.roots)


def _root_metrics(roots: list[FleetRoot]) -> Iterator[Metric]:
    reachable = GaugeMetricFamily(
        "peakwatch_root_reachable",
        "1 when the root can be read (a remote root: its last poll succeeded), 0 when not.",
        labels=["root", "remote"],
    )
    polled = GaugeMetricFamily(
        "peakwatch_root_last_poll_age_seconds",
        "Seconds since a remote root's last successful poll (NaN before the first).",
        labels=["root"],
    )
    now = datetime.now(UTC).timestamp()
    for root in roots:
        remote = "true" if root.spec.remote else "false"
        found = reach(root)
        reachable.add_metric([label(root.name), remote], 1.0 if found["reachable"] else 0.0)
        if root.mirror is not None:
            last = root.mirror.health.root.last_success
            polled.add_metric([label(root.name)], now - last if last is not None else float("nan"))
    yield reachable
    yield polled


def fleet_registry(
    roots: list[FleetRoot], registries: dict[str, CollectorRegistry]
) -> CollectorRegistry:
    """The fleet server's registry: its roots' metrics, labelled by root."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(roots, registries))
    return registry
