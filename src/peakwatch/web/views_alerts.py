"""What the alerts page shows: alerts per rule and subject, firing first, filtered and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peakwatch.domain.alert_lifecycle import AlertQuery, select_alerts
from peakwatch.domain.workspace import Workspace
from peakwatch.web.views import Paging, listing


def alerts_page(
    workspace: Workspace,
    filters: dict[str, str | None],
    as_of: datetime,
    paging: Paging,
) -> dict[str, Any]:
    """A page of alerts filtered by state, severity and source (firing ones first), the
    counts within the source filter, and the summary of every alert."""
    tracked = workspace.alerts.tracked(as_of)
    state, severity, source = filters["state"], filters["severity"], filters["source"]
    sources = frozenset({source}) if source else frozenset()
    counted = select_alerts(tracked, AlertQuery(sources=sources), 0)
    wanted = AlertQuery(
        states=frozenset({state}) if state else frozenset(),
        severities=frozenset({severity}) if severity else frozenset(),
        sources=sources,
    )
    listed = select_alerts(tracked, wanted, paging.offset + paging.limit)
    rows = listed["alerts"][paging.offset :]
    return {
        "firing_rows": [row for row in rows if row["state"] == "firing"],
        "resolved_rows": [row for row in rows if row["state"] == "resolved"],
        "alerts_listing": listing(paging, len(rows), listed["total"]),
        "listed_states": listed["states"],
        "counts": counted["counts"],
        "states": counted["states"],
        "counts_total": counted["total"],
        "summary": counted["summary"],
    }
