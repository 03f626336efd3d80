"""Artifact generators for the benchmarks: big events files written in bulk, many runs, sessions.

Everything is written under one temporary root that the caller removes. Big files are made
from a line template with a counter, in chunks, so a 10^7-event file takes seconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# A year before today: 10^7 one-second steps (116 days) stay in the past, as real history is.
T0 = (datetime.now(UTC) - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
T0_EPOCH = int(T0.timestamp())
CHUNK_LINES = 60_000

# One bar of native events; the tail turns each `position` event into one step row.
JSONL_BAR = (
    '{{"v":1,"seq":{s0},"ts":"{ts}","kind":"market","level":"info","msg":"market",'
    '"data":{{"ts_bar":"{ts}","close":{px},"price":{px}}}}}\n'
    '{{"v":1,"seq":{s1},"ts":"{ts}","kind":"decision","level":"info","msg":"decision",'
    '"data":{{"action":"buy","confidence":0.7,"symbol":"BTC/EUR","rationale":"momentum"}}}}\n'
    '{{"v":1,"seq":{s2},"ts":"{ts}","kind":"risk","level":"info","msg":"risk",'
    '"data":{{"allowed":true,"reasons":[]}}}}\n'
    '{{"v":1,"seq":{s3},"ts":"{ts}","kind":"order","level":"info","msg":"order",'
    '"data":{{"order_id":"o{bar}","side":"buy","qty":0.1,"price":{px},"status":"submitted"}}}}\n'
    '{{"v":1,"seq":{s4},"ts":"{ts}","kind":"fill","level":"info","msg":"fill",'
    '"data":{{"order_id":"o{bar}","side":"buy","qty":0.1,"price":{px},"fee":0.01}}}}\n'
    '{{"v":1,"seq":{s5},"ts":"{ts}","kind":"position","level":"info","msg":"position",'
    '"data":{{"symbol":"BTC/EUR","position_size":0.1,"cash":5000.0,"equity":{eq},'
    '"realized_pnl":1.0,"unrealized_pnl":0.25}}}}\n'
)
EVENTS_PER_BAR = 6
CSV_COLUMNS = (
    "step,ts_bar,ts_event,price,open,high,low,close,volume,position_size,cash,equity,"
    "realized_pnl,unrealized_pnl,signal,signal_changed,orders_generated,orders_filled,"
    "orders_rejected,orders_blocked,risk_allowed,risk_reasons\n"
)
CSV_ROW = (
    "{step},{ts},{ts},{px},{px},{px},{px},{px},1.5,1.0,1000.0,{eq},1.0,0.5,1,False,1,1,0,0,True,\n"
)


_CLOCK = [f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(86_400)]
_DAYS: dict[int, str] = {}


def iso_at(seconds: int) -> str:
    """UTC ISO text `seconds` after T0 (fast: table lookups, no datetime per line)."""
    days, rest = divmod(seconds, 86_400)
    day = _DAYS.get(days)
    if day is None:
        day = _DAYS[days] = (T0 + timedelta(days=days)).strftime("%Y-%m-%d")
    return day + _CLOCK[rest]


def write_meta(run_dir: Path, run_id: str, *, ended: bool, started: datetime = T0) -> None:
    """A Peak_Trade meta.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "run_id": run_id,
        "mode": "paper",
        "strategy_name": "ma_crossover",
        "symbol": "BTC/EUR",
        "timeframe": "1m",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(days=1)).isoformat() if ended else None,
        "config_snapshot": {"tags": ["bench"]},
        "notes": "",
    }
    (run_dir / "meta.json").write_text(json.dumps(meta))


def _jsonl_chunks(events: int, first_bar: int = 0) -> Iterator[str]:
    bars = max(events // EVENTS_PER_BAR, 1)
    parts: list[str] = []
    for bar in range(first_bar, first_bar + bars):
        s = bar * EVENTS_PER_BAR + 1
        ts = iso_at(bar)
        px = 100 + bar % 1000
        parts.append(
            JSONL_BAR.format(
                s0=s, s1=s + 1, s2=s + 2, s3=s + 3, s4=s + 4, s5=s + 5,
                ts=ts, px=px, eq=10_000 + bar % 997, bar=bar,
            )
        )  # fmt: skip
        if len(parts) * EVENTS_PER_BAR >= CHUNK_LINES:
            yield "".join(parts)
            parts = []
    if parts:
        yield "".join(parts)


def write_jsonl_events(path: Path, events: int) -> int:
    """A native events.jsonl with about `events` lines (whole bars); returns its size."""
    with open(path, "w", encoding="ascii") as f:
        for chunk in _jsonl_chunks(events):
            f.write(chunk)
    return path.stat().st_size


def write_csv_events(path: Path, rows: int) -> int:
    """A Peak_Trade events.csv with `rows` step rows; returns its size."""
    with open(path, "w", encoding="ascii") as f:
        f.write(CSV_COLUMNS)
        for start in range(0, rows, CHUNK_LINES):
            f.write(
                "".join(
                    CSV_ROW.format(step=i, ts=iso_at(i), px=100 + i % 1000, eq=1000 + i % 997)
                    for i in range(start, min(start + CHUNK_LINES, rows))
                )
            )
    return path.stat().st_size


def write_parquet_events(path: Path, rows: int, group: int = 10_000) -> int:
    """A Peak_Trade events.parquet with `rows` rows in row groups of `group`; returns its size."""
    group = min(group, rows)
    base_steps = pa.array(range(group), pa.int64())
    base_ts = pa.array([(T0_EPOCH + i) * 1_000_000 for i in range(group)], pa.int64())
    price = pa.array([100.0 + i % 1000 for i in range(group)], pa.float64())
    schema = pa.schema(
        [
            ("step", pa.int64()),
            ("ts_bar", pa.timestamp("us", tz="UTC")),
            ("ts_event", pa.timestamp("us", tz="UTC")),
            ("close", pa.float64()),
            ("equity", pa.float64()),
            ("realized_pnl", pa.float64()),
            ("position_size", pa.float64()),
            ("orders_generated", pa.int64()),
            ("orders_blocked", pa.int64()),
            ("risk_allowed", pa.bool_()),
            ("risk_reasons", pa.string()),
        ]
    )
    ones = pa.array([1] * group, pa.int64())
    zeros = pa.array([0] * group, pa.int64())
    flags = pa.array([True] * group, pa.bool_())
    reasons = pa.array([""] * group, pa.string())
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            steps = pc.add(base_steps, start)
            ts = pc.add(base_ts, start * 1_000_000).cast(pa.timestamp("us", tz="UTC"))
            columns = [steps, ts, ts, price, price, price, price, ones, zeros, flags, reasons]
            table = pa.Table.from_arrays([c.slice(0, n) for c in columns], schema=schema)
            writer.write_table(table, row_group_size=group)
    return path.stat().st_size


def fill_file(path: Path, size: int, block: bytes) -> int:
    """A file of `size` bytes made of whole copies of `block` (real bytes, not holes)."""
    copies = max(size // len(block), 1)
    with open(path, "wb") as f:
        for _ in range(copies):
            f.write(block)
    return path.stat().st_size


def jsonl_block(target: int) -> bytes:
    """About `target` bytes of valid native events (whole bars)."""
    out: list[str] = []
    total = 0
    for chunk in _jsonl_chunks(10**9):
        out.append(chunk)
        total += len(chunk)
        if total >= target:
            break
    return "".join(out).encode()


def write_many_runs(root: Path, count: int, *, active: int, now: datetime) -> None:
    """`count` small runs: `active` of them wrote an event just now, the rest ended long ago."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        run_id = f"run_{i:06d}"
        run_dir = root / run_id
        is_active = i < active
        started = now - timedelta(minutes=5) if is_active else T0 + timedelta(minutes=i)
        write_meta(run_dir, run_id, ended=not is_active, started=started)
        bar_time = started if not is_active else now - timedelta(seconds=5)
        stamp = bar_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = "".join(
            json.dumps(
                {
                    "v": 1,
                    "seq": seq,
                    "ts": stamp,
                    "kind": kind,
                    "level": "info",
                    "msg": kind,
                    "data": {"equity": 10_000.0, "position_size": 0.1}
                    if kind == "position"
                    else {},
                }
            )
            + "\n"
            for seq, kind in enumerate(("run_started", "market", "decision", "position"), 1)
        )
        (run_dir / "events.jsonl").write_text(lines)
        # Files written "at" their event time, as a runner would have written them.
        stamp_s = bar_time.timestamp()
        for name in ("events.jsonl", "meta.json"):
            os.utime(run_dir / name, (stamp_s, stamp_s))


def parse_time(text: str) -> datetime:
    """An ISO timestamp written by this module."""
    return datetime.fromisoformat(text)


def session_record(i: int, now: datetime, *, started_every: int = 100) -> dict[str, Any]:
    """A Peak_Trade registry record; every `started_every`-th one is still running."""
    running = i % started_every == 0
    started = (now - timedelta(minutes=1)) if running else T0 + timedelta(seconds=30 * i)
    return {
        "session_id": f"sess_{i:07d}",
        "run_id": None,
        "run_type": "live_session_paper",
        "mode": "paper" if i % 10 else "shadow",
        "env_name": "kraken_testnet",
        "symbol": "BTC/EUR",
        "status": "started" if running else "completed",
        "started_at": started.isoformat(),
        "finished_at": None if running else (started + timedelta(hours=1)).isoformat(),
        "heartbeat_at": now.isoformat() if running else None,
        "config": {"strategy_name": "ma_crossover", "notes": "bench"},
        "metrics": {"realized_pnl": 1.5, "max_drawdown": -0.01, "num_orders": 3},
        "cli_args": ["--mode", "paper"],
        "error": None,
        "created_at": started.isoformat(),
        "strategy_tier": "core",
    }


def write_sessions(registry: Path, count: int, now: datetime) -> Path:
    """`count` registry files; returns the path of one of them (to touch later)."""
    registry.mkdir(parents=True, exist_ok=True)
    last = registry
    for i in range(count):
        record = session_record(i, now)
        last = registry / f"{i:07d}_live_session_paper_{record['session_id']}.json"
        with open(last, "w") as f:
            f.write(json.dumps(record))
        written = parse_time(record["finished_at"] or record["started_at"]).timestamp()
        os.utime(last, (written, written))
    return last


def write_sessions_fast(registry: Path, count: int, now: datetime) -> None:
    """`count` registry files from one template (a million in about a minute), no utime."""
    registry.mkdir(parents=True, exist_ok=True)
    templates = [json.dumps(session_record(k, now)) for k in (0, 1)]  # a running, a done one
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for i in range(count):
        k = 0 if i % 100 == 0 else 1
        text = templates[k].replace(f"sess_{k:07d}", f"sess_{i:07d}")
        fd = os.open(registry / f"{i:07d}_live_session_paper_sess_{i:07d}.json", flags, 0o644)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)


def page_cache_file(path: Path, size: int) -> None:
    """A real file of `size` bytes for the page-cache bandwidth measurement."""
    block = os.urandom(1 << 20)
    fill_file(path, size, block)
