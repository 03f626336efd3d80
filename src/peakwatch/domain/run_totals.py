"""Totals over every record of a run: steps, orders, blocked, PnL, equity and drawdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peakwatch.contract.models import RunEvent
from peakwatch.contract.values import format_utc, saturated_int64
from peakwatch.sources.problems import Problem


def orders_sent(total_orders: int, blocked: int) -> int:
    """The one meaning of "orders" on every page: orders sent to the venue (filled, rejected or
    still open), that is every order the runner generated but those the risk check blocked
    (shown apart as "blocked by risk"). A session record's `num_orders` counts the same."""
    return max(total_orders - blocked, 0)


@dataclass(slots=True)
class RunTotals:
    """Totals over every record of a run seen so far."""

    total_steps: int = 0
    total_orders: int = 0
    total_blocked_orders: int = 0
    equity: float | None = None
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    position_size: float | None = None
    peak_equity: float | None = None
    drawdown: float | None = None
    max_drawdown: float | None = None
    last_event_time: datetime | None = None
    blocked_in_a_row: int = 0
    errors: int = 0
    warnings: int = 0
    last_seq: int | None = None
    seq_gaps: int = 0
    problems: list[Problem] = field(default_factory=list)

    def apply_step(self, step: dict[str, Any]) -> None:
        """Fold one step row (v0 tail shape) into the totals."""
        self.total_steps += 1
        self.total_orders = saturated_int64(self.total_orders + (step["orders_count"] or 0))
        blocked = step["orders_blocked"] or 0
        self.total_blocked_orders = saturated_int64(self.total_blocked_orders + blocked)
        self.blocked_in_a_row = self.blocked_in_a_row + 1 if blocked else 0
        for name in ("realized_pnl", "unrealized_pnl", "position_size"):
            if step[name] is not None:
                setattr(self, name, step[name])
        self.mark_equity(step["equity"])

    def mark_equity(self, equity: float | None) -> None:
        """Track equity, its running peak and the drawdown from that peak (a fraction <= 0)."""
        if equity is None:
            return
        self.equity = equity
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        if self.peak_equity and self.peak_equity > 0:
            self.drawdown = (equity - self.peak_equity) / self.peak_equity
            if self.max_drawdown is None or self.drawdown < self.max_drawdown:
                self.max_drawdown = self.drawdown

    def apply_event(self, event: RunEvent) -> None:
        """Count levels and seq gaps of a native event."""
        if event.level == "error":
            self.errors += 1
        elif event.level == "warning":
            self.warnings += 1
        if self.last_seq is not None and event.seq > self.last_seq + 1:
            self.seq_gaps += 1
        self.last_seq = event.seq

    def view(self) -> dict[str, Any]:
        """The snapshot fields derived from the totals."""
        return {
            "total_steps": self.total_steps,
            "total_orders": self.total_orders,
            "total_blocked_orders": self.total_blocked_orders,
            "total_orders_sent": orders_sent(self.total_orders, self.total_blocked_orders),
            "equity": self.equity,
            "realized_pnl": self.realized_pnl,
            "unrealized_pnl": self.unrealized_pnl,
            "position_size": self.position_size,
            "drawdown": self.drawdown,
            "max_drawdown": self.max_drawdown,
            "blocked_in_a_row": self.blocked_in_a_row,
            "error_events": self.errors,
            "warning_events": self.warnings,
            "last_event_time": format_utc(self.last_event_time),
        }
