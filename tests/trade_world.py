"""A small world for the scorecard, trades and compare pages, written with the producer SDK.

Figures by hand (fees 0.5 a fill):

- alpha (trend, BTC/EUR, component gpt-a): equity 100, 100, 110, 110, 110, 105, 105.
  Decisions a buy 0.9 (+10 win), b sell 0.8 (0, flat), c buy 0.6 (-5 loss), d sell 0.7 (open):
  hit rate 1/2, outcome PnL +5, avg win +10, avg loss -5, latency 20/40/60/80 ms (p50 40,
  p95 80), Brier ((0.9-1)^2 + (0.6-0)^2) / 2 = 0.185. Trades t-1 long 100 -> 110, fees 1,
  PnL +9 (closed 2026-03-01); t-2 long 110 -> 105, fees 1, PnL -6 (closed 2026-03-02).
  Run PnL +3. Equity from 100 to 105: +5 %.
- beta (meanrev, ETH/USD, component gpt-b): equity 100, 100, 110; one decision e buy 0.3
  (open); one open trade of 2 @ 50 marked at 55: PnL +10. Equity 100 -> 110: +10 %.
- orphan: a fill without its order, a fill with no quantity, a confidence of 1.5, a line
  that is not JSON, timestamps going back.
- quiet: a run with a meta and no events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from peakwatch.producer.run_writer import RunWriter

T0 = datetime(2026, 3, 1, 20, tzinfo=UTC)
FEE = 0.5


def at(hours: float, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


def writer(runs_root: Path, run_id: str, strategy: str, symbol: str) -> RunWriter:
    return RunWriter(
        runs_root,
        run_id,
        mode="paper",
        strategy_name=strategy,
        symbol=symbol,
        timeframe="1h",
        started_at=T0,
    )


def step(
    w: RunWriter,
    hours: float,
    close: float,
    size: float,
    equity: float,
    trade: tuple[str, str, float, float, float, str] | None = None,
) -> None:
    """A bar: market price, optionally a decision with its order and fill, then the position.

    `trade` is (decision id, side, qty, confidence, latency_ms, component).
    """
    w.event("market", f"close {close}", data={"close": close}, ts=at(hours))
    if trade is not None:
        decision_id, side, qty, confidence, latency, component = trade
        w.decision(
            side,
            confidence=confidence,
            rationale=f"{side} because of the trend",
            decision_id=decision_id,
            ts=at(hours, 1),
            symbol=w.meta["symbol"],
            latency_ms=latency,
            component=component,
        )
        w.risk(True, decision_id=decision_id, ts=at(hours, 2))
        order_id = f"o-{decision_id}"
        w.order(order_id, side, qty, close, decision_id=decision_id, ts=at(hours, 3))
        w.fill(order_id, side, qty, close, FEE, decision_id=decision_id, ts=at(hours, 4))
    w.position(size, equity, ts=at(hours, 5))


def build_trade_world(runs_root: Path) -> None:
    """The four runs described above."""
    with writer(runs_root, "alpha", "trend", "BTC/EUR") as w:
        w.start(ts=T0)
        step(w, 0, 100.0, 0.0, 100.0)
        step(w, 1, 100.0, 1.0, 100.0, ("a", "buy", 1.0, 0.9, 20.0, "gpt-a"))
        step(w, 2, 110.0, 1.0, 110.0)
        step(w, 3, 110.0, 0.0, 110.0, ("b", "sell", 1.0, 0.8, 40.0, "gpt-a"))
        step(w, 4, 110.0, 1.0, 110.0, ("c", "buy", 1.0, 0.6, 60.0, "gpt-a"))
        step(w, 5, 105.0, 1.0, 105.0)
        step(w, 6, 105.0, 0.0, 105.0, ("d", "sell", 1.0, 0.7, 80.0, "gpt-a"))
        w.finish(ts=at(7))
    with writer(runs_root, "beta", "meanrev", "ETH/USD") as w:
        w.start(ts=T0)
        step(w, 0, 50.0, 0.0, 100.0)
        w.event("market", "close 50", data={"close": 50.0}, ts=at(1))
        w.decision("buy", confidence=0.3, decision_id="e", ts=at(1, 1), component="gpt-b")
        w.order("o-e", "buy", 2.0, 50.0, decision_id="e", ts=at(1, 2))
        w.fill("o-e", "buy", 2.0, 50.0, 0.0, decision_id="e", ts=at(1, 3))
        w.position(2.0, 100.0, ts=at(1, 5))
        step(w, 2, 55.0, 2.0, 110.0)
        w.finish(ts=at(3))
    with writer(runs_root, "orphan", "chaos", "XRP/EUR") as w:
        w.start(ts=T0)
        step(w, 0, 1.0, 0.0, 10.0)
        w.fill("o-nowhere", "buy", 5.0, 1.0, 0.1, ts=at(1))
        w.event("fill", "no qty", data={"order_id": "o-x", "side": "buy", "price": 1.0}, ts=at(1))
        w.decision("buy", confidence=1.5, decision_id="f", ts=at(0.5))  # time went back
        w.position(5.0, 11.0, ts=at(2))
        w.finish(ts=at(3))
    with (runs_root / "orphan" / "events.jsonl").open("a", encoding="utf-8") as f:
        f.write("this is not json\n")
    quiet = writer(runs_root, "quiet", "idle", "SOL/EUR")
    quiet.run_dir.mkdir(parents=True)
    quiet.start(ts=T0)
    quiet.events_path.unlink()
