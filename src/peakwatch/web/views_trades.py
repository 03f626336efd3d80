"""What the scorecard, trades and compare pages and the runs tables' figures show (call these in
a worker thread); the SVG geometry of sparklines and of the comparison chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peakwatch.domain.run_decisions import scorecard_answer
from peakwatch.domain.run_figures import equity_curve, row_figures
from peakwatch.domain.workspace import Workspace
from peakwatch.web import views
from peakwatch.web.charts import EQUITY_HEIGHT, WIDTH, equity_chart
from peakwatch.web.views_decisions import currency_of, decision_url

SPARK_POINTS = 40  # equity values drawn in a runs-table sparkline
ROW_BYTES = 1 << 20  # of a run's unread backlog one runs-table row may read
PAGE_BYTES = 8 << 20  # of all the rows' backlogs one runs table may read
COMPARE_MAX = 8
COMPARE_POINTS = 300
COMPARE_HEIGHT = 300.0
RUN_TRADES_PAGE = 100
TRADES_MAX_OFFSET = 5000  # across runs the newest trades are merged: deeper, pick a run
DAY_ROWS = 90  # newest days in a PnL-per-day table
SYMBOL_ROWS = 200
GROUP_RUN_LINKS = 5
TRADES_OFFSET_RULE = (
    f"offset must be a whole number from 0 to {TRADES_MAX_OFFSET:,} and limit one from 1 to "
    f"500 (default 100); for older trades pick a run."
)


@dataclass(frozen=True, slots=True)
class BadParameter(Exception):
    """A query value the page does not accept; `sentence` says what is allowed."""

    sentence: str


def decision_href(run_id: str, decision_id: str | None) -> str | None:
    """The decision page of a decision (views_decisions.decision_url); None without one."""
    return decision_url(run_id, decision_id) if decision_id else None


def duration_text(seconds: Any) -> str:
    """`45 s`, `12 min`, `3 h 05 min`, `2 d 04 h`; a dash when unknown."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return "–"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 86400:,} d {whole % 86400 // 3600:02d} h"


def sparkline(equities: list[float]) -> dict[str, Any] | None:
    """A sparkline's points in the chart's box (charts.equity_chart), and whether it ended up."""
    chart = equity_chart([{"equity": value} for value in equities])
    if chart is None:
        return None
    return {
        "points": chart.equity_points,
        "width": chart.width,
        "height": EQUITY_HEIGHT,
        "up": equities[-1] >= equities[0],
        "first": equities[0],
        "last": equities[-1],
    }


def with_figures(workspace: Workspace, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs-table rows with their PnL, hit rate and sparkline (`figures`, None for a run
    without events); each row reads at most ROW_BYTES of its backlog, the table PAGE_BYTES."""
    budget = PAGE_BYTES
    shown = []
    for row in rows:
        run = workspace.run_index.get(row["run_id"])
        figures = None
        if run is not None and run.events is not None:
            events = run.events
            ledger = workspace.runs.row_ledger(run, 0)
            if ledger is not None and not ledger.read_to_end(events) and budget > 0:
                allowed = min(ROW_BYTES, budget)
                budget -= allowed
                ledger = workspace.runs.row_ledger(run, allowed)
            if ledger is not None:
                figures = row_figures(ledger, run, SPARK_POINTS)
                figures["complete"] = ledger.read_to_end(events)
                figures["spark"] = sparkline(figures.pop("equity"))
                figures["currency"] = currency_of(row.get("symbol"))
        shown.append({**row, "figures": figures})  # summaries are shared: copied, not changed
    return shown


def scorecard_page(workspace: Workspace, group_by: str, paging: views.Paging) -> dict[str, Any]:
    """A page of the scorecard across runs grouped by `group_by`, with links to each group's
    runs (a few per group); ValueError for another `group_by`."""
    card = workspace.ai.scorecard(group_by)
    runs_of = workspace.ai.runs_by_group(group_by) if group_by != "run" else {}
    rows = []
    for group in paging.window(card["groups"]):
        run_ids = runs_of.get(group["group"], [group["group"]] if group_by == "run" else [])
        currency = currency_of(group["group"]) if group_by == "symbol" else None
        rows.append(
            {
                **group,
                "run_ids": run_ids[:GROUP_RUN_LINKS],
                "more_runs": max(len(run_ids) - GROUP_RUN_LINKS, 0),
                "currency": currency,
            }
        )
    return {
        "group_by": group_by,
        "groups": rows,
        "groups_listing": views.listing(paging, len(rows), len(card["groups"])),
        "total": card["total"],
    }


def trades_page(
    workspace: Workspace,
    run_id: str | None,
    symbol: str | None,
    state: str | None,
    paging: views.Paging,
) -> dict[str, Any] | None:
    """A page of the trades across runs (or of one run), newest entry first, with PnL per
    symbol and per day; None when `run_id` names no run."""
    if paging.offset > TRADES_MAX_OFFSET:
        raise BadParameter(TRADES_OFFSET_RULE)
    if run_id is not None and workspace.runs.find(run_id) is None:
        return None
    wanted = paging.offset + paging.limit
    answer = workspace.ai.trades(symbol=symbol, state=state, run_id=run_id, limit=wanted + 1)
    trades = answer["trades"][paging.offset : wanted]
    return {
        "trades": [_trade_row(row, row["run_id"]) for row in trades],
        "first": paging.offset + 1 if trades else 0,
        "last": paging.offset + len(trades),
        "has_next": len(answer["trades"]) > wanted and wanted <= TRADES_MAX_OFFSET,
        "by_symbol": _symbol_rows(answer["by_symbol"]),
        "by_symbol_total": len(answer["by_symbol"]),
        "by_day": _day_rows(answer["by_day"]),
        "by_day_total": len(answer["by_day"]),
        "currency": currency_of(symbol),
    }


def run_trades_page(
    workspace: Workspace, run_id: str, state: str | None, cursor: str | None
) -> dict[str, Any] | None:
    """A page of one run's trades newest first (`next_cursor` pages on), with PnL per symbol
    and per day; None when there is no such run, ValueError for a bad cursor or state."""
    answer = workspace.runs.trades(run_id, state=state, limit=RUN_TRADES_PAGE, cursor=cursor)
    if answer is None:
        return None
    run = workspace.runs.find(run_id)
    meta = run.meta if run is not None else None
    symbol = meta.symbol if meta is not None else None
    return {
        "run_id": run_id,
        "strategy": meta.strategy_name if meta is not None else None,
        "symbol": symbol,
        "trades": [_trade_row(row, run_id) for row in answer["trades"]],
        "next_cursor": answer["next_cursor"],
        "counts": {
            "total": answer["trades_total"],
            "open": answer["trades_open"],
            "closed": answer["trades_closed"],
        },
        "by_symbol": _symbol_rows(answer["by_symbol"]),
        "by_symbol_total": len(answer["by_symbol"]),
        "by_day": _day_rows(answer["by_day"]),
        "by_day_total": len(answer["by_day"]),
        "currency": currency_of(symbol),
    }


def _trade_row(row: dict[str, Any], run_id: str) -> dict[str, Any]:
    """A trade view plus what its row displays: duration, decision links, currency."""
    return {
        **row,
        "duration_text": duration_text(row.get("duration_s")),
        "open_href": decision_href(run_id, row.get("open_decision_id")),
        "close_href": decision_href(run_id, row.get("close_decision_id")),
        "currency": currency_of(row.get("symbol")),
    }


def _symbol_rows(by_symbol: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """PnL per symbol, at most SYMBOL_ROWS (sorted by symbol)."""
    rows = []
    for name, sums in list(by_symbol.items())[:SYMBOL_ROWS]:
        rows.append({"symbol": name, "currency": currency_of(name), **sums})
    return rows


def _day_rows(by_day: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """PnL per UTC day, the newest DAY_ROWS days, newest first."""
    days = sorted(by_day.items(), reverse=True)[:DAY_ROWS]
    return [{"day": day, **sums} for day, sums in days]


def compare_page(workspace: Workspace, wanted: list[str]) -> dict[str, Any]:
    """Equity curves of up to COMPARE_MAX runs, normalised to their start, and their
    scorecards side by side; unknown runs are listed, never an error."""
    unique = list(dict.fromkeys(run_id for run_id in wanted if run_id))
    chosen = unique[:COMPARE_MAX]
    runs: list[dict[str, Any]] = []
    missing: list[str] = []
    for run_id in chosen:
        found = workspace.runs.followed(run_id)
        if found is None:
            missing.append(run_id)
            continue
        run, ledger = found
        card = scorecard_answer(ledger, run)
        runs.append({"run_id": run_id, "card": card, "curve": equity_curve(ledger, COMPARE_POINTS)})
    for index, entry in enumerate(runs):
        entry["series"] = index
        entry["currency"] = currency_of(entry["card"].get("symbol"))
    return {
        "runs": runs,
        "missing": missing,
        "asked": len(unique),
        "dropped": unique[COMPARE_MAX:],
        "compare_max": COMPARE_MAX,
        "chart": compare_chart(runs),
    }


def compare_chart(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One SVG box with each run's equity as percent change from its first value, over the
    time since its first step; None when no run has two equity values to draw."""
    lines = []
    for entry in runs:
        curve = entry["curve"]
        start = curve[0][1] if curve else 0.0
        if len(curve) < 2 or start <= 0:
            entry["change"] = None
            continue
        points = [((t - curve[0][0]) / 1e6, value / start - 1.0) for t, value in curve]
        entry["change"] = points[-1][1]
        lines.append((entry["series"], points))
    if not lines:
        return None
    span = max(points[-1][0] for _, points in lines) or 1.0
    changes = [change for _, points in lines for _, change in points]
    low, high = min(0.0, *changes), max(0.0, *changes)
    room = (high - low) or 0.01

    def y_of(change: float) -> float:
        return COMPARE_HEIGHT - 5.0 - (change - low) / room * (COMPARE_HEIGHT - 10.0)

    drawn = []
    for series, points in lines:
        text = " ".join(f"{x / span * WIDTH:.1f},{y_of(change):.1f}" for x, change in points)
        drawn.append({"series": series, "points": text})
    return {
        "lines": drawn,
        "width": WIDTH,
        "height": COMPARE_HEIGHT,
        "zero_y": round(y_of(0.0), 1),
        "high": high,
        "low": low,
        "span_text": duration_text(span),
    }
