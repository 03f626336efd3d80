"""Run several simulated AI traders and write their artifacts through the producer SDK.

One loop interleaves the runs tick by tick, so the content depends only on the seed and the
tick number; timestamps are tick times counted from the real start (`t0 + tick / speed`).
"""

from __future__ import annotations

import argparse
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from peakwatch.demo.strategy import Step, Trader
from peakwatch.producer import (
    AiEventWriter,
    AlertStoreWriter,
    ExecutionTelemetryWriter,
    PeakTradeCsvEventsWriter,
    PeakTradeParquetEventsWriter,
    RunWriter,
    SessionRecorder,
    format_ts,
    utc_now,
    write_json_atomic,
)
from peakwatch.producer.atomic import append_json_line

TIMEFRAME = "1s"
START_BALANCE = 10_000.0
MARKETS = (("BTC/EUR", 62_000.0, 3.0), ("ETH/EUR", 3_100.0, 40.0), ("SOL/EUR", 140.0, 900.0))
STRATEGIES = (("ai_momentum", 20), ("ai_trend_rider", 30), ("ai_swing", 14))
COMPAT_EXTRAS = (
    "extra_order_side",
    "extra_fill_price",
    "extra_execution_status",
    "extra_rejection_reason",
    "extra_ai_action",
    "extra_ai_confidence",
)
RUNBOOKS = {"RISK": ["risk_limit_breach"], "EXECUTION": ["order_rejections"]}


@dataclass(frozen=True, slots=True)
class Paths:
    """Where the demo writes, under `--out`."""

    runs: Path
    sessions: Path
    alerts: Path
    ai_events: Path
    execution: Path

    @classmethod
    def under(cls, out: Path) -> Paths:
        """The Peak_Trade layout under `out`."""
        return cls(
            runs=out / "live_runs",
            sessions=out / "reports" / "experiments" / "live_sessions",
            alerts=out / "live_runs" / "alerts",
            ai_events=out / "logs" / "ai" / "ai_events.jsonl",
            execution=out / "logs" / "execution",
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """One run to start: its number, market, strategy, lifetime and format."""

    number: int
    symbol: str
    start_price: float
    base_volume: float
    strategy: str
    lookback: int
    lifetime: int | None  # bars until it completes; None = until the demo stops
    silent_after: int | None  # bars until it stops writing without finishing
    fmt: str  # native | csv | parquet
    session_tag: str

    def run_id(self, started: datetime) -> str:
        """A Peak_Trade-shaped run id, unique by run number."""
        slug = self.symbol.replace("/", "-")
        return f"{started:%Y%m%d_%H%M%S}_paper_{self.strategy}_{slug}_{TIMEFRAME}_{self.number:02d}"


class Clock:
    """Event times inside one tick: the tick time plus 100 µs per event, strictly increasing."""

    def __init__(self, start: datetime) -> None:
        self.base = start
        self.count = 0

    def reset(self, tick_time: datetime) -> None:
        """Start a new tick (a tick time not after the current one continues the count)."""
        if tick_time > self.base:
            self.base, self.count = tick_time, 0

    def __call__(self) -> datetime:
        self.count += 1
        return self.base + timedelta(microseconds=100 * (self.count - 1))


class NativeRun:
    """A run in the native format: events.jsonl, a session record, AI events and telemetry."""

    def __init__(self, plan: Plan, trader: Trader, paths: Paths, shared: Shared, ts: datetime):
        self.plan, self.trader, self.shared, self.clock = plan, trader, shared, Clock(ts)
        self.run_id = plan.run_id(ts)
        self.session_id = f"session_{ts:%Y%m%d_%H%M%S}_paper_{plan.session_tag}"
        config = {
            "strategy_name": plan.strategy,
            "symbol": plan.symbol,
            "timeframe": TIMEFRAME,
            "mode": "paper",
            "start_balance": START_BALANCE,
            "tags": ["demo", "ai", plan.strategy],
            "notes": "peakwatch demo: simulated AI paper trading",
            "lookback": plan.lookback,
            "max_position": trader.limits.max_position,
            "max_drawdown": trader.limits.max_drawdown,
        }
        self.writer = RunWriter(
            paths.runs,
            self.run_id,
            mode="paper",
            strategy_name=plan.strategy,
            symbol=plan.symbol,
            timeframe=TIMEFRAME,
            config_snapshot=config,
            notes="peakwatch demo: simulated AI paper trading",
            started_at=ts,
        )
        self.session = SessionRecorder(
            paths.sessions,
            session_id=self.session_id,
            run_id=self.run_id,
            mode="paper",
            env_name="demo_paper",
            symbol=plan.symbol,
            config=config,
            cli_args=shared.cli_args,
            strategy_tier="r_and_d",
            started_at=ts,
        )
        self.telemetry = ExecutionTelemetryWriter(paths.execution, self.session_id)
        self.last_step: Step | None = None
        self.session.start()
        self.writer.start(ts=self.clock())

    def _event(self, kind: str, msg: str, data: dict[str, Any], level: str = "info") -> None:
        self.writer.event(kind, msg, level=level, data=data, ts=self.clock())

    def _telemetry(self, kind: str, payload: dict[str, Any]) -> None:
        self.telemetry.write(kind, payload, symbol=self.plan.symbol, mode="paper", ts=self.clock())

    def write(self, step: Step, ts: datetime) -> None:
        """Write one bar's events."""
        self.clock.reset(ts)
        self.last_step = step
        bar, reading, decision, symbol = step.bar, step.reading, step.decision, self.plan.symbol
        change = bar.close / bar.open - 1.0
        self._event(
            "market",
            f"{symbol} close {bar.close:,.2f} ({change:+.2%}), volume {bar.volume:g}, {bar.regime}",
            {
                "ts_bar": format_ts(ts),
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "price": bar.close,
                "volume": bar.volume,
                "regime": bar.regime,
            },
        )
        if step.feed_error:
            self._event("error", step.feed_error, {"error": step.feed_error}, level="error")
            self._telemetry("error", {"error": step.feed_error})
        changed = " (changed)" if reading.changed else ""
        label = f"{reading.signal:+d}" if reading.signal else "0"
        self._event(
            "signal",
            f"Signal {label}{changed}: {reading.reason}",
            {"signal": reading.signal, "changed": reading.changed, "reason": reading.reason},
        )
        self._event(
            "decision",
            decision.rationale,
            {
                "action": decision.action,
                "confidence": decision.confidence,
                "rationale": decision.rationale,
                "symbol": symbol,
                "signal": reading.signal,
            },
        )
        self._write_order(step)
        self._write_ai_event(step)
        self._write_position(step)
        for alert in step.alerts:
            self.writer.alert(alert.rule_id, alert.severity, alert.message, ts=self.clock())
            self.shared.alert_store.write(
                alert.message,
                f"{alert.message}. Run {self.run_id}, strategy {self.plan.strategy}.",
                severity={"info": "INFO", "warning": "WARN"}.get(alert.severity, "CRITICAL"),
                category=alert.category,
                source="peakwatch.demo",
                session_id=self.session_id,
                runbooks=RUNBOOKS.get(alert.category, []),
                timestamp=self.clock(),
            )
        if step.index % 10 == 0:
            self.writer.heartbeat(ts=self.clock())
        if step.index % 5 == 0:
            self.session.heartbeat(self.metrics(step), ts=self.clock())

    def _write_order(self, step: Step) -> None:
        reasons, order, fill = step.risk_reasons, step.order, step.fill
        if reasons is None or order is None:
            return
        what = f"{order['side']} {order['qty']:g} {self.trader.asset}"
        allowed = not reasons
        self._telemetry("gate", {"allowed": allowed, "reasons": reasons})
        if allowed:
            self._event("risk", f"Risk check passed for {what}", {"allowed": True, "reasons": []})
        else:
            msg = f"Risk blocked {what}: {'; '.join(reasons)}"
            self._event("risk", msg, {"allowed": False, "reasons": reasons}, level="warning")
        self._telemetry("intent", {key: order[key] for key in ("order_id", "side", "qty", "price")})
        status = order["status"]
        data = {key: order[key] for key in ("order_id", "side", "qty", "price", "status")}
        msg = f"Order {order['order_id']} {what} @ {order['price']:,.2f} {status}"
        if status == "rejected":
            msg += f": {order['reason']}"
            data["reason"] = order["reason"]
        level = "info" if status == "submitted" else "warning"
        self._event("order", msg, data, level=level)
        if status != "blocked":
            self._telemetry("order", data)
        if status == "rejected":
            self._telemetry("error", {"order_id": order["order_id"], "error": order["reason"]})
        if fill is not None:
            msg = (
                f"Filled {fill['order_id']} {what} @ {fill['price']:,.2f}, "
                f"fee {fill['fee']:.4f} EUR"
            )
            self._event("fill", msg, dict(fill))
            self._telemetry("fill", dict(fill))

    def _write_ai_event(self, step: Step) -> None:
        decision, order = step.decision, step.order
        if order is None:
            verdict, reason = "noop", "no_signal" if step.position == 0 else "holding"
        elif order["status"] == "submitted":
            verdict, reason = "accept", "none"
        elif order["status"] == "blocked":
            verdict, reason = "reject", "risk_limit"
        else:
            verdict, reason = "reject", "exchange_reject"
        self.shared.ai_events.decision(
            component=self.plan.strategy,
            run_id=self.run_id,
            decision=verdict,
            reason=reason,
            latency_ms=step.latency_ms,
            action="submit" if verdict == "accept" else "none",
            confidence=decision.confidence,
            rationale=decision.rationale,
            ts=self.clock(),
        )

    def _write_position(self, step: Step) -> None:
        side = "flat" if step.position == 0 else ("long" if step.position > 0 else "short")
        size = f" {abs(step.position):g} {self.trader.asset}" if step.position else ""
        msg = (
            f"{self.plan.symbol} {side}{size}; equity {step.equity:,.2f} EUR "
            f"(realized {step.realized_pnl:+,.2f}, unrealized {step.unrealized_pnl:+,.2f})"
        )
        data = {
            "symbol": self.plan.symbol,
            "position_size": step.position,
            "cash": step.cash,
            "equity": step.equity,
            "realized_pnl": step.realized_pnl,
            "unrealized_pnl": step.unrealized_pnl,
        }
        self._event("position", msg, data)

    def metrics(self, step: Step | None = None) -> dict[str, Any]:
        """Session metrics in the Peak_Trade registry shape."""
        trader, account = self.trader, self.trader.account
        recent_block = trader.steps - trader.last_blocked_at < 20
        breach = account.max_drawdown < -trader.limits.max_drawdown
        price = step.bar.close if step else 0.0
        notional = round(abs(account.position) * price, 2)
        return {
            "realized_pnl": round(account.realized_pnl, 2),
            "unrealized_pnl": step.unrealized_pnl if step else 0.0,
            "max_drawdown": round(account.max_drawdown, 6),
            "num_orders": account.orders,
            "num_trades": account.fills,
            "steps": trader.steps,
            "fill_rate": round(account.fills / account.orders, 4) if account.orders else None,
            "risk_status": "red" if breach else ("yellow" if recent_block else "green"),
            "risk_severity": "breach" if breach else ("warning" if recent_block else "ok"),
            "open_positions": 1 if account.position else 0,
            "total_notional": notional,
            "exposure": round(notional / step.equity, 4) if step and step.equity else 0.0,
        }

    def finish(self, status: str, ts: datetime) -> None:
        """Finish the run and its session."""
        self.clock.reset(ts)
        self.writer.finish(status, ts=self.clock())
        self.session.heartbeat(self.metrics(self.last_step), ts=self.clock())
        error = "stopped by the operator (Ctrl-C)" if status == "aborted" else None
        self.session.finish(status, error, ts=self.clock())


class CompatRun:
    """A run in a Peak_Trade format: meta.json plus events.csv or events.parquet rows."""

    def __init__(self, plan: Plan, trader: Trader, paths: Paths, ts: datetime) -> None:
        self.plan, self.trader = plan, trader
        self.run_id = plan.run_id(ts)
        self.run_dir = paths.runs / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.meta: dict[str, Any] = {
            "run_id": self.run_id,
            "mode": "paper",
            "strategy_name": plan.strategy,
            "symbol": plan.symbol,
            "timeframe": TIMEFRAME,
            "started_at": format_ts(ts),
            "ended_at": None,
            "config_snapshot": {"tags": ["demo", "peak_trade_format", plan.fmt]},
            "notes": f"Peak_Trade {plan.fmt} events format (compatibility demo)",
        }
        write_json_atomic(self.run_dir / "meta.json", self.meta)
        self.rows: PeakTradeCsvEventsWriter | PeakTradeParquetEventsWriter
        if plan.fmt == "csv":
            self.rows = PeakTradeCsvEventsWriter(self.run_dir, extra_columns=COMPAT_EXTRAS)
        else:
            self.rows = PeakTradeParquetEventsWriter(self.run_dir, extra_columns=COMPAT_EXTRAS)

    def write(self, step: Step, ts: datetime) -> None:
        """Append one step row (and Peak_Trade alerts)."""
        bar, order, fill = step.bar, step.order, step.fill
        status = order["status"] if order else None
        reasons = step.risk_reasons or []
        self.rows.append(
            {
                "step": step.index,
                "ts_bar": ts,
                "ts_event": ts,
                "price": bar.close,
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "volume": bar.volume,
                "position_size": step.position,
                "cash": step.cash,
                "equity": step.equity,
                "realized_pnl": step.realized_pnl,
                "unrealized_pnl": step.unrealized_pnl,
                "signal": step.reading.signal,
                "signal_changed": step.reading.changed,
                "orders_generated": int(order is not None),
                "orders_filled": int(fill is not None),
                "orders_rejected": int(status == "rejected"),
                "orders_blocked": int(status == "blocked"),
                "risk_allowed": not reasons,
                "risk_reasons": "; ".join(reasons),
                "extra_order_side": order["side"] if order else None,
                "extra_fill_price": fill["price"] if fill else None,
                "extra_execution_status": status,
                "extra_rejection_reason": order.get("reason") if order else None,
                "extra_ai_action": step.decision.action,
                "extra_ai_confidence": step.decision.confidence,
            }
        )
        for alert in step.alerts:
            line = {
                "rule_id": alert.rule_id,
                "severity": alert.severity,
                "message": alert.message,
                "run_id": self.run_id,
                "timestamp": format_ts(ts),
            }
            append_json_line(self.run_dir / "alerts.jsonl", line)

    def finish(self, status: str, ts: datetime) -> None:
        """Write the remaining rows and set `ended_at` (upstream has no status field)."""
        if isinstance(self.rows, PeakTradeParquetEventsWriter):
            self.rows.flush()
        self.meta["ended_at"] = format_ts(ts)
        write_json_atomic(self.run_dir / "meta.json", self.meta)


@dataclass(frozen=True, slots=True)
class Shared:
    """Writers shared by all native runs."""

    alert_store: AlertStoreWriter
    ai_events: AiEventWriter
    cli_args: list[str]


Run = NativeRun | CompatRun


class Demo:
    """The tick loop's state: one slot per concurrent native run, plus the two format runs."""

    def __init__(self, out: Path, *, seed: int, runs: int, cli_args: list[str]) -> None:
        self.paths = Paths.under(out)
        for folder in (self.paths.runs, self.paths.sessions, self.paths.alerts):
            folder.mkdir(parents=True, exist_ok=True)
        self.paths.execution.mkdir(parents=True, exist_ok=True)
        self.paths.ai_events.parent.mkdir(parents=True, exist_ok=True)
        self.shared = Shared(
            AlertStoreWriter(self.paths.alerts), AiEventWriter(self.paths.ai_events), cli_args
        )
        self.seed = seed
        self.rng = random.Random(f"peakwatch-demo:{seed}")
        self.slots: list[NativeRun | None] = [None] * runs
        self.generation = [0] * runs
        self.compat: list[CompatRun] = []
        self.silent: list[NativeRun] = []
        self.count = 0

    def _plan(self, slot: int, fmt: str = "native") -> Plan:
        self.count += 1
        symbol, price, volume = MARKETS[(self.count - 1) % len(MARKETS)]
        strategy, lookback = STRATEGIES[(self.count - 1) % len(STRATEGIES)]
        first = fmt == "native" and self.generation[slot] == 0
        lifetime: int | None = None
        if fmt == "native":
            lifetime = (
                self.rng.randint(25, 40) if first and slot == 0 else self.rng.randint(60, 150)
            )
        silent = self.rng.randint(12, 18) if first and slot == len(self.slots) - 1 else None
        if fmt != "native":
            strategy = "legacy_momentum"
        tag = f"{self.rng.getrandbits(24):06x}"
        return Plan(
            self.count, symbol, price, volume, strategy, lookback, lifetime, silent, fmt, tag
        )

    def _trader(self, plan: Plan) -> Trader:
        return Trader(
            random.Random(f"peakwatch-demo:{self.seed}:run:{plan.number}"),
            run_number=plan.number,
            symbol=plan.symbol,
            start_price=plan.start_price,
            base_volume=plan.base_volume,
            lookback=plan.lookback,
            start_balance=START_BALANCE,
        )

    def tick(self, ts: datetime) -> None:
        """Advance every run one bar; start, complete and silence runs as planned."""
        if not self.compat and not any(self.slots):
            for fmt in ("csv", "parquet"):
                plan = self._plan(0, fmt)
                compat = CompatRun(plan, self._trader(plan), self.paths, ts)
                self.compat.append(compat)
                print(f"started run {compat.run_id} (Peak_Trade {fmt} format)", flush=True)
        for slot, current in enumerate(self.slots):
            run = current
            if run is None:
                plan = self._plan(slot)
                run = NativeRun(plan, self._trader(plan), self.paths, self.shared, ts)
                self.slots[slot] = run
                self.generation[slot] += 1
                print(f"started run {run.run_id} (session {run.session_id})", flush=True)
            run.write(run.trader.step(), ts)
            steps = run.trader.steps
            if run.plan.silent_after is not None and steps >= run.plan.silent_after:
                self.silent.append(run)
                self.slots[slot] = None
                print(f"run {run.run_id} went silent after {steps} bars (left stale)", flush=True)
            elif run.plan.lifetime is not None and steps >= run.plan.lifetime:
                run.finish("completed", ts)
                self.slots[slot] = None
                self._print_finished(run, "completed")
        for compat in self.compat:
            compat.write(compat.trader.step(), ts)

    def close(self, status: str, ts: datetime) -> None:
        """Finish every running run with `status`; silent runs stay unfinished."""
        for run in [*self.slots, *self.compat]:
            if run is None:
                continue
            try:
                run.finish(status, ts)
            except Exception as exc:  # keep closing the others
                print(f"could not finish run {run.run_id}: {exc}", flush=True)
                continue
            self._print_finished(run, status)
        self.slots = [None] * len(self.slots)
        self.compat = []

    @staticmethod
    def _print_finished(run: Run, status: str) -> None:
        account = run.trader.account
        print(
            f"finished run {run.run_id}: {status} after {run.trader.steps} bars, "
            f"realized {account.realized_pnl:+,.2f} EUR",
            flush=True,
        )


def _ticks(speed: float, duration: float | None) -> Iterator[int]:
    tick = 0
    while duration is None or tick / speed < duration:
        yield tick
        tick += 1


def run_demo(
    out: Path,
    *,
    seed: int = 7,
    speed: float = 1.0,
    duration: float | None = None,
    runs: int = 3,
    on_start: Callable[[], object] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Write demo artifacts under `out` at `speed` bars per second per run.

    Runs for `duration` seconds of wall time (None: until Ctrl-C or `stop` is set), then
    finishes the runs: "completed" at the end of `duration`, "aborted" on Ctrl-C or `stop`.
    `on_start` is called once, after the first bar of every run is on disk.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    if runs < 1:
        raise ValueError("runs must be at least 1")
    cli_args = ["peakwatch", "demo", "--seed", str(seed), "--speed", f"{speed:g}"]
    cli_args += ["--runs", str(runs)]
    demo = Demo(Path(out), seed=seed, runs=runs, cli_args=cli_args)
    print(f"peakwatch demo: writing artifacts under {Path(out).resolve()}", flush=True)
    started, t0 = time.monotonic(), utc_now()
    status, ts = "completed", t0
    try:
        for tick in _ticks(speed, duration):
            delay = started + tick / speed - time.monotonic()
            if stop is not None and stop.wait(max(delay, 0.0)):
                status = "aborted"
                break
            if stop is None and delay > 0:
                time.sleep(delay)
            ts = t0 + timedelta(seconds=tick / speed)
            demo.tick(ts)
            if tick == 0 and on_start is not None:
                on_start()
    except KeyboardInterrupt:
        status = "aborted"
    end = max(ts, utc_now()) if status == "aborted" else ts
    demo.close(status, end)


def build_parser() -> argparse.ArgumentParser:
    """The `peakwatch demo` command line."""
    parser = argparse.ArgumentParser(
        prog="peakwatch demo",
        description="Simulated AI paper-trading runner that writes real artifacts.",
    )
    parser.add_argument("--out", type=Path, default=Path("."), help="artifact root (default .)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="bars per second per run (default 1)"
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)"
    )
    parser.add_argument("--runs", type=int, default=3, help="concurrent AI runs (default 3)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `peakwatch demo`."""
    args = build_parser().parse_args(argv)
    if args.speed <= 0 or args.runs < 1 or (args.duration is not None and args.duration <= 0):
        print("peakwatch demo: --speed and --duration must be positive, --runs at least 1")
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C
    run_demo(args.out, seed=args.seed, speed=args.speed, duration=args.duration, runs=args.runs)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
