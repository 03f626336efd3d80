"""The live feed: one watcher per process that turns appended artifacts into numbered events.

Correctness comes from polling `stat` and reading only files whose key changed; every
event gets an id `<boot>-<n>`, and a ring of recent events lets a reconnecting client
resume after the last id it saw with nothing lost and nothing repeated.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from peakwatch.domain.activity import ActivityItem
from peakwatch.domain.followers import (
    EVENT_NOT_SHOWN,
    LineFollower,
    RunFollower,
    ai_item,
    exec_item,
    run_alert,
    store_alert,
)
from peakwatch.domain.runs import run_summary
from peakwatch.domain.workspace import Workspace
from peakwatch.sources.execution_files import execution_files
from peakwatch.sources.identity import stat_key
from peakwatch.sources.jsonl_files import list_files
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import EventsFile
from peakwatch.sources.runs_index import RunFolder

RING_CAPACITY = 20_000
LEDGER_SLICE_BYTES = 128 << 10  # of a run's backlog read per poll for its totals
COUNTING_STEP = 0.01  # a first look is announced each time it read another percent
FOLLOW_FAILED = "file could not be followed (unexpected error); skipped"
logger = logging.getLogger("peakwatch")


EVENT_ID_MAX_LENGTH = 64  # `<boot>-<n>`: a longer resume id is malformed without a look
_EVENT_ID = re.compile(r"([0-9a-f]{1,40})-([0-9]{1,18})")


def parse_event_id(text: str) -> tuple[str, int] | None:
    """`<boot>-<n>` as (boot, n); None unless it is lowercase hex, a dash and ASCII digits."""
    if len(text) > EVENT_ID_MAX_LENGTH:
        return None
    match = _EVENT_ID.fullmatch(text)
    return (match[1], int(match[2])) if match else None


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One message of the live stream: number `n` of the process `boot`."""

    boot: str
    number: int
    topic: str
    data: dict[str, Any]
    run_id: str | None = None
    session_id: str | None = None

    @property
    def event_id(self) -> str:
        """The id sent on the stream, `<boot>-<n>`."""
        return f"{self.boot}-{self.number}"


class LiveFeed:
    """Watches every data root and numbers what changes, for all stream subscribers."""

    def __init__(self, workspace: Workspace, capacity: int = RING_CAPACITY) -> None:
        self.workspace = workspace
        self.boot = f"{int(time.time() * 1000):x}{os.getpid():x}"
        self._ring: deque[LiveEvent] = deque(maxlen=capacity)
        self._next = 1
        self._primed = False
        self._runs: dict[str, RunFollower] = {}
        self._lines: dict[str, LineFollower] = {}
        self._run_state: dict[str, tuple[Any, ...]] = {}
        self._listed: list[RunFolder] | None = None  # the index's run list last looked at
        self._seen: dict[str, RunFolder] = {}  # that list by run id
        self._hot: set[str] = set()  # runs followed on every poll
        self._counted: dict[str, dict[str, Any]] = {}  # first looks as last announced
        self._problem_state: tuple[tuple[Any, ...], ...] | None = None
        self._lock = threading.Lock()

    @property
    def newest_number(self) -> int:
        """The number of the newest event (0 before any)."""
        return self._next - 1

    @property
    def last_event_id(self) -> str:
        """The id of the newest event (`<boot>-0` before any)."""
        return f"{self.boot}-{self.newest_number}"

    def poll(self, as_of: datetime) -> list[LiveEvent]:
        """Look at every source once; return (and remember) the new events."""
        with self._lock:
            self.workspace.refresh()
            fresh: list[LiveEvent] = []
            self._poll_runs(as_of, fresh)
            self._poll_counting(as_of, fresh)
            self._poll_side_files(fresh)
            self._poll_health(fresh)
            self._primed = True
            return fresh

    def since(self, event_id: str) -> list[LiveEvent] | None:
        """Events after `event_id`; None when it is malformed, unknown or too old to resume from."""
        parsed = parse_event_id(event_id)
        if parsed is None or parsed[0] != self.boot:
            return None
        after = parsed[1]
        with self._lock:
            if after >= self._next:
                return None
            oldest = self._ring[0] if self._ring else None
            if oldest is not None and oldest.number > after + 1:
                return None
            return [event for event in self._ring if event.number > after]

    def _emit(
        self,
        topic: str,
        data: dict[str, Any],
        run_id: str | None = None,
        session_id: str | None = None,
    ) -> LiveEvent:
        event = LiveEvent(self.boot, self._next, topic, data, run_id, session_id)
        self._next += 1
        self._ring.append(event)
        return event

    def _poll_runs(self, as_of: datetime, fresh: list[LiveEvent]) -> None:
        """Follow the hot runs (active, or changed since the last full refresh) into `fresh`.

        A run that is neither is looked at again only when a full index refresh sees it
        change, so a poll costs a few `stat` calls per hot run, not per run on disk. A run
        that fails unexpectedly is reported and skipped; the others go on.
        """
        self._note_hot_runs()
        for run_id in sorted(self._hot):
            try:
                self._poll_run(run_id, as_of, fresh)
            except Exception:  # one run must never stop the events of the others
                logger.warning("live feed: run %s could not be followed; skipped", run_id)
                self._hot.discard(run_id)
                self.workspace.health.note_feed_problems(
                    f"run:{run_id}",
                    [Problem(f"{self.workspace.run_index.label}/{run_id}", FOLLOW_FAILED)],
                )

    def _poll_counting(self, as_of: datetime, fresh: list[LiveEvent]) -> None:
        """A run event for each first look that moved on by a percent, or ended, so a page
        showing the run refreshes its figures and progress bar."""
        counting = self.workspace.runs.first_look.counting_all()
        for run_id in sorted(self._counted.keys() | counting.keys()):
            now, shown = counting.get(run_id), self._counted.get(run_id)
            moved = (
                now is None
                or shown is None
                or now["part"] != shown["part"]
                or now["share"] - shown["share"] >= COUNTING_STEP
            )
            run = self.workspace.run_index.get(run_id)
            if not moved or run is None:
                continue
            if now is None:
                del self._counted[run_id]
            else:
                self._counted[run_id] = now
            summary = run_summary(run, as_of, self.workspace.settings.run_stale_seconds)
            fresh.append(self._emit("run", {**summary, "counting": now}, run_id=run_id))

    def _note_hot_runs(self) -> None:
        """Mark the runs that appeared, changed or went since the run list last looked at."""
        listed = self.workspace.run_index.runs()
        if listed is not self._listed:
            current = {listed_run.run_id: listed_run for listed_run in listed}
            for run_id, listed_run in current.items():
                if self._seen.get(run_id) is not listed_run:
                    self._hot.add(run_id)
            for gone in self._seen.keys() - current.keys():
                self._hot.add(gone)  # confirmed gone below, unless it came back
            self._listed, self._seen = listed, current

    def _poll_run(self, run_id: str, as_of: datetime, fresh: list[LiveEvent]) -> None:
        """One hot run: its new activity, a changed summary, or its removal, into `fresh`."""
        run = self.workspace.runs.refresh_run(run_id)
        if run is None:
            self._forget(run_id)
            if self._run_state.pop(run_id, None) is not None:
                fresh.append(self._emit("run_removed", {"run_id": run_id}, run_id=run_id))
            return
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

    def _forget(self, run_id: str) -> None:
        self._hot.discard(run_id)
        self._seen.pop(run_id, None)
        self._runs.pop(run_id, None)
        self.workspace.health.note_feed_problems(f"run:{run_id}", [])

    def _follow_run(self, run: RunFolder, events: EventsFile) -> list[LiveEvent]:
        follower = self._runs.get(run.run_id)
        if follower is None or follower.events.path != events.path:
            follower = RunFollower(run, events)
            self._runs[run.run_id] = follower
            if not self._primed:
                follower.skip_to_end()
                follower.key = events.key
                return []
        if follower.key == events.key:
            return []
        rewritten_or_grew = follower.key is None or follower.key[:2] != events.key[:2]
        if rewritten_or_grew:  # not for a bare mtime change: nothing new to count
            # Bad lines reach health through the run's totals; a huge backlog is read a slice
            # per poll so that following a run never starves the requests served meanwhile.
            try:
                self.workspace.runs.row_ledger(run, LEDGER_SLICE_BYTES)
            except Exception:  # the run's totals failing must not keep its events off the feed
                logger.warning("live feed: totals of run %s could not be updated", run.run_id)
        items, problems = follower.read_new()
        follower.key = events.key  # only once read: a read that raised is tried again
        if items or problems:  # shown as last read: a clean append clears them
            self.workspace.health.note_feed_problems(f"run:{run.run_id}", problems)
        return [
            self._emit("activity", item.as_dict(with_payload=False), item.run_id, item.session_id)
            for item in items
        ]

    def _poll_side_files(self, fresh: list[LiveEvent]) -> None:
        """Follow the AI events, execution, alert-store and hot runs' alert files into `fresh`."""
        wanted = self._wanted_side_files()
        for source_id, (path, label, convert) in wanted.items():
            try:
                self._follow_side_file(source_id, path, label, convert, fresh)
            except Exception:  # one file must never stop the events of the others
                logger.warning("live feed: %s could not be followed; skipped", source_id)
                self.workspace.health.note_feed_problems(source_id, [Problem(label, FOLLOW_FAILED)])
        for gone in set(self._lines) - set(wanted):
            del self._lines[gone]
            self.workspace.health.note_feed_problems(gone, [])

    def _wanted_side_files(
        self,
    ) -> dict[str, tuple[Path, str, Callable[[dict[str, Any], int], Any]]]:
        """The side files to follow now, by source id: path, label and record converter."""
        settings = self.workspace.settings
        wanted: dict[str, tuple[Path, str, Callable[[dict[str, Any], int], Any]]] = {}
        if stat_key(settings.ai_events_path) is not None:
            wanted["ai"] = (settings.ai_events_path, settings.ai_events_path.name, ai_item)
        for file in execution_files(settings)[0]:
            wanted[file.source_id] = (file.path, file.label, exec_item(file.source_id, file.label))
        for name, _ in list_files(settings.alerts_dir, ".jsonl")[-2:]:
            label = f"{settings.alerts_dir.name}/{name}"
            wanted[f"store:{name}"] = (settings.alerts_dir / name, label, store_alert(name))
        for run_id in sorted(self._hot):
            run = self.workspace.run_index.get(run_id)
            if run is not None and run.alerts_key is not None:
                wanted[f"alerts:{run.run_id}"] = (
                    run.path / "alerts.jsonl",
                    f"{run.label}/alerts.jsonl",
                    run_alert(run.run_id),
                )
        return wanted

    def _follow_side_file(
        self,
        source_id: str,
        path: Path,
        label: str,
        convert: Callable[[dict[str, Any], int], Any],
        fresh: list[LiveEvent],
    ) -> None:
        """The new lines of one side file as activity and alert events, into `fresh`."""
        follower = self._lines.get(source_id)
        key = stat_key(path)
        if follower is None:
            follower = LineFollower(path, label, convert)
            self._lines[source_id] = follower
            if not self._primed:
                follower.reader.skip_to_end()
                follower.key = key
                return
        if follower.key == key:
            return
        follower.key = key
        items, problems = follower.read_new()
        if items or problems:  # shown as last read: a clean append clears them
            self.workspace.health.note_feed_problems(
                source_id, [p for p in problems if p.reason == EVENT_NOT_SHOWN]
            )
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

    def _poll_health(self, fresh: list[LiveEvent]) -> None:
        """A `health` event into `fresh` when the set of problems changed."""
        try:
            problems = self.workspace.health.all_problems()
        except Exception:  # health is tried again on the next poll
            logger.warning("live feed: problems could not be collected; skipped")
            return
        state = tuple((p.file, p.line, p.offset, p.reason) for p in problems)
        if state == self._problem_state:
            return
        self._problem_state = state
        if not self._primed:
            return
        data = {
            "unreadable_count": len(problems),
            "unreadable": [p.as_dict() for p in problems[:20]],
        }
        fresh.append(self._emit("health", data))
