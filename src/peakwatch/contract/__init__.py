"""The artifact contract v0: the records peakwatch reads, as pydantic models."""

from peakwatch.contract.models import (
    CONTRACT_VERSION,
    AiDecisionEvent,
    ExecutionEvent,
    RunAlert,
    RunEvent,
    RunMeta,
    SessionRecord,
    StepRow,
    StoreAlert,
)
from peakwatch.contract.values import format_utc, parse_utc, to_finite

__all__ = [
    "CONTRACT_VERSION",
    "AiDecisionEvent",
    "ExecutionEvent",
    "RunAlert",
    "RunEvent",
    "RunMeta",
    "SessionRecord",
    "StepRow",
    "StoreAlert",
    "format_utc",
    "parse_utc",
    "to_finite",
]
