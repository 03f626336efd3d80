"""Geometry of the equity and drawdown chart; the template draws it as inline SVG.

Only numbers leave this module (point lists, grid lines); labels are rendered as
escaped HTML next to the SVG, so the chart stays readable at any width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH = 1000.0
EQUITY_HEIGHT = 220.0
DRAWDOWN_TOP = 240.0
DRAWDOWN_HEIGHT = 80.0
HEIGHT = DRAWDOWN_TOP + DRAWDOWN_HEIGHT


@dataclass(frozen=True)
class Chart:
    """What the template needs to draw the chart and label it."""

    equity_points: str
    drawdown_points: str
    grid_y: list[float]
    zero_y: float
    equity_min: float
    equity_max: float
    equity_last: float
    drawdown_worst: float
    first_ts: str | None
    last_ts: str | None
    count: int
    width: float = WIDTH
    height: float = HEIGHT
    drawdown_top: float = DRAWDOWN_TOP


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def drawdowns(equities: list[float]) -> list[float]:
    """Drawdown from the running peak of the window, a fraction <= 0."""
    found: list[float] = []
    peak: float | None = None
    for value in equities:
        peak = value if peak is None or value > peak else peak
        found.append((value - peak) / peak if peak > 0 else 0.0)
    return found


def equity_chart(rows: list[dict[str, Any]]) -> Chart | None:
    """The chart of the tail rows (oldest first); None with fewer than two equity values."""
    points = [(row, _finite(row.get("equity"))) for row in rows]
    kept = [(row, value) for row, value in points if value is not None]
    if len(kept) < 2:
        return None
    equities = [value for _, value in kept]
    low, high = min(equities), max(equities)
    span = high - low or max(abs(high) * 0.01, 1.0)
    step = WIDTH / (len(kept) - 1)

    def y_equity(value: float) -> float:
        return EQUITY_HEIGHT - (value - low) / span * (EQUITY_HEIGHT - 10.0) - 5.0

    dds = drawdowns(equities)
    worst = min(dds)
    depth = -worst or 1.0

    def y_drawdown(value: float) -> float:
        return DRAWDOWN_TOP + (-value / depth) * DRAWDOWN_HEIGHT

    equity_points = " ".join(
        f"{i * step:.1f},{y_equity(value):.1f}" for i, value in enumerate(equities)
    )
    area = [f"0.0,{DRAWDOWN_TOP:.1f}"]
    area.extend(f"{i * step:.1f},{y_drawdown(value):.1f}" for i, value in enumerate(dds))
    area.append(f"{WIDTH:.1f},{DRAWDOWN_TOP:.1f}")
    grid = [round(EQUITY_HEIGHT * fraction, 1) for fraction in (0.25, 0.5, 0.75)]
    return Chart(
        equity_points=equity_points,
        drawdown_points=" ".join(area),
        grid_y=grid,
        zero_y=DRAWDOWN_TOP,
        equity_min=low,
        equity_max=high,
        equity_last=equities[-1],
        drawdown_worst=worst,
        first_ts=kept[0][0].get("ts_event") or kept[0][0].get("ts_bar"),
        last_ts=kept[-1][0].get("ts_event") or kept[-1][0].get("ts_bar"),
        count=len(kept),
    )
