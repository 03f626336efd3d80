"""Decisions and their traces: sources merged, links by id or inferred, outcomes by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.domain.decision_queries import (
    current_tallies,
    decision_detail,
    decisions_page,
    merged,
)
from peakwatch.domain.decisions import DecisionBook
from peakwatch.sources.problems import Problem

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVENTS = "live_runs/r/events.jsonl"


def at(seconds: float) -> str:
    """ISO time `seconds` after T0."""
    return (T0 + timedelta(seconds=seconds)).isoformat()


class World:
    """A DecisionBook fed by hand, one record at a time, with the records kept for refolding."""

    def __init__(self) -> None:
        self.book = DecisionBook()
        self.records: list[tuple[str, Any, int]] = []
        self.seq = 0

    def event(self, seconds: float, kind: str, **data: Any) -> None:
        self.seq += 1
        record = {"seq": self.seq, "ts": at(seconds), "kind": kind, "data": data}
        self.feed("event", RunEvent.model_validate(record), self.seq * 100)

    def ai(self, seconds: float, offset: int, **fields: Any) -> None:
        record = {"ts_utc": at(seconds), "run_id": "r", "event": "decision", **fields}
        self.feed("ai", AiDecisionEvent.model_validate(record), offset)

    def execution(self, seconds: float, kind: str, offset: int, **payload: Any) -> None:
        record = {"ts": at(seconds), "kind": kind, "payload": {"run_id": "r", **payload}}
        self.feed("execution", ExecutionEvent.model_validate(record), offset)

    def row(self, seconds: float, **columns: Any) -> None:
        record = StepRow.model_validate({"ts_event": at(seconds), **columns})
        self.feed("row", record, len(self.records))

    def feed(self, what: str, record: Any, where: int) -> None:
        self.records.append((what, record, where))
        fold(self.book, what, record, where)


def fold(book: DecisionBook, what: str, record: Any, where: int) -> None:
    """One record into a book, the way the run ledger does it."""
    if what == "event":
        book.add_event(record, EVENTS, where)
    elif what == "ai":
        book.add_ai(record, "ai_events.jsonl", where)
    elif what == "execution":
        book.add_execution(record, "execution/s.jsonl", where)
    else:
        book.add_row(record, Problem("live_runs/r/events.csv", "", offset=where))


def page(book: DecisionBook, **filters: Any) -> list[dict[str, Any]]:
    return decisions_page(book, limit=filters.pop("limit", 100), **filters)["decisions"]


def scorecard(book: DecisionBook) -> dict[str, Any]:
    return merged(current_tallies(book)).view()


def three_decisions() -> World:
    """Equity 100 -> 110 -> 105 -> 120 around decisions at 1 s (buy), 3 s (sell), 5 s (hold)."""
    world = World()
    world.event(0, "position", equity=100.0)
    world.event(1, "decision", decision_id="a", action="buy", confidence=0.9, latency_ms=20.0)
    world.event(1.1, "risk", decision_id="a", allowed=True, reasons=[])
    world.event(1.1, "order", order_id="o1", side="buy", qty=1, price=10, status="submitted")
    world.event(1.25, "fill", order_id="o1", side="buy", qty=1, price=10, fee=0.1)
    world.event(2, "position", equity=110.0, position_size=1.0)
    world.event(3, "decision", action="sell", confidence=0.3, latency_ms=40.0)
    world.event(3.1, "risk", allowed=False, reasons=["max_position", "drawdown"])
    world.event(3.1, "order", order_id="o2", side="sell", qty=1, price=11, status="blocked")
    world.event(4, "position", equity=105.0)
    world.event(5, "decision", action="hold", confidence=0.7, latency_ms=30.0)
    world.event(6, "position", equity=120.0)
    return world


def test_outcomes_by_hand() -> None:
    book = three_decisions().book
    rows = page(book)
    assert [row["decision_id"] for row in rows] == ["d-11", "d-7", "a"]  # newest first
    outcomes = [
        (r["equity_before"], r["equity_after"], r["outcome_pnl"], r["state"], r["result"])
        for r in rows
    ]
    assert outcomes == [
        (105.0, 120.0, 15.0, "open", None),  # the newest: up to the latest equity
        (110.0, 105.0, -5.0, "closed", "loss"),
        (100.0, 110.0, 10.0, "closed", "win"),
    ]
    assert rows[1]["risk"] == "blocked"
    assert rows[1]["risk_reasons"] == ["max_position", "drawdown"]
    assert rows[2]["first_fill_delay_ms"] == pytest.approx(250.0)
    assert rows[2]["link"] == "mixed" and rows[1]["link"] == "inferred"


def test_trace_links_by_id_and_inferred() -> None:
    detail = decision_detail(three_decisions().book, "a")
    assert detail is not None
    assert detail["previous_id"] is None and detail["next_id"] == "d-7"
    trace = [(item["kind"], item["link"], round(item["delay_ms"])) for item in detail["trace"]]
    assert trace == [
        ("risk", "id", 100),  # data.decision_id
        ("order", "inferred", 100),  # after the decision, before the next one
        ("fill", "id", 250),  # by its order_id
        ("position", "inferred", 1000),
    ]
    assert detail["trace"][2]["fee"] == 0.1
    assert decision_detail(three_decisions().book, "nope") is None
