"""A synthetic market: a seeded random walk that switches between regimes at random."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# regime -> (drift per bar, volatility per bar)
REGIMES: dict[str, tuple[float, float]] = {
    "trend_up": (0.0012, 0.0018),
    "trend_down": (-0.0012, 0.0018),
    "choppy": (0.0, 0.0012),
    "volatile": (0.0, 0.0075),
}
SWITCH_PROBABILITY = 0.04


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar and the regime that produced it."""

    open: float
    high: float
    low: float
    close: float
    volume: float
    regime: str


class Market:
    """Produces bars from `rng`; the same seed gives the same bars."""

    def __init__(self, rng: random.Random, start_price: float, base_volume: float) -> None:
        self.rng = rng
        self.price = start_price
        self.base_volume = base_volume
        self.regime = rng.choice(sorted(REGIMES))

    def next_bar(self) -> Bar:
        """Advance one bar, possibly switching regime first."""
        if self.rng.random() < SWITCH_PROBABILITY:
            self.regime = self.rng.choice([name for name in sorted(REGIMES) if name != self.regime])
        drift, vol = REGIMES[self.regime]
        opened = self.price
        closed = opened * math.exp(self.rng.gauss(drift, vol))
        wick = opened * vol * abs(self.rng.gauss(0.0, 0.6))
        high = max(opened, closed) + wick
        low = min(opened, closed) - opened * vol * abs(self.rng.gauss(0.0, 0.6))
        surge = 1.0 + 40.0 * abs(closed / opened - 1.0)
        volume = self.base_volume * surge * self.rng.uniform(0.6, 1.4)
        self.price = closed
        return Bar(
            open=round(opened, 2),
            high=round(high, 2),
            low=round(low, 2),
            close=round(closed, 2),
            volume=round(volume, 4),
            regime=self.regime,
        )
