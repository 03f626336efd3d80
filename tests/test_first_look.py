"""The first look at a huge run reads its backlog in the background; requests answer at once."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bench.data import write_jsonl_events, write_meta
from fastapi.testclient import TestClient

from peakwatch.domain import first_look
from peakwatch.domain.ledger import RunLedger
from peakwatch.domain.live import LiveFeed
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings
from peakwatch.sources.run_events import find_events_file
from peakwatch.web import create_app

RUN = "huge"


@pytest.fixture
def slow_first_look(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first look that takes some seconds over a few MB (small slices, long pauses)."""
    monkeypatch.setattr(first_look, "TOTALS_INLINE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "BOOKS_INLINE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "TOTALS_SLICE_BYTES", 128 << 10)
    monkeypatch.setattr(first_look, "BOOKS_SLICE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "TOTALS_CPU_SHARE", 0.05)


def huge_run(settings: Settings, events: int = 30_000) -> Path:
    run_dir = settings.runs_dir / RUN
    write_meta(run_dir, RUN, ended=True)
    write_jsonl_events(run_dir / "events.jsonl", events)
    return run_dir


def wait_until_counted(workspace: Workspace, deadline: float = 120.0) -> list[dict[str, Any]]:
    """Snapshots' `counting` until the first look is over (then one more, None)."""
    seen = []
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        workspace.runs.decisions(RUN)  # asks for the books too
        counting = workspace.runs.snapshot(RUN, datetime.now(UTC))["counting"]  # type: ignore[index]
        seen.append(counting)
        if counting is None:
            return seen
        time.sleep(0.05)
    raise AssertionError("the first look did not end")


def test_a_huge_run_answers_at_once_and_counts_to_the_same_totals(
    settings: Settings, slow_first_look: None
) -> None:
    run_dir = huge_run(settings)
    workspace = Workspace(settings, background_refresh=True)
    first = workspace.runs.snapshot(RUN, datetime.now(UTC))
    assert first is not None
    counting = first["counting"]
    assert counting is not None and counting["part"] == "totals"
    assert 0 <= counting["share"] < 1
    assert counting["total_bytes"] == (run_dir / "events.jsonl").stat().st_size
    assert first["total_steps"] < 5_000, "the answer did not wait for the whole history"
    (thread,) = [t for t in threading.enumerate() if t.name == "peakwatch-first-look"]
    assert thread.native_id is not None
    assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == first_look.NICENESS, (
        "the reader gives way to the requests"
    )

    seen = wait_until_counted(workspace)
    parts = [c["part"] for c in seen if c is not None]
    assert "decisions" in parts, "the decisions are counted after the totals"
    shares = [c["share"] for c in seen if c is not None and c["part"] == "totals"]
    assert shares == sorted(shares), "progress only moves forward"

    events = find_events_file(run_dir, f"live_runs/{RUN}/events.jsonl")
    assert events is not None
    reference = RunLedger(events)
    expected = reference.update(events).view()
    final = workspace.runs.snapshot(RUN, datetime.now(UTC))
    assert final is not None
    assert {k: final[k] for k in expected} == expected
    reference.update_books(events)
    decisions = workspace.runs.decisions(RUN, limit=5)
    assert decisions is not None
    assert decisions["counts"]["decisions"] == len(reference.decisions.index)


def test_the_run_page_shows_the_progress_and_health_answers_meanwhile(
    settings: Settings, slow_first_look: None
) -> None:
    huge_run(settings)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        snapshot = client.get(f"/runs/{RUN}/snapshot").json()
        assert snapshot["counting"]["part"] == "totals"
        page = client.get(f"/dashboard/runs/{RUN}")
        assert page.status_code == 200
        assert "<progress" in page.text and "Counting the totals:" in page.text
        assert client.get("/health").status_code == 200
        tail = client.get(f"/runs/{RUN}/tail?limit=5")
        assert tail.status_code == 200 and len(tail.json()) == 5, "the tail reads the end only"


def test_the_live_feed_announces_the_progress_and_its_end(
    settings: Settings, slow_first_look: None
) -> None:
    huge_run(settings, events=12_000)
    workspace = Workspace(settings, background_refresh=True)
    feed = LiveFeed(workspace)
    feed.poll(datetime.now(UTC))
    workspace.runs.snapshot(RUN, datetime.now(UTC))
    announced: list[Any] = []
    stop = time.monotonic() + 120
    while time.monotonic() < stop:
        workspace.runs.followed(RUN)
        for event in feed.poll(datetime.now(UTC)):
            if event.topic == "run" and "counting" in event.data:
                announced.append(event.data["counting"])
        if announced and announced[-1] is None:
            break
        time.sleep(0.05)
    assert len(announced) >= 3 and announced[-1] is None
    assert announced[0]["share"] < 1


def test_an_export_reads_the_whole_history_itself(
    settings: Settings, slow_first_look: None
) -> None:
    """Without background work (an export, a one-off command) the answer is complete."""
    huge_run(settings, events=12_000)
    snapshot = Workspace(settings).runs.snapshot(RUN, datetime.now(UTC))
    assert snapshot is not None
    assert snapshot["counting"] is None and snapshot["total_steps"] == 2_000
