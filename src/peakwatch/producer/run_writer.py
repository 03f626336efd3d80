"""Write one run's native artifacts: `meta.json` (atomic) and `events.jsonl` (append-only).

Layout: `<runs_root>/<run_id>/meta.json`, `events.jsonl`, `alerts.jsonl`.

An event line: `{"v": 1, "seq": N, "ts": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "kind": ...,
"level": "info|warning|error", "msg": "one line", "data": {...}}`, seq per run from 1.

The `data` keys the dashboard reads, per kind:

- run_started: {strategy, symbol, timeframe, mode}
- heartbeat: {}
- market: {ts_bar, open, high, low, close, price, volume}
- signal: {signal: -1|0|1, changed: bool, reason?}
- decision: {decision_id, action: buy|sell|hold|close, confidence: 0..1, rationale: str, symbol,
  signal, latency_ms?}
- risk: {allowed: bool, reasons: [str], decision_id?} (level "warning" when not allowed)
- order: {order_id, side: buy|sell, qty, price, status: submitted|blocked|rejected, decision_id?}
- fill: {order_id, side, qty, price, fee, decision_id?}
- position: {symbol, position_size, cash, equity, realized_pnl, unrealized_pnl, decision_id?}
  (end of bar)
- alert: {rule_id, severity}
- error: {error}
- run_finished: {status}

Other kinds and extra keys are allowed; readers keep and show them. `decision()`, `risk()`,
`order()`, `fill()` and `position()` write these kinds; the last four take the `decision_id`
that `decision()` returned, which links them to it.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from peakwatch.contract.values import to_decision_id
from peakwatch.producer.atomic import (
    append_bytes,
    append_json_line,
    dumps_line,
    format_ts,
    utc_now,
    write_json_atomic,
)
from peakwatch.producer.events_tail import scan_events_tail

EVENT_VERSION = 1
RUN_MODES = frozenset({"paper", "shadow", "testnet", "live"})
LEVELS = frozenset({"info", "warning", "error"})
ALERT_SEVERITIES = frozenset({"info", "warning", "critical"})
FINISH_STATUSES = frozenset({"completed", "failed", "aborted"})
ORDER_STATUSES = frozenset({"submitted", "blocked", "rejected"})

_ALERT_LEVEL = {"info": "info", "warning": "warning", "critical": "error"}
_FINISH_LEVEL = {"completed": "info", "aborted": "warning", "failed": "error"}
_KIND = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _linked(data: dict[str, Any], decision_id: str | None) -> dict[str, Any]:
    """`data` with the decision_id it follows, when there is one."""
    if decision_id is None:
        return data
    if to_decision_id(decision_id) is None:
        raise ValueError("decision_id must be non-blank text")
    return {**data, "decision_id": decision_id}


def validate_id(value: str, what: str = "id") -> str:
    """Return `value` if it is safe as a single path component, else raise ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    if "/" in value or "\\" in value or ".." in value or value.startswith("."):
        raise ValueError(f"{what} must not contain path separators, '..' or start with '.'")
    if len(value) > 200 or any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError(f"{what} must be at most 200 printable characters")
    return value


def one_line(text: object, limit: int = 500) -> str:
    """`text` as a single line with collapsed whitespace, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_error(exc: BaseException) -> str:
    """A one-line description of an exception: `TypeName: message`."""
    message = one_line(exc, 300)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class RunWriter:
    """Write one run: `meta.json` at start and finish, events with a monotonic `seq`.

    Use as a context manager. Reopening an existing run keeps its `started_at` and continues
    after the last `seq` in the file (a torn last line left by a crash is cut off first).
    One writer per run; its methods are safe to call from several threads.
    """

    def __init__(
        self,
        runs_root: Path,
        run_id: str,
        *,
        mode: str,
        strategy_name: str,
        symbol: str,
        timeframe: str,
        config_snapshot: dict[str, Any] | None = None,
        notes: str = "",
        started_at: datetime | None = None,
    ) -> None:
        if mode not in RUN_MODES:
            raise ValueError(f"mode must be one of {sorted(RUN_MODES)}")
        self.run_id = validate_id(run_id, "run_id")
        self.run_dir = Path(runs_root) / run_id
        self.events_path = self.run_dir / "events.jsonl"
        self.alerts_path = self.run_dir / "alerts.jsonl"
        self.meta_path = self.run_dir / "meta.json"
        self._meta: dict[str, Any] = {
            "run_id": run_id,
            "mode": mode,
            "strategy_name": strategy_name,
            "symbol": symbol,
            "timeframe": timeframe,
            "started_at": format_ts(started_at or utc_now()),
            "ended_at": None,
            "config_snapshot": dict(config_snapshot or {}),
            "notes": one_line(notes),
        }
        self._seq = 0
        self._lock = threading.RLock()
        self.started = False
        self.status: str | None = None

    @property
    def seq(self) -> int:
        """The seq of the last event written (0 before the first)."""
        return self._seq

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the meta document as last written."""
        return dict(self._meta)

    def start(self, *, ts: datetime | None = None) -> RunWriter:
        """Create the run folder, write `meta.json` and emit `run_started`."""
        if self.started:
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        resumed = self._resume()
        write_json_atomic(self.meta_path, self._meta)
        self.started = True
        meta = self._meta
        data = {
            "strategy": meta["strategy_name"],
            "symbol": meta["symbol"],
            "timeframe": meta["timeframe"],
            "mode": meta["mode"],
        }
        verb = f"resumed after seq {self._seq}" if resumed else "started"
        msg = f"Run {self.run_id} {verb}: {meta['strategy_name']} on {meta['symbol']}"
        self.event("run_started", msg, data=data, ts=ts)
        return self

    def _resume(self) -> bool:
        if self.meta_path.exists():
            try:
                previous = orjson.loads(self.meta_path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                previous = None
            if isinstance(previous, dict) and isinstance(previous.get("started_at"), str):
                self._meta["started_at"] = previous["started_at"]
        if not self.events_path.exists():
            return self.meta_path.exists()
        self._seq, complete = scan_events_tail(self.events_path)
        if complete < self.events_path.stat().st_size:
            os.truncate(self.events_path, complete)
        return True

    def event(
        self,
        kind: str,
        msg: str,
        *,
        level: str = "info",
        data: dict[str, Any] | None = None,
        ts: datetime | None = None,
    ) -> int:
        """Append one event line and return its seq."""
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise ValueError("kind must be a non-empty word of letters, digits, '_', '.', '-'")
        if level not in LEVELS:
            raise ValueError(f"level must be one of {sorted(LEVELS)}")
        with self._lock:
            if not self.started:
                raise RuntimeError("RunWriter.start() (or `with`) must come first")
            if self.status is not None:
                raise RuntimeError(f"run {self.run_id} already finished ({self.status})")
            record = {
                "v": EVENT_VERSION,
                "seq": self._seq + 1,
                "ts": format_ts(ts or utc_now()),
                "kind": kind,
                "level": level,
                "msg": one_line(msg),
                "data": dict(data or {}),
            }
            line = dumps_line(record)  # encode first: a bad payload must not use up a seq
            append_bytes(self.events_path, line)
            self._seq += 1
            return self._seq

    def decision(
        self,
        action: str,
        *,
        confidence: float | None = None,
        rationale: str = "",
        decision_id: str | None = None,
        ts: datetime | None = None,
        **data: Any,
    ) -> str:
        """Emit a `decision` event and return its decision_id (`d-<seq>` unless one is given).

        Extra keyword arguments (`symbol`, `signal`, `latency_ms`, ...) go into `data`.
        """
        if decision_id is not None and to_decision_id(decision_id) is None:
            raise ValueError("decision_id must be non-blank text")
        fields = {"action": action, "confidence": confidence, "rationale": rationale, **data}
        with self._lock:  # the derived id names the seq this event gets
            chosen = decision_id or f"d-{self._seq + 1}"
            msg = rationale or f"Decision {action}"
            self.event("decision", msg, data={"decision_id": chosen, **fields}, ts=ts)
        return chosen

    def risk(
        self,
        allowed: bool,
        reasons: list[str] | None = None,
        *,
        decision_id: str | None = None,
        msg: str | None = None,
        ts: datetime | None = None,
    ) -> int:
        """Emit a `risk` check (level warning when blocked) and return its seq."""
        listed = [str(reason) for reason in reasons or []]
        text = msg or ("Risk check passed" if allowed else f"Risk blocked: {'; '.join(listed)}")
        data = _linked({"allowed": bool(allowed), "reasons": listed}, decision_id)
        return self.event("risk", text, level="info" if allowed else "warning", data=data, ts=ts)

    def order(
        self,
        order_id: str,
        side: str,
        qty: float,
        price: float | None,
        *,
        status: str = "submitted",
        decision_id: str | None = None,
        msg: str | None = None,
        ts: datetime | None = None,
        **data: Any,
    ) -> int:
        """Emit an `order` (status submitted, blocked or rejected) and return its seq."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"status must be one of {sorted(ORDER_STATUSES)}")
        fields = {"order_id": order_id, "side": side, "qty": qty, "price": price}
        fields.update(status=status, **data)
        text = msg or f"Order {order_id} {side} {qty:g} {status}"
        level = "info" if status == "submitted" else "warning"
        return self.event("order", text, level=level, data=_linked(fields, decision_id), ts=ts)

    def fill(
        self,
        order_id: str,
        side: str,
        qty: float,
        price: float,
        fee: float = 0.0,
        *,
        decision_id: str | None = None,
        msg: str | None = None,
        ts: datetime | None = None,
    ) -> int:
        """Emit a `fill` of an order and return its seq."""
        fields = {"order_id": order_id, "side": side, "qty": qty, "price": price, "fee": fee}
        text = msg or f"Filled {order_id} {side} {qty:g} @ {price:g}"
        return self.event("fill", text, data=_linked(fields, decision_id), ts=ts)

    def position(
        self,
        position_size: float,
        equity: float,
        *,
        symbol: str | None = None,
        cash: float | None = None,
        realized_pnl: float | None = None,
        unrealized_pnl: float | None = None,
        decision_id: str | None = None,
        msg: str | None = None,
        ts: datetime | None = None,
    ) -> int:
        """Emit a `position` event, the end of a step, and return its seq."""
        fields = {
            "symbol": symbol or self._meta["symbol"],
            "position_size": position_size,
            "cash": cash,
            "equity": equity,
            "realized_pnl": realized_pnl,
            "unrealized_pnl": unrealized_pnl,
        }
        text = msg or f"Position {position_size:g}; equity {equity:,.2f}"
        return self.event("position", text, data=_linked(fields, decision_id), ts=ts)

    def heartbeat(self, *, ts: datetime | None = None) -> int:
        """Emit a `heartbeat` event: proof of life while nothing else happens."""
        return self.event("heartbeat", "heartbeat", ts=ts)

    def alert(
        self,
        rule_id: str,
        severity: str,
        message: str,
        *,
        ts: datetime | None = None,
        threshold: float | None = None,
    ) -> int:
        """Append to `alerts.jsonl` (Peak_Trade shape, plus the `threshold` that fired when
        given) and emit an `alert` event."""
        if severity not in ALERT_SEVERITIES:
            raise ValueError(f"severity must be one of {sorted(ALERT_SEVERITIES)}")
        moment = ts or utc_now()
        text = one_line(message)
        line: dict[str, Any] = {
            "rule_id": rule_id,
            "severity": severity,
            "message": text,
            "run_id": self.run_id,
            "timestamp": format_ts(moment),
        }
        if threshold is not None:
            line["threshold"] = threshold
        if not self.started or self.status is not None:
            raise RuntimeError(f"run {self.run_id} is not open")
        append_json_line(self.alerts_path, line)
        data = {"rule_id": rule_id, "severity": severity}
        return self.event("alert", text, level=_ALERT_LEVEL[severity], data=data, ts=moment)

    def finish(self, status: str = "completed", *, ts: datetime | None = None) -> None:
        """Emit `run_finished` and rewrite `meta.json` with `ended_at`."""
        if status not in FINISH_STATUSES:
            raise ValueError(f"status must be one of {sorted(FINISH_STATUSES)}")
        moment = ts or utc_now()
        msg = f"Run {self.run_id} {status}"
        self.event(
            "run_finished", msg, level=_FINISH_LEVEL[status], data={"status": status}, ts=moment
        )
        self.status = status
        self._meta["ended_at"] = format_ts(moment)
        write_json_atomic(self.meta_path, self._meta)

    def __enter__(self) -> RunWriter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.status is not None or not self.started:
            return
        if exc is None:
            self.finish("completed")
        elif isinstance(exc, Exception):
            error = describe_error(exc)
            self.event("error", error, level="error", data={"error": error})
            self.finish("failed")
        else:  # KeyboardInterrupt, SystemExit: stopped from outside, not broken
            self.finish("aborted")
