"""What Peak_Trade's watch pages show (`/watch`, `/watch/runs/{id}`, the execution watch,
`/live/alerts`), gathered from the domain for web/pages_watch.py."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import orjson

from peakwatch.domain import peak_trade_views as pt_views
from peakwatch.domain.alerts import normalize_severity
from peakwatch.domain.execution_watch import PipelineFile
from peakwatch.domain.run_event_polls import RunEventPolls
from peakwatch.domain.workspace import Workspace

WATCH_RUNS = 50
PANEL_ROWS = 50  # signals, positions, orders and events on a run's watch page
ORDER_STEPS = 200  # steps looked at for the orders panel (only those with orders are shown)
TIMELINE_EVENTS = 2000
PAYLOAD_TEXT_MAX = 300


def watch_overview(workspace: Workspace, now: datetime) -> dict[str, Any]:
    """`/watch`: health, the runs and the strategy of the first active one."""
    runs = pt_views.runs_v0(workspace.runs, now, WATCH_RUNS)
    active = next((run for run in runs if run["is_active"]), runs[0] if runs else None)
    return {
        "health": pt_views.health_v0(now),
        "runs": runs,
        "active_strategy": (active or {}).get("strategy_name") or "unknown",
    }


def watch_run(
    workspace: Workspace, polls: RunEventPolls, run_id: str, now: datetime
) -> dict[str, Any] | None:
    """`/watch/runs/{id}`: meta, signals, positions, orders and the newest rows; None: no run."""
    detail = pt_views.run_detail_v0(workspace.runs, run_id, now)
    steps = pt_views.steps_v0(workspace.runs, run_id, ORDER_STEPS)
    if detail is None or steps is None:
        return None
    first = polls.poll(run_id, 0, 1, now) or {"total_rows": 0}
    start = max(first["total_rows"] - PANEL_ROWS, 0)
    events = (polls.poll(run_id, start, PANEL_ROWS, now) or {"items": []})["items"]
    return {
        "meta": detail["meta"],
        "snapshot": detail["snapshot"],
        "signals": pt_views.signal_points(steps[-PANEL_ROWS:]),
        "positions": pt_views.position_points(steps[-PANEL_ROWS:]),
        "orders": pt_views.order_points(steps, only_nonzero=True)[-PANEL_ROWS:],
        "events": events,
        "panel_rows": PANEL_ROWS,
    }


def payload_text(payload: dict[str, Any]) -> str:
    """A payload as short JSON text for a table cell."""
    text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= PAYLOAD_TEXT_MAX else text[: PAYLOAD_TEXT_MAX - 1] + "…"


def execution_page(pipeline: PipelineFile, run_id: str | None) -> dict[str, Any]:
    """The execution watch: every run of the pipeline file and one run's timeline."""
    runs = pipeline.summaries()
    timeline: list[dict[str, Any]] = []
    selected = None
    if run_id:
        found = pipeline.run(run_id)
        if found is not None:
            selected = found[0]
            events = pipeline.events_at(found[1][:TIMELINE_EVENTS])
            timeline = [
                {**event, "payload_text": payload_text(event["payload"])}
                for event in events
                if event is not None
            ]
    return {
        "runs": runs,
        "selected": selected,
        "timeline": timeline,
        "read_errors": pipeline.read_errors,
    }


def live_alerts(
    workspace: Workspace,
    now: datetime,
    hours: int,
    severities: frozenset[str],
    categories: frozenset[str],
    session_id: str | None,
    limit: int,
) -> dict[str, Any]:
    """`/live/alerts`: alert occurrences of the last `hours` (the history, line by line; a
    derived alert by when it began), filtered, with Peak_Trade's status tiles."""
    wanted_severities = {normalize_severity(s) for s in severities}
    since = now - timedelta(hours=hours)
    wanted = {category.lower() for category in categories}
    everything = workspace.alerts.everything(now)
    matching = [
        alert
        for alert in everything
        if (not wanted_severities or alert.severity in wanted_severities)
        and (session_id is None or alert.session_id == session_id)
        and (began := alert.lifecycle.first_seen if alert.lifecycle else alert.ts) is not None
        and began >= since
        and (not wanted or (alert.category or "").lower() in wanted)
    ]
    matching.sort(key=lambda alert: alert.sort_key, reverse=True)
    counts = Counter(alert.severity for alert in matching)
    return {
        "alerts": [alert.as_dict() for alert in matching[:limit]],
        "tiles": {
            "total": len(matching),
            "critical": counts.get("critical", 0),
            "warning": counts.get("warning", 0),
            "sessions": len({alert.session_id for alert in matching if alert.session_id}),
        },
        "categories": sorted({alert.category for alert in everything if alert.category}),
    }
