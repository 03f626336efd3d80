"""The live stream: appended events reach open streams; Last-Event-ID resumes exactly."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from artifacts import append_events, write_meta
from live_server import running_server
from peakwatch.settings import Settings
from web_helpers import sse_messages


def collect(
    base: str,
    count: int,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    ready: threading.Event | None = None,
    timeout: float = 15.0,
) -> list[dict[str, str]]:
    """Read messages until `count` activity events arrived (or the timeout)."""
    got: list[dict[str, str]] = []
    with httpx.stream(
        "GET", f"{base}/api/stream", headers=headers, params=params, timeout=timeout
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for message in sse_messages(response):
            got.append(message)
            if message.get("event") in ("hello", "reset") and ready is not None:
                ready.set()
            if sum(1 for m in got if m.get("event") == "activity") >= count:
                break
    return got


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.with_overrides(poll_interval_seconds=0.05, keepalive_seconds=1.0)


def test_appended_event_reaches_open_stream(live_settings: Settings, roots: Path) -> None:
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    events_path = run_dir / "events.jsonl"
    append_events(events_path, 1, 3)  # history: not replayed
    with running_server(live_settings) as base:
        ready = threading.Event()
        result: list[dict[str, str]] = []
        reader = threading.Thread(
            target=lambda: result.extend(collect(base, 2, ready=ready)), daemon=True
        )
        reader.start()
        assert ready.wait(10)
        append_events(events_path, 4, 2)
        reader.join(15)
    activity = [json.loads(m["data"]) for m in result if m.get("event") == "activity"]
    assert [a["summary"] for a in activity] == ["e4", "e5"]
    assert all(a["run_id"] == "r1" for a in activity)


def test_resume_with_last_event_id_loses_and_repeats_nothing(
    live_settings: Settings, roots: Path
) -> None:
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    events_path = run_dir / "events.jsonl"
    events_path.write_text("")
    with running_server(live_settings) as base:
        ready = threading.Event()
        first: list[dict[str, str]] = []
        reader = threading.Thread(
            target=lambda: first.extend(collect(base, 3, ready=ready)), daemon=True
        )
        reader.start()
        assert ready.wait(10)
        append_events(events_path, 1, 3)
        reader.join(15)
        last_id = [m for m in first if m.get("event") == "activity"][-1]["id"]
        append_events(events_path, 4, 4)  # written while disconnected
        second = collect(base, 4, headers={"Last-Event-ID": last_id})
    seen = [
        json.loads(m["data"])["summary"] for m in first + second if m.get("event") == "activity"
    ]
    assert seen == ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]
    ids = [m["id"] for m in first + second if m.get("event") == "activity"]
    assert len(ids) == len(set(ids))


def test_unknown_last_event_id_asks_for_reset(live_settings: Settings) -> None:
    with (
        running_server(live_settings) as base,
        httpx.stream(
            "GET", f"{base}/api/stream", headers={"Last-Event-ID": "nope-5"}, timeout=10
        ) as response,
    ):
        first = next(m for m in sse_messages(response) if "event" in m)
    assert first["event"] == "reset"
