"""What each page shows, gathered from the Workspace (call these in a worker thread).

Functions here take the workspace and plain values and return template contexts;
they never see HTTP and never open a file themselves.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from peakwatch.domain.activity import ActivityFilter, ActivityPage, SortKey, encode_cursor
from peakwatch.domain.alert_lifecycle import AlertQuery, select_alerts
from peakwatch.domain.runs import RUN_STATUSES
from peakwatch.domain.workspace import Workspace
from peakwatch.web import views_trades
from peakwatch.web.charts import equity_chart

PAYLOAD_LIMIT = 4096
PAGE_SIZE = 100  # rows of a list page unless `limit` says otherwise
MAX_PAGE_SIZE = 500
ACTIVITY_PAGE_SIZE = 50  # the feed's default page, as in GET /api/activity
MAX_OFFSET = 10_000_000
HOME_ROWS = 50  # runs and activity on the home page; sessions and alerts get 20
HOME_SHORT_ROWS = 20
RUN_EVENT_ROWS = 100  # the run page's tables: its newest events and alerts (older: /activity)
RUN_ALERT_ROWS = 50
CHART_STEPS = 300
SESSION_FEED_ROWS = 50
PAGING_RULE = (
    f"offset must be a whole number from 0 to {MAX_OFFSET:,} and limit one from 1 to "
    f"{MAX_PAGE_SIZE} (default {PAGE_SIZE})."
)
LONG_SUMMARY = 110
KIND_GROUPS = {
    "decision": "decision",
    "ai_decision": "decision",
    "signal": "decision",
    "order": "trade",
    "fill": "trade",
    "position": "trade",
    "risk": "risk",
    "alert": "alert",
    "error": "error",
}
KNOWN_KINDS = (
    "decision",
    "ai_decision",
    "signal",
    "order",
    "fill",
    "position",
    "risk",
    "market",
    "heartbeat",
    "alert",
    "error",
    "run_started",
    "run_finished",
    "step",
)
LEVELS = ("info", "warning", "error")
ALERT_SOURCES = ("alert_store", "run", "derived")
SESSION_STATUSES = ("started", "stale", "completed", "failed", "aborted")

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class Paging:
    """Which rows of a list a page shows: `limit` rows from the 0-based `offset`."""

    offset: int = 0
    limit: int = PAGE_SIZE

    def window(self, rows: list[RowT]) -> list[RowT]:
        """The rows of this page."""
        return rows[self.offset : self.offset + self.limit]


def parse_paging(offset: str | None, limit: str | None) -> Paging | None:
    """The paging asked for by a page's query text; None when a value is not allowed."""
    parsed_offset = _whole_number(offset, 0)
    parsed_limit = _whole_number(limit, PAGE_SIZE)
    if parsed_offset is None or not 0 <= parsed_offset <= MAX_OFFSET:
        return None
    if parsed_limit is None or not 1 <= parsed_limit <= MAX_PAGE_SIZE:
        return None
    return Paging(parsed_offset, parsed_limit)


def _whole_number(text: str | None, default: int) -> int | None:
    """`text` as a plain decimal integer (`default` when absent); None when it is not one."""
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


def listing(paging: Paging, shown: int, total: int) -> dict[str, int]:
    """What a pager says: rows `first`..`last` (1-based) of `total`, and the paging."""
    first = paging.offset + 1 if shown else 0
    return {
        "first": first,
        "last": paging.offset + shown,
        "total": total,
        "offset": paging.offset,
        "limit": paging.limit,
    }


def scan_note(page: ActivityPage) -> dict[str, Any] | None:
    """Why an activity scan stopped before its page was full, for the page; None if it did not."""
    if not page.truncated:
        return None
    return {
        "reason": page.stop_reason,
        "scanned": mebibytes(page.scanned_bytes),
        "reached": mebibytes(page.reached_bytes),
    }


def mebibytes(count: int) -> str:
    """A byte count for a sentence: `16 MiB`, `0.4 MiB`."""
    value = count / (1024 * 1024)
    return f"{value:,.0f} MiB" if value >= 10 else f"{value:,.1f} MiB"


def kind_group(kind: str) -> str:
    """A fixed CSS class suffix for a kind (artifact text never becomes a class name)."""
    if kind.startswith("execution_"):
        return "trade"
    return KIND_GROUPS.get(kind, "other")


def payload_text(payload: Any) -> tuple[str, int]:
    """Pretty JSON of a payload cut to ~4 KB, and its full length (0 when it was not cut)."""
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) <= PAYLOAD_LIMIT:
        return text, 0
    return text[:PAYLOAD_LIMIT], len(text)


def decision_of(item: dict[str, Any]) -> dict[str, Any] | None:
    """Action, confidence and rationale of a decision item, for a readable row."""
    if item["kind"] not in ("decision", "ai_decision"):
        return None
    payload = item.get("payload") or {}
    data = payload.get("data") if item["kind"] == "decision" else payload
    if not isinstance(data, dict):
        return None
    confidence = data.get("confidence")
    rationale = data.get("rationale") or payload.get("msg")
    action = data.get("action") or data.get("decision")
    if action is None and rationale is None:
        return None
    return {
        "action": str(action).upper() if action is not None else "?",
        "symbol": data.get("symbol") if isinstance(data.get("symbol"), str) else None,
        "confidence": confidence
        if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        else None,
        "rationale": rationale if isinstance(rationale, str) else None,
    }


def feed_row(item: dict[str, Any]) -> dict[str, Any]:
    """An activity item (as_dict with payload) plus what its row displays."""
    row = dict(item)
    row["group"] = kind_group(item["kind"])
    row["level"] = item["level"] if item["level"] in LEVELS else "info"
    row["decision"] = decision_of(item)
    # "show more" shows a decision's whole rationale (the summary line is cut), else the summary
    rationale = row["decision"]["rationale"] if row["decision"] else None
    more = rationale if rationale and len(rationale) > len(item["summary"]) else item["summary"]
    row["more_text"] = more if len(more) <= PAYLOAD_LIMIT else more[: PAYLOAD_LIMIT - 1] + "…"
    row["long"] = len(item["summary"]) > LONG_SUMMARY or len(more) > LONG_SUMMARY
    if "payload" in item:
        row["payload_text"], row["payload_full_length"] = payload_text(item["payload"])
    else:
        row["payload_text"], row["payload_full_length"] = None, 0
    return row


def run_status_counts(runs: list[dict[str, Any]]) -> dict[str, int]:
    """Runs per status, every status present."""
    counts = Counter(run["status"] for run in runs)
    return {status: counts.get(status, 0) for status in RUN_STATUSES}


def alert_rows(workspace: Workspace, as_of: datetime, query: AlertQuery, limit: int) -> Any:
    """Alerts matching `query` (one per rule and subject, firing first), with counts."""
    return select_alerts(workspace.alerts.tracked(as_of), query, limit)


def home_alerts(workspace: Workspace, as_of: datetime) -> dict[str, Any]:
    """Home's alerts: the newest, firing first, and the firing ones counted by severity."""
    found = alert_rows(workspace, as_of, AlertQuery(), HOME_SHORT_ROWS)
    return {**found, "counts": found["summary"]["firing"]}


def home(
    workspace: Workspace, as_of: datetime, mode: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """The operator home: status summary, sessions (filtered), runs, activity and alerts."""
    runs = workspace.runs.listing(as_of)
    sessions = workspace.sessions.listing(as_of, limit=HOME_SHORT_ROWS, mode=mode, status=status)
    stats = workspace.sessions.stats(as_of)
    page = workspace.activity.page(ActivityFilter(), limit=HOME_ROWS, before=None)
    health = workspace.health.report()
    first_rows = Paging(0, HOME_ROWS)
    return {
        "runs": views_trades.with_figures(workspace, first_rows.window(runs)),
        "runs_listing": listing(first_rows, min(len(runs), HOME_ROWS), len(runs)),
        "run_counts": run_status_counts(runs),
        "sessions": sessions,
        "session_counts": stats["by_status"],
        "session_total": stats["total_sessions"],
        "alerts": home_alerts(workspace, as_of),
        "feed": [feed_row(item.as_dict()) for item in page.items],
        "scan_note": scan_note(page),
        "unreadable_count": health["unreadable_count"],
    }


def run_detail(workspace: Workspace, run_id: str, as_of: datetime) -> dict[str, Any] | None:
    """A run's snapshot, chart, latest events and alerts; None when there is no such run."""
    snapshot = workspace.runs.snapshot(run_id, as_of)
    if snapshot is None:
        return None
    tail = workspace.runs.tail(run_id, CHART_STEPS) or []
    events = workspace.runs.events(run_id, RUN_EVENT_ROWS) or []
    return {
        "snapshot": snapshot,
        "chart": equity_chart(tail),
        "events": [feed_row(item) for item in events],
        "run_alerts": workspace.runs.alerts(run_id, RUN_ALERT_ROWS) or [],
        "events_limit": RUN_EVENT_ROWS,
        "alerts_limit": RUN_ALERT_ROWS,
    }


def dashboard(
    workspace: Workspace, selected: str | None, as_of: datetime, paging: Paging
) -> dict[str, Any]:
    """The runs dashboard: a page of the runs, and the selected (default: newest) run."""
    runs = workspace.runs.listing(as_of)
    if selected is None and runs:
        selected = runs[0]["run_id"]
    detail = run_detail(workspace, selected, as_of) if selected else None
    rows = views_trades.with_figures(workspace, paging.window(runs))
    return {
        "runs": rows,
        "runs_listing": listing(paging, len(rows), len(runs)),
        "run_counts": run_status_counts(runs),
        "selected": selected,
        "detail": detail,
    }


def session_page(workspace: Workspace, session_id: str, as_of: datetime) -> dict[str, Any] | None:
    """One session with its record and its activity; None when it is not in the registry."""
    found = workspace.sessions.find(session_id, as_of)
    if found is None:
        return None
    wanted = ActivityFilter(session_id=session_id)
    page = workspace.activity.page(wanted, limit=SESSION_FEED_ROWS, before=None)
    record_text, record_full = payload_text(found.get("record", {}))
    return {
        "session": found,
        "record_text": record_text,
        "record_full_length": record_full,
        "feed": [feed_row(item.as_dict()) for item in page.items],
        "scan_note": scan_note(page),
        "older_cursor": page.next_cursor,
    }


def sessions_page(workspace: Workspace, as_of: datetime, paging: Paging) -> dict[str, Any]:
    """A page of the session registry, most recent first, with the registry's counts."""
    wanted = paging.offset + paging.limit
    found = workspace.sessions.listing(as_of, limit=wanted, mode=None, status=None)
    stats = workspace.sessions.stats(as_of)
    rows = found[paging.offset :]
    return {
        "sessions": rows,
        "sessions_listing": listing(paging, len(rows), stats["total_sessions"]),
        "session_counts": stats["by_status"],
    }


def activity_page(
    workspace: Workspace,
    wanted: ActivityFilter,
    before: SortKey | None,
    limit: int,
    *,
    notable_only: bool = False,
) -> dict[str, Any]:
    """A page of the activity feed with the cursor to the next (older) page.

    With `notable_only` (the default view, routine items folded) the page holds `limit`
    notable items and the routine ones between them, at most FEED_PAGE_ROWS items in all.
    """
    if not notable_only:
        page = workspace.activity.page(wanted, limit=limit, before=before)
        items, next_cursor = page.items, page.next_cursor
    else:
        page = workspace.activity.page(wanted, limit=FEED_PAGE_ROWS, before=before)
        items, next_cursor = _through_notable(page, limit)
    return {
        "feed": [feed_row(item.as_dict()) for item in items],
        "next_cursor": next_cursor,
        "scan_note": scan_note(page),
    }


FEED_PAGE_ROWS = 500  # items of any importance one feed page may hold (no page renders more)


def _through_notable(page: ActivityPage, limit: int) -> tuple[list[Any], str | None]:
    """The page's items up to and with its `limit`-th notable one, and the cursor after."""
    notable = 0
    for index, item in enumerate(page.items):
        if item.importance == "notable":
            notable += 1
            if notable == limit:
                kept = page.items[: index + 1]
                return kept, encode_cursor(item.key)
    return page.items, page.next_cursor


def health_page(workspace: Workspace, paging: Paging) -> dict[str, Any]:
    """Resolved roots, whether they exist, a page of the unreadable artifacts, and counts."""
    health = workspace.health.report()
    problems = health["unreadable"]
    if paging.offset + paging.limit > len(problems) < health["unreadable_count"]:
        problems = [p.as_dict() for p in workspace.health.all_problems()]  # past the first 500
    rows = paging.window(problems)
    return {
        "health": health,
        "problems": rows,
        "problems_listing": listing(paging, len(rows), health["unreadable_count"]),
    }


def api_operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations of the OpenAPI document grouped by tag, in the document's tag order."""
    order = [tag["name"] for tag in openapi.get("tags", [])]
    descriptions = {tag["name"]: tag.get("description", "") for tag in openapi.get("tags", [])}
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in openapi.get("paths", {}).items():
        for method, operation in methods.items():
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [_parameter(p) for p in operation.get("parameters", [])],
                }
            )
    names = [name for name in order if name in groups] + sorted(set(groups) - set(order))
    return [
        {"name": name, "description": descriptions.get(name, ""), "operations": groups[name]}
        for name in names
    ]


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter.get("schema", {})
    return {
        "name": parameter.get("name", ""),
        "where": parameter.get("in", ""),
        "required": bool(parameter.get("required")),
        "type": _schema_type(schema),
        "description": parameter.get("description") or schema.get("description") or "",
    }


def _schema_type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        kinds = [_schema_type(s) for s in schema["anyOf"]]
        return " | ".join(k for k in kinds if k and k != "null") or "any"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_schema_type(schema.get('items', {}))}"
    kind = str(schema.get("type", ""))
    bounds = []
    if "minimum" in schema:
        bounds.append(f">= {schema['minimum']}")
    if "maximum" in schema:
        bounds.append(f"<= {schema['maximum']}")
    return f"{kind} ({', '.join(bounds)})" if bounds else kind
