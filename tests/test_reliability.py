"""Fault injection against a real server while a runner writes: nothing 500s, nothing is lost.

Each fault scenario runs a real uvicorn server (tests/live_server.py) over data roots in a
temp folder while a writer appends to a healthy run and an SSE client listens. The fault is
injected into a second run (the victim) or a data root; then every endpoint must still
answer (no 5xx, fast), `/api/health/details` and `/metrics` must name the problem (file
relative to its root, reason), the healthy run must keep flowing, and once the fault is
gone the server must recover by itself.

Sizes are smoke sizes for CI; `PEAKWATCH_SOAK=1` (`make soak`) runs the large ones and the
30-minute soak (`PEAKWATCH_SOAK_SECONDS` shortens it). docs/RELIABILITY.md has the figures.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from artifacts import native_bar_events, native_event, session_record, write_jsonl, write_session
from live_server import running_server, serve_subprocess
from peakwatch.producer import RunWriter
from peakwatch.producer.atomic import write_bytes_atomic
from peakwatch.settings import Settings
from web_helpers import SseWatcher, wait_until

SOAK = os.environ.get("PEAKWATCH_SOAK") == "1"
HUGE_LINE_BYTES = (100 if SOAK else 20) * 1024 * 1024
LOSSLESS_SECONDS = 60.0 if SOAK else 10.0
LOSSLESS_CLIENTS = 50 if SOAK else 10
LOSSLESS_RATE = 1000  # events per second
SOAK_SECONDS = float(os.environ.get("PEAKWATCH_SOAK_SECONDS", "1800"))
FAST_SECONDS = 2.0  # no request may take longer, whatever the fault
SHUTDOWN_SECONDS = 2.0
MEASURED: dict[str, float] = {}  # figures printed at the end (-s) for docs/RELIABILITY.md


# -- helpers ------------------------------------------------------------------------------


def event_line(seq: int, kind: str = "signal", **data: Any) -> bytes:
    """One native event line with `msg` = `s<seq>`."""
    event = native_event(seq, kind, datetime.now(UTC), msg=f"s{seq}", **data)
    return json.dumps(event).encode() + b"\n"


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def metric_sum(text: str, name: str) -> float:
    """The sum of every sample of a Prometheus metric in `text`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Appender(threading.Thread):
    """A runner: RunWriter appending `rate` events per second until stopped."""

    def __init__(self, runs_root: Path, run_id: str, rate: float, limit: int | None = None):
        super().__init__(daemon=True)
        self.writer = RunWriter(
            runs_root, run_id, mode="paper", strategy_name="s", symbol="BTC/EUR", timeframe="1s"
        )
        self.rate = rate
        self.limit = limit
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.writer.start()
            started = time.monotonic()
            sent = 0
            while not self.stop.is_set() and (self.limit is None or sent < self.limit):
                due = int((time.monotonic() - started) * self.rate) - sent
                if self.limit is not None:
                    due = min(due, self.limit - sent)
                for _ in range(due):
                    seq = self.writer.seq + 1
                    if seq % 10 == 0:
                        self.writer.event(
                            "position", f"s{seq}", data={"equity": 1000.0 + seq, "cash": 1.0}
                        )
                    else:
                        self.writer.event("signal", f"s{seq}", data={"signal": 1})
                sent += due
                time.sleep(0.005)
        except BaseException as error:
            self.error = error

    def finish(self) -> None:
        self.stop.set()
        self.join(10)
        assert self.error is None, self.error


@dataclass
class Bench:
    """A running server over a temp data folder, a healthy writer and a listening client."""

    base: str
    roots: Path
    good: Appender
    watcher: SseWatcher
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    latencies: list[float] = field(default_factory=list)
    timings: list[tuple[float, str]] = field(default_factory=list)

    @property
    def runs(self) -> Path:
        return self.roots / "live_runs"

    @property
    def registry(self) -> Path:
        return self.roots / "reports" / "experiments" / "live_sessions"

    @property
    def victim(self) -> Path:
        return self.runs / "victim"

    def get(self, path: str, **params: Any) -> httpx.Response:
        started = time.monotonic()
        response = self.http.get(self.base + path, params=params)
        elapsed = time.monotonic() - started
        self.latencies.append(elapsed)
        self.timings.append((round(elapsed, 3), path))
        assert response.status_code < 500, f"{path}: {response.status_code} {response.text}"
        assert elapsed < FAST_SECONDS, f"{path} took {elapsed:.2f} s"
        return response

    def answer_all(self) -> None:
        """Every endpoint over every run answers fast and without a 5xx."""
        run_ids = [run["run_id"] for run in self.get("/runs").json()]
        for path in (
            "/api/live_sessions",
            "/api/live_sessions/stats",
            "/api/activity",
            "/api/alerts",
            "/api/health/details",
            "/metrics",
            "/api/live/status/snapshot.json",
            "/",
        ):
            self.get(path)
        for run_id in {*run_ids, "victim"}:
            for suffix in ("snapshot", "tail", "alerts"):
                self.get(f"/runs/{run_id}/{suffix}")
            self.get(f"/api/runs/{run_id}/events", limit=20)

    def problems(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get("/api/health/details").json()["unreadable"]
        assert all(not p["file"].startswith("/") for p in found), found
        return found

    def expect_problem(self, file: str, reason: str) -> dict[str, Any]:
        """Health names the file (relative to its root) and the reason; /metrics counts it."""
        match = wait_until(
            lambda: [p for p in self.problems() if p["file"] == file and reason in p["reason"]],
            what=f"a problem {file}: {reason} (have {self.problems()})",
        )
        assert self.get("/api/health/details").json()["status"] == "degraded"
        metrics = self.get("/metrics").text
        assert metric_sum(metrics, "peakwatch_artifact_read_errors") >= 1
        problem: dict[str, Any] = match[0]
        return problem

    def expect_no_problem(self, file: str) -> None:
        wait_until(
            lambda: not [p for p in self.problems() if p["file"] == file],
            what=f"the problem of {file} to clear (have {self.problems()})",
        )

    def expect_healthy(self) -> None:
        wait_until(lambda: not self.problems(), what=f"no problems (have {self.problems()})")
        assert self.get("/api/health/details").json()["status"] == "ok"
        assert metric_sum(self.get("/metrics").text, "peakwatch_artifact_read_errors") == 0

    def newest_victim_summary(self) -> str | None:
        items = self.get("/api/runs/victim/events", limit=1).json()
        return items[0]["summary"] if items else None

    def good_keeps_flowing(self) -> None:
        """The healthy run's totals grow and its events reach the open stream."""
        before = self.get("/runs/good/snapshot").json()["total_steps"]
        streamed = len([a for a in self.watcher.activity() if a["run_id"] == "good"])
        wait_until(
            lambda: self.get("/runs/good/snapshot").json()["total_steps"] > before,
            what="the healthy run's totals to grow",
        )
        wait_until(
            lambda: len([a for a in self.watcher.activity() if a["run_id"] == "good"]) > streamed,
            what="the healthy run's events to reach the stream",
        )


VICTIM_EVENTS = native_bar_events(5)  # 29 events, seq 1..29
VICTIM_LAST = VICTIM_EVENTS[-1]["seq"]


def build_baseline(roots: Path) -> None:
    """A victim run, two sessions, AI events: everything readable."""
    victim = roots / "live_runs" / "victim"
    write_jsonl(victim / "events.jsonl", VICTIM_EVENTS)
    meta = {"run_id": "victim", "mode": "paper", "started_at": "2026-01-01T12:00:00Z"}
    (victim / "meta.json").write_text(json.dumps(meta))
    registry = roots / "reports" / "experiments" / "live_sessions"
    write_session(registry, session_record("s1"))
    write_session(registry, session_record("s2", status="started"))
    write_jsonl(
        roots / "logs" / "ai" / "ai_events.jsonl",
        [{"v": 1, "ts_utc": "2026-01-01T12:00:00Z", "event": "decision", "decision": "buy"}],
    )


@contextlib.contextmanager
def bench(settings: Settings, roots: Path) -> Iterator[Bench]:
    build_baseline(roots)
    live = settings.with_overrides(poll_interval_seconds=0.05, keepalive_seconds=0.3)
    with running_server(live) as base:
        good = Appender(roots / "live_runs", "good", rate=20)
        good.start()
        watcher = SseWatcher(f"{base}/api/stream")
        watcher.start()
        assert watcher.ready.wait(10) and watcher.error is None, watcher.error
        state = Bench(base, roots, good, watcher)
        try:
            wait_until(lambda: state.get("/runs/good/snapshot").status_code == 200, what="good")
            state.expect_healthy()
            yield state
            state.good_keeps_flowing()
            assert watcher.error is None, watcher.error
        finally:
            state.http.close()
            watcher.finish()
            good.finish()
            MEASURED["max_latency_s"] = max(MEASURED.get("max_latency_s", 0), *state.latencies)


# -- fault scenarios: code before `yield` injects and checks; after it, heals and checks ------

Scenario = Callable[[Bench], Iterator[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(func: Scenario) -> Scenario:
    SCENARIOS[func.__name__] = func
    return func


@scenario
def writer_killed_mid_line(b: Bench) -> Iterator[None]:
    """A torn last line is not shown (nor streamed) until its newline arrives."""
    line = event_line(VICTIM_LAST + 1)
    append(b.victim / "events.jsonl", line[:25])
    b.answer_all()
    time.sleep(0.3)  # several stream polls
    assert b.newest_victim_summary() != f"s{VICTIM_LAST + 1}"
    assert not [p for p in b.problems() if "victim" in p["file"]]
    assert not [a for a in b.watcher.activity() if a["run_id"] == "victim"]
    yield
    append(b.victim / "events.jsonl", line[25:])
    wait_until(lambda: b.newest_victim_summary() == f"s{VICTIM_LAST + 1}", what="completed line")
    wait_until(lambda: [a for a in b.watcher.activity() if a["run_id"] == "victim"])
    time.sleep(0.3)
    streamed = [a["summary"] for a in b.watcher.activity() if a["run_id"] == "victim"]
    assert streamed == [f"s{VICTIM_LAST + 1}"]


@scenario
def meta_replaced_atomically(b: Bench) -> Iterator[None]:
    """An atomic replace (temp + rename) is picked up at once and is never a problem."""
    meta = {"run_id": "victim", "mode": "paper", "started_at": "2026-01-01T12:00:00Z"}
    write_bytes_atomic(b.victim / "meta.json", json.dumps({**meta, "notes": "v2"}).encode())
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["meta"]["notes"] == "v2")
    assert not [p for p in b.problems() if "victim" in p["file"]]
    yield
    ended = {**meta, "ended_at": "2026-01-01T13:00:00Z"}
    write_bytes_atomic(b.victim / "meta.json", json.dumps(ended).encode())
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["status"] == "completed")


@scenario
def meta_torn_write(b: Bench) -> Iterator[None]:
    """A non-atomic rewrite caught half-way: the run keeps its last whole meta, marked."""
    path = b.victim / "meta.json"
    whole = path.read_bytes()
    status = b.get("/runs/victim/snapshot").json()["status"]
    with path.open("r+b") as handle:
        handle.truncate(0)
        handle.write(whole[: len(whole) // 2])
    problem = b.expect_problem("live_runs/victim/meta.json", "not valid JSON")
    assert problem["reason"].startswith("file being rewritten")
    assert "victim" in [run["run_id"] for run in b.get("/runs").json()]
    snapshot = b.get("/runs/victim/snapshot").json()
    assert snapshot["status"] == status and snapshot["meta"]["run_id"] == "victim"
    assert b.get("/runs/victim/tail").json()  # its events are still served
    yield
    with path.open("r+b") as handle:
        handle.seek(len(whole) // 2)
        handle.write(whole[len(whole) // 2 :])
    b.expect_no_problem("live_runs/victim/meta.json")
    assert b.get("/runs/victim/snapshot").json()["meta"]["run_id"] == "victim"


@scenario
def events_truncated(b: Bench) -> Iterator[None]:
    """Truncation is detected: totals restart from the new content, nothing stale remains."""
    steps = b.get("/runs/victim/snapshot").json()["total_steps"]
    assert steps == 5
    path = b.victim / "events.jsonl"
    os.truncate(path, 0)
    write_jsonl(path, native_bar_events(2), mode="a")
    b.expect_problem("live_runs/victim/events.jsonl", "truncated")
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["total_steps"] == 2)
    assert len(b.get("/runs/victim/tail").json()) == 2
    yield
    write_jsonl(path, native_bar_events(1, first_seq=100), mode="a")
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["total_steps"] == 3)


@scenario
def events_deleted(b: Bench) -> Iterator[None]:
    """A deleted events file: the run stays, with zero totals and the loss named."""
    assert b.get("/runs/victim/snapshot").json()["total_steps"] == 5
    (b.victim / "events.jsonl").unlink()
    b.expect_problem("live_runs/victim/events.jsonl", "disappeared")
    snapshot = b.get("/runs/victim/snapshot").json()
    assert snapshot["total_steps"] == 0 and snapshot["events_format"] is None
    assert b.get("/runs/victim/tail").json() == []
    yield
    write_jsonl(b.victim / "events.jsonl", native_bar_events(3))
    b.expect_no_problem("live_runs/victim/events.jsonl")
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["total_steps"] == 3)


@scenario
def run_folder_removed(b: Bench) -> Iterator[None]:
    """A removed run disappears (404, a run_removed stream event), its problems with it."""
    append(b.victim / "events.jsonl", b"{bad line}\n")
    b.expect_problem("live_runs/victim/events.jsonl", "not valid JSON")
    b.get("/runs/victim/snapshot")  # the ledger has met the bad line too
    shutil.rmtree(b.victim)
    wait_until(lambda: b.get("/runs/victim/snapshot").status_code == 404)
    assert "victim" not in [run["run_id"] for run in b.get("/runs").json()]
    b.expect_no_problem("live_runs/victim/events.jsonl")
    wait_until(lambda: [m for m in b.watcher.messages if m.get("event") == "run_removed"])
    yield
    build_baseline(b.roots)
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["total_steps"] == 5)


@scenario
def file_unreadable(b: Bench) -> Iterator[None]:
    """A directory where a file should be (root ignores chmod 000, so this stands in for it)."""
    path = b.victim / "events.jsonl"
    path.unlink()
    path.mkdir()
    session = next(b.registry.glob("*_s1.json"))
    session.unlink()
    session.mkdir()
    b.expect_problem("live_runs/victim/events.jsonl", "directory, not a regular file")
    b.expect_problem(f"live_sessions/{session.name}", "directory")
    assert b.get("/runs/victim/tail").json() == []
    assert [s["session_id"] for s in b.get("/api/live_sessions").json()] == ["s2"]
    yield
    path.rmdir()
    write_jsonl(path, native_bar_events(2))
    session.rmdir()
    write_session(b.registry, session_record("s1"))
    b.expect_no_problem("live_runs/victim/events.jsonl")
    b.expect_no_problem(f"live_sessions/{session.name}")
    wait_until(lambda: b.get("/runs/victim/snapshot").json()["total_steps"] == 2)
    assert len(b.get("/api/live_sessions").json()) == 2


@scenario
def huge_line(b: Bench) -> Iterator[None]:
    """One line of HUGE_LINE_BYTES: reported as too long, requests stay fast, later lines show."""
    path = b.victim / "events.jsonl"
    offset = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"v": 1, "seq": 999, "kind": "blob", "msg": "')
        chunk = b"x" * (1024 * 1024)
        for _ in range(HUGE_LINE_BYTES // len(chunk)):
            handle.write(chunk)
        handle.write(b'"}\n')
    append(path, event_line(VICTIM_LAST + 1))
    problem = b.expect_problem("live_runs/victim/events.jsonl", "longer than")
    assert problem["offset"] in (offset, None)
    wait_until(lambda: b.newest_victim_summary() == f"s{VICTIM_LAST + 1}")
    started = time.monotonic()
    for _ in range(5):
        b.get("/runs/victim/tail", limit=500)
        b.get("/api/activity", run_id="victim", limit=500)
    MEASURED["huge_line_tail_and_activity_ms"] = (time.monotonic() - started) / 10 * 1000
    yield
    write_bytes_atomic(path, b"".join(json.dumps(e).encode() + b"\n" for e in VICTIM_EVENTS))
    b.expect_no_problem("live_runs/victim/events.jsonl")


@scenario
def invalid_utf8(b: Bench) -> Iterator[None]:
    """Bytes that are not UTF-8: the line is a problem with its offset; the rest is served."""
    path = b.victim / "events.jsonl"
    offset = path.stat().st_size
    append(path, b'{"v": 1, "seq": 30, "kind": "signal", "msg": "\xff\xfe\xc3"}\n')
    append(path, event_line(VICTIM_LAST + 2))
    session = next(b.registry.glob("*_s2.json"))
    session.write_bytes(b'{"session_id": "s2", "status": "\xff"}')
    problem = b.expect_problem("live_runs/victim/events.jsonl", "not valid UTF-8")
    assert problem["offset"] == offset
    b.expect_problem(f"live_sessions/{session.name}", "not valid JSON")
    wait_until(lambda: b.newest_victim_summary() == f"s{VICTIM_LAST + 2}")
    yield
    write_bytes_atomic(path, b"".join(json.dumps(e).encode() + b"\n" for e in VICTIM_EVENTS))
    write_session(b.registry, session_record("s2", status="started"))
    b.expect_no_problem("live_runs/victim/events.jsonl")
    b.expect_no_problem(f"live_sessions/{session.name}")


@scenario
def symlink_loop(b: Bench) -> Iterator[None]:
    """Self-referencing links in the runs root and the registry are named, never followed."""
    os.symlink("loop", b.runs / "loop")
    os.symlink("loop.json", b.registry / "loop.json")
    b.expect_problem("live_runs/loop", "symbolic link")
    b.expect_problem("live_sessions/loop.json", "symbolic link")
    assert "loop" not in [run["run_id"] for run in b.get("/runs").json()]
    yield
    (b.runs / "loop").unlink()
    (b.registry / "loop.json").unlink()
    b.expect_no_problem("live_runs/loop")
    b.expect_no_problem("live_sessions/loop.json")


@scenario
def registry_missing_then_created(b: Bench) -> Iterator[None]:
    """No registry folder: empty lists and `exists: false`; created later, it is picked up."""
    shutil.rmtree(b.registry)
    wait_until(lambda: b.get("/api/live_sessions").json() == [])
    details = b.get("/api/health/details").json()
    assert details["roots"]["sessions_dir"]["exists"] is False
    assert b.get("/api/live_sessions/stats").json()["total_sessions"] == 0
    yield
    write_session(b.registry, session_record("s3", status="started"))
    wait_until(lambda: [s["session_id"] for s in b.get("/api/live_sessions").json()] == ["s3"])
    assert b.get("/api/health/details").json()["roots"]["sessions_dir"]["exists"] is True


@scenario
def disk_full_partial_write(b: Bench) -> Iterator[None]:
    """A write cut short by a full disk, then the runner carries on: one bad line, no more."""
    path = b.victim / "events.jsonl"
    offset = path.stat().st_size
    torn = event_line(VICTIM_LAST + 1)
    append(path, torn[: len(torn) // 2])  # ENOSPC after half the line
    append(path, event_line(VICTIM_LAST + 2))  # space is back; the runner writes on
    append(path, event_line(VICTIM_LAST + 3))
    problem = b.expect_problem("live_runs/victim/events.jsonl", "not valid JSON")
    assert problem["offset"] == offset
    wait_until(lambda: b.newest_victim_summary() == f"s{VICTIM_LAST + 3}")
    yield
    # A RunWriter resuming after a crash cuts a torn tail off before it appends.
    append(path, torn[: len(torn) // 2])
    writer = RunWriter(
        b.runs, "victim", mode="paper", strategy_name="s", symbol="X", timeframe="1m"
    )
    writer.start()
    writer.event("signal", "after resume")
    wait_until(lambda: b.newest_victim_summary() == "after resume")
    bad = [p for p in b.problems() if p["file"] == "live_runs/victim/events.jsonl"]
    assert [p["offset"] for p in bad] == [offset]  # the resumed writer added no new bad line


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fault_is_survived_reported_and_recovered(
    name: str, settings: Settings, roots: Path
) -> None:
    with bench(settings, roots) as b:
        steps = SCENARIOS[name](b)
        next(steps)  # inject, check while broken
        b.answer_all()
        b.good_keeps_flowing()
        with contextlib.suppress(StopIteration):
            next(steps)  # heal, check recovery
            pytest.fail("a scenario yields once")
        b.answer_all()


def test_stream_answers_text_event_stream(settings: Settings) -> None:
    with running_server(settings.with_overrides(keepalive_seconds=0.2)) as base:
        watcher = SseWatcher(f"{base}/api/stream")
        watcher.start()
        assert watcher.ready.wait(10)
        watcher.finish()
    assert watcher.error is None
    assert watcher.content_type.startswith("text/event-stream")


# -- nothing lost -----------------------------------------------------------------------------


def seq_by_offset(path: Path) -> dict[int, int]:
    """Byte offset of each line -> its seq, read straight from the file."""
    found: dict[int, int] = {}
    offset = 0
    with path.open("rb") as handle:
        for line in handle:
            found[offset] = json.loads(line)["seq"]
            offset += len(line)
    return found


@pytest.mark.timeout(LOSSLESS_SECONDS * 4 + 120)
def test_nothing_lost_under_load(settings: Settings, roots: Path) -> None:
    """1,000 events/s while SSE clients and a tail poller read: every seq once, in order."""
    live = settings.with_overrides(poll_interval_seconds=0.1, keepalive_seconds=0.5)
    total = int(LOSSLESS_SECONDS * LOSSLESS_RATE)
    runs = roots / "live_runs"
    with running_server(live) as base:
        clients = [
            SseWatcher(f"{base}/api/stream", {"run_id": "r1", "topic": "activity"})
            for _ in range(LOSSLESS_CLIENTS)
        ]
        for client in clients:
            client.start()
        for client in clients:
            assert client.ready.wait(15) and client.error is None, client.error
        writer = Appender(runs, "r1", rate=LOSSLESS_RATE, limit=total - 1)  # + run_started
        poll_errors: list[str] = []
        polls = 0
        stop_polling = threading.Event()

        def poll_tail() -> None:
            nonlocal polls
            with httpx.Client(base_url=base, timeout=10) as http:
                while not stop_polling.is_set():
                    response = http.get("/runs/r1/tail", params={"limit": 100})
                    polls += 1
                    if response.status_code >= 500:
                        poll_errors.append(f"{response.status_code}")
                    elif response.status_code == 200:
                        seqs = [row["seq"] for row in response.json()]
                        if seqs != sorted(set(seqs)) or any(s % 10 for s in seqs):
                            poll_errors.append(f"bad tail {seqs}")
                    time.sleep(0.02)

        poller = threading.Thread(target=poll_tail, daemon=True)
        poller.start()
        started = time.monotonic()
        writer.start()
        writer.join(LOSSLESS_SECONDS * 3 + 30)
        write_seconds = time.monotonic() - started
        assert writer.error is None and not writer.is_alive()

        def delivered() -> bool:
            return all(c.activity_count >= total for c in clients)

        wait_until(
            delivered,
            timeout=30,
            what=f"every client to receive all {total} events "
            f"(have {[c.activity_count for c in clients]}, errors {[c.error for c in clients]})",
        )
        drained = time.monotonic() - started - write_seconds
        time.sleep(0.5)  # nothing more (no repeats) may follow
        stop_polling.set()
        poller.join(10)
        for client in clients:
            client.finish()
        wanted = seq_by_offset(runs / "r1" / "events.jsonl")
    assert sorted(wanted.values()) == list(range(1, total + 1))
    expected = [wanted[offset] for offset in sorted(wanted)]
    for client in clients:
        assert client.error is None, client.error
        got = [wanted[int(a["id"].rpartition("@")[2])] for a in client.activity()]
        assert got == expected
    assert not poll_errors, poll_errors[:5]
    assert polls > 10
    MEASURED["lossless_events"] = total
    MEASURED["lossless_clients"] = LOSSLESS_CLIENTS
    MEASURED["lossless_write_s"] = write_seconds
    MEASURED["lossless_drain_after_write_s"] = drained
    MEASURED["lossless_tail_polls"] = polls


# -- the real process: shutdown and soak ------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    roots: Path


@contextlib.contextmanager
def serve_process(roots: Path) -> Iterator[Served]:
    """`peakwatch serve` as a subprocess over data roots in `roots`, on a free port."""
    (roots / "peakwatch.toml").write_text("poll_interval_seconds = 0.1\nkeepalive_seconds = 1.0\n")
    flags = [
        "--base-runs-dir",
        str(roots / "live_runs"),
        "--sessions-dir",
        str(roots / "reports" / "experiments" / "live_sessions"),
        "--alerts-dir",
        str(roots / "live_runs" / "alerts"),
        "--ai-events",
        str(roots / "logs" / "ai" / "ai_events.jsonl"),
        "--execution-dir",
        str(roots / "logs" / "execution"),
        "--config",
        str(roots / "config" / "config.toml"),
    ]
    with serve_subprocess(roots, flags, roots / "serve.log") as (process, base):
        yield Served(process, base, roots)


def test_graceful_shutdown_with_open_streams(roots: Path) -> None:
    """SIGINT with 5 open streams: the process is gone within 2 s."""
    build_baseline(roots)
    with serve_process(roots) as served:
        watchers = [SseWatcher(f"{served.base}/api/stream") for _ in range(5)]
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            assert watcher.ready.wait(10) and watcher.error is None
        started = time.monotonic()
        served.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            served.process.wait(SHUTDOWN_SECONDS + 5)
        elapsed = time.monotonic() - started
        log = (roots / "serve.log").read_text()
    MEASURED["shutdown_s"] = elapsed
    assert served.process.returncode is not None, "still running"
    assert elapsed < SHUTDOWN_SECONDS, f"shutdown took {elapsed:.2f} s\n{log}"
    assert "Traceback" not in log, log
    for watcher in watchers:
        watcher.finish()


def process_sample(pid: int) -> tuple[int, int]:
    """(RSS in KiB, open file descriptors) of a process, from /proc."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.skipif(not SOAK, reason="soak runs only with PEAKWATCH_SOAK=1 (make soak)")
@pytest.mark.timeout(SOAK_SECONDS + 300)
def test_soak_memory_and_fds_stay_flat(roots: Path) -> None:
    """Mixed load for SOAK_SECONDS: RSS and open fds sampled every 10 s must stay flat."""
    build_baseline(roots)
    curve: list[tuple[float, int, int, int]] = []
    with serve_process(roots) as served:
        writers = [Appender(roots / "live_runs", f"soak{i}", rate=200) for i in range(3)]
        for writer in writers:
            writer.start()
        stop = threading.Event()
        requests = [0]
        errors: list[str] = []

        def sse_client() -> None:  # reconnects every few seconds: exercises cleanup
            while not stop.is_set():
                watcher = SseWatcher(f"{served.base}/api/stream")
                watcher.start()
                stop.wait(5)
                watcher.finish()

        def poller() -> None:
            paths = ["/runs", "/runs/soak0/tail", "/api/activity", "/api/health/details"]
            with httpx.Client(base_url=served.base, timeout=10) as http:
                while not stop.is_set():
                    for path in paths:
                        status = http.get(path).status_code
                        requests[0] += 1
                        if status >= 500:
                            errors.append(f"{path} {status}")
                    stop.wait(0.05)

        threads = [threading.Thread(target=sse_client, daemon=True) for _ in range(10)]
        threads += [threading.Thread(target=poller, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        wrk = shutil.which("wrk")
        started = time.monotonic()
        next_wrk = started
        while (elapsed := time.monotonic() - started) < SOAK_SECONDS:
            if wrk and time.monotonic() >= next_wrk:
                bench_run = subprocess.run(
                    [wrk, "-t2", "-c20", "-d3s", f"{served.base}/runs"],
                    capture_output=True,
                    check=False,
                    text=True,
                )
                for line in bench_run.stdout.splitlines():
                    if line.startswith("Requests/sec:"):
                        MEASURED["soak_wrk_runs_requests_per_s"] = float(line.split()[1])
                    if "Non-2xx" in line:
                        errors.append(f"wrk: {line.strip()}")
                next_wrk = time.monotonic() + 60
            rss, fds = process_sample(served.process.pid)
            curve.append((round(elapsed, 1), rss, fds, requests[0]))
            time.sleep(max(0.0, 10 - (time.monotonic() - started - elapsed)))
        stop.set()
        for thread in threads:
            thread.join(15)
        for writer in writers:
            writer.finish()
    out = Path(__file__).resolve().parent.parent / "build" / "soak.csv"
    out.parent.mkdir(exist_ok=True)
    with out.open("w", newline="") as handle:
        writer_csv = csv.writer(handle)
        writer_csv.writerow(["seconds", "rss_kib", "open_fds", "requests"])
        writer_csv.writerows(curve)
    assert not errors, errors[:5]
    warm = curve[min(len(curve) - 1, max(1, len(curve) // 5)) :]  # skip the first fifth
    window = max(1, min(5, len(warm) // 3))  # medians: SSE reconnects make single samples jumpy
    first = [statistics.median(row[i] for row in warm[:window]) for i in (1, 2)]
    last = [statistics.median(row[i] for row in warm[-window:]) for i in (1, 2)]
    MEASURED.update(soak_rss_first_kib=first[0], soak_rss_last_kib=last[0])
    MEASURED.update(soak_fds_first=first[1], soak_fds_last=last[1], soak_requests=curve[-1][3])
    assert last[0] <= first[0] * 1.15 + 10_240, f"RSS grew: {first[0]} -> {last[0]} KiB"
    assert last[1] <= first[1] + 10, f"open fds grew: {first[1]} -> {last[1]}"


@pytest.fixture(scope="module", autouse=True)
def report_figures() -> Iterator[None]:
    yield
    if MEASURED:
        print("\nreliability figures:", json.dumps(MEASURED, sort_keys=True, default=str))
