"""What the demo runs and where: markets, strategies, output paths, run plans, event times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from peakwatch.producer import (
    AiEventWriter,
    AlertStoreWriter,
)

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


@dataclass(frozen=True, slots=True)
class Shared:
    """Writers shared by all native runs."""

    alert_store: AlertStoreWriter
    ai_events: AiEventWriter
    cli_args: list[str]
