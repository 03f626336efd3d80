"""The deterministic status snapshot: panels of what the operator watches, at `as_of`.

Identical artifacts and `as_of` give identical bytes: keys sorted, numbers rounded to a
fixed precision, UTC times with `Z`, no wall clock, no absolute paths, and a content
hash over the canonical body. A panel whose source fails becomes an error panel; the
others still render.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from peakwatch import __version__
from peakwatch.contract.models import CONTRACT_VERSION
from peakwatch.contract.values import format_utc
from peakwatch.domain.activity import ActivityFilter, ScanBudget
from peakwatch.domain.alert_lifecycle import (
    AlertQuery,
    TrackedAlert,
    alert_status,
    select_alerts,
)
from peakwatch.domain.alert_lifecycle import summary as alert_summary
from peakwatch.domain.runs import RUN_STATUSES
from peakwatch.domain.workspace import Workspace

SNAPSHOT_VERSION = "peakwatch.status_snapshot/1"
PANEL_TITLES = {
    "activity": "AI activity",
    "alerts": "Alerts",
    "portfolio": "Portfolio",
    "positions": "Positions",
    "risk": "Risk",
    "runs": "Runs",
    "safety": "Safety",
    "scorecards": "AI scorecards",
    "sessions": "Sessions",
    "system": "System",
}
MAX_ROWS = 20
RISK_RULES = frozenset({"drawdown", "risk_blocks_in_a_row", "risk_blocked"})
RISK_RULES |= {"large_loss_abs", "large_loss_pct"}  # Peak_Trade's historic risk rule ids
DIGITS = 8

logger = logging.getLogger("peakwatch")
Panel = dict[str, Any]


@dataclass
class SnapshotInputs:
    """What every panel reads: the workspace at `as_of`, with figures shared by several panels."""

    workspace: Workspace
    as_of: datetime

    @cached_property
    def run_statuses(self) -> dict[str, str]:
        """Every run's status at `as_of`, by run id (two panels use it)."""
        return self.workspace.runs.statuses(self.as_of)

    @cached_property
    def active_ledgers(self) -> list[tuple[str, dict[str, Any]]]:
        """Whole-run totals of the active runs with their symbol, by run id (three panels)."""
        active = sorted(run_id for run_id, s in self.run_statuses.items() if s == "active")
        found = []
        for run_id in active:
            run = self.workspace.run_index.get(run_id)
            if run is None or run.events is None:
                continue
            symbol = run.meta.symbol if run.meta else None
            found.append((run_id, {**self.workspace.runs.ledger(run), "symbol": symbol}))
        return found

    @cached_property
    def alerts(self) -> list[TrackedAlert]:
        """Every alert at `as_of`, tracked per rule and subject (three places use them)."""
        return self.workspace.alerts.tracked(self.as_of)


PanelBuilder = Callable[[SnapshotInputs], tuple[str, dict[str, Any]]]


def build_snapshot(workspace: Workspace, as_of: datetime) -> dict[str, Any]:
    """The snapshot body with its `content_sha256`."""
    workspace.refresh()
    inputs = SnapshotInputs(workspace, as_of)
    builders: dict[str, PanelBuilder] = {
        "activity": _activity,
        "alerts": _alerts,
        "portfolio": _portfolio,
        "positions": _positions,
        "risk": _risk,
        "runs": _runs,
        "safety": _safety,
        "scorecards": _scorecards,
        "sessions": _sessions,
        "system": _system,
    }
    panels = [_panel(panel_id, build, inputs) for panel_id, build in builders.items()]
    panels.sort(key=lambda panel: panel["id"])
    body: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "generated_at": format_utc(as_of),
        "panels": panels,
        "meta": {
            "as_of": format_utc(as_of),
            "contract_version": CONTRACT_VERSION,
            "peakwatch_version": __version__,
            "overall_status": _overall(panels),
            "headline": _headline(inputs),
            "panel_count": len(panels),
        },
    }
    body["content_sha256"] = hashlib.sha256(canonical_json(body)).hexdigest()
    return body


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact, floats rounded: the bytes the content hash covers."""
    return orjson.dumps(_rounded(value), option=orjson.OPT_SORT_KEYS)


def _panel(panel_id: str, build: PanelBuilder, inputs: SnapshotInputs) -> Panel:
    try:
        status, details = build(inputs)
    except Exception:  # one failing source must not take the other panels down
        logger.exception("status panel %s failed", panel_id)
        status, details = "error", {"error": "this panel's data source could not be read"}
    return {
        "id": panel_id,
        "title": PANEL_TITLES[panel_id],
        "status": status,
        "details": _rounded(details),
    }


def _headline(inputs: SnapshotInputs) -> str:
    """What the firing alerts say in one line, as the alerts page says it."""
    try:
        return str(alert_summary(inputs.alerts)["headline"])
    except Exception:  # the alerts panel says so too; the snapshot still renders
        logger.exception("status headline failed")
        return "Alerts could not be read"


def _overall(panels: list[Panel]) -> str:
    return worst_status(*(panel["status"] for panel in panels))


def _system(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    problems = inputs.workspace.health.index_problems()
    roots = {name: path.exists() for name, path in inputs.workspace.settings.roots().items()}
    data_roots = {k: v for k, v in roots.items() if k != "config_path"}
    status = "ok"
    if problems:
        status = "warn"
    if not any(data_roots.values()):
        status = "unknown"
    return status, {
        "roots_present": roots,
        "unreadable_count": len(problems),
        "unreadable": [p.as_dict() for p in problems[:MAX_ROWS]],
    }


def _safety(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    report = inputs.workspace.safety(inputs.as_of)
    status = {"LIVE LOCKED": "ok", "LIVE UNLOCKED": "error"}.get(report.verdict, "unknown")
    gating = report.gating
    return status, {
        "verdict": report.verdict,
        "allowed": report.allowed,
        "mode": gating.get("mode"),
        "effective_mode": gating.get("effective_mode"),
        "gates": gating.get("gates"),
        "confirm_token_present": gating.get("confirm_token_present"),
        "confirm_token_required": gating.get("confirm_token_required"),
        "bounded_pilot_mode": report.bounded_pilot_mode,
        "reasons": [reason.code for reason in report.reasons],
        "config_file": report.config.get("file"),
        "config_status": report.config.get("status"),
        "config_sha256": report.config.get("sha256"),
    }


def _sessions(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    stats = inputs.workspace.sessions.stats(inputs.as_of)
    recent = inputs.workspace.sessions.listing(inputs.as_of, limit=10, mode=None, status=None)
    by_status = stats["by_status"]
    status = "ok"
    if stats["stale_sessions"] or stats["unreadable_files"] or by_status.get("failed"):
        status = "warn"
    if not stats["total_sessions"] and not stats["unreadable_files"]:
        status = "unknown"
    return status, {
        "total": stats["total_sessions"],
        "by_status": by_status,
        "by_mode": stats["by_mode"],
        "unreadable_files": stats["unreadable_files"],
        "live_sessions": stats["live_sessions"],
        "recent": [
            {k: s[k] for k in ("session_id", "mode", "status", "started_at", "realized_pnl")}
            for s in recent
        ],
    }


def _runs(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    runs = inputs.workspace.run_index.runs()
    counts: dict[str, int] = dict.fromkeys(RUN_STATUSES, 0)
    counts.update(Counter(inputs.run_statuses.values()))
    recent = inputs.workspace.runs.listing(inputs.as_of, limit=10)
    status = "unknown" if not runs else "warn" if counts["stale"] or counts["unknown"] else "ok"
    return status, {
        "total": len(runs),
        "by_status": counts,
        "recent": [
            {k: r[k] for k in ("run_id", "mode", "status", "strategy_name", "last_event_time")}
            for r in recent
        ],
    }


def _scorecards(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    """The AI scorecard of each of the most recently active runs (at most MAX_ROWS)."""
    runs = inputs.workspace.runs
    recent = runs.listing(inputs.as_of, limit=MAX_ROWS)
    cards = []
    for summary in recent:
        card = runs.scorecard(summary["run_id"])
        if card is not None:
            cards.append(card)
    decisions = sum(card["decisions"] for card in cards)
    return "ok" if decisions else "unknown", {
        "runs_total": len(inputs.run_statuses),
        "runs_shown": len(cards),
        "decisions": decisions,
        "runs": cards,
    }


def _alerts(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    """Firing alerts first; the status is the one every page derives from them."""
    selected = select_alerts(inputs.alerts, AlertQuery(), MAX_ROWS)
    keys: tuple[str, ...] = ("timestamp", "severity", "source", "title", "run_id", "session_id")
    keys += ("message", "key", "state")
    keys += ("count", "first_seen", "resolved_at", "sources", "threshold")
    latest = [{k: a[k] for k in keys} for a in selected["alerts"][:10]]
    return selected["summary"]["status"], {
        "total": selected["total"],
        "counts": selected["counts"],
        "states": selected["states"],
        "firing": selected["summary"]["firing"],
        "headline": selected["summary"]["headline"],
        "latest": latest,
    }


def _activity(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    not_after_as_of = (inputs.as_of, "\U0010ffff", 2**62)  # sorts after every item at as_of
    untimed = ScanBudget(max_seconds=None)  # a byte bound only: the same files, the same panel
    items = inputs.workspace.activity.page(
        ActivityFilter(), limit=MAX_ROWS, before=not_after_as_of, budget=untimed
    ).items
    latest = [
        {
            "ts": format_utc(item.ts),
            "source": item.source,
            "kind": item.kind,
            "level": item.level,
            "importance": item.importance,
            "run_id": item.run_id,
            "summary": item.summary,
        }
        for item in items[:10]
    ]
    errors = sum(1 for item in items if item.level == "error")
    status = "unknown" if not items else "warn" if errors else "ok"
    return status, {"latest": latest, "errors_in_latest": errors}


def _positions(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    ledgers = inputs.active_ledgers
    rows = [
        {
            "run_id": run_id,
            "symbol": totals["symbol"],
            "position_size": totals["position_size"],
            "equity": totals["equity"],
            "unrealized_pnl": totals["unrealized_pnl"],
        }
        for run_id, totals in ledgers
        if totals["position_size"]
    ]
    status = "unknown" if not ledgers else "ok"
    return status, {"open_positions": len(rows), "positions": rows[:MAX_ROWS]}


def _portfolio(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    ledgers = inputs.active_ledgers  # an active run with meta.json only has no ledger yet
    active = sum(1 for status in inputs.run_statuses.values() if status == "active")
    if not active:
        return "unknown", {"active_runs": 0}

    def total(name: str) -> float:
        return sum(t[name] for _, t in ledgers if t[name] is not None)

    return "ok", {
        "active_runs": active,
        "equity": total("equity"),
        "realized_pnl": total("realized_pnl"),
        "unrealized_pnl": total("unrealized_pnl"),
    }


def _risk(inputs: SnapshotInputs) -> tuple[str, dict[str, Any]]:
    ledgers = inputs.active_ledgers
    threshold = inputs.workspace.settings.drawdown_alert_threshold
    in_a_row = inputs.workspace.settings.blocked_in_a_row_alert
    drawdowns = [t["drawdown"] for _, t in ledgers if t["drawdown"] is not None]
    worst = min(drawdowns) if drawdowns else None
    blocked_runs = sorted(run_id for run_id, t in ledgers if t["blocked_in_a_row"] >= in_a_row)
    firing = [t for t in inputs.alerts if t.firing and _is_risk(t)]
    status = "unknown" if not ledgers and not firing else "ok"
    if blocked_runs:
        status = "warn"
    if worst is not None and worst <= -threshold:
        status = "error"
    status = worst_status(status, alert_status(firing))
    return status, {
        "firing_alerts": len(firing),
        "worst_drawdown": worst,
        "drawdown_threshold": -threshold,
        "blocked_orders_total": sum(t["total_blocked_orders"] for _, t in ledgers),
        "runs_blocked_in_a_row": blocked_runs,
    }


def _is_risk(tracked: TrackedAlert) -> bool:
    """A risk alert: a risk rule, or a stored alert in the RISK category."""
    return tracked.latest.rule_id in RISK_RULES or tracked.latest.category == "RISK"


def worst_status(*statuses: str) -> str:
    """The worst of panel statuses (error, warn, unknown, ok)."""
    for status in ("error", "warn", "unknown"):
        if status in statuses:
            return status
    return "ok"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS) + 0.0
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value
