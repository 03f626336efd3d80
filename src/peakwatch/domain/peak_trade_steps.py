"""Per-step rows in Peak_Trade's column names, from step rows or native events, for the v0 series.

A Peak_Trade step row already has these columns. A native step is the run of events
that ends with a `position` event (as in domain/steps.py); its signal comes from the
last `signal` event, its order counters from the `order` and `fill` events and its risk
verdict from the `risk` event since the previous step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peakwatch.contract.models import RunEvent, StepRow
from peakwatch.contract.values import format_utc, to_int
from peakwatch.domain.steps import fold_steps, to_finite_or_none
from peakwatch.secrets import redact_text
from peakwatch.sources.run_events import EventsFile, Located, read_tail

NATIVE_EVENTS_PER_STEP = 6  # market, decision, risk, order, fill, position
MAX_READ_FACTOR = 512  # a native tail read grows to at most this many lines per wanted step


def step_row_columns(row: StepRow) -> dict[str, Any]:
    """A Peak_Trade step row with the columns the v0 series use."""
    return {
        "step": row.step,
        "ts": format_utc(row.ts_event or row.ts_bar),
        "signal": row.signal,
        "signal_changed": row.signal_changed,
        "position_size": row.position_size,
        "cash": row.cash,
        "equity": row.equity,
        "realized_pnl": row.realized_pnl if row.realized_pnl is not None else row.pnl,
        "unrealized_pnl": row.unrealized_pnl,
        "drawdown": row.drawdown,
        "orders_generated": row.orders_generated,
        "orders_filled": row.orders_filled,
        "orders_rejected": row.orders_rejected,
        "orders_blocked": row.orders_blocked,
        "risk_allowed": row.risk_allowed,
        "risk_reasons": redact_text(row.risk_reasons) if row.risk_reasons else row.risk_reasons,
    }


@dataclass(slots=True)
class NativeStep:
    """Native events collected until a `position` event closes the step."""

    signal: int | None = None
    signal_changed: bool | None = None
    generated: int = 0
    filled: int = 0
    rejected: int = 0
    blocked: int = 0
    risk_allowed: bool | None = None
    risk_reasons: list[str] = field(default_factory=list)

    def add(self, event: RunEvent) -> dict[str, Any] | None:
        """Take one event; the finished row when it is the step's `position` event."""
        data = event.data
        if event.kind == "signal":
            self.signal = _int_or_none(data.get("signal"))
            changed = data.get("changed")
            self.signal_changed = changed if isinstance(changed, bool) else None
        elif event.kind == "order":
            self.generated += 1
            status = data.get("status")
            self.blocked += status == "blocked"
            self.rejected += status == "rejected"
        elif event.kind == "fill":
            self.filled += 1
        elif event.kind == "risk":
            allowed = data.get("allowed")
            self.risk_allowed = allowed if isinstance(allowed, bool) else None
            reasons = data.get("reasons")
            if isinstance(reasons, list):
                self.risk_reasons = [str(reason) for reason in reasons]
        if event.kind != "position":
            return None
        row = {
            "step": event.seq,
            "ts": format_utc(event.ts),
            "signal": self.signal,
            "signal_changed": self.signal_changed,
            "position_size": to_finite_or_none(data.get("position_size")),
            "cash": to_finite_or_none(data.get("cash")),
            "equity": to_finite_or_none(data.get("equity")),
            "realized_pnl": to_finite_or_none(data.get("realized_pnl")),
            "unrealized_pnl": to_finite_or_none(data.get("unrealized_pnl")),
            "drawdown": None,
            "orders_generated": self.generated,
            "orders_filled": self.filled,
            "orders_rejected": self.rejected,
            "orders_blocked": self.blocked,
            "risk_allowed": self.risk_allowed,
            "risk_reasons": redact_text("; ".join(self.risk_reasons)),
        }
        self.signal_changed = None
        self.generated = self.filled = self.rejected = self.blocked = 0
        self.risk_allowed, self.risk_reasons = None, []
        return row


def step_columns(records: list[Located]) -> list[dict[str, Any]]:
    """Rows in Peak_Trade's columns, oldest first, from records in file order."""
    return fold_steps(records, step_row_columns, NativeStep())


def last_steps(events: EventsFile, limit: int) -> list[dict[str, Any]]:
    """The last `limit` steps of an events file, oldest first, read from its end."""
    count = limit if events.format != "jsonl" else limit * NATIVE_EVENTS_PER_STEP + 64
    while True:
        read = read_tail(events, count)
        rows = step_columns(read.records)
        if len(rows) >= limit or read.exhausted or count >= limit * MAX_READ_FACTOR:
            return rows[-limit:]
        count *= 2


def _int_or_none(value: Any) -> int | None:
    """A whole number from event data, or None (bools and fractions are not signals)."""
    if isinstance(value, bool):
        return None
    try:
        number = to_int(value)
    except ValueError:
        return None
    return number
