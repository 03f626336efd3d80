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
from datetime import datetime, timedelta
from pathlib import Path

from peakwatch.demo.compat_run import CompatRun
from peakwatch.demo.native_run import NativeRun
from peakwatch.demo.plan import (
    MARKETS,
    START_BALANCE,
    STRATEGIES,
    Paths,
    Plan,
    Shared,
)
from peakwatch.demo.strategy import Trader
from peakwatch.producer import (
    AiEventWriter,
    AlertStoreWriter,
    utc_now,
)

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
            judgement=random.Random(f"peakwatch-demo:{self.seed}:judgement:{plan.number}"),
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
