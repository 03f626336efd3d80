"""Whole-run totals: read in bounded slices when asked to, complete once at the end."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from artifacts import (
    T0,
    native_bar_events,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
)
from peakwatch.domain.ledger import RunLedger
from peakwatch.domain.live import LEDGER_SLICE_BYTES, LiveFeed
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings
from peakwatch.sources.run_events import EventsFile, find_events_file


def events_of(run_dir: Path) -> EventsFile:
    found = find_events_file(run_dir, run_dir.name)
    assert found is not None
    return found


def test_a_bounded_update_reads_a_slice_and_later_calls_reach_the_same_totals(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    write_jsonl(run_dir / "events.jsonl", native_bar_events(40))
    events = events_of(run_dir)
    whole = RunLedger(events).update(events)
    assert whole.total_steps == 40

    sliced = RunLedger(events)
    first = sliced.update(events, max_bytes=2_000).total_steps
    assert 0 < first < 40  # a slice, not the whole file
    calls = 1
    while sliced.update(events, max_bytes=2_000).total_steps < 40:
        calls += 1
        assert calls < 100
    assert calls > 3
    assert sliced.update(events).view() == whole.view()


def test_totals_follow_an_append_after_being_complete(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_csv_events(run_dir, step_rows(5, start=T0))
    events = events_of(run_dir)
    ledger = RunLedger(events)
    assert ledger.update(events).total_steps == 5
    assert ledger.update(events).total_steps == 5  # same file: nothing counted twice
    write_csv_events(run_dir, step_rows(9, start=T0))  # rewritten longer, same name
    assert ledger.update(events_of(run_dir)).total_steps == 9


def test_a_bounded_update_leaves_a_big_parquet_file_to_an_unbounded_one(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_parquet_events(run_dir, step_rows(300, start=T0))
    events = events_of(run_dir)
    ledger = RunLedger(events)
    assert ledger.update(events, max_bytes=events.key.size - 1).total_steps == 0
    assert ledger.update(events, max_bytes=events.key.size).total_steps == 300
    write_parquet_events(run_dir, step_rows(400, start=T0))
    rewritten = events_of(run_dir)
    assert ledger.update(rewritten, max_bytes=256).total_steps == 300  # stale, not re-summed
    assert ledger.update(rewritten).total_steps == 400


def test_the_live_feed_counts_a_run_only_when_its_file_grew(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare mtime change (a touch, a backup tool) starts no read of the run's history."""
    run_dir = settings.runs_dir / "r1"
    write_meta(run_dir, "r1")
    events = write_jsonl(run_dir / "events.jsonl", native_bar_events(3))
    workspace = Workspace(settings)
    feed = LiveFeed(workspace)
    reads: list[int | None] = []
    real = workspace.runs.row_ledger
    monkeypatch.setattr(
        workspace.runs, "row_ledger", lambda run, max_bytes: reads.append(max_bytes) or real(run, 0)
    )
    feed.poll(datetime.now(UTC))  # primes: what is there now is not news
    stamp = events.stat().st_mtime_ns + 5_000_000
    os.utime(events, ns=(stamp, stamp))
    feed.poll(datetime.now(UTC))
    assert reads == []
    write_jsonl(events, native_bar_events(1, first_seq=100), mode="a")
    feed.poll(datetime.now(UTC))
    assert reads == [LEDGER_SLICE_BYTES]


def test_the_ledger_of_a_run_that_went_away_is_dropped(settings: Settings) -> None:
    """Run churn does not grow memory: a removed run's totals are forgotten."""
    workspace = Workspace(settings)
    for run_id in ("gone", "kept"):
        write_meta(settings.runs_dir / run_id, run_id)
        write_jsonl(settings.runs_dir / run_id / "events.jsonl", native_bar_events(3))
    workspace.refresh(force=True)
    for run_id in ("gone", "kept"):
        run = workspace.runs.find(run_id)
        assert run is not None and workspace.runs.ledger(run)["total_steps"] == 3
    shutil.rmtree(settings.runs_dir / "gone")
    workspace.refresh(force=True)
    kept = workspace.runs.find("kept")
    assert kept is not None and workspace.runs.ledger(kept)["total_steps"] == 3
    assert set(workspace.runs._ledgers) == {"kept"}
