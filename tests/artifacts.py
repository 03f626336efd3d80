"""Builders of artifact folders for tests, in the native and the Peak_Trade formats."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
STEP_COLUMNS = [
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
    "extra_order_side",
]


def iso(ts: datetime, *, naive: bool = False) -> str:
    """ISO text; naive drops the offset (Peak_Trade writers do both)."""
    return ts.replace(tzinfo=None).isoformat() if naive else ts.isoformat()


def write_meta(run_dir: Path, run_id: str, **fields: Any) -> Path:
    """A Peak_Trade meta.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "run_id": run_id,
        "mode": "paper",
        "strategy_name": "ma_crossover",
        "symbol": "BTC/EUR",
        "timeframe": "1m",
        "started_at": iso(T0),
        "ended_at": None,
        "config_snapshot": {"tags": ["test"]},
        "notes": "",
    }
    meta.update(fields)
    path = run_dir / "meta.json"
    path.write_text(json.dumps(meta))
    return path


def step_rows(count: int, *, start: datetime = T0, blocked_every: int = 0) -> list[dict[str, Any]]:
    """Peak_Trade step rows with some NaN equity and empty risk reasons."""
    rows = []
    for i in range(count):
        blocked = 1 if blocked_every and i % blocked_every == 0 else 0
        ts = start + timedelta(minutes=i)
        rows.append(
            {
                "step": i,
                "ts_bar": iso(ts, naive=i % 2 == 0),
                "ts_event": iso(ts, naive=i % 2 == 0),
                "price": 100.0 + i,
                "open": 100.0 + i,
                "high": 101.0 + i,
                "low": 99.0 + i,
                "close": 100.0 + i,
                "volume": 1.5,
                "position_size": float(i % 3),
                "cash": 1000.0,
                "equity": math.nan if i % 5 == 4 else 1000.0 + i,
                "realized_pnl": float(i),
                "unrealized_pnl": 0.5,
                "signal": 1,
                "signal_changed": i % 2 == 0,
                "orders_generated": 1,
                "orders_filled": 1 - blocked,
                "orders_rejected": 0,
                "orders_blocked": blocked,
                "risk_allowed": not blocked,
                "risk_reasons": "max_position" if blocked else "",
                "extra_order_side": "buy",
            }
        )
    return rows


def write_csv_events(run_dir: Path, rows: list[dict[str, Any]]) -> Path:
    """`events.csv` as Peak_Trade appends it (NaN written as empty, like pandas)."""
    path = run_dir / "events.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STEP_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            )
    return path


def write_parquet_events(run_dir: Path, rows: list[dict[str, Any]], group: int = 50) -> Path:
    """`events.parquet` with several row groups."""
    path = run_dir / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=group)
    return path


def native_event(seq: int, kind: str, ts: datetime, **data: Any) -> dict[str, Any]:
    """One native events.jsonl object."""
    level = data.pop("level", "info")
    msg = data.pop("msg", kind)
    return {
        "v": 1,
        "seq": seq,
        "ts": iso(ts),
        "kind": kind,
        "level": level,
        "msg": msg,
        "data": data,
    }


def native_bar_events(
    bars: int, *, start: datetime = T0, first_seq: int = 1
) -> list[dict[str, Any]]:
    """Per bar: market, decision, risk, order, fill, position (blocked every 4th bar)."""
    events = []
    seq = first_seq
    equity = 10_000.0
    for bar in range(bars):
        ts = start + timedelta(seconds=bar)
        blocked = bar % 4 == 3
        equity += -5.0 if bar % 3 == 0 else 7.0
        specs: list[tuple[str, dict[str, Any]]] = [
            ("market", {"ts_bar": iso(ts), "close": 100.0 + bar, "price": 100.0 + bar}),
            (
                "decision",
                {
                    "action": "buy",
                    "confidence": 0.7,
                    "symbol": "BTC/EUR",
                    "rationale": f"Momentum positive on bar {bar}",
                },
            ),
            (
                "risk",
                {
                    "allowed": not blocked,
                    "reasons": ["max_position"] if blocked else [],
                    "level": "warning" if blocked else "info",
                },
            ),
            (
                "order",
                {
                    "order_id": f"o{bar}",
                    "side": "buy",
                    "qty": 0.1,
                    "price": 100.0 + bar,
                    "status": "blocked" if blocked else "submitted",
                },
            ),
        ]
        if not blocked:
            specs.append(
                (
                    "fill",
                    {
                        "order_id": f"o{bar}",
                        "side": "buy",
                        "qty": 0.1,
                        "price": 100.0 + bar,
                        "fee": 0.01,
                    },
                )
            )
        specs.append(
            (
                "position",
                {
                    "symbol": "BTC/EUR",
                    "position_size": 0.1 * bar,
                    "cash": 5000.0,
                    "equity": equity,
                    "realized_pnl": 1.0 * bar,
                    "unrealized_pnl": 0.25,
                },
            )
        )
        for kind, data in specs:
            events.append(native_event(seq, kind, ts, **data))
            seq += 1
    return events


def write_jsonl(path: Path, objects: list[dict[str, Any]], *, mode: str = "w") -> Path:
    """JSON lines, each terminated by a newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode) as handle:
        for obj in objects:
            handle.write(json.dumps(obj) + "\n")
    return path


def append_events(path: Path, first: int, count: int) -> None:
    """Append `count` native signal events numbered from `first`, with `msg` = `e<seq>`."""
    now = datetime.now(UTC)
    events = [
        native_event(first + i, "signal", now + timedelta(milliseconds=i), msg=f"e{first + i}")
        for i in range(count)
    ]
    write_jsonl(path, events, mode="a")


def session_record(
    session_id: str,
    *,
    started: datetime = T0,
    naive: bool = False,
    status: str = "completed",
    mode: str = "paper",
    **extra: Any,
) -> dict[str, Any]:
    """A Peak_Trade registry record."""
    record = {
        "session_id": session_id,
        "run_id": None,
        "run_type": f"live_session_{mode}",
        "mode": mode,
        "env_name": "kraken_testnet",
        "symbol": "BTC/EUR",
        "status": status,
        "started_at": iso(started, naive=naive),
        "finished_at": None
        if status == "started"
        else iso(started + timedelta(hours=1), naive=naive),
        "config": {"strategy_name": "ma_crossover", "notes": "note"},
        "metrics": {
            "realized_pnl": 12.5,
            "max_drawdown": -0.02,
            "num_orders": 4,
            "risk_severity": "ok",
        },
        "cli_args": ["--mode", mode, "--api-key=SHOULD_NOT_LEAK"],
        "error": None,
        "created_at": iso(started, naive=naive),
        "strategy_tier": "core",
    }
    record.update(extra)
    return record


def write_session(registry: Path, record: dict[str, Any]) -> Path:
    """A registry file named as Peak_Trade names it."""
    registry.mkdir(parents=True, exist_ok=True)
    started = record["started_at"][:19].replace("-", "").replace(":", "")
    path = registry / f"{started}_{record['run_type']}_{record['session_id']}.json"
    path.write_text(json.dumps(record))
    return path
