"""The fleet: one Workspace per named root, and the row the fleet view shows of each."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from peakwatch.contract.values import format_utc, parse_utc
from peakwatch.domain.alert_lifecycle import AlertQuery, ordered, select_alerts
from peakwatch.domain.alert_lifecycle import summary as alert_summary
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.domain.runs import RUN_STATUSES, activity_sort_key
from peakwatch.domain.snapshot import SnapshotInputs, build_snapshot, canonical_json, worst_status
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import RootSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FleetRoot:
    """One named root of the fleet and the workspace over its folders."""

    spec: RootSpec
    workspace: Workspace
    mirror: MirrorFollower | None = None  # a remote root's local copy

    @property
    def name(self) -> str:
        return self.spec.name


def root_row(root: FleetRoot, as_of: datetime) -> dict[str, Any]:
    """What the fleet view shows of one root at `as_of` (the row of `/api/roots`)."""
    workspace = root.workspace
    workspace.refresh()
    inputs = SnapshotInputs(workspace, as_of)
    runs: dict[str, int] = dict.fromkeys(RUN_STATUSES, 0)
    runs.update(Counter(inputs.run_statuses.values()))
    ledgers = [totals for _, totals in inputs.active_ledgers]
    sessions = workspace.sessions.stats(as_of)
    alerts = alert_summary(inputs.alerts)
    newest = _newest_data(workspace, as_of)
    return {
        "name": root.name,
        "location": root.spec.location,
        "remote": root.spec.remote,
        **reach(root),
        "runs": runs,
        "sessions": sessions["total_sessions"],
        "open_alerts": sum(alerts["firing"].values()),
        "open_alerts_by_severity": alerts["firing"],
        "alert_status": alerts["status"],
        "newest_data_at": format_utc(newest) if newest else None,
        "newest_data_age_seconds": (round((as_of - newest).total_seconds(), 3) if newest else None),
        "active_equity": _total(ledgers, "equity"),
        "active_realized_pnl": _total(ledgers, "realized_pnl"),
        "active_unrealized_pnl": _total(ledgers, "unrealized_pnl"),
    }


def reach(root: FleetRoot) -> dict[str, Any]:
    """Whether the root can be read and, for a remote root, how its polls and copy stand."""
    settings = root.workspace.settings
    if root.mirror is None:
        reachable = settings.runs_dir.is_dir() or settings.sessions_dir.is_dir()
        return {"reachable": reachable, "poll": None}
    poll = root.mirror.report()
    return {"reachable": poll.pop("reachable"), "poll": poll}


def _newest_data(workspace: Workspace, as_of: datetime) -> datetime | None:
    """The newest event time of any run (newest activity first), or None before any."""
    newest = workspace.runs.listing(as_of, limit=1)
    return _parsed(newest[0].get("last_event_time")) if newest else None


def _total(ledgers: list[dict[str, Any]], name: str) -> float | None:
    """The sum of one figure over the active runs that have it; None when none has."""
    values = [totals[name] for totals in ledgers if totals.get(name) is not None]
    return round(sum(values), 10) if values else None


Ranked = list[tuple[tuple[datetime, str], str, dict[str, Any]]]  # (sort key, root, row)


def fleet_runs(
    roots: list[FleetRoot],
    as_of: datetime,
    *,
    limit: int | None,
    mode: str | None = None,
    status: str | None = None,
    root: str | None = None,
) -> list[dict[str, Any]]:
    """`GET /runs` over the fleet: each root's runs, newest activity first, with `root`."""
    ranked: Ranked = []
    for each in chosen(roots, root):
        for row in each.workspace.runs.listing(as_of, mode=mode, status=status, limit=limit):
            folder = each.workspace.run_index.get(row["run_id"])
            key = activity_sort_key(folder) if folder is not None else (_EPOCH, row["run_id"])
            ranked.append((key, each.name, row))
    return _newest_first(ranked, limit)


def fleet_sessions(
    roots: list[FleetRoot],
    as_of: datetime,
    *,
    limit: int,
    mode: str | None = None,
    status: str | None = None,
    root: str | None = None,
) -> list[dict[str, Any]]:
    """`GET /api/live_sessions` over the fleet: most recent first, each with its `root`."""
    ranked: Ranked = []
    for each in chosen(roots, root):
        for row in each.workspace.sessions.listing(as_of, limit=limit, mode=mode, status=status):
            started = _parsed(row.get("started_at")) or _EPOCH
            ranked.append(((started, row["session_id"]), each.name, row))
    return _newest_first(ranked, limit)


def chosen(roots: list[FleetRoot], root: str | None) -> list[FleetRoot]:
    """The roots a `root` filter keeps: that one, or every root when it is None."""
    return [each for each in roots if root is None or each.name == root]


def _newest_first(ranked: Ranked, limit: int | None) -> list[dict[str, Any]]:
    """Rows of several roots merged by their roots' own order (ties: the root's name), each
    with its `root`; a None limit keeps all."""
    ranked.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return [{**row, "root": name} for _, name, row in ranked[:limit]]


def _parsed(stamp: Any) -> datetime | None:
    try:
        return parse_utc(stamp)
    except ValueError:
        return None


FLEET_SNAPSHOT_VERSION = "peakwatch.fleet_snapshot/1"


def fleet_snapshot(roots: list[FleetRoot], as_of: datetime) -> dict[str, Any]:
    """Every root's status snapshot at one `as_of`, with the fleet's worst status and a
    `content_sha256` over the rest (the same data and `as_of` give the same bytes)."""
    entries = []
    for root in roots:
        snapshot = build_snapshot(root.workspace, as_of)
        entries.append(
            {
                "name": root.name,
                "location": root.spec.location,
                "remote": root.spec.remote,
                "overall_status": snapshot["meta"]["overall_status"],
                "headline": snapshot["meta"]["headline"],
                "snapshot": snapshot,
            }
        )
    body: dict[str, Any] = {
        "version": FLEET_SNAPSHOT_VERSION,
        "generated_at": format_utc(as_of),
        "roots": entries,
        "meta": {
            "as_of": format_utc(as_of),
            "root_count": len(entries),
            "overall_status": worst_status(*(entry["overall_status"] for entry in entries)),
        },
    }
    body["content_sha256"] = hashlib.sha256(canonical_json(body)).hexdigest()
    return body


def fleet_alerts(
    roots: list[FleetRoot],
    query: AlertQuery,
    as_of: datetime,
    *,
    limit: int,
    root: str | None = None,
) -> dict[str, Any]:
    """`GET /api/alerts` over the fleet: every root's alerts in one order, each with `root`;
    counts and summary over them all."""
    owner: dict[int, str] = {}
    tracked = []
    for each in chosen(roots, root):
        for alert in each.workspace.alerts.tracked(as_of):
            owner[id(alert)] = each.name
            tracked.append(alert)
    merged = ordered(tracked)
    body = select_alerts(merged, query, limit)
    matching = [alert for alert in merged if query.matches(alert)][:limit]
    body["alerts"] = [{**alert.as_dict(), "root": owner[id(alert)]} for alert in matching]
    return body
