"""The AI scorecard: hit rate, profit factor, calibration and Brier score computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from artifacts import native_event, write_jsonl, write_meta
from peakwatch.contract.models import RunEvent
from peakwatch.domain.decision_queries import current_tallies, merged
from peakwatch.domain.decisions import DecisionBook
from peakwatch.domain.scorecard import Histogram, Tally, bin_of
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings

T0 = datetime(2026, 3, 1, tzinfo=UTC)
# (confidence, latency, equity after the bar, what followed): outcomes +10 -5 +20 0 -15, open
PLAN: list[tuple[float, float, float, str]] = [
    (0.9, 10.0, 110.0, "filled"),
    (0.7, 20.0, 105.0, "blocked"),
    (0.85, 30.0, 125.0, ""),
    (0.5, 40.0, 125.0, ""),
    (0.1, 50.0, 110.0, "rejected"),
    (0.6, 60.0, 130.0, ""),
]


def plan_events(plan: list[tuple[float, float, float, str]], **extra: Any) -> list[dict[str, Any]]:
    """A start step at equity 100, then per plan row a decision and what followed it."""
    events = [native_event(1, "position", T0, equity=100.0)]

    def add(seconds: float, kind: str, **data: Any) -> None:
        events.append(native_event(len(events) + 1, kind, T0 + timedelta(seconds=seconds), **data))

    for index, (confidence, latency, equity, what) in enumerate(plan):
        at = 2.0 * index + 1
        add(at, "decision", action="buy", confidence=confidence, latency_ms=latency, **extra)
        if what == "filled":
            add(at + 0.1, "risk", allowed=True, reasons=[])
            add(at + 0.1, "order", order_id=f"o{index}", status="submitted")
            add(at + 0.25, "fill", order_id=f"o{index}", side="buy", qty=1.0, price=1.0)
        elif what == "blocked":
            add(at + 0.1, "risk", allowed=False, reasons=["max_position"])
        elif what == "rejected":
            add(at + 0.1, "order", order_id=f"o{index}", status="rejected")
        add(at + 1, "position", equity=equity)
    return events


def book_of(events: list[dict[str, Any]]) -> DecisionBook:
    book = DecisionBook()
    for number, event in enumerate(events):
        book.add_event(RunEvent.model_validate(event), "r/events.jsonl", number)
    return book


def test_scorecard_by_hand() -> None:
    card = merged(current_tallies(book_of(plan_events(PLAN)))).view()
    assert {name: card[name] for name in ("decisions", "open", "closed", "scored")} == {
        "decisions": 6,
        "open": 1,
        "closed": 5,
        "scored": 5,
    }
    assert (card["wins"], card["losses"], card["flats"]) == (2, 2, 1)
    assert card["hit_rate"] == 0.5  # 2 / (2 + 2)
    assert (card["avg_win"], card["avg_loss"]) == (15.0, -10.0)
    assert card["profit_factor"] == 1.5  # 30 / |-20|
    assert (card["pnl_total"], card["pnl_per_decision"]) == (10.0, 2.0)
    assert (card["risk_checked"], card["blocked"], card["blocked_share"]) == (3, 1, 1 / 3)
    assert (card["orders_sent"], card["orders_rejected"], card["rejected_share"]) == (2, 1, 0.5)
    assert card["latency_ms"] == {"count": 6, "p50": 30.0, "p95": 60.0}  # nearest rank
    assert card["first_fill_delay_ms"] == {"count": 1, "p50": 250.0, "p95": 250.0}
    assert card["by_action"] == {"buy": 6}
    names = ("lo", "hi", "count", "mean_confidence", "hit_rate")
    bins = [tuple(b[name] for name in names) for b in card["calibration"]]
    assert bins == [
        (0.0, 0.2, 1, 0.1, 0.0),
        (0.2, 0.4, 0, None, None),
        (0.4, 0.6, 0, None, None),  # 0.5 was flat: not calibrated
        (0.6, 0.8, 1, 0.7, 0.0),
        (0.8, 1.0, 2, pytest.approx(0.875), 1.0),
    ]
    assert card["calibrated"] == 4
    # ((0.9 - 1)^2 + (0.7 - 0)^2 + (0.85 - 1)^2 + (0.1 - 0)^2) / 4
    assert card["brier"] == pytest.approx(0.133125)


def test_empty_and_one_sided_scorecards_say_none_rather_than_divide_by_zero() -> None:
    empty = Tally().view()
    assert empty["decisions"] == 0
    for name in ("hit_rate", "avg_win", "avg_loss", "profit_factor", "pnl_per_decision", "brier"):
        assert empty[name] is None
    assert empty["blocked_share"] is None and empty["rejected_share"] is None
    assert empty["latency_ms"] == {"count": 0, "p50": None, "p95": None}
    only_wins = [(0.8, 5.0, 110.0, ""), (0.8, 5.0, 120.0, ""), (0.5, 5.0, 120.0, "")]
    card = merged(current_tallies(book_of(plan_events(only_wins)))).view()
    assert (card["wins"], card["losses"], card["hit_rate"]) == (2, 0, 1.0)
    assert card["profit_factor"] is None and card["avg_loss"] is None
    assert card["brier"] == pytest.approx(0.04)


def test_calibration_bin_edges_and_confidences_that_are_not_scored() -> None:
    assert [bin_of(c) for c in (0.0, 0.19999, 0.2, 0.4, 0.6, 0.79, 0.8, 1.0)] == [
        0,
        0,
        1,
        2,
        3,
        3,
        4,
        4,
    ]
    odd = [(1.5, 5.0, 110.0, ""), (-0.1, 5.0, 100.0, ""), (0.3, 5.0, 90.0, "")]
    book = book_of(plan_events(odd))
    card = merged(current_tallies(book)).view()
    assert (card["wins"], card["losses"], card["calibrated"]) == (1, 1, 0)  # both out of 0..1
    assert [p.reason for p in book.problems] == ["decision confidence outside 0..1; not scored"] * 2


def test_histogram_rounds_to_three_digits_merges_and_takes_back() -> None:
    one, two = Histogram(), Histogram()
    for value in (12.345, 12.3, 0.001234, 99_999.0):
        one.add(value)
    assert sorted(one.counts.items()) == [(0.00123, 1), (12.3, 2), (1e5, 1)]
    two.add(50.0)
    one.merge(two)
    assert one.view() == {"count": 5, "p50": 12.3, "p95": 1e5}
    one.add(12.3, -1)
    one.add(12.3, -1)
    assert one.percentile(50) == 50.0 and 12.3 not in one.counts


# -- across runs --------------------------------------------------------------------------------


def two_runs(roots: Path, settings: Settings) -> None:
    """r1: strategy alpha on BTC/EUR, the plan; r2: beta on ETH/EUR, AI lines name `gpt`."""
    write_meta(roots / "live_runs" / "r1", "r1", strategy_name="alpha", symbol="BTC/EUR")
    write_jsonl(roots / "live_runs" / "r1" / "events.jsonl", plan_events(PLAN))
    plan = [(0.9, 5.0, 90.0, ""), (0.2, 7.0, 80.0, ""), (0.6, 9.0, 85.0, "")]
    events = plan_events(plan)
    for event in events:
        if event["kind"] == "decision":
            event["data"]["decision_id"] = f"g{event['seq']}"
    write_meta(roots / "live_runs" / "r2", "r2", strategy_name="beta", symbol="ETH/EUR")
    write_jsonl(roots / "live_runs" / "r2" / "events.jsonl", events)
    lines = [
        {
            "ts_utc": event["ts"],
            "run_id": "r2",
            "decision": "accept",
            "component": "gpt",
            "decision_id": event["data"]["decision_id"],
        }
        for event in events
        if event["kind"] == "decision"
    ]
    write_jsonl(settings.ai_events_path, lines)


def test_scorecards_across_runs_grouped_four_ways(settings: Settings, roots: Path) -> None:
    two_runs(roots, settings)
    ai = Workspace(settings).ai
    rows = {
        group_by: {row["group"]: (row["runs"], row["decisions"], row["hit_rate"]) for row in card}
        for group_by in ("component", "strategy", "symbol", "run")
        for card in [ai.scorecard(group_by)["groups"]]
    }
    # r2: 100 -> 90 (loss, 0.9), 90 -> 80 (loss, 0.2), open
    assert rows["component"] == {"alpha": (1, 6, 0.5), "gpt": (1, 3, 0.0)}
    assert rows["strategy"] == {"alpha": (1, 6, 0.5), "beta": (1, 3, 0.0)}
    assert rows["symbol"] == {"BTC/EUR": (1, 6, 0.5), "ETH/EUR": (1, 3, 0.0)}
    assert rows["run"] == {"r1": (1, 6, 0.5), "r2": (1, 3, 0.0)}
    total = ai.scorecard("run")["total"]
    assert (total["decisions"], total["wins"], total["losses"], total["hit_rate"]) == (
        9,
        2,
        4,
        2 / 6,
    )
    # five losses and wins as above, plus r2's (0.9 - 0)^2 + (0.2 - 0)^2
    assert total["brier"] == pytest.approx((0.5325 + 0.81 + 0.04) / 6)
    with pytest.raises(ValueError):
        ai.scorecard("model")


def test_a_run_scorecard_follows_the_file_and_names_the_run(
    settings: Settings, roots: Path
) -> None:
    two_runs(roots, settings)
    runs = Workspace(settings).runs
    card = runs.scorecard("r1")
    assert card is not None and card["closed"] == 5
    assert (card["run_id"], card["strategy"], card["symbol"]) == ("r1", "alpha", "BTC/EUR")
    assert runs.scorecard("r1") == card  # warm: the same answer
    more = [native_event(99, "decision", T0 + timedelta(seconds=30), action="sell")]
    write_jsonl(roots / "live_runs" / "r1" / "events.jsonl", more, mode="a")
    grown = runs.scorecard("r1")
    assert grown is not None and (grown["decisions"], grown["closed"]) == (7, 6)
    assert runs.scorecard("nope") is None
