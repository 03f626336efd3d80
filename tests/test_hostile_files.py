"""One bad file never stops everything: pipes, sockets, links out, bad names, poisoned lines.

Each test runs a real server (tests/live_server.py) with a healthy run and an open SSE
stream, puts one hostile file in place while it runs, and checks what an operator would
notice: (a) every request still answers fast, (b) health names the file and the reason,
(c) the healthy run keeps streaming, (d) once the file is gone, new runs and sessions
are listed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from artifacts import native_event, session_record, write_jsonl, write_meta, write_session
from live_server import running_server
from peakwatch.domain import followers, live
from peakwatch.settings import Settings
from peakwatch.sources.checked import RECORD_NOT_READ
from peakwatch.sources.paths import LINK_LEADS_OUTSIDE, NAME_NOT_UTF8
from peakwatch.sources.regular_files import NAMED_PIPE, SOCKET
from web_helpers import SseWatcher, wait_until

pytestmark = pytest.mark.timeout(90)

FAST_SECONDS = 2.0  # a client timeout: a hung server fails the test instead of blocking it
PATHS = ("/health", "/runs", "/api/live_sessions", "/api/health/details", "/api/activity")
HEALTHY = "healthy"


@dataclass
class Served:
    """A running server over `roots`, with a stream listening since before the fault."""

    base: str
    roots: Path
    watcher: SseWatcher

    @property
    def runs(self) -> Path:
        return self.roots / "live_runs"

    @property
    def registry(self) -> Path:
        return self.roots / "reports" / "experiments" / "live_sessions"


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.with_overrides(poll_interval_seconds=0.05, keepalive_seconds=1.0)


@contextmanager
def served(settings: Settings, roots: Path) -> Iterator[Served]:
    """The server with a healthy (empty) run and an SSE stream that has said hello."""
    write_meta(roots / "live_runs" / HEALTHY, HEALTHY)
    (roots / "live_runs" / HEALTHY / "events.jsonl").write_text("")
    (roots / "reports" / "experiments" / "live_sessions").mkdir(parents=True)
    with running_server(settings) as base:
        watcher = SseWatcher(f"{base}/api/stream")
        watcher.start()
        assert watcher.ready.wait(10) and watcher.error is None
        try:
            yield Served(base, roots, watcher)
        finally:
            watcher.finish()


def get(served: Served, path: str) -> httpx.Response:
    return httpx.get(served.base + path, timeout=FAST_SECONDS)


def append_event(path: Path, seq: int, msg: str, **fields: Any) -> None:
    event = native_event(seq, "signal", datetime.now(UTC), msg=msg)
    event.update(fields)
    write_jsonl(path, [event], mode="a")


# -- the four checks ----------------------------------------------------------------------


def assert_answers_fast(served: Served) -> None:
    """(a) Every endpoint answers within the client timeout, never with a 5xx."""
    for path in PATHS:
        started = time.monotonic()
        response = get(served, path)
        assert response.status_code < 500, path
        assert time.monotonic() - started < FAST_SECONDS, path


def problem_in_health(served: Served, file: str, reason: Callable[[str], bool]) -> dict[str, Any]:
    """(b) The problem of `file` that /api/health/details lists, once it does."""

    def found() -> dict[str, Any] | None:
        listed = get(served, "/api/health/details").json()["unreadable"]
        return next((p for p in listed if p["file"] == file and reason(p["reason"])), None)

    problem: dict[str, Any] = wait_until(found, timeout=10, what=f"health naming {file}")
    return problem


def assert_healthy_run_streams(served: Served, seq: int) -> None:
    """(c) An event appended to the healthy run reaches the stream opened before the fault."""
    msg = f"healthy-{seq}"
    append_event(served.runs / HEALTHY / "events.jsonl", seq, msg)
    wait_until(
        lambda: any(item["summary"] == msg for item in served.watcher.activity()),
        timeout=10,
        what=f"{msg} on the stream",
    )
    assert served.watcher.error is None


def assert_recovers(served: Served, remove: Callable[[], None]) -> None:
    """(d) With the bad file gone, a new run and a new session are listed."""
    remove()
    write_meta(served.runs / "after", "after")
    append_event(served.runs / "after" / "events.jsonl", 1, "after-1")
    write_session(served.registry, session_record("after-session"))
    wait_until(
        lambda: any(run["run_id"] == "after" for run in get(served, "/runs").json()),
        timeout=10,
        what="the new run listed",
    )
    wait_until(
        lambda: any(
            s["session_id"] == "after-session" for s in get(served, "/api/live_sessions").json()
        ),
        timeout=10,
        what="the new session listed",
    )
    assert_answers_fast(served)


def survives(served: Served, file: str, reason: Callable[[str], bool], remove: Callable[[], None]):
    """All four checks for a fault already in place."""
    assert_answers_fast(served)
    problem_in_health(served, file, reason)
    assert_healthy_run_streams(served, 1)
    assert_recovers(served, remove)
    assert_healthy_run_streams(served, 2)


def exactly(expected: str) -> Callable[[str], bool]:
    return lambda reason: reason == expected


# -- the cases ----------------------------------------------------------------------------


def test_named_pipe_as_events_file(live_settings: Settings, roots: Path) -> None:
    with served(live_settings, roots) as s:
        write_meta(s.runs / "victim", "victim")
        os.mkfifo(s.runs / "victim" / "events.jsonl")
        survives(
            s,
            "live_runs/victim/events.jsonl",
            exactly(NAMED_PIPE),
            lambda: (s.runs / "victim" / "events.jsonl").unlink(),
        )


def test_named_pipe_as_meta(live_settings: Settings, roots: Path) -> None:
    with served(live_settings, roots) as s:
        (s.runs / "victim").mkdir()
        os.mkfifo(s.runs / "victim" / "meta.json")
        survives(
            s,
            "live_runs/victim/meta.json",
            exactly(NAMED_PIPE),
            lambda: (s.runs / "victim" / "meta.json").unlink(),
        )


def test_named_pipe_as_session_record(live_settings: Settings, roots: Path) -> None:
    with served(live_settings, roots) as s:
        os.mkfifo(s.registry / "20260101T120000_live_session_paper_victim.json")
        survives(
            s,
            "live_sessions/20260101T120000_live_session_paper_victim.json",
            exactly(NAMED_PIPE),
            lambda: (s.registry / "20260101T120000_live_session_paper_victim.json").unlink(),
        )


def test_socket_as_events_file(
    live_settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served(live_settings, roots) as s, socket.socket(socket.AF_UNIX) as listening:
        write_meta(s.runs / "victim", "victim")
        with monkeypatch.context() as here:
            here.chdir(s.runs / "victim")  # a relative name: socket paths are short
            listening.bind("events.jsonl")
        survives(
            s,
            "live_runs/victim/events.jsonl",
            exactly(SOCKET),
            lambda: (s.runs / "victim" / "events.jsonl").unlink(),
        )


def test_symlink_out_of_the_root(live_settings: Settings, roots: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_meta(outside, "outside")
    write_jsonl(outside / "events.jsonl", [native_event(1, "signal", datetime.now(UTC))])
    with served(live_settings, roots) as s:
        (s.runs / "escape").symlink_to(outside, target_is_directory=True)
        survives(s, "live_runs/escape", exactly(LINK_LEADS_OUTSIDE), (s.runs / "escape").unlink)
        assert all(run["run_id"] != "escape" for run in get(s, "/runs").json())


def test_run_folder_name_not_utf8(live_settings: Settings, roots: Path) -> None:
    with served(live_settings, roots) as s:
        folder = os.fsencode(s.runs) + b"/r\xff"
        os.mkdir(folder)
        write_meta(Path(os.fsdecode(folder)), "r")
        problem_in_health(s, "live_runs/r\\xff", exactly(NAME_NOT_UTF8))
        assert [run["run_id"] for run in get(s, "/runs").json()] == [HEALTHY]
        assert get(s, "/").status_code == 200  # the page lists the problem, escaped
        survives(s, "live_runs/r\\xff", exactly(NAME_NOT_UTF8), lambda: shutil.rmtree(folder))


def test_session_file_name_not_utf8(live_settings: Settings, roots: Path) -> None:
    with served(live_settings, roots) as s:
        record = session_record("x", status="started")
        del record["session_id"]  # the id would come from the file name
        name = os.fsencode(s.registry) + b"/s\xff.json"
        with open(name, "w") as handle:
            json.dump(record, handle)
        survives(s, "live_sessions/s\\xff.json", exactly(NAME_NOT_UTF8), lambda: os.unlink(name))


def test_overflowing_timestamp_appended_while_live(live_settings: Settings, roots: Path) -> None:
    write_meta(roots / "live_runs" / "victim", "victim")
    events = roots / "live_runs" / "victim" / "events.jsonl"
    events.parent.mkdir(parents=True, exist_ok=True)
    events.write_text("")
    with served(live_settings, roots) as s:
        append_event(events, 1, "poison", ts="0001-01-01T00:00:00+00:01")
        append_event(events, 2, "victim-2")  # the line after the bad one still streams
        wait_until(
            lambda: any(i["summary"] == "victim-2" for i in s.watcher.activity()),
            timeout=10,
            what="the line after the bad one",
        )
        problem = problem_in_health(
            s,
            "live_runs/victim/events.jsonl",
            lambda reason: reason == RECORD_NOT_READ or reason.startswith("field 'ts'"),
        )
        assert problem["offset"] == 0
        survives(
            s,
            "live_runs/victim/events.jsonl",
            lambda reason: bool(reason),
            lambda: shutil.rmtree(s.runs / "victim"),
        )


def test_line_that_makes_the_converter_raise(
    live_settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = followers.run_event_item

    def fragile(record: Any, *args: Any) -> Any:
        if record.msg == "poison":
            raise RuntimeError("converter bug")
        return real(record, *args)

    monkeypatch.setattr(followers, "run_event_item", fragile)
    write_meta(roots / "live_runs" / "victim", "victim")
    events = roots / "live_runs" / "victim" / "events.jsonl"
    events.write_text("")
    with served(live_settings, roots) as s:
        append_event(events, 1, "poison")
        append_event(events, 2, "victim-2")
        wait_until(
            lambda: any(i["summary"] == "victim-2" for i in s.watcher.activity()),
            timeout=10,
            what="the line after the one that raised",
        )
        problem = problem_in_health(
            s, "live_runs/victim/events.jsonl", exactly(followers.EVENT_NOT_SHOWN)
        )
        assert problem["offset"] == 0
        assert "converter bug" not in get(s, "/api/health/details").text
        survives(
            s,
            "live_runs/victim/events.jsonl",
            exactly(followers.EVENT_NOT_SHOWN),
            lambda: shutil.rmtree(s.runs / "victim"),
        )


def test_broadcaster_survives_a_poll_that_raises(
    live_settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = live.LiveFeed.poll
    failures = iter(range(3))

    def flaky(self: live.LiveFeed, as_of: datetime) -> list[live.LiveEvent]:
        with contextlib.suppress(StopIteration):
            next(failures)
            raise RuntimeError("poll bug")
        return real(self, as_of)

    with served(live_settings, roots) as s:
        monkeypatch.setattr(live.LiveFeed, "poll", flaky)
        assert_healthy_run_streams(s, 1)
        assert_answers_fast(s)


def test_server_starts_and_streams_when_the_priming_poll_raises(
    live_settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = live.LiveFeed.poll
    calls = iter(range(1))

    def first_raises(self: live.LiveFeed, as_of: datetime) -> list[live.LiveEvent]:
        with contextlib.suppress(StopIteration):
            next(calls)
            raise RuntimeError("priming bug")
        return real(self, as_of)

    monkeypatch.setattr(live.LiveFeed, "poll", first_raises)
    with served(live_settings, roots) as s:
        # The first poll that succeeds primes the feed (what is on disk then is history),
        # so events appended before it are not streamed; one appended after it must be.
        for seq in range(1, 8):
            msg = f"healthy-{seq}"
            append_event(s.runs / HEALTHY / "events.jsonl", seq, msg)
            with contextlib.suppress(pytest.fail.Exception):
                wait_until(
                    lambda m=msg: any(i["summary"] == m for i in s.watcher.activity()),  # type: ignore[misc]
                    timeout=1.5,
                    what=msg,
                )
                break
        else:
            pytest.fail("no event appended after start reached the stream")
        assert s.watcher.error is None
        assert_answers_fast(s)
