"""Decisions and their traces: sources merged, links by id or inferred, outcomes by hand."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from artifacts import native_event, write_jsonl, write_meta, write_parquet_events
from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.domain import decision_queries
from peakwatch.domain import decisions as decisions_module
from peakwatch.domain.decision_queries import (
    current_tallies,
    decision_detail,
    decisions_page,
    merged,
    outcome_of,
)
from peakwatch.domain.decisions import DecisionBook
from peakwatch.domain.scorecard import Contribution, Tally
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings
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


def test_same_decision_from_two_sources_is_one() -> None:
    world = World()
    world.event(0, "position", equity=100.0)
    world.event(1, "decision", decision_id="x1", action="buy", confidence=0.6)
    world.ai(1.5, 10, decision="accept", action="submit", decision_id="x1", latency_ms=12.0)
    world.event(2, "decision", action="hold")  # no id: joined by time
    world.ai(2.0004, 20, decision="noop", action="none", component="gpt", latency_ms=8.0)
    world.ai(3.5, 30, decision="noop", action="none")  # 1.5 s from any decision: its own
    world.event(4, "decision", decision_id="y", action="sell")
    world.ai(4.0002, 40, decision="reject", action="none", decision_id="z")  # ids clash
    rows = page(world.book)
    assert [(r["decision_id"], r["sources"]) for r in rows] == [
        ("z", ["ai"]),
        ("y", ["events"]),
        ("ai-30", ["ai"]),
        ("d-3", ["events", "ai"]),
        ("x1", ["events", "ai"]),
    ]
    merged_row = rows[3]
    assert (merged_row["action"], merged_row["verdict"], merged_row["latency_ms"]) == (
        "hold",
        "noop",
        8.0,
    )
    assert merged_row["component"] == "gpt" and merged_row["ts"] == "2026-01-01T00:00:02Z"
    assert rows[4]["latency_ms"] == 12.0 and rows[4]["verdict"] == "accept"


def test_an_ai_line_read_first_takes_the_native_time_when_the_event_arrives() -> None:
    world = World()
    world.event(0, "position", equity=100.0)
    world.ai(1.0009, 10, decision="accept", action="submit", decision_id="k")
    world.event(1.0005, "decision", decision_id="k", action="buy")
    world.event(1.5, "position", equity=104.0)
    (row,) = page(world.book)
    assert row["ts"] == "2026-01-01T00:00:01.000500Z" and row["action"] == "buy"
    assert row["sources"] == ["ai", "events"] and row["decision_id"] == "k"


def test_execution_telemetry_links_intent_order_fill_by_id_and_gate_by_time() -> None:
    world = World()
    world.event(0, "position", equity=100.0)
    world.event(1, "decision", decision_id="a", action="buy")
    world.event(5, "decision", decision_id="b", action="sell")
    world.execution(1.1, "gate", 1, allowed=True, reasons=[])  # inferred: latest before it
    world.execution(1.2, "intent", 2, intent_id="i1", decision_id="a", side="buy", qty=2.0)
    world.execution(5.5, "order", 3, intent_id="i1", order_id="o9", status="rejected")
    world.execution(5.6, "fill", 4, order_id="o9", qty=1.0, price=10.0, fee=0.01)
    world.execution(5.7, "fill", 5, order_id="nope", qty=1.0, price=10.0)
    detail = decision_detail(world.book, "a")
    assert detail is not None
    assert [(i["kind"], i["link"], i["source"]) for i in detail["trace"]] == [
        ("risk", "inferred", "execution"),
        ("intent", "id", "execution"),
        ("order", "id", "execution"),  # intent_id -> the intent's decision, 4.5 s later
        ("fill", "id", "execution"),  # order_id -> the order's decision
    ]
    assert detail["orders_rejected"] == 1 and detail["first_fill_delay_ms"] == 4600.0
    other = decision_detail(world.book, "b")
    assert other is not None
    assert [(i["kind"], i["link"]) for i in other["trace"]] == [("fill", "inferred")]
    assert [p.reason for p in world.book.problems] == [
        "fill without its order; linked by time instead"
    ]


def test_telemetry_of_orders_already_in_the_events_file_is_not_counted_twice() -> None:
    world = World()
    world.event(1, "decision", decision_id="a", action="buy")
    world.event(1.1, "order", decision_id="a", order_id="o1", status="submitted")
    world.event(1.2, "fill", decision_id="a", order_id="o1", qty=1.0, price=5.0)
    world.execution(1.1, "order", 1, order_id="o1", status="submitted")
    world.execution(1.2, "fill", 2, order_id="o1", qty=1.0, price=5.0)
    detail = decision_detail(world.book, "a")
    assert detail is not None
    assert [(i["kind"], i["source"]) for i in detail["trace"]] == [
        ("order", "events"),
        ("fill", "events"),
    ]
    assert scorecard(world.book)["orders_sent"] == 1


def test_step_rows_with_a_changed_signal_are_decisions_traced_by_their_own_row() -> None:
    world = World()
    common = {"orders_generated": 0, "risk_allowed": True}
    world.row(0, step=1, price=10.0, equity=1000.0, position_size=0.0, signal=0, **common)
    world.row(
        60,
        step=2,
        price=11.0,
        equity=1000.0,
        position_size=2.0,
        signal=1,
        signal_changed=True,
        orders_generated=2,
        orders_filled=1,
        orders_rejected=1,
        risk_allowed=True,
        extra_ai_confidence=0.8,
    )
    world.row(120, step=3, price=12.0, equity=1002.0, position_size=2.0, signal=1, **common)
    world.row(180, step=4, price=9.0, equity=996.0, position_size=0.0, signal=0, risk_allowed=False,
              risk_reasons="drawdown; max_loss", signal_changed=True, orders_generated=1,
              orders_blocked=1)  # fmt: skip
    rows = page(world.book)
    assert [(r["decision_id"], r["action"]) for r in rows] == [("row-4", "close"), ("row-2", "buy")]
    assert (rows[1]["equity_before"], rows[1]["equity_after"], rows[1]["result"]) == (
        1000.0,
        1002.0,  # the row before the next decision
        "win",
    )
    assert rows[1]["confidence"] == 0.8 and rows[1]["orders_rejected"] == 1
    assert rows[0]["risk"] == "blocked" and rows[0]["risk_reasons"] == ["drawdown", "max_loss"]
    detail = decision_detail(world.book, "row-2")
    assert detail is not None
    assert [(i["kind"], i.get("status"), i.get("count", 1)) for i in detail["trace"]] == [
        ("risk", None, 1),
        ("order", "submitted", 1),
        ("order", "rejected", 1),
        ("fill", None, 1),
        ("position", None, 1),
    ]
    assert detail["trace"][3]["qty"] == 2.0 and detail["trace"][3]["price"] == 11.0
    assert {i["delay_ms"] for i in detail["trace"]} == {0.0}


def test_orphans_are_reported_and_never_raise_and_the_rest_is_scored() -> None:
    world = World()
    world.event(0, "position", equity=100.0)
    world.event(1, "decision", decision_id="a", action="buy", confidence=1.7)
    world.event(1.1, "order", order_id="o1", status="submitted")
    world.event(1.2, "order", order_id="o1", status="submitted")
    world.event(1.3, "fill", order_id="o2", qty=1.0, price=1.0)
    world.event(1.4, "risk", decision_id=["a"], allowed=True)
    world.event(1.5, "risk", decision_id="ghost", allowed=True)
    world.event(2, "position", equity=90.0)
    world.event(0.5, "decision", decision_id="a", action="sell", confidence=None)
    world.event(3, "position", equity=95.0)
    reasons = [(p.reason, p.offset) for p in world.book.problems]
    assert reasons == [
        ("decision confidence outside 0..1; not scored", 200),
        ("order id seen twice", 400),
        ("fill without its order; linked by time instead", 500),
        ("data.decision_id is not text of 1 to 200 characters; ignored", 600),
        ("decision_id names no decision; linked by time instead", 700),
        ("timestamp earlier than the record before it", 900),
        ("decision_id reused by another decision; shown with an id of its own", 900),
    ]
    assert {p.file for p in world.book.problems} == {EVENTS}
    rows = page(world.book)
    assert [r["decision_id"] for r in rows] == ["a", "d-9"]  # time order: 0.5 s, then 1 s
    card = scorecard(world.book)
    assert (card["closed"], card["losses"], card["calibrated"]) == (1, 0, 0)
    assert rows[1]["outcome_pnl"] == 0.0  # 0.5 s: before the first step, so both read 100
    assert rows[0]["state"] == "open" and rows[0]["outcome_pnl"] == -5.0


# -- through the run ledger: files that grow -------------------------------------------------


def demo_like_events(bars: int, first_seq: int = 1, start: float = 0.0) -> list[dict[str, Any]]:
    """Per bar: market, decision (no id), risk, order (every 3rd blocked), fill, position."""
    events: list[dict[str, Any]] = []
    seq = first_seq
    for index in range(bars):
        bar = int(start) + index
        ts = T0 + timedelta(seconds=bar)
        blocked = bar % 3 == 2
        specs: list[tuple[str, dict[str, Any]]] = [
            ("market", {"close": 100.0 + bar}),
            (
                "decision",
                {"action": "buy" if bar % 2 else "sell", "confidence": 0.1 + bar % 9 / 10},
            ),
            ("risk", {"allowed": not blocked, "reasons": ["limit"] if blocked else []}),
            ("order", {"order_id": f"o{bar}", "status": "blocked" if blocked else "submitted"}),
        ]
        if not blocked:
            specs.append(("fill", {"order_id": f"o{bar}", "side": "buy", "qty": 1.0, "price": 1.0}))
        specs.append(("position", {"equity": 1000.0 + (bar * 7) % 5 - bar % 2}))
        for offset, (kind, data) in enumerate(specs):
            moment = ts + timedelta(milliseconds=offset)
            events.append(native_event(seq, kind, moment, **data))
            seq += 1
    return events


def ai_lines(bars: range) -> list[dict[str, Any]]:
    """An AI events line 0.5 ms after each bar's decision (joined by time), latency by bar."""
    return [
        {
            "ts_utc": (T0 + timedelta(seconds=bar, milliseconds=1.5)).isoformat(),
            "run_id": "r1",
            "event": "decision",
            "decision": "accept",
            "action": "submit",
            "latency_ms": float(10 + bar % 7),
        }
        for bar in bars
    ]


def answers(workspace: Workspace) -> tuple[Any, ...]:
    """Everything the run's decisions answer, for comparing two ways of reading the same data."""
    runs = workspace.runs
    everything = runs.decisions("r1", limit=1000)
    assert everything is not None
    details = [runs.decision("r1", row["decision_id"]) for row in everything["decisions"]]
    card = runs.scorecard("r1")
    assert card is not None
    return everything["decisions"], details, card


def grow(settings: Settings, roots: Path, *, ai_ahead: bool) -> tuple[Workspace, list[str]]:
    """Run r1 written in three chunks, read after each; returns the reader and the first ids."""
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1", strategy_name="momo", symbol="ETH/EUR")
    events, ai_path = run_dir / "events.jsonl", settings.ai_events_path
    chunks = [demo_like_events(5)]
    chunks.append(demo_like_events(7, first_seq=len(chunks[0]) + 1, start=5))
    chunks.append(demo_like_events(5, first_seq=len(chunks[0]) + len(chunks[1]) + 1, start=12))
    grown = Workspace(settings)
    write_jsonl(events, chunks[0])
    write_jsonl(ai_path, ai_lines(range(7 if ai_ahead else 5)))
    first = grown.runs.decisions("r1", limit=100)
    assert first is not None
    write_jsonl(events, chunks[1], mode="a")
    write_jsonl(ai_path, ai_lines(range(7 if ai_ahead else 5, 12)), mode="a")
    assert grown.runs.scorecard("r1") is not None
    write_jsonl(events, chunks[2], mode="a")
    return grown, [row["decision_id"] for row in first["decisions"]]


def test_folding_in_chunks_answers_like_one_read_of_the_whole_files(
    settings: Settings, roots: Path
) -> None:
    grown, first_ids = grow(settings, roots, ai_ahead=False)
    grown_answers = answers(grown)
    assert grown_answers == answers(Workspace(settings))
    rows = grown_answers[0]
    assert len(rows) == 17 and [row["decision_id"] for row in rows[-5:]] == first_ids
    assert first_ids == ["d-25", "d-19", "d-14", "d-8", "d-2"]  # bar 2 is blocked: no fill
    assert [row["sources"] for row in rows] == [["events"]] * 5 + [["events", "ai"]] * 12
    assert rows[0]["component"] == "momo" and rows[0]["symbol"] == "ETH/EUR"
    card = grown_answers[2]
    assert card["decisions"] == 17 and card["latency_ms"]["count"] == 12
    assert card["blocked"] == 5 and card["risk_checked"] == 17


def test_ids_stay_when_the_ai_file_runs_ahead_and_outcomes_match_one_read(
    settings: Settings, roots: Path
) -> None:
    grown, first_ids = grow(settings, roots, ai_ahead=True)
    sizes = [len(json.dumps(line)) + 1 for line in ai_lines(range(6))]
    assert first_ids[:2] == [f"ai-{sum(sizes)}", f"ai-{sum(sizes[:5])}"]  # bars 6 and 5
    rows, details, card = answers(grown)
    assert [row["decision_id"] for row in rows[-7:]] == first_ids
    assert grown.runs.decision("r1", first_ids[1]) == details[-6]
    fresh_rows, _, fresh_card = answers(Workspace(settings))
    assert card == fresh_card
    renamed = ("decision_id", "sources")
    assert [{k: v for k, v in row.items() if k not in renamed} for row in rows] == [
        {k: v for k, v in row.items() if k not in renamed} for row in fresh_rows
    ]


def test_pages_newest_first_with_a_cursor_and_filters(settings: Settings, roots: Path) -> None:
    grown, _ = grow(settings, roots, ai_ahead=False)
    runs = grown.runs
    seen: list[str] = []
    cursor = None
    while True:
        answer = runs.decisions("r1", limit=5, cursor=cursor)
        assert answer is not None and len(answer["decisions"]) <= 5
        seen += [row["decision_id"] for row in answer["decisions"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    everything = runs.decisions("r1", limit=100)
    assert everything is not None
    assert seen == [row["decision_id"] for row in everything["decisions"]]
    counts = everything["counts"]
    assert counts["by_outcome"] == {"win": 9, "loss": 6, "flat": 1, "open": 1}
    assert counts["by_action"] == {"buy": 8, "sell": 9}
    wins = runs.decisions("r1", limit=100, action="sell", outcome="win")
    assert wins is not None
    assert wins["decisions"] and {(r["action"], r["result"]) for r in wins["decisions"]} == {
        ("sell", "win")
    }
    opened = runs.decisions("r1", limit=100, outcome="open")
    assert opened is not None and [r["state"] for r in opened["decisions"]] == ["open"]
    holds = runs.decisions("r1", limit=5, action="hold")
    assert holds is not None and holds["decisions"] == [] and holds["next_cursor"] is None
    for bad in ({"cursor": "x"}, {"cursor": "1-2-3"}, {"outcome": "lost"}):
        with pytest.raises(ValueError):
            runs.decisions("r1", limit=5, **bad)
    assert runs.decisions("nope", limit=5) is None and runs.decision("r1", "nope") is None


def test_a_rare_outcome_filter_stops_after_its_scan_budget_and_the_cursor_goes_on(
    settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown, _ = grow(settings, roots, ai_ahead=False)
    monkeypatch.setattr(decision_queries, "SCAN_LIMIT", 4)
    flats: list[str] = []
    cursor, stops = None, 0
    while True:
        answer = grown.runs.decisions("r1", limit=5, cursor=cursor, outcome="flat")
        assert answer is not None
        flats += [row["decision_id"] for row in answer["decisions"]]
        stops += answer["scan_stopped"]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert len(flats) == 1 and stops == 4  # 17 decisions, 4 a page: 4 stops, then the end


def test_parquet_step_rows_are_followed_as_the_file_is_rewritten(
    settings: Settings, roots: Path
) -> None:
    run_dir = roots / "live_runs" / "pq"
    write_meta(run_dir, "pq")
    rows = [
        {"step": n, "ts_event": at(60 * n), "equity": 100.0 + n * n, "signal": n % 2,
         "signal_changed": n % 3 == 0, "position_size": float(n % 2)}
        for n in range(1, 9)
    ]  # fmt: skip
    write_parquet_events(run_dir, rows[:5], group=2)
    runs = Workspace(settings).runs
    first = runs.decisions("pq", limit=10)
    assert first is not None and [r["decision_id"] for r in first["decisions"]] == ["row-3"]
    write_parquet_events(run_dir, rows, group=2)  # rewritten whole, as upstream does
    answer = runs.decisions("pq", limit=10)
    assert answer is not None
    assert [(r["decision_id"], r["action"]) for r in answer["decisions"]] == [
        ("row-6", "close"),
        ("row-3", "buy"),
    ]
    # row 3 decides at equity 104 (row 2); the next decision reads row 5's 125
    assert (answer["decisions"][1]["equity_before"], answer["decisions"][1]["equity_after"]) == (
        104.0,
        125.0,
    )
    assert answer["decisions"][0]["equity_after"] == 164.0  # the newest: the latest equity


def test_a_rewritten_ai_file_is_read_again_from_its_start(settings: Settings, roots: Path) -> None:
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    write_jsonl(run_dir / "events.jsonl", demo_like_events(3))
    write_jsonl(settings.ai_events_path, ai_lines(range(3)))
    runs = Workspace(settings).runs
    card = runs.scorecard("r1")
    assert card is not None and card["latency_ms"]["count"] == 3
    write_jsonl(settings.ai_events_path, ai_lines(range(1)))  # truncated and rewritten
    card = runs.scorecard("r1")
    assert card is not None and card["latency_ms"]["count"] == 1 and card["decisions"] == 3
    problems = runs.read_problems()
    assert problems == []


def test_decision_problems_reach_the_health_list_with_file_and_offset(
    settings: Settings, roots: Path
) -> None:
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    events = demo_like_events(2)
    events.append(native_event(len(events) + 1, "fill", T0 + timedelta(seconds=5), order_id="zz"))
    write_jsonl(run_dir / "events.jsonl", events)
    runs = Workspace(settings).runs
    answer = runs.decisions("r1", limit=5)
    assert answer is not None
    offset = sum(len(json.dumps(event)) + 1 for event in events[:-1])
    expected = {
        "file": "live_runs/r1/events.jsonl",
        "kind": "artifact",
        "line": None,
        "offset": offset,
        "reason": "fill without its order; linked by time instead",
    }
    assert answer["problems"] == [expected]
    assert [p.as_dict() for p in runs.read_problems()] == [expected]


def test_a_record_the_books_cannot_follow_is_a_problem_and_the_rest_goes_on(
    settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(event: RunEvent, link: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(decisions_module, "native_item", broken)
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    write_jsonl(run_dir / "events.jsonl", demo_like_events(3))
    runs = Workspace(settings).runs
    answer = runs.decisions("r1", limit=5)
    assert answer is not None and len(answer["decisions"]) == 3
    reasons = {problem["reason"] for problem in answer["problems"]}
    assert "record could not be followed into decisions or trades; skipped" in reasons
    snapshot = runs.snapshot("r1", T0)
    assert snapshot is not None and snapshot["total_steps"] == 3


def random_world(seed: int) -> World:
    """Records of every source in a shuffled, partly out-of-order, partly hostile mix."""
    rng = random.Random(seed)
    world = World()
    values: list[Any] = [None, 0, 1.5, -2.0, "", "x", "o1", "o2", "d-3", ["r"], {}, True, 0.7]
    keys = ["decision_id", "action", "confidence", "latency_ms", "order_id", "intent_id"]
    keys += ["status", "side", "qty", "price", "fee", "equity", "allowed", "reasons"]
    kinds = ["decision", "risk", "order", "fill", "position", "market"]
    for index in range(80):
        data = {key: rng.choice(values) for key in rng.sample(keys, rng.randint(0, 7))}
        seconds = index + rng.uniform(-3.0, 1.0)
        roll = rng.random()
        if roll < 0.6:
            world.event(seconds, rng.choice(kinds), **data)
        elif roll < 0.75:
            row = {"equity": rng.choice([None, 99.0, 101.0]), "signal": rng.choice([-1, 1])}
            row.update(signal_changed=rng.random() < 0.5, position_size=rng.choice([0.0, 1.0]))
            row.update(orders_generated=rng.choice([0, 1]), risk_allowed=rng.choice([True, False]))
            world.row(seconds, **row)
        elif roll < 0.9:
            ai = {"decision": "accept", "confidence": rng.choice([None, 0.2, 0.9, 3.0])}
            if rng.random() < 0.5:
                ai["decision_id"] = rng.choice(["d-3", "x", "y"])
            world.ai(seconds, index, **ai)
        else:
            world.execution(seconds, rng.choice(["gate", "intent", "order", "fill"]), index, **data)
    return world


@pytest.mark.parametrize("seed", range(40))
def test_running_tallies_equal_a_recount_of_every_decision(seed: int) -> None:
    book = random_world(seed).book
    recount = Tally()
    for position in range(len(book.index)):
        decision = book.index.get(position)
        assert decision is not None
        outcome = outcome_of(book, decision, position)
        recount.add(Contribution(decision.facts(), outcome.closed, outcome.pnl))
    kept, fresh = scorecard(book), recount.view()
    assert kept.keys() == fresh.keys()
    for name, value in fresh.items():
        assert kept[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert kept["calibration"] == [
        {key: pytest.approx(v) if isinstance(v, float) else v for key, v in row.items()}
        for row in fresh["calibration"]
    ]
