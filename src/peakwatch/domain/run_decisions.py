"""One run's decisions, scorecard and trades as the web layer gets them, from its ledger."""

from __future__ import annotations

from typing import Any

from peakwatch.domain.decision_queries import (
    current_tallies,
    decision_detail,
    decisions_page,
    merged,
)
from peakwatch.domain.ledger import RunLedger
from peakwatch.domain.scorecard import GroupKey, Tally
from peakwatch.domain.trades import pnl_view, trade_views
from peakwatch.secrets import redact_text
from peakwatch.sources.runs_index import RunFolder


def run_defaults(run: RunFolder) -> tuple[str | None, str | None]:
    """The run's strategy and symbol from meta.json, for decisions that name none."""
    meta = run.meta
    return (meta.strategy_name, meta.symbol) if meta is not None else (None, None)


def _shown(view: dict[str, Any], run: RunFolder) -> dict[str, Any]:
    """A decision view with the run's defaults filled in and its texts (rationale, reason,
    risk reasons, the trace's reasons and errors) redacted."""
    strategy, symbol = run_defaults(run)
    view["component"] = view["component"] or strategy
    view["symbol"] = view["symbol"] or symbol
    for name in ("rationale", "reason"):
        if view[name]:
            view[name] = redact_text(view[name])
    view["risk_reasons"] = [redact_text(reason) for reason in view["risk_reasons"]]
    for item in view.get("trace", ()):
        if "reasons" in item:
            item["reasons"] = [redact_text(reason) for reason in item["reasons"]]
        if item.get("error"):
            item["error"] = redact_text(item["error"])
    return view


def decisions_answer(
    ledger: RunLedger,
    run: RunFolder,
    *,
    limit: int,
    cursor: str | None,
    action: str | None,
    outcome: str | None,
) -> dict[str, Any]:
    """A page of decisions newest first, with the run's counts by action and outcome."""
    card = scorecard_answer(ledger, run)
    with ledger.books() as (book, _):
        page = decisions_page(book, limit=limit, cursor=cursor, action=action, outcome=outcome)
        problems = [problem.as_dict() for problem in book.problems]
    page["decisions"] = [_shown(view, run) for view in page["decisions"]]
    counts = {
        "decisions": card["decisions"],
        "by_action": card["by_action"],
        "by_outcome": {
            "win": card["wins"],
            "loss": card["losses"],
            "flat": card["flats"],
            "open": card["open"],
        },
    }
    return {"run_id": run.run_id, **page, "counts": counts, "problems": problems}


def decision_answer(ledger: RunLedger, run: RunFolder, decision_id: str) -> dict[str, Any] | None:
    """One decision with its trace and neighbours; None when the run has no such decision."""
    with ledger.books() as (book, _):
        detail = decision_detail(book, decision_id)
    if detail is None:
        return None
    return {"run_id": run.run_id, **_shown(detail, run)}


def scorecard_answer(ledger: RunLedger, run: RunFolder) -> dict[str, Any]:
    """The run's AI scorecard; computed once per change of the run's decisions."""
    with ledger.books() as (book, _):
        cached = ledger.cache.get("scorecard")
        if cached is not None and cached[0] == book.version:
            view = cached[1]
        else:
            view = merged(current_tallies(book)).view()
            ledger.cache["scorecard"] = (book.version, view)
    assert isinstance(view, dict)
    strategy, symbol = run_defaults(run)
    return {"run_id": run.run_id, "strategy": strategy, "symbol": symbol, **view}


def tallies_answer(ledger: RunLedger) -> dict[GroupKey, Tally]:
    """The run's tallies per (component, symbol) as they stand, for cross-run scorecards."""
    with ledger.books() as (book, _):
        cached = ledger.cache.get("tallies")
        if cached is not None and cached[0] == book.version:
            tallies = cached[1]
        else:
            tallies = current_tallies(book)
            ledger.cache["tallies"] = (book.version, tallies)
    assert isinstance(tallies, dict)
    return tallies


def trades_answer(
    ledger: RunLedger,
    run: RunFolder,
    *,
    state: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of the run's trades newest first, with PnL per symbol and per day."""
    _, symbol = run_defaults(run)
    with ledger.books() as (_, trades):
        rows, next_cursor = trade_views(trades, symbol, state=state, limit=limit, cursor=cursor)
        pnl = pnl_view(trades, symbol)
    for row in rows:
        row["run_id"] = run.run_id
    return {"run_id": run.run_id, "trades": rows, "next_cursor": next_cursor, **pnl}
