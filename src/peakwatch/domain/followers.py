"""Followers of appended files: each reads what was added since its last call, as items.

One record that cannot be shown becomes a Problem of its line and never stops the
records after it.
"""

from __future__ import annotations

from collections.abc import Callable
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
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain.activity import ActivityItem
from peakwatch.domain.activity_items import (
    ai_event_item,
    execution_item,
    run_event_item,
    step_row_item,
)
from peakwatch.sources.checked import checked_record
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.identity import FileKey
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.parquet_tail import tail_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import EventsFile, EventsFollower
from peakwatch.sources.runs_index import RunFolder

EVENT_NOT_SHOWN = "event could not be shown; skipped"


class LineFollower:
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
                try:
                    item = self.convert(obj, line.offset)
                except Exception:  # one line must not stop the lines after it
                    item = Problem(self.label, EVENT_NOT_SHOWN, offset=line.offset)
                if isinstance(item, Problem):
                    problems.append(item)
                elif item is not None:
                    converted.append(item)
        return converted, problems


class RunFollower:
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

    def read_new(self) -> tuple[list[ActivityItem], list[Problem]]:
        """Items for the records appended since the last call, and the records not shown."""
        if self.follower is None:
            return self._new_parquet_rows()
        items: list[ActivityItem] = []
        problems: list[Problem] = []
        for located in self.follower.read_new().records:
            try:
                item = self._item(located.record, located.position)
            except Exception:  # one record must not stop the records after it
                problems.append(
                    Problem(self.events.label, EVENT_NOT_SHOWN, offset=located.position)
                )
                continue
            if item is not None:
                items.append(item)
        return items, problems

    def _item(self, record: RunEvent | StepRow, position: int) -> ActivityItem | None:
        """The feed item of one record (None for a step row with nothing to show)."""
        source_id = f"run:{self.run_id}"
        if isinstance(record, RunEvent):
            return run_event_item(record, source_id, position, self.run_id)
        return step_row_item(record, source_id, position, self.run_id)

    def _new_parquet_rows(self) -> tuple[list[ActivityItem], list[Problem]]:
        """Items for the rows added to a Parquet events file since the last call."""
        items: list[ActivityItem] = []
        problems: list[Problem] = []
        total = tail_parquet(self.events.path, 0, self.events.label).total_rows
        if total < self.rows_seen:
            self.rows_seen = 0
        fresh = total - self.rows_seen
        if fresh <= 0:
            return items, problems
        tail = tail_parquet(self.events.path, fresh, self.events.label)
        first = tail.total_rows - len(tail.rows)
        for index, row in enumerate(tail.rows, start=first):
            step = checked_record(StepRow, row, self.events.label, line=index + 1)
            if not isinstance(step, StepRow):
                continue
            try:
                item = self._item(step, index)
            except Exception:  # one row must not stop the rows after it
                problems.append(Problem(self.events.label, EVENT_NOT_SHOWN, line=index + 1))
                continue
            if item is not None:
                items.append(item)
        self.rows_seen = tail.total_rows
        return items, problems


def validated(model: type[BaseModel], obj: dict[str, Any], label: str, offset: int) -> Any:
    return checked_record(model, obj, label, offset=offset)


def ai_item(obj: dict[str, Any], offset: int) -> ActivityItem | Problem:
    record = validated(AiDecisionEvent, obj, "ai_events.jsonl", offset)
    return record if isinstance(record, Problem) else ai_event_item(record, "ai", offset)


def exec_item(source_id: str, label: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> ActivityItem | Problem:
        record = validated(ExecutionEvent, obj, label, offset)
        if isinstance(record, Problem):
            return record
        return execution_item(record, source_id, offset)

    return convert


def store_alert(name: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> Any:
        record = validated(StoreAlert, obj, name, offset)
        if isinstance(record, Problem):
            return record
        return alerts_domain.from_store_alert(record, name, offset)

    return convert


def run_alert(run_id: str) -> Callable[[dict[str, Any], int], Any]:
    def convert(obj: dict[str, Any], offset: int) -> Any:
        record = validated(RunAlert, obj, f"{run_id}/alerts.jsonl", offset)
        if isinstance(record, Problem):
            return record
        return alerts_domain.from_run_alert(record, run_id, offset)

    return convert
