"""Pydantic models of every artifact record peakwatch reads (contract v0).

Unknown fields are kept (`extra="allow"`), timestamps become aware UTC, NaN and
infinity become None; timestamps and integers outside the ranges in values.py are
refused. The human-readable definition is docs/webui/DASHBOARD_DATA_CONTRACT_v0.md;
the two change together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from peakwatch.contract.normalize import as_ai_decision, as_execution
from peakwatch.contract.values import (
    parse_epoch_or_iso,
    parse_utc,
    to_bool,
    to_decision_id,
    to_finite,
    to_int,
    to_text,
)

CONTRACT_VERSION = "0.1.0"

UtcTime = Annotated[datetime | None, BeforeValidator(parse_utc)]
RequiredUtcTime = Annotated[datetime, BeforeValidator(parse_utc)]
EpochOrUtcTime = Annotated[datetime, BeforeValidator(parse_epoch_or_iso)]
Number = Annotated[float | None, BeforeValidator(to_finite)]
Integer = Annotated[int | None, BeforeValidator(to_int)]
RequiredInteger = Annotated[int, BeforeValidator(to_int)]
Flag = Annotated[bool | None, BeforeValidator(to_bool)]
Text = Annotated[str | None, BeforeValidator(to_text)]
DecisionId = Annotated[str | None, BeforeValidator(to_decision_id)]


def _object_or_empty(value: Any) -> Any:
    return {} if value is None else value


def _list_or_empty(value: Any) -> Any:
    return [] if value is None else value


Mapping = Annotated[dict[str, Any], BeforeValidator(_object_or_empty)]


class Record(BaseModel):
    """Base of every artifact record: keeps unknown fields, never coerces silently."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def extras(self) -> dict[str, Any]:
        """Fields present in the artifact that the contract does not name."""
        return dict(self.model_extra or {})


class RunMeta(Record):
    """`live_runs/<run_id>/meta.json`."""

    run_id: Text = None
    mode: Text = None
    strategy_name: Text = None
    symbol: Text = None
    timeframe: Text = None
    started_at: UtcTime = None
    ended_at: UtcTime = None
    config_snapshot: Mapping = Field(default_factory=dict)
    notes: Text = None


class RunEvent(Record):
    """One line of a native `events.jsonl`."""

    v: Integer = 1
    seq: RequiredInteger
    ts: RequiredUtcTime
    kind: str
    level: str = "info"
    msg: str = ""
    data: Mapping = Field(default_factory=dict)


class StepRow(Record):
    """One row of a Peak_Trade `events.parquet` or `events.csv` (one row per step)."""

    step: Integer = None
    ts_bar: UtcTime = None
    ts_event: UtcTime = None
    price: Number = None
    open: Number = None
    high: Number = None
    low: Number = None
    close: Number = None
    volume: Number = None
    position_size: Number = None
    cash: Number = None
    equity: Number = None
    realized_pnl: Number = None
    unrealized_pnl: Number = None
    pnl: Number = None
    drawdown: Number = None
    signal: Integer = None
    signal_changed: Flag = None
    orders_generated: Integer = None
    orders_filled: Integer = None
    orders_rejected: Integer = None
    orders_blocked: Integer = None
    risk_allowed: Flag = None
    risk_reasons: Text = None


class RunAlert(Record):
    """One line of `live_runs/<run_id>/alerts.jsonl`."""

    rule_id: Text = None
    severity: Text = None
    message: Text = None
    run_id: Text = None
    timestamp: UtcTime = None


class StoreAlert(Record):
    """One line of the daily alert store `live_runs/alerts/alerts_YYYY-MM-DD.jsonl`."""

    id: Text = None
    title: Text = None
    body: Text = None
    severity: Text = None
    category: Text = None
    source: Text = None
    session_id: Text = None
    timestamp: UtcTime = None
    context: Mapping = Field(default_factory=dict)
    stored_at: UtcTime = None


class SessionRecord(Record):
    """One registry file `reports/experiments/live_sessions/*.json`."""

    session_id: str
    run_id: Text = None
    run_type: Text = None
    mode: Text = None
    env_name: Text = None
    symbol: Text = None
    status: Text = None
    started_at: UtcTime = None
    finished_at: UtcTime = None
    config: Mapping = Field(default_factory=dict)
    metrics: Mapping = Field(default_factory=dict)
    cli_args: Annotated[list[Any], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    error: Text = None
    created_at: UtcTime = None
    strategy_tier: Text = None
    heartbeat_at: UtcTime = None


class AiDecisionEvent(Record):
    """One line of `logs/ai/ai_events.jsonl`: an AI decision (`ts_utc`) or an `ai_event.v1`.

    An `ai_event.v1` line (epoch `ts`, `event_type`, `severity`, `extra.confidence`) is
    mapped onto the decision fields (see normalize.py); `format` names the line's format.
    """

    v: Integer = 1
    ts_utc: EpochOrUtcTime
    format: str = "ts_utc decision"
    level: Text = None
    severity: Text = None
    component: Text = None
    run_id: Text = None
    event: Text = None
    decision: Text = None
    reason: Text = None
    latency_ms: Number = None
    action: Text = None
    confidence: Number = None
    rationale: Text = None
    decision_id: DecisionId = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, obj: Any) -> Any:
        return as_ai_decision(obj)


class ExecutionEvent(Record):
    """One execution line: telemetry (`kind`, `payload`), `execution_event.v1`,
    `execution_event_v0` or an ExecEvent sample, the last three mapped onto telemetry's
    fields (see normalize.py); `format` names the line's format."""

    ts: EpochOrUtcTime
    session_id: Text = None
    symbol: Text = None
    mode: Text = None
    kind: Text = None
    payload: Mapping = Field(default_factory=dict)
    format: str = "kind telemetry"
    level: Text = None
    message: Text = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, obj: Any) -> Any:
        return as_execution(obj)
