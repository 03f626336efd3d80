"""The v0 run API in Peak_Trade's shapes: meta, metrics, the step series and the v0.2 run views.

Every function answers from `Runs` (domain/run_queries.py); text fields Peak_Trade types
as strings are `""` when the artifact has none, so a client reads the types it expects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from peakwatch.contract.values import format_utc
from peakwatch.domain.peak_trade_steps import last_steps
from peakwatch.domain.run_queries import Runs
from peakwatch.secrets import redact, redact_text
from peakwatch.sources.runs_index import RunFolder

CONTRACT_VERSION = "v0.1B"
"""The Live Web Dashboard API contract whose shapes `/api/v0/...` answers with."""
TEXT_FIELDS = ("mode", "strategy_name", "symbol", "timeframe")
METRIC_FIELDS = (
    "equity",
    "realized_pnl",
    "unrealized_pnl",
    "drawdown",
    "total_steps",
    "total_orders",
    "total_blocked_orders",
)
POINTERS = ("metrics", "equity", "signals", "positions", "orders", "events")


def health_v0(now: datetime) -> dict[str, Any]:
    """`GET /api/v0/health`: the contract version and the server's clock."""
    return {"status": "ok", "contract_version": CONTRACT_VERSION, "server_time": format_utc(now)}


def _texts(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with Peak_Trade's string fields as `""` where there is no value."""
    return {**entry, **{name: entry.get(name) or "" for name in TEXT_FIELDS}}


def runs_v0(runs: Runs, as_of: datetime, limit: int) -> list[dict[str, Any]]:
    """`GET /api/v0/runs`: the runs list, newest activity first, text fields as strings."""
    return [_texts(entry) for entry in runs.listing(as_of, limit=limit)]


def meta_v0(run: RunFolder) -> dict[str, Any]:
    """A run's meta.json in the v0 shape (secrets redacted); `""` for missing text."""
    meta = run.meta
    config = redact(dict(meta.config_snapshot)) if meta is not None else {}
    return {
        "run_id": (meta.run_id if meta is not None else None) or run.run_id,
        **{name: (getattr(meta, name) if meta is not None else None) or "" for name in TEXT_FIELDS},
        "started_at": format_utc(meta.started_at) if meta is not None else None,
        "ended_at": format_utc(meta.ended_at) if meta is not None else None,
        "config_snapshot": config,
        "notes": redact_text((meta.notes if meta is not None else None) or ""),
    }


def run_detail_v0(runs: Runs, run_id: str, as_of: datetime) -> dict[str, Any] | None:
    """`GET /api/v0/runs/{id}`: meta plus the run snapshot; None for an unknown run."""
    snapshot = runs.snapshot(run_id, as_of)
    run = runs.index.get(run_id)
    if snapshot is None or run is None:
        return None
    body = _texts({key: value for key, value in snapshot.items() if key != "meta"})
    return {"meta": meta_v0(run), "snapshot": body}


def metrics_v0(snapshot: dict[str, Any]) -> dict[str, Any]:
    """`GET /api/v0/runs/{id}/metrics`: the totals subset of the snapshot."""
    return {name: snapshot.get(name) for name in METRIC_FIELDS}


def steps_v0(runs: Runs, run_id: str, limit: int) -> list[dict[str, Any]] | None:
    """The run's last `limit` steps in Peak_Trade's columns, oldest first; None: no run."""
    run = runs.find(run_id)
    if run is None:
        return None
    if run.events is None:
        return []
    return last_steps(run.events, limit)


def equity_points(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/equity`: one point per step with a time; drawdown from the file, else from the peak
    equity of the points returned (a fraction <= 0)."""
    points = []
    peak: float | None = None
    for step in steps:
        equity = step["equity"]
        drawdown = step["drawdown"]
        if equity is not None:
            peak = equity if peak is None or equity > peak else peak
            if drawdown is None and peak > 0:
                drawdown = (equity - peak) / peak
        if step["ts"] is None:
            continue
        points.append(
            {
                "ts": step["ts"],
                "equity": equity,
                "realized_pnl": step["realized_pnl"],
                "unrealized_pnl": step["unrealized_pnl"],
                "drawdown": drawdown,
            }
        )
    return points


def signal_points(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/signals`: step, signal and whether it changed, per step with a time."""
    names = ("ts", "step", "signal", "signal_changed")
    return [{name: step[name] for name in names} for step in steps if step["ts"] is not None]


def position_points(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`/positions`: position size, cash and equity, per step with a time."""
    names = ("ts", "step", "position_size", "cash", "equity")
    return [{name: step[name] for name in names} for step in steps if step["ts"] is not None]


ORDER_COUNTERS = ("orders_generated", "orders_filled", "orders_rejected", "orders_blocked")


def order_points(steps: list[dict[str, Any]], only_nonzero: bool) -> list[dict[str, Any]]:
    """`/orders`: order counters and the risk verdict per step; `only_nonzero` drops quiet
    steps (every counter zero or missing)."""
    names = ("ts", "step", *ORDER_COUNTERS, "risk_allowed", "risk_reasons")
    points = []
    for step in steps:
        if step["ts"] is None:
            continue
        if only_nonzero and not any(step[name] for name in ORDER_COUNTERS):
            continue
        points.append({name: step[name] for name in names})
    return points


def series(run_id: str, now: datetime, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The envelope of `/signals`, `/positions` and `/orders`."""
    return {"run_id": run_id, "asof": format_utc(now), "count": len(items), "items": items}


def status_v02(summary: dict[str, Any]) -> str:
    """Peak_Trade's v0.2 run status: active, completed, inactive (has events) or unknown."""
    if summary["status"] in ("active", "completed"):
        return str(summary["status"])
    return "inactive" if summary["last_event_time"] else "unknown"


def _tags(run: RunFolder | None) -> list[str]:
    if run is None or run.meta is None:
        return []
    tags = run.meta.config_snapshot.get("tags")
    return [str(tag) for tag in tags if tag is not None] if isinstance(tags, list) else []


def summary_v02(summary: dict[str, Any], run: RunFolder | None, root_name: str) -> dict[str, Any]:
    """One v0.2 run summary from a `GET /runs` entry and its folder."""
    return {
        "run_id": summary["run_id"],
        "status": status_v02(summary),
        "started_at": summary["started_at"],
        "last_heartbeat": summary["last_event_time"],
        "strategy_id": summary["strategy_name"],
        "tags": _tags(run),
        "base_dir": root_name,
    }


def runs_v02(runs: Runs, as_of: datetime, limit: int, root_name: str) -> list[dict[str, Any]]:
    """`GET /api/v0/runs_v02`: v0.2 summaries, newest activity first."""
    found = []
    for entry in runs.listing(as_of, limit=limit):
        found.append(summary_v02(entry, runs.index.get(entry["run_id"]), root_name))
    return found


def run_detail_v02(
    runs: Runs, run_id: str, as_of: datetime, root_name: str
) -> dict[str, Any] | None:
    """`GET /api/v0/runs/{id}/detail_v02`: summary, pointers, alert count, config snapshot."""
    snapshot = runs.snapshot(run_id, as_of)
    run = runs.index.get(run_id)
    if snapshot is None or run is None:
        return None
    quoted = quote(run_id, safe="")
    pointers = {name: f"/api/v0/runs/{quoted}/{name}" for name in POINTERS}
    pointers["alerts"] = f"/runs/{quoted}/alerts"
    alerts = runs.alerts(run_id, 50) or []
    alerts_summary: dict[str, Any] = {"count": len(alerts)}
    if alerts:
        alerts_summary["last_severity"] = alerts[0]["severity"]
    return {
        "summary": summary_v02(snapshot, run, root_name),
        "pointers": dict(sorted(pointers.items())),
        "alerts_summary": alerts_summary,
        "config_snapshot": meta_v0(run)["config_snapshot"],
    }
