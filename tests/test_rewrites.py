"""Files rewritten in place under the reader: nothing the operator sees goes backwards.

Peak_Trade's LiveRunLogger rewrites `events.parquet` in place (truncate, write) every few
rows and `meta.json` non-atomically. While a file is not whole, every view keeps its last
good state, marked "file being rewritten" once; when the file is whole again the mark is
gone and the views catch up. The writers here stop by themselves after a bounded number of
rewrites; hand-offs between writer and poller wait with timeouts, never on the clock.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from artifacts import T0, write_meta
from peakwatch.settings import load_settings
from peakwatch.sources.steady import REWRITING
from peakwatch.web import create_app

RUN = "pt_run"
REWRITES = 40  # coordinated rewrites (a poll in the middle of each)
FREE_REWRITES = 150  # free-running rewrites while polling as fast as possible
ROWS_PER_REWRITE = 5
HAND_OFF_SECONDS = 10.0  # a hand-off that waits longer than this ends the test


def rows(count: int) -> list[dict[str, Any]]:
    """Peak_Trade step rows 0..count-1, equity rising with the step."""
    return [
        {
            "step": i,
            "ts_bar": (T0 + timedelta(minutes=i)).isoformat(),
            "ts_event": (T0 + timedelta(minutes=i)).isoformat(),
            "price": 100.0 + i,
            "close": 100.0 + i,
            "position_size": 1.0,
            "cash": 1000.0,
            "equity": 1000.0 + i,
            "realized_pnl": float(i),
            "unrealized_pnl": 0.5,
            "signal": 1,
            "orders_generated": 1,
            "orders_filled": 1,
            "orders_blocked": 0,
            "risk_allowed": True,
            "risk_reasons": "",
        }
        for i in range(count)
    ]


def parquet_bytes(count: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows(count)), buffer, row_group_size=20)
    return buffer.getvalue()


def csv_bytes(count: int) -> bytes:
    buffer = io.StringIO()
    found = rows(count)
    writer = csv.DictWriter(buffer, fieldnames=list(found[0]))
    writer.writeheader()
    writer.writerows(found)
    return buffer.getvalue().encode()


class HandOff:
    """The writer says where it is and waits until the poller has looked (with timeouts)."""

    def __init__(self) -> None:
        self.at = threading.Event()
        self.go = threading.Event()
        self.done = False

    def pause(self) -> None:
        """Writer side: signal, then wait for the poller."""
        self.at.set()
        self.go.wait(HAND_OFF_SECONDS)
        self.go.clear()

    def wait(self) -> bool:
        """Poller side: wait until the writer paused; False when it has finished."""
        assert self.at.wait(HAND_OFF_SECONDS), "the writer stopped answering"
        self.at.clear()
        return not self.done


def write_in_place(path: Path, data: bytes, cut: int, hand_off: HandOff | None = None) -> None:
    """Truncate and rewrite the same file (same inode), pausing after `cut` bytes."""
    with path.open("wb") as handle:  # O_TRUNC: what pandas' to_parquet and open("w") do
        handle.write(data[:cut])
        handle.flush()
        if hand_off is not None:
            hand_off.pause()
        handle.write(data[cut:])
    if hand_off is not None:
        hand_off.pause()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, TestClient]]:
    write_meta(tmp_path / "live_runs" / RUN, RUN, started_at=T0.isoformat())
    settings = load_settings(
        {"index_max_age_seconds": 0.0, "run_stale_seconds": 10.0**9}, environ={}, cwd=tmp_path
    )
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield tmp_path / "live_runs" / RUN, client


class Views:
    """Every view of the run an operator polls, checked never to go backwards."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.steps = 0
        self.equity = 0.0
        self.tail_last = -1
        self.tail_length = 0
        self.listed_last = ""
        self.marked_polls = 0

    def poll(self) -> list[dict[str, Any]]:
        """Read snapshot, tail, runs list and run pages; assert no regress; the problems."""
        client = self.client
        snapshot = client.get(f"/runs/{RUN}/snapshot").json()
        assert snapshot["total_steps"] >= self.steps, "steps went back"
        assert snapshot["equity"] is not None and snapshot["equity"] >= self.equity
        self.steps, self.equity = snapshot["total_steps"], snapshot["equity"]
        tail = client.get(f"/runs/{RUN}/tail?limit=50").json()
        assert len(tail) >= self.tail_length, "tail got shorter"
        last = int(tail[-1]["equity"]) if tail else -1
        assert last >= self.tail_last, "tail went back"
        self.tail_length, self.tail_last = len(tail), last
        listed = next(r for r in client.get("/runs").json() if r["run_id"] == RUN)
        assert listed["last_event_time"] is not None
        assert listed["last_event_time"] >= self.listed_last, "runs list went back"
        self.listed_last = listed["last_event_time"]
        detail = client.get(f"/api/v0/runs/{RUN}").json()
        assert detail["snapshot"]["total_steps"] >= self.steps - 0  # same data, same figure
        page = client.get(f"/dashboard/runs/{RUN}")
        assert page.status_code == 200
        problems: list[dict[str, Any]] = snapshot["problems"]
        if any(p["reason"] == REWRITING for p in problems):
            self.marked_polls += 1
        return problems


def _rewriter(path: Path, make: Any, count: int, hand_off: HandOff) -> None:
    try:
        for index in range(1, count + 1):
            data = make(20 + index * ROWS_PER_REWRITE)
            write_in_place(path, data, len(data) // 2, hand_off)
    finally:
        hand_off.done = True
        hand_off.at.set()


@pytest.mark.parametrize(
    ("name", "make"), [("events.parquet", parquet_bytes), ("events.csv", csv_bytes)]
)
def test_a_poll_in_the_middle_of_every_rewrite_keeps_the_last_view_marked_once(
    world: tuple[Path, TestClient], name: str, make: Any
) -> None:
    run_dir, client = world
    (run_dir / name).write_bytes(make(20))
    views = Views(client)
    assert views.poll() == []
    assert views.steps == 20
    hand_off = HandOff()
    writer = threading.Thread(target=_rewriter, args=(run_dir / name, make, REWRITES, hand_off))
    writer.start()
    for rewrite in range(1, REWRITES + 1):
        assert hand_off.wait()
        problems = views.poll()  # the file is half written now
        marks = [p for p in problems if p["reason"] == REWRITING]
        assert len(marks) == 1, (rewrite, problems)  # reported once, not twice
        assert views.steps == 20 + (rewrite - 1) * ROWS_PER_REWRITE  # the last whole view
        hand_off.go.set()
        assert hand_off.wait()
        assert views.poll() == []  # whole again: no mark, not even once more
        assert views.steps == 20 + rewrite * ROWS_PER_REWRITE  # caught up
        hand_off.go.set()
    assert not hand_off.wait()
    writer.join(HAND_OFF_SECONDS)
    assert views.tail_length == 50 and views.tail_last == 1000 + views.steps - 1


def test_free_running_rewrites_never_take_a_view_back(world: tuple[Path, TestClient]) -> None:
    run_dir, client = world
    path = run_dir / "events.parquet"
    path.write_bytes(parquet_bytes(20))
    views = Views(client)
    views.poll()
    done = threading.Event()

    def rewrite() -> None:
        try:
            for index in range(1, FREE_REWRITES + 1):
                data = parquet_bytes(20 + index * ROWS_PER_REWRITE)
                write_in_place(path, data, len(data) // 3)
        finally:
            done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    polls = 0
    while not done.is_set() and polls < 10_000:
        views.poll()
        polls += 1
    writer.join(HAND_OFF_SECONDS)
    views.poll()
    assert views.steps == 20 + FREE_REWRITES * ROWS_PER_REWRITE
    print(f"{polls} polls during {FREE_REWRITES} rewrites, {views.marked_polls} marked")


def test_a_torn_meta_json_keeps_the_run_and_its_meta(world: tuple[Path, TestClient]) -> None:
    run_dir, client = world
    (run_dir / "events.parquet").write_bytes(parquet_bytes(20))
    before = client.get(f"/runs/{RUN}/snapshot").json()
    meta = (run_dir / "meta.json").read_bytes()
    (run_dir / "meta.json").write_bytes(meta[: len(meta) // 2])  # mid-rewrite
    during = client.get(f"/runs/{RUN}/snapshot").json()
    assert during["strategy_name"] == before["strategy_name"] == "ma_crossover"
    assert during["total_steps"] == 20
    [mark] = during["problems"]
    assert mark["reason"].startswith(REWRITING) and "not valid JSON" in mark["reason"]
    listed = next(r for r in client.get("/runs").json() if r["run_id"] == RUN)
    assert listed["status"] == "active" and listed["mode"] == "paper"
    (run_dir / "meta.json").write_bytes(
        meta.replace(b'"ended_at": null', b'"ended_at": "2026-01-01T13:00:00Z"')
    )
    after = client.get(f"/runs/{RUN}/snapshot").json()
    assert after["problems"] == [] and after["ended_at"] == "2026-01-01T13:00:00Z"
