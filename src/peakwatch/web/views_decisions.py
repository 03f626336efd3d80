"""What the decision views show: the run page's AI scorecard and decisions table, one decision.

Functions here take the workspace and plain values and return template contexts (call them in
a worker thread); the SVG geometry of the reliability diagram and the trace waterfall is
computed here, so templates only place numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from peakwatch.domain.workspace import Workspace
from peakwatch.web import views
from peakwatch.web.templating import quote_id
from peakwatch.web.units import currency_of, money_currency

DECISION_ROWS = 50  # rows of the run page's decisions table
RATIONALE_CUT = 90  # characters of a rationale shown in the table (the decision page has all)
OUTCOMES = ("win", "loss", "flat", "open")
RESULTS = frozenset({"win", "loss", "flat"})
LINKS = frozenset({"id", "inferred", "mixed"})
TRACE_KINDS = frozenset({"risk", "intent", "order", "fill", "position", "error"})
ORDER_STATUSES = frozenset({"submitted", "blocked", "rejected"})
ACTION = re.compile(r"[A-Za-z0-9_.-]{1,40}")
CURSOR = re.compile(r"[0-9-]{1,48}")
FILTER_RULE = (
    "action must be a word of up to 40 letters, digits, '_', '.' or '-', outcome one of "
    'win, loss, flat or open, and cursor an "Older" link of this page.'
)
# the reliability diagram: a square plot inside a viewBox with room for axis labels
PLOT_LEFT, PLOT_TOP, PLOT_SIZE = 34.0, 10.0, 200.0
DIAGRAM_WIDTH, DIAGRAM_HEIGHT = PLOT_LEFT + PLOT_SIZE + 10.0, PLOT_TOP + PLOT_SIZE + 46.0
# the waterfall: each bar lives in a 1000 x 10 viewBox stretched to its row
BAR_SPAN = 1000.0
MIN_BAR = 6.0


class BadFilter(ValueError):
    """The decisions table was asked for a filter or cursor it does not allow."""


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """What the decisions table asks for: one action, one outcome, and where to page on."""

    action: str | None = None
    outcome: str | None = None
    cursor: str | None = None

    def query(self, cursor: str | None = None) -> dict[str, str]:
        """The filter as query parameters (with another cursor when given)."""
        given = {"action": self.action, "outcome": self.outcome, "cursor": cursor}
        return {name: value for name, value in given.items() if value}


def parse_filter(action: str | None, outcome: str | None, cursor: str | None) -> DecisionFilter:
    """The table's filter from query text (blank is absent); BadFilter when a value is bad."""
    action, outcome, cursor = (_given(value) for value in (action, outcome, cursor))
    if action is not None and not ACTION.fullmatch(action):
        raise BadFilter(FILTER_RULE)
    if outcome is not None and outcome not in OUTCOMES:
        raise BadFilter(FILTER_RULE)
    if cursor is not None and not CURSOR.fullmatch(cursor):
        raise BadFilter(FILTER_RULE)
    return DecisionFilter(action, outcome, cursor)


def _given(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def decision_url(run_id: str, decision_id: str) -> str:
    """The decision page's path, both ids percent-encoded."""
    return f"/dashboard/runs/{quote_id(run_id)}/decisions/{quote_id(decision_id)}"


def decisions_api_url(run_id: str, wanted: DecisionFilter) -> str:
    """The JSON twin of the decisions table: the same page of the same filter."""
    query = urlencode({"limit": str(DECISION_ROWS), **wanted.query(wanted.cursor)})
    return f"/api/runs/{quote_id(run_id)}/decisions?{query}"


def run_page(
    workspace: Workspace, run_id: str, as_of: datetime, wanted: DecisionFilter
) -> dict[str, Any] | None:
    """The run page's context: views.run_detail plus the scorecard panel and decisions table.

    None when there is no such run; BadFilter when the domain refuses the cursor.
    """
    data = views.run_detail(workspace, run_id, as_of)
    if data is None:
        return None
    try:
        page = workspace.runs.decisions(
            run_id,
            limit=DECISION_ROWS,
            cursor=wanted.cursor,
            action=wanted.action,
            outcome=wanted.outcome,
        )
    except ValueError as exc:
        raise BadFilter(FILTER_RULE) from exc
    card = workspace.runs.scorecard(run_id)
    if page is None or card is None:  # the run went away in between
        return None
    currency = money_currency(data["snapshot"])
    data["scorecard"] = scorecard_panel(card)
    data["decisions"] = decisions_table(run_id, page, wanted)
    data["currency"] = currency
    return data


def scorecard_panel(card: dict[str, Any]) -> dict[str, Any]:
    """The AI scorecard as the panel shows it, with its reliability diagram."""
    return {**card, "diagram": reliability_diagram(card["calibration"])}


def decisions_table(run_id: str, page: dict[str, Any], wanted: DecisionFilter) -> dict[str, Any]:
    """A page of decision rows, the filter's choices with counts, and the paging links."""
    counts = page["counts"]
    actions = sorted(set(counts["by_action"]) | ({wanted.action} if wanted.action else set()))
    return {
        "rows": [decision_row(run_id, view) for view in page["decisions"]],
        "filter": wanted,
        "actions": [(name, counts["by_action"].get(name, 0)) for name in actions],
        "outcomes": [(name, counts["by_outcome"].get(name, 0)) for name in OUTCOMES],
        "total": counts["decisions"],
        "older_query": wanted.query(page["next_cursor"]) if page["next_cursor"] else None,
        "newest_query": wanted.query() if wanted.cursor else None,
        "scan_stopped": page["scan_stopped"],
        "problems": page["problems"],
        "paged": wanted.cursor is not None,
    }


def decision_row(run_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """One decision as a table row: its view plus its URL, a cut rationale and fixed classes."""
    rationale = view.get("rationale") or ""
    cut = len(rationale) > RATIONALE_CUT
    return {
        **view,
        "url": decision_url(run_id, view["decision_id"]),
        "rationale_short": rationale[: RATIONALE_CUT - 1].rstrip() + "…" if cut else rationale,
        "rationale_cut": cut,
        "outcome_class": outcome_class(view),
        "link_class": view["link"] if view.get("link") in LINKS else "none",
        "risk_class": view["risk"] if view.get("risk") in ("allowed", "blocked") else "none",
    }


def outcome_class(view: dict[str, Any]) -> str:
    """win, loss, flat or open: a fixed CSS class suffix (artifact text never is one)."""
    if view.get("state") != "closed":
        return "open"
    result = view.get("result")
    return result if result in RESULTS else "flat"


def reliability_diagram(bins: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the reliability diagram: per bin a bar of its hit rate over its confidence
    range, a dot at (mean confidence, hit rate) and its count, against the diagonal."""

    def x(value: float) -> float:
        return round(PLOT_LEFT + value * PLOT_SIZE, 1)

    def y(value: float) -> float:
        return round(PLOT_TOP + (1.0 - value) * PLOT_SIZE, 1)

    shown = []
    for entry in bins:
        count, hit = entry["count"], entry["hit_rate"]
        mean = entry["mean_confidence"]
        item: dict[str, Any] = {**entry, "x": x(entry["lo"]) + 2, "width": PLOT_SIZE / 5 - 4}
        if count and hit is not None and mean is not None:
            item["bar_y"] = y(hit)
            item["bar_height"] = round(PLOT_SIZE * hit, 1)
            item["dot_x"], item["dot_y"] = x(min(max(mean, 0.0), 1.0)), y(hit)
        shown.append(item)
    dots = [item for item in shown if "dot_x" in item]
    return {
        "width": DIAGRAM_WIDTH,
        "height": DIAGRAM_HEIGHT,
        "left": PLOT_LEFT,
        "top": PLOT_TOP,
        "size": PLOT_SIZE,
        "right": PLOT_LEFT + PLOT_SIZE,
        "bottom": PLOT_TOP + PLOT_SIZE,
        "middle_x": x(0.5),
        "middle_y": y(0.5),
        "bins": shown,
        "line": " ".join(f"{item['dot_x']},{item['dot_y']}" for item in dots),
        "calibrated": sum(entry["count"] for entry in bins),
    }


def decision_page(workspace: Workspace, run_id: str, decision_id: str) -> dict[str, Any] | None:
    """One decision's page: its view, the trace as a waterfall, its orders and fills, and the
    links to its neighbours; None when the run or the decision is not there."""
    detail = workspace.runs.decision(run_id, decision_id)
    if detail is None:
        return None
    trace = detail["trace"]
    return {
        "d": detail,
        "run_id": run_id,
        "currency": currency_of(detail.get("symbol")),
        "outcome_class": outcome_class(detail),
        "waterfall": waterfall(trace),
        "executions": [step for step in trace if step["kind"] in ("intent", "order", "fill")],
        "risk_checks": [step for step in trace if step["kind"] == "risk"],
        "previous_url": decision_url(run_id, detail["previous_id"])
        if detail["previous_id"]
        else None,
        "next_url": decision_url(run_id, detail["next_id"]) if detail["next_id"] else None,
        "run_url": f"/dashboard/runs/{quote_id(run_id)}",
    }


def waterfall(trace: list[dict[str, Any]]) -> dict[str, Any]:
    """The trace as waterfall rows: each step's bar runs from the step before it (the decision
    for the first) to its own delay, on one scale from the earliest to the latest moment."""
    delays = [_finite(step.get("delay_ms")) for step in trace]
    low = min([0.0, *delays])
    high = max([0.0, *delays])
    span = high - low

    def at(delay: float) -> float:
        return (delay - low) / span * BAR_SPAN if span > 0 else 0.0

    rows = []
    previous = 0.0
    for step, delay in zip(trace, delays, strict=True):
        start, end = sorted((at(previous), at(delay)))
        width = max(end - start, MIN_BAR)
        start = min(start, BAR_SPAN - width)
        rows.append(
            {
                **step,
                "kind_class": step["kind"] if step["kind"] in TRACE_KINDS else "other",
                "status_class": _status_class(step),
                "link_class": step["link"] if step.get("link") in LINKS else "none",
                "delay_text": delay_text(delay),
                "wait_text": delay_text(delay - previous),
                "bar_x": round(start, 1),
                "bar_width": round(width, 1),
            }
        )
        previous = delay
    return {
        "rows": rows,
        "span_ms": span,
        "zero_x": round(at(0.0), 1),
        "origin_x": round(min(at(0.0), BAR_SPAN - MIN_BAR), 1),
        "origin_width": MIN_BAR,
        "ticks": [delay_text(low), delay_text(low + span / 2), delay_text(high)]
        if span > 0
        else [delay_text(0.0)],
    }


def _status_class(step: dict[str, Any]) -> str:
    """ok, warn or bad for a step: a blocked risk check, a rejected or blocked order, an error."""
    if step["kind"] == "error" or step.get("status") == "rejected":
        return "bad"
    if step.get("allowed") is False or step.get("status") == "blocked":
        return "warn"
    return "ok"


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return float(value)


def delay_text(ms: float) -> str:
    """A delay for a person: `0.2 ms`, `250 ms`, `1.50 s`, `2.5 min`, `3.0 h`; signed `−`."""
    sign = "−" if ms < 0 else ""
    value = abs(ms)
    if value < 10:
        text = f"{value:,.1f} ms"
    elif value < 1000:
        text = f"{value:,.0f} ms"
    elif value < 60_000:
        text = f"{value / 1000:,.2f} s"
    elif value < 3_600_000:
        text = f"{value / 60_000:,.1f} min"
    else:
        text = f"{value / 3_600_000:,.1f} h"
    return sign + text
