"""The status snapshot and the run report as self-contained HTML files people keep.

Inline CSS, server-drawn SVG, no script but the JSON they were drawn from (a
`<script type="application/json">` block), and bytes that depend only on the artifacts and
`as_of`: the same data gives the same file, wherever it lives and whoever builds it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from markupsafe import Markup

from peakwatch import __version__
from peakwatch.contract.values import format_utc
from peakwatch.domain.run_report import run_report
from peakwatch.domain.snapshot import build_snapshot
from peakwatch.domain.workspace import Workspace
from peakwatch.web import views  # noqa: F401  (first: views_decisions imports it back)
from peakwatch.web.report_chart import report_chart
from peakwatch.web.responses import json_bytes
from peakwatch.web.templating import ENVIRONMENT, quote_id
from peakwatch.web.views_decisions import currency_of, decision_row, scorecard_panel

RUN_SECTIONS = 50  # runs drawn in full; the others are rows of one table
SESSION_ROWS = 50
SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

logger = logging.getLogger("peakwatch")


def json_block(body: Any) -> Markup:
    """JSON for a `<script type="application/json">` block: `<`, `>` and `&` as escapes, so
    no artifact text can close the block."""
    data = json_bytes(body).decode("utf-8")
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(data)


def run_section(workspace: Workspace, run_id: str, as_of: datetime) -> dict[str, Any]:
    """What a run's section shows; a run that cannot be read is a section saying so."""
    try:
        found = run_report(workspace, run_id, as_of)
    except Exception:  # the report never fails as a whole because of one run
        logger.exception("run report failed")
        found = None
    if found is None:
        return {
            "run_id": run_id,
            "snapshot": None,
            "unreadable": ["This run's files could not be read at this moment."],
        }
    snapshot = found["snapshot"]
    card = found["scorecard"]
    page = found["decisions"]
    books = found["books"]
    return {
        "run_id": run_id,
        "snapshot": snapshot,
        "currency": currency_of(snapshot.get("symbol")),
        "chart": report_chart(books.get("curve")),
        "fills": books.get("fills"),
        "trades": books.get("trades"),
        "scorecard": scorecard_panel(card) if card and card["decisions"] else None,
        "decisions": [decision_row(run_id, view) for view in page["decisions"]] if page else [],
        "decisions_total": page["counts"]["decisions"] if page else 0,
        "rejected": card["orders_rejected"] if card else None,
        "alerts": found["alerts"] or [],
        "problems": snapshot.get("problems") or [],
        "unreadable": found["unreadable"],
    }


def _panels(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The snapshot's panels by id; a panel that failed has its error sentence as details."""
    return {panel["id"]: panel for panel in snapshot["panels"]}


def alert_overview(details: dict[str, Any]) -> dict[str, Any]:
    """The overview's alerts card: the firing ones by severity when the panel tells them
    apart from the resolved ones, else every alert by severity."""
    firing = details.get("firing")
    counts = firing if isinstance(firing, dict) else details.get("counts") or {}
    return {
        "title": "Firing alerts" if isinstance(firing, dict) else "Alerts",
        "count": sum(int(counts.get(name) or 0) for name in SEVERITIES),
        "by_severity": [(name, int(counts.get(name) or 0)) for name in SEVERITIES],
        "headline": details.get("headline"),
        "total": details.get("total", 0),
    }


def safety_view(workspace: Workspace, as_of: datetime) -> dict[str, Any]:
    """The header's safety badge: the audit verdict, its reasons and the config's hash."""
    try:
        report = workspace.safety(as_of)
    except Exception:  # the badge then says UNKNOWN, never LOCKED
        logger.exception("run report: safety verdict failed")
        return {"verdict": "UNKNOWN", "status": "unknown", "reasons": [], "config_sha256": None}
    return {
        "verdict": report.verdict,
        "status": {"LIVE LOCKED": "ok", "LIVE UNLOCKED": "error"}.get(report.verdict, "unknown"),
        "reasons": [reason.text for reason in report.reasons],
        "config_sha256": report.config.get("sha256"),
    }


def status_context(workspace: Workspace, as_of: datetime) -> dict[str, Any]:
    """The status report's template context: the snapshot plus every run's section."""
    snapshot = build_snapshot(workspace, as_of)
    runs = workspace.runs.listing(as_of)
    sessions = workspace.sessions.listing(as_of, limit=SESSION_ROWS, mode=None, status=None)
    iso = format_utc(as_of)
    alerts = _panels(snapshot)["alerts"]["details"].get("latest") or []
    alerts = sorted(alerts, key=lambda a: str(a.get("timestamp") or ""), reverse=True)
    alerts.sort(key=lambda a: SEVERITY_RANK.get(a.get("severity"), len(SEVERITIES)))
    return {
        "alerts": alerts,
        "alert_card": alert_overview(_panels(snapshot)["alerts"]["details"]),
        "snapshot": snapshot,
        "panels": _panels(snapshot),
        "safety": safety_view(workspace, as_of),
        "as_of": as_of,
        "sections": [run_section(workspace, r["run_id"], as_of) for r in runs[:RUN_SECTIONS]],
        "more_runs": runs[RUN_SECTIONS:],
        "runs_total": len(runs),
        "sessions": sessions,
        "severities": SEVERITIES,
        "json_href": f"/api/live/status/snapshot.json?as_of={iso}",
        "json_data": json_block(snapshot),
    }


def render_report(template: str, context: dict[str, Any]) -> bytes:
    """Deterministic bytes of one report template."""
    return ENVIRONMENT.get_template(template).render(**context).encode("utf-8")


def status_report(workspace: Workspace, as_of: datetime) -> bytes:
    """`status_snapshot.html`: the designed status snapshot at `as_of`."""
    return render_report("report.html", status_context(workspace, as_of))


def run_report_html(workspace: Workspace, run_id: str, as_of: datetime) -> bytes | None:
    """`run_<run_id>.html`: one run's section as a page of its own; None: no such run."""
    workspace.refresh()
    if workspace.runs.find(run_id) is None:
        return None
    section = run_section(workspace, run_id, as_of)
    iso = format_utc(as_of)
    twin = f"/runs/{quote_id(run_id)}/snapshot?as_of={iso}"
    context = {
        "section": section,
        "as_of": as_of,
        "json_href": twin,
        "json_data": json_block(section["snapshot"]),
        "safety": safety_view(workspace, as_of),
        "version": __version__,
    }
    return render_report("run_report.html", context)
