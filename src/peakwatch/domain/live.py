"""The live feed: one watcher per process that turns appended artifacts into numbered events.

Correctness comes from polling `stat` and reading only files whose key changed; every
event gets an id `<boot>-<n>`, and a ring of recent events lets a reconnecting client
resume after the last id it saw with nothing lost and nothing repeated.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from peakwatch.contract.models import (
    AiDecisionEvent,
    ExecutionEvent,
    RunAlert,
    RunEvent,
    StepRow,
    StoreAlert,
)
from peakwatch.contract.parse import validate_record
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain.activity import (
    ActivityItem,
    ai_event_item,
    execution_item,
    run_event_item,
    step_row_item,
)
from peakwatch.domain.runs import run_summary
from peakwatch.domain.workspace import Workspace
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.jsonl_files import list_files
from peakwatch.sources.parquet_tail import tail_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import EventsFile, EventsFollower
from peakwatch.sources.runs_index import RunFolder

RING_CAPACITY = 20_000
LEDGER_SLICE_BYTES = 128 << 10  # of a run's backlog read per poll for its totals


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One message of the live stream."""

    event_id: str
    topic: str
    data: dict[str, Any]
    run_id: str | None = None
    session_id: str | None = None


class _LineFollower:
    """A JSONL side file (AI events, execution telemetry, alerts) followed line by line."""

    def __init__(self, path: Path, label: str, convert: Callable[[dict[str, Any], int], Any]):
        self.path = path
        self.label = label
        self.convert = convert
        self.reader = IncrementalReader(path)
        self.key: FileKey | None = None

    def read_new(self) -> tuple[list[Any], list[Problem]]:
        appended = self.reader.read_new()
        converted: list[Any] = []
        problems: list[Problem] = []
        for line in appended.lines:
            objects, bad = decode_jsonl([line], self.label)
            problems.extend(bad)
            for obj in objects:
                item = self.convert(obj, line.offset)
                if isinstance(item, Problem):
                    problems.append(item)
                elif item is not None:
                    converted.append(item)
        return converted, problems


class _RunFollower:
    """A run's events file: JSONL/CSV followed incrementally, Parquet by row count."""

    def __init__(self, run: RunFolder, events: EventsFile) -> None:
        self.run_id = run.run_id
        self.events = events
        self.key: FileKey | None = None
        self.follower = EventsFollower(events) if events.format != "parquet" else None
        self.rows_seen = 0

    def skip_to_end(self) -> None:
        if self.follower is not None:
            self.follower.skip_to_end()
        else:
            self.rows_seen = tail_parquet(self.events.path, 0, self.events.label).total_rows

    def read_new(self) -> list[ActivityItem]:
        source_id = f"run:{self.run_id}"
        items: list[ActivityItem] = []
        if self.follower is not None:
            read = self.follower.read_new()
            for located in read.records:
                record = located.record
                if isinstance(record, RunEvent):
                    items.append(run_event_item(record, source_id, located.position, self.run_id))
                else:
                    item = step_row_item(record, source_id, located.position, self.run_id)
                    if item is not None:
                        items.append(item)
            return items
        total = tail_parquet(self.events.path, 0, self.events.label).total_rows
        if total < self.rows_seen:
            self.rows_seen = 0
        fresh = total - self.rows_seen
        if fresh <= 0:
            return items
        tail = tail_parquet(self.events.path, fresh, self.events.label)
        first = tail.total_rows - len(tail.rows)
        for index, row in enumerate(tail.rows, start=first):
            step = validate_record(StepRow, row, self.events.label, line=index + 1)
            if isinstance(step, StepRow):
                item = step_row_item(step, source_id, index, self.run_id)
                if item is not None:
                    items.append(item)
        self.rows_seen = tail.total_rows
        return items


class LiveFeed:
    """Watches every data root and numbers what changes, for all stream subscribers."""

    def __init__(self, workspace: Workspace, capacity: int = RING_CAPACITY) -> None:
        self.workspace = workspace
        self.boot = f"{int(time.time() * 1000):x}{os.getpid():x}"
        self._ring: deque[LiveEvent] = deque(maxlen=capacity)
        self._next = 1
        self._primed = False
        self._runs: dict[str, _RunFollower] = {}
        self._lines: dict[str, _LineFollower] = {}
        self._run_state: dict[str, tuple[Any, ...]] = {}
        self._listed: list[RunFolder] | None = None  # the index's run list last looked at
        self._seen: dict[str, RunFolder] = {}  # that list by run id
        self._hot: set[str] = set()  # runs followed on every poll
        self._problem_state: tuple[tuple[Any, ...], ...] | None = None
        self._lock = threading.Lock()

    @property
    def last_event_id(self) -> str:
        """The id of the newest event (`<boot>-0` before any)."""
        return f"{self.boot}-{self._next - 1}"

    def poll(self, as_of: datetime) -> list[LiveEvent]:
        """Look at every source once; return (and remember) the new events."""
        with self._lock:
            self.workspace.refresh()
            fresh: list[LiveEvent] = []
            fresh.extend(self._poll_runs(as_of))
            fresh.extend(self._poll_side_files())
            fresh.extend(self._poll_health())
            self._primed = True
            return fresh

    def since(self, event_id: str) -> list[LiveEvent] | None:
        """Events after `event_id`, or None when it is unknown or too old to resume from."""
        boot, _, number = event_id.rpartition("-")
        if boot != self.boot or not number.isdigit():
            return None
        after = int(number)
        with self._lock:
            if after >= self._next:
                return None
            oldest = self._ring[0] if self._ring else None
            if oldest is not None and _number(oldest.event_id) > after + 1:
                return None
            return [event for event in self._ring if _number(event.event_id) > after]

    def _emit(
        self,
        topic: str,
        data: dict[str, Any],
        run_id: str | None = None,
        session_id: str | None = None,
    ) -> LiveEvent:
        event = LiveEvent(f"{self.boot}-{self._next}", topic, data, run_id, session_id)
        self._next += 1
        self._ring.append(event)
        return event

    def _poll_runs(self, as_of: datetime) -> list[LiveEvent]:
        """Follow the hot runs (active, or changed since the last full refresh).

        A run that is neither is looked at again only when a full index refresh sees it
        change, so a poll costs a few `stat` calls per hot run, not per run on disk.
        """
        fresh: list[LiveEvent] = []
        listed = self.workspace.runs.runs()
        if listed is not self._listed:
            current = {listed_run.run_id: listed_run for listed_run in listed}
            for run_id, listed_run in current.items():
                if self._seen.get(run_id) is not listed_run:
                    self._hot.add(run_id)
            for gone in self._seen.keys() - current.keys():
                self._hot.add(gone)  # confirmed gone below, unless it came back
            self._listed, self._seen = listed, current
        for run_id in sorted(self._hot):
            run = self.workspace.refresh_run(run_id)
            if run is None:
                self._forget(run_id)
                if self._run_state.pop(run_id, None) is not None:
                    fresh.append(self._emit("run_removed", {"run_id": run_id}, run_id=run_id))
                continue
            changed = False
            if run.events is not None:
                activity = self._follow_run(run, run.events)
                changed = bool(activity)
                fresh.extend(activity)
            summary = run_summary(run, as_of, self.workspace.settings.run_stale_seconds)
            state = (
                summary["status"],
                summary["last_event_time"],
                summary["ended_at"],
                len(summary["problems"]),
            )
            if self._run_state.get(run_id) != state:
                changed = True
                self._run_state[run_id] = state
                if self._primed:
                    fresh.append(self._emit("run", summary, run_id=run_id))
            if not changed and summary["status"] != "active":
                self._hot.discard(run_id)
        return fresh

    def _forget(self, run_id: str) -> None:
        self._hot.discard(run_id)
        self._seen.pop(run_id, None)
        self._runs.pop(run_id, None)

    def _follow_run(self, run: RunFolder, events: EventsFile) -> list[LiveEvent]:
        follower = self._runs.get(run.run_id)
        if follower is None or follower.events.path != events.path:
            follower = _RunFollower(run, events)
            self._runs[run.run_id] = follower
            if not self._primed:
                follower.skip_to_end()
                follower.key = events.key
                return []
        if follower.key == events.key:
            return []
        rewritten_or_grew = follower.key is None or follower.key[:2] != events.key[:2]
        follower.key = events.key
        if rewritten_or_grew:  # not for a bare mtime change: nothing new to count
            # Bad lines reach health through the run's totals; a huge backlog is read a slice
            # per poll so that following a run never starves the requests served meanwhile.
            self.workspace.ledger(run, max_bytes=LEDGER_SLICE_BYTES)
        return [
            self._emit("activity", item.as_dict(with_payload=False), item.run_id, item.session_id)
            for item in follower.read_new()
        ]

    def _poll_side_files(self) -> list[LiveEvent]:
        settings = self.workspace.settings
        wanted: dict[str, tuple[Path, str, Callable[[dict[str, Any], int], Any]]] = {}
        if stat_key(settings.ai_events_path) is not None:
            wanted["ai"] = (settings.ai_events_path, settings.ai_events_path.name, _ai_item)
        for name, _ in list_files(settings.execution_dir, ".jsonl"):
            label = f"{settings.execution_dir.name}/{name}"
            wanted[f"exec:{name}"] = (settings.execution_dir / name, label, _exec_item(name))
        for name, _ in list_files(settings.alerts_dir, ".jsonl")[-2:]:
            label = f"{settings.alerts_dir.name}/{name}"
            wanted[f"store:{name}"] = (settings.alerts_dir / name, label, _store_alert(name))
        for run_id in sorted(self._hot):
            run = self.workspace.runs.get(run_id)
            if run is not None and run.alerts_key is not None:
                wanted[f"alerts:{run.run_id}"] = (
                    run.path / "alerts.jsonl",
                    f"{run.label}/alerts.jsonl",
                    _run_alert(run.run_id),
                )
        fresh: list[LiveEvent] = []
        for source_id, (path, label, convert) in wanted.items():
            follower = self._lines.get(source_id)
            key = stat_key(path)
            if follower is None:
                follower = _LineFollower(path, label, convert)
                self._lines[source_id] = follower
                if not self._primed:
                    follower.reader.skip_to_end()
                    follower.key = key
                    continue
            if follower.key == key:
                continue
            follower.key = key
            items, _ = follower.read_new()
            for item in items:
                if isinstance(item, ActivityItem):
                    fresh.append(
                        self._emit(
                            "activity",
                            item.as_dict(with_payload=False),
                            item.run_id,
                            item.session_id,
                        )
                    )
                else:
                    fresh.append(self._emit("alert", item.as_dict(), item.run_id, item.session_id))
        for gone in set(self._lines) - set(wanted):
            del self._lines[gone]
        return fresh

    def _poll_health(self) -> list[LiveEvent]:
        problems = self.workspace.all_problems()
        state = tuple((p.file, p.line, p.offset, p.reason) for p in problems)
        if state == self._problem_state:
            return []
        self._problem_state = state
        if not self._primed:
            return []
        data = {
            "unreadable_count": len(problems),
            "unreadable": [p.as_dict() for p in problems[:20]],
        }
        return [self._emit("health", data)]


def _number(event_id: str) -> int:
    return int(event_id.rpartition("-")[2])


def _validated(model: type[BaseModel], obj: dict[str, Any], label: str, offset: int) -> Any:
    return validate_record(model, obj, label, offset=offset)


def _ai_item(obj: dict[str, Any], offset: int) -> ActivityItem | Problem:
    record = _validated(AiDecisionEvent, obj, "ai_events.jsonl", offset)
    return record if isinstance(record, Problem) else ai_event_item(record, "ai", offset)


def _exec_item(name: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> ActivityItem | Problem:
        record = _validated(ExecutionEvent, obj, name, offset)
        if isinstance(record, Problem):
            return record
        return execution_item(record, f"exec:{name}", offset)

    return convert


def _store_alert(name: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> Any:
        record = _validated(StoreAlert, obj, name, offset)
        if isinstance(record, Problem):
            return record
        return alerts_domain.from_store_alert(record, name, offset)

    return convert


def _run_alert(run_id: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> Any:
        record = _validated(RunAlert, obj, f"{run_id}/alerts.jsonl", offset)
        if isinstance(record, Problem):
            return record
        return alerts_domain.from_run_alert(record, run_id, offset)

    return convert
