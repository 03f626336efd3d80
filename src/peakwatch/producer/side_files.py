"""Writers for the files beside the runs: alert store, AI decisions, execution telemetry,
and the Peak_Trade step-row formats (`events.csv`, `events.parquet`) for compatibility demos.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from peakwatch.contract.values import to_decision_id
from peakwatch.producer.atomic import (
    append_bytes,
    append_json_line,
    as_utc,
    atomic_path,
    format_ts,
    format_ts_ms,
    utc_now,
)
from peakwatch.producer.run_writer import one_line, validate_id

STORE_SEVERITIES = frozenset({"INFO", "WARN", "CRITICAL"})
STORE_CATEGORIES = frozenset({"RISK", "EXECUTION", "SYSTEM"})
AI_DECISIONS = frozenset({"accept", "reject", "noop"})
AI_ACTIONS = frozenset({"submit", "none"})
TELEMETRY_KINDS = frozenset({"gate", "intent", "order", "fill", "error"})


def _check(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}")
    return value


class AlertStoreWriter:
    """Append alerts to `<alerts_dir>/alerts_YYYY-MM-DD.jsonl`, one file per UTC day."""

    def __init__(self, alerts_dir: Path) -> None:
        self.alerts_dir = Path(alerts_dir)

    def write(
        self,
        title: str,
        body: str,
        *,
        severity: str = "WARN",
        category: str = "SYSTEM",
        source: str = "peakwatch",
        session_id: str | None = None,
        runbooks: Sequence[str] = (),
        timestamp: datetime | None = None,
        alert_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one alert and return it; the default id is a hash of time, title and session.

        `context` joins the runbooks; with `rule_id` and `run_id` in it, peakwatch shows the
        alert as one with the same alert in that run's `alerts.jsonl`."""
        _check(severity, STORE_SEVERITIES, "severity")
        _check(category, STORE_CATEGORIES, "category")
        moment = as_utc(timestamp or utc_now())
        stamp = format_ts(moment)
        if alert_id is None:
            digest = hashlib.sha256(f"{stamp}|{title}|{session_id}".encode()).hexdigest()
            alert_id = f"alert_{digest[:16]}"
        record = {
            "id": alert_id,
            "title": one_line(title),
            "body": str(body),
            "severity": severity,
            "category": category,
            "source": source,
            "session_id": session_id,
            "timestamp": stamp,
            "context": {"runbooks": list(runbooks), **(context or {})},
            "stored_at": format_ts(utc_now()),
        }
        self.alerts_dir.mkdir(parents=True, exist_ok=True)
        append_json_line(self.alerts_dir / f"alerts_{moment:%Y-%m-%d}.jsonl", record)
        return record


class AiEventWriter:
    """Append AI decision events to one JSONL file (Peak_Trade `logs/ai/ai_events.jsonl`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def decision(
        self,
        *,
        component: str,
        run_id: str | None,
        decision: str,
        reason: str,
        latency_ms: float,
        action: str,
        confidence: float | None = None,
        rationale: str | None = None,
        decision_id: str | None = None,
        ts: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one `decision` event and return it (with `decision_id` when one is given)."""
        _check(decision, AI_DECISIONS, "decision")
        _check(action, AI_ACTIONS, "action")
        record = {
            "v": 1,
            "ts_utc": format_ts_ms(ts or utc_now()),
            "component": component,
            "run_id": run_id,
            "event": "decision",
            "decision": decision,
            "reason": reason,
            "latency_ms": latency_ms,
            "action": action,
            "confidence": confidence,
            "rationale": None if rationale is None else one_line(rationale),
        }
        if decision_id is not None:
            if to_decision_id(decision_id) is None:
                raise ValueError("decision_id must be non-blank text")
            record["decision_id"] = decision_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append_json_line(self.path, record)
        return record


class ExecutionTelemetryWriter:
    """Append execution telemetry to `<directory>/<session_id>.jsonl`."""

    def __init__(self, directory: Path, session_id: str) -> None:
        self.session_id = validate_id(session_id, "session_id")
        self.path = Path(directory) / f"{session_id}.jsonl"

    def write(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        symbol: str,
        mode: str,
        ts: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one telemetry line (kind: gate, intent, order, fill or error) and return it."""
        _check(kind, TELEMETRY_KINDS, "kind")
        record = {
            "ts": format_ts(ts or utc_now()),
            "session_id": self.session_id,
            "symbol": symbol,
            "mode": mode,
            "kind": kind,
            "payload": dict(payload),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append_json_line(self.path, record)
        return record


STEP_COLUMNS: tuple[str, ...] = (
    "step",
    "ts_bar",
    "ts_event",
    "price",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "position_size",
    "cash",
    "equity",
    "realized_pnl",
    "unrealized_pnl",
    "signal",
    "signal_changed",
    "orders_generated",
    "orders_filled",
    "orders_rejected",
    "orders_blocked",
    "risk_allowed",
    "risk_reasons",
)

_STEP_TYPES: dict[str, pa.DataType] = {
    "step": pa.int64(),
    "ts_bar": pa.string(),
    "ts_event": pa.string(),
    **{
        name: pa.float64()
        for name in (
            "price",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "position_size",
            "cash",
            "equity",
            "realized_pnl",
            "unrealized_pnl",
        )
    },
    "signal": pa.int64(),
    "signal_changed": pa.bool_(),
    "orders_generated": pa.int64(),
    "orders_filled": pa.int64(),
    "orders_rejected": pa.int64(),
    "orders_blocked": pa.int64(),
    "risk_allowed": pa.bool_(),
    "risk_reasons": pa.string(),
}


def _step_columns(extra_columns: Sequence[str]) -> tuple[str, ...]:
    extras = tuple(extra_columns)
    for name in extras:
        if not name.startswith("extra_") or name in STEP_COLUMNS:
            raise ValueError(f"extra column {name!r} must be named extra_<key>")
    return STEP_COLUMNS + extras


def _step_row(row: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"unknown step columns: {sorted(unknown)}")
    values = {name: row.get(name) for name in columns}
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = format_ts(value)
        elif isinstance(value, float) and not math.isfinite(value):
            values[name] = None
    return values


class PeakTradeCsvEventsWriter:
    """Append Peak_Trade step rows to `<run_dir>/events.csv`; the header is written once.

    The columns are fixed when the file is created (`STEP_COLUMNS` + `extra_columns`), so rows
    never misalign; None is written as an empty cell.
    """

    def __init__(self, run_dir: Path, *, extra_columns: Sequence[str] = ()) -> None:
        self.path = Path(run_dir) / "events.csv"
        self.columns = _step_columns(extra_columns)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists() or self.path.stat().st_size == 0:
            header = {name: name for name in self.columns}
            append_bytes(self.path, self._encode(header))

    def _encode(self, values: Mapping[str, Any]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(
            "" if values[name] is None else values[name] for name in self.columns
        )
        return buffer.getvalue().encode()

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one step row (missing columns are empty)."""
        append_bytes(self.path, self._encode(_step_row(row, self.columns)))


class PeakTradeParquetEventsWriter:
    """Keep step rows and rewrite `<run_dir>/events.parquet` with all of them every
    `flush_every` rows (temp file + rename), in row groups of `row_group_size`, like upstream.
    """

    def __init__(
        self,
        run_dir: Path,
        flush_every: int = 50,
        *,
        row_group_size: int = 50,
        extra_columns: Sequence[str] = (),
    ) -> None:
        if flush_every < 1 or row_group_size < 1:
            raise ValueError("flush_every and row_group_size must be at least 1")
        self.path = Path(run_dir) / "events.parquet"
        self.flush_every = flush_every
        self.row_group_size = row_group_size
        self.columns = _step_columns(extra_columns)
        self.rows: list[dict[str, Any]] = []
        self._flushed = 0
        self._lock = threading.Lock()

    def append(self, row: Mapping[str, Any]) -> None:
        """Keep one step row; every `flush_every` rows the file is rewritten."""
        with self._lock:
            self.rows.append(_step_row(row, self.columns))
            due = len(self.rows) - self._flushed >= self.flush_every
        if due:
            self.flush()

    def flush(self) -> None:
        """Rewrite the file with every row kept so far (no-op when nothing is new)."""
        with self._lock:
            if len(self.rows) == self._flushed:
                return
            table = self._table()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.path) as temp:
                pq.write_table(table, temp, row_group_size=self.row_group_size)
            self._flushed = len(self.rows)

    def _table(self) -> pa.Table:
        arrays = [
            pa.array([row[name] for row in self.rows], type=_STEP_TYPES.get(name))
            for name in self.columns
        ]
        return pa.Table.from_arrays(arrays, names=list(self.columns))
