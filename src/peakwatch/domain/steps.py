"""Steps: the per-bar rows of the v0 tail, from native events or Peak_Trade step rows.

A native step is the run of events that ends with a `position` event (the
end-of-bar mark); its orders and risk check are the `order` and `risk` events
since the previous mark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from peakwatch.contract.models import RunEvent, StepRow
from peakwatch.contract.values import format_utc, parse_utc, to_finite
from peakwatch.secrets import redact_text
from peakwatch.sources.run_events import Located


@dataclass(slots=True)
class StepBuilder:
    """Collects native events until a `position` mark closes a step."""

    orders: int = 0
    blocked: int = 0
    risk_allowed: bool | None = None
    risk_reasons: list[str] = field(default_factory=list)
    ts_bar: str | None = None

    def add(self, event: RunEvent) -> dict[str, Any] | None:
        """Take one event; return the finished step row when it is a position mark."""
        data = event.data
        if event.kind == "market":
            self.ts_bar = _timestamp(data.get("ts_bar")) or format_utc(event.ts)
        elif event.kind == "order":
            self.orders += 1
            if data.get("status") == "blocked":
                self.blocked += 1
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
            "seq": event.seq,
            "ts_bar": self.ts_bar or format_utc(event.ts),
            "ts_event": format_utc(event.ts),
            "equity": to_finite_or_none(data.get("equity")),
            "realized_pnl": to_finite_or_none(data.get("realized_pnl")),
            "unrealized_pnl": to_finite_or_none(data.get("unrealized_pnl")),
            "position_size": to_finite_or_none(data.get("position_size")),
            "orders_count": self.orders,
            "orders_blocked": self.blocked,
            "risk_allowed": self.risk_allowed,
            "risk_reasons": redact_text("; ".join(self.risk_reasons)),
        }
        self.orders, self.blocked, self.risk_allowed, self.risk_reasons = 0, 0, None, []
        self.ts_bar = None
        return row


def step_row_view(row: StepRow) -> dict[str, Any]:
    """A Peak_Trade step row in the v0 tail shape (plus step and ts_event)."""
    return {
        "step": row.step,
        "seq": None,
        "ts_bar": format_utc(row.ts_bar),
        "ts_event": format_utc(row.ts_event),
        "equity": row.equity,
        "realized_pnl": row.realized_pnl if row.realized_pnl is not None else row.pnl,
        "unrealized_pnl": row.unrealized_pnl,
        "position_size": row.position_size,
        "orders_count": row.orders_generated or 0,
        "orders_blocked": row.orders_blocked or 0,
        "risk_allowed": row.risk_allowed,
        "risk_reasons": redact_text(row.risk_reasons or ""),
    }


class NativeSteps(Protocol):
    """Folds native events into steps: a row each time a step closes."""

    def add(self, event: RunEvent) -> dict[str, Any] | None: ...


def fold_steps(
    records: list[Located],
    row_view: Callable[[StepRow], dict[str, Any]],
    native: NativeSteps,
) -> list[dict[str, Any]]:
    """Step rows, oldest first, from records in file order: Peak_Trade rows through
    `row_view`, native events through `native`."""
    steps: list[dict[str, Any]] = []
    for located in records:
        record = located.record
        if isinstance(record, StepRow):
            steps.append(row_view(record))
        else:
            row = native.add(record)
            if row is not None:
                steps.append(row)
    return steps


def steps_from_records(records: list[Located]) -> list[dict[str, Any]]:
    """Step rows in the v0 tail shape, oldest first, from records in file order."""
    return fold_steps(records, step_row_view, StepBuilder())


def to_finite_or_none(value: Any) -> float | None:
    """A finite float, or None for anything else (text, NaN, missing)."""
    try:
        return to_finite(value)
    except ValueError:
        return None


def _timestamp(value: Any) -> str | None:
    """A timestamp from event data in the canonical UTC form, or None if it is not one."""
    try:
        return format_utc(parse_utc(value))
    except ValueError:
        return None
