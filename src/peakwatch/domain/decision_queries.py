"""What the dashboard asks of a run's decisions: pages, one decision with its trace, tallies."""

from __future__ import annotations

from typing import Any

from peakwatch.contract.values import format_utc
from peakwatch.domain.decision_index import decode_cursor, encode_cursor
from peakwatch.domain.decision_trace import Decision
from peakwatch.domain.decisions import DecisionBook
from peakwatch.domain.outcomes import Outcome, outcome_between
from peakwatch.domain.scorecard import GroupKey, Tally

OUTCOMES = ("win", "loss", "flat", "open")
SCAN_LIMIT = 10_000  # decisions looked at per page when an outcome filter skips most of them


def outcome_of(book: DecisionBook, decision: Decision, position: int | None = None) -> Outcome:
    """A decision's outcome as the run stands now."""
    index = book.index
    if position is None:
        position = index.position(decision)
    following = index.get(position + 1)
    return outcome_between(book.timeline, decision.key[0], following.key[0] if following else None)


def decision_view(
    book: DecisionBook, decision: Decision, position: int | None = None
) -> dict[str, Any]:
    """One row of the decisions table."""
    view: dict[str, Any] = {
        "decision_id": decision.decision_id,
        "ts": format_utc(decision.ts),
        "action": decision.action,
        "confidence": decision.confidence,
        "rationale": decision.rationale,
        "component": decision.component,
        "symbol": decision.symbol,
        "latency_ms": decision.latency_ms,
        "verdict": decision.verdict,
        "reason": decision.reason,
        "sources": list(decision.sources),
        "id_given": decision.explicit_id,
    }
    view.update(decision.summary())
    view.update(outcome_of(book, decision, position).view())
    return view


def matches(outcome: Outcome, wanted: str | None) -> bool:
    """Whether an outcome passes the `outcome` filter (win, loss, flat, open)."""
    if wanted is None:
        return True
    if wanted == "open":
        return not outcome.closed
    return outcome.result == wanted


def decisions_page(
    book: DecisionBook,
    *,
    limit: int,
    cursor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """Decisions newest first, filtered; `next_cursor` pages on, `scan_stopped` says the
    filter looked at SCAN_LIMIT decisions without filling the page (the cursor goes on).

    Raises ValueError for a malformed cursor or an unknown outcome.
    """
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError("outcome must be win, loss, flat or open")
    before = decode_cursor(cursor) if cursor is not None else None
    found: list[dict[str, Any]] = []
    last: Decision | None = None
    more = False
    for scanned, decision in enumerate(book.index.newest_first(action, before)):
        if len(found) >= limit or scanned >= SCAN_LIMIT:
            more = True
            break
        last = decision
        position = book.index.position(decision)
        result = outcome_of(book, decision, position)
        if matches(result, outcome):
            view = decision_view(book, decision, position)
            found.append(view)
    stopped = more and len(found) < limit
    return {
        "decisions": found,
        "next_cursor": encode_cursor(last.key) if more and last is not None else None,
        "scan_stopped": stopped,
    }


def decision_detail(book: DecisionBook, decision_id: str) -> dict[str, Any] | None:
    """One decision with its full rationale, trace (with delays and links) and neighbours."""
    decision = book.find(decision_id)
    if decision is None:
        return None
    position = book.index.position(decision)
    view = decision_view(book, decision, position)
    previous, following = book.index.get(position - 1), book.index.get(position + 1)
    view["previous_id"] = previous.decision_id if previous else None
    view["next_id"] = following.decision_id if following else None
    view["trace"] = [item.view(decision.ts) for item in decision.trace]
    view["trace_dropped"] = decision.dropped
    return view


def current_tallies(book: DecisionBook) -> dict[GroupKey, Tally]:
    """The tallies with the decisions not settled yet scored as the run stands now."""
    book.scores.flush()
    tallies = dict(book.scores.tallies)
    copied: set[GroupKey] = set()
    for decision, following in book.scores.pending():
        contribution = decision.contribution
        if following is None or contribution is None:
            continue
        key = contribution.facts.key
        if key not in copied:
            tallies[key] = tallies[key].copy()
            copied.add(key)
        outcome = outcome_between(book.timeline, decision.key[0], following.key[0])
        tallies[key].add_outcome(contribution.facts, outcome.pnl)
    return tallies


def merged(tallies: dict[GroupKey, Tally]) -> Tally:
    """One tally for all groups."""
    total = Tally()
    for tally in tallies.values():
        total.merge(tally)
    return total
