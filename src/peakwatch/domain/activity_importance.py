"""How much a feed item matters to a person watching: `notable` or `routine`.

Routine items are the steady beat of a run (market bars, signals, HOLD decisions,
position marks, heartbeats, passed risk checks); everything that changes or threatens
something (buy/sell decisions, risk blocks, orders, fills, errors, alerts, warnings) is
notable. A kind this module does not know is notable: nothing unknown is folded away.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow

NOTABLE = "notable"
ROUTINE = "routine"
IMPORTANCES = (NOTABLE, ROUTINE)
ROUTINE_KINDS = frozenset({"market", "signal", "position", "heartbeat"})
QUIET_ACTIONS = frozenset({"", "hold", "none", "noop", "skip", "wait"})  # a decision to do nothing
ROUTINE_EXECUTION = frozenset({"execution_intent"})  # the order that follows is the notable one


def importance_of(kind: str, level: str, record: BaseModel) -> str:
    """`notable` or `routine` for an item of this kind, level and record."""
    if level in ("warning", "error"):
        return NOTABLE
    routine = False
    if isinstance(record, StepRow):
        routine = _quiet_step(record)
    elif isinstance(record, AiDecisionEvent):
        routine = _quiet(record.decision) and _quiet(record.action)
    elif isinstance(record, ExecutionEvent):
        routine = kind in ROUTINE_EXECUTION or (
            kind == "execution_gate" and record.payload.get("allowed") is not False
        )
    elif isinstance(record, RunEvent):
        routine = _routine_run_event(kind, record.data)
    return ROUTINE if routine else NOTABLE


def _routine_run_event(kind: str, data: Any) -> bool:
    """A native event of the steady beat: a bar, a signal, a HOLD, a mark, a passed check."""
    if kind in ROUTINE_KINDS:
        return True
    if kind == "decision":
        return _quiet(data.get("action"))
    if kind == "risk":
        return data.get("allowed") is not False
    return False


def _quiet_step(row: StepRow) -> bool:
    """A Peak_Trade step row without orders and without a risk block."""
    counts = (row.orders_generated, row.orders_filled, row.orders_rejected, row.orders_blocked)
    return not any(counts) and row.risk_allowed is not False


def _quiet(action: Any) -> bool:
    """True for no action, or one that means doing nothing (hold, none, noop)."""
    return action is None or (isinstance(action, str) and action.strip().lower() in QUIET_ACTIONS)
