"""The live stream: appended events reach open streams; Last-Event-ID resumes exactly."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from artifacts import append_events, write_meta
from live_server import running_server
from peakwatch.settings import Settings
from peakwatch.web.app import create_app
from peakwatch.web.context import as_of_now
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


@pytest.mark.parametrize("path", ["/", "/activity?run=r1", "/dashboard/runs/r1", "/alerts"])
def test_an_event_numbered_while_a_page_reads_its_data_is_sent_to_that_page(
    live_settings: Settings, roots: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    run_dir = roots / "live_runs" / "r1"
    write_meta(run_dir, "r1")
    append_events(run_dir / "events.jsonl", 1, 2)
    app = create_app(live_settings)
    with TestClient(app, base_url="http://localhost") as client:
        feed = app.state.broadcaster.feed
        numbered: list[int] = []

        def event_during_the_request() -> datetime:
            if not numbered:  # the runner writes, and the live feed numbers it, mid-request
                append_events(run_dir / "events.jsonl", 3, 1)
                feed.poll(datetime.now(UTC))
                numbered.append(feed.newest_number)
            return as_of_now()

        monkeypatch.setattr("peakwatch.web.pages.as_of_now", event_during_the_request)
        html = client.get(path).text
        stream_url = re.search(r'data-stream="([^"]+)"', html)
        assert stream_url is not None and numbered
        query = parse_qs(urlsplit(stream_url.group(1).replace("&amp;", "&")).query)
        cursor = query["last_event_id"][0]
        missed = feed.since(cursor)
        assert missed is not None, "the page's stream can resume from its cursor"
        assert any(e.topic == "activity" and e.data.get("summary") == "e3" for e in missed), (
            "the event numbered during the page's read is replayed to it"
        )
