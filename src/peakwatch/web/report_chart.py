"""Geometry of a report's equity and drawdown chart, from a run's whole (downsampled) curve.

The same `Chart` as the run page's (web/charts.py), placed by step index so the kept
extremes stay where they happened; only numbers leave this module.
"""

from __future__ import annotations

from datetime import UTC, datetime

from peakwatch.domain.run_report import Curve
from peakwatch.web.charts import DRAWDOWN_HEIGHT, DRAWDOWN_TOP, EQUITY_HEIGHT, WIDTH, Chart


def _iso(time_us: int) -> str:
    stamp = datetime.fromtimestamp(time_us / 1e6, UTC)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def report_chart(curve: Curve | None) -> Chart | None:
    """The chart of the curve; None without one."""
    if curve is None:
        return None
    step = WIDTH / max(curve.steps - 1, 1)
    span = curve.high - curve.low or max(abs(curve.high) * 0.01, 1.0)
    depth = -curve.worst_drawdown or 1.0

    def y_equity(value: float) -> float:
        return EQUITY_HEIGHT - (value - curve.low) / span * (EQUITY_HEIGHT - 10.0) - 5.0

    equity = " ".join(f"{i * step:.1f},{y_equity(v):.1f}" for i, _, v in curve.equity)
    area = [f"0.0,{DRAWDOWN_TOP:.1f}"]
    area += [
        f"{i * step:.1f},{DRAWDOWN_TOP - v / depth * DRAWDOWN_HEIGHT:.1f}"
        for i, _, v in curve.drawdown
    ]
    area.append(f"{WIDTH:.1f},{DRAWDOWN_TOP:.1f}")
    return Chart(
        equity_points=equity,
        drawdown_points=" ".join(area),
        grid_y=[round(EQUITY_HEIGHT * fraction, 1) for fraction in (0.25, 0.5, 0.75)],
        zero_y=DRAWDOWN_TOP,
        equity_min=curve.low,
        equity_max=curve.high,
        equity_last=curve.last,
        drawdown_worst=curve.worst_drawdown,
        first_ts=_iso(curve.equity[0][1]),
        last_ts=_iso(curve.equity[-1][1]),
        count=curve.steps,
    )
