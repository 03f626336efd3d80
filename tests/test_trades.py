"""Trades: flat to flat or to a reversal, with entry, exit, fees, PnL and the deciding ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from artifacts import native_event, write_csv_events, write_jsonl, write_meta
from peakwatch.contract.models import RunEvent
from peakwatch.domain.trades import TradeBook, pnl_view, trade_views
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings

T0 = datetime(2026, 3, 1, 22, tzinfo=UTC)
HOUR = 3600.0


def native_trading() -> list[dict[str, Any]]:
    """Buy 1 @ 100, buy 1 @ 110, sell 3 @ 120 (a reversal), mark 115, buy 1 @ 125 next day."""
    events: list[dict[str, Any]] = []

    def add(hours: float, kind: str, **data: Any) -> None:
        ts = T0 + timedelta(seconds=hours * HOUR)
        events.append(native_event(len(events) + 1, kind, ts, **data))

    def trade(hours: float, decision: str, side: str, qty: float, price: float, fee: float) -> None:
        add(hours, "decision", decision_id=decision, action=side, symbol="BTC/EUR")
        add(hours, "order", decision_id=decision, order_id=f"o-{decision}", side=side, qty=qty)
        add(hours, "fill", order_id=f"o-{decision}", side=side, qty=qty, price=price, fee=fee)

    add(0, "market", close=99.0)
    trade(0.5, "a", "buy", 1.0, 100.0, 1.0)
    trade(1.0, "b", "buy", 1.0, 110.0, 1.0)
    trade(1.5, "c", "sell", 3.0, 120.0, 3.0)
    add(1.75, "market", close=115.0)
    trade(3.0, "d", "buy", 1.0, 125.0, 0.5)  # 01:00 on the next UTC day
    return events


def native_book() -> TradeBook:
    book = TradeBook()
    decision = None
    for event in native_trading():
        record = RunEvent.model_validate(event)
        decision = record.data.get("decision_id", decision)
        book.add_event(record, decision)
    return book


def test_native_fills_make_trades_by_hand() -> None:
    book = native_book()
    views, cursor = trade_views(book, "BTC/EUR")
    assert cursor is None
    second, first = views
    assert first == {
        "trade_id": "t-1",
        "symbol": "BTC/EUR",
        "side": "long",
        "state": "closed",
        "entry_time": "2026-03-01T22:30:00Z",
        "entry_price": 105.0,
        "exit_time": "2026-03-01T23:30:00Z",
        "exit_price": 120.0,
        "qty": 2.0,
        "open_qty": 0.0,
        "fees": 4.0,  # 1 + 1 + 2/3 of the closing fill's 3
        "pnl": 26.0,  # 2 * (120 - 105) - 4
        "duration_s": 3600.0,
        "open_decision_id": "a",
        "close_decision_id": "c",
    }
    assert second["side"] == "short" and second["entry_price"] == 120.0
    assert (second["exit_price"], second["fees"], second["pnl"]) == (125.0, 1.5, -6.5)
    assert (second["open_decision_id"], second["close_decision_id"]) == ("c", "d")
    pnl = pnl_view(book, "BTC/EUR")
    assert pnl["by_symbol"] == {
        "BTC/EUR": {
            "trades": 2,
            "wins": 1,
            "losses": 1,
            "pnl": 19.5,
            "fees": 5.5,
            "open": 0,
            "open_pnl": 0.0,
        }
    }
    assert pnl["by_day"] == {
        "2026-03-01": {"trades": 1, "wins": 1, "losses": 0, "pnl": 26.0, "fees": 4.0},
        "2026-03-02": {"trades": 1, "wins": 0, "losses": 1, "pnl": -6.5, "fees": 1.5},
    }


def test_an_open_trade_is_marked_at_the_last_price() -> None:
    book = TradeBook()
    events = native_trading()[:-3]  # before the closing buy: short 1 @ 120, last price 115
    for event in events:
        book.add_event(RunEvent.model_validate(event), None)
    views, _ = trade_views(book, None, state="open")
    assert [(v["trade_id"], v["state"], v["open_qty"]) for v in views] == [("t-2", "open", 1.0)]
    assert views[0]["pnl"] == 4.0  # (120 - 115) * 1 - the opening third of the fee, 1
    assert views[0]["duration_s"] == 0.25 * HOUR  # up to the last record of the trade
    assert pnl_view(book, None)["by_symbol"]["BTC/EUR"]["open_pnl"] == 4.0


def test_a_position_event_without_fills_counts_as_a_fill_at_the_last_price() -> None:
    book = TradeBook()
    for event in [
        native_event(1, "market", T0, close=50.0, symbol="SOL/EUR"),
        native_event(2, "position", T0, position_size=2.0, equity=1.0),
        native_event(3, "market", T0 + timedelta(hours=1), close=55.0),
        native_event(4, "position", T0 + timedelta(hours=1), position_size=0.0, equity=1.0),
    ]:
        book.add_event(RunEvent.model_validate(event), "x")
    (view,), _ = trade_views(book, None)
    assert (view["symbol"], view["entry_price"], view["exit_price"], view["pnl"]) == (
        "SOL/EUR",
        50.0,
        55.0,
        10.0,
    )


def step_rows_trading() -> list[dict[str, Any]]:
    """Flat, long 2 @ 10, marked 12, reversed to short 1 @ 9, flat @ 7.5 (fees unknown)."""
    plan = [(0.0, 10.0, 0, False), (2.0, 10.0, 1, True), (2.0, 12.0, 1, False)]
    plan += [(-1.0, 9.0, -1, True), (0.0, 7.5, 0, True)]
    rows = []
    for number, (size, price, signal, changed) in enumerate(plan, start=1):
        ts = (T0 + timedelta(minutes=number)).isoformat()
        rows.append(
            {
                "step": number,
                "ts_bar": ts,
                "ts_event": ts,
                "price": price,
                "equity": 1000.0 + number,
                "position_size": size,
                "signal": signal,
                "signal_changed": changed,
            }
        )
    return rows


def test_trades_from_step_rows_and_across_runs(settings: Settings, roots: Path) -> None:
    write_meta(roots / "live_runs" / "csv", "csv", symbol="ETH/EUR")
    write_csv_events(roots / "live_runs" / "csv", step_rows_trading())
    write_meta(roots / "live_runs" / "native", "native", symbol="BTC/EUR")
    write_jsonl(roots / "live_runs" / "native" / "events.jsonl", native_trading())
    workspace = Workspace(settings)
    answer = workspace.runs.trades("csv")
    assert answer is not None
    summary = [
        (t["trade_id"], t["side"], t["entry_price"], t["exit_price"], t["pnl"], t["fees"])
        for t in answer["trades"]
    ]
    assert summary == [("t-2", "short", 9.0, 7.5, 1.5, 0.0), ("t-1", "long", 10.0, 9.0, -2.0, 0.0)]
    ids = [(t["open_decision_id"], t["close_decision_id"]) for t in answer["trades"]]
    assert ids == [("row-4", "row-5"), ("row-2", "row-4")]
    assert answer["by_symbol"]["ETH/EUR"]["pnl"] == -0.5
    assert (answer["trades_total"], answer["trades_open"]) == (2, 0)
    paged = workspace.runs.trades("csv", limit=1)
    assert paged is not None and paged["next_cursor"] == "t-2"
    rest = workspace.runs.trades("csv", limit=1, cursor=paged["next_cursor"])
    assert rest is not None and [t["trade_id"] for t in rest["trades"]] == ["t-1"]
    assert rest["next_cursor"] is None
    everything = workspace.ai.trades()
    assert [(t["run_id"], t["trade_id"]) for t in everything["trades"]] == [
        ("native", "t-2"),
        ("native", "t-1"),
        ("csv", "t-2"),
        ("csv", "t-1"),
    ]
    assert set(everything["by_symbol"]) == {"BTC/EUR", "ETH/EUR"}
    eth = workspace.ai.trades(symbol="ETH/EUR", state="closed")
    assert [t["run_id"] for t in eth["trades"]] == ["csv", "csv"]
    assert workspace.ai.trades(state="open")["trades"] == []
    assert [t["trade_id"] for t in workspace.ai.trades(run_id="native", limit=1)["trades"]] == [
        "t-2"
    ]
    for bad in ({"state": "done"}, {"cursor": "t-x"}):
        with pytest.raises(ValueError):
            workspace.runs.trades("csv", **bad)
    assert workspace.runs.trades("nope") is None
