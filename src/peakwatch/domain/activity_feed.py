"""The files that feed the activity timeline, as sources that page backwards through them.

One record that a converter cannot turn into an item is left out of the page and
never stops the rest: a feed item is shown or skipped, the page is always answered.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent
from peakwatch.domain.activity import (
    ActivityFilter,
    ActivityItem,
    ActivityPage,
    ActivitySource,
    ScanBudget,
    SortKey,
    SourceSlice,
    page_activity,
    write_order,
)
from peakwatch.domain.activity_items import (
    ai_event_item,
    execution_item,
    run_event_item,
    step_row_item,
)
from peakwatch.settings import Settings
from peakwatch.sources.checked import checked_record
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.execution_files import execution_files
from peakwatch.sources.identity import stat_key
from peakwatch.sources.jsonl_files import TailCache
from peakwatch.sources.lines import RawLine
from peakwatch.sources.run_events import Located, decode_lines, read_tail
from peakwatch.sources.runs_index import RunFolder, RunsIndex
from peakwatch.sources.slices import read_slice_before
from peakwatch.sources.tail import read_first_line

PARQUET_ROW_BYTES = 256  # a search's slice of a Parquet file: its byte budget in rows of this size


class Activity:
    """The merged timeline over every run's events, the AI events file and execution files."""

    def __init__(
        self,
        settings: Settings,
        runs: RunsIndex,
        refresh: Callable[[], None],
        ai_events: TailCache[AiDecisionEvent],
        execution: TailCache[ExecutionEvent],
    ) -> None:
        self.settings = settings
        self.runs = runs
        self._refresh = refresh
        self._ai_events = ai_events
        self._execution = execution
        self._run_sources: tuple[int, list[RunActivity]] = (0, [])

    def sources(self) -> Iterator[ActivitySource]:
        """Every file that feeds the timeline, newest write first (lazily merged)."""
        self._refresh()
        side: list[ActivitySource] = []
        ai_path = self.settings.ai_events_path
        if stat_key(ai_path) is not None:
            side.append(JsonlActivity("ai", ai_path, ai_path.name, self._ai_events))
        for file in execution_files(self.settings)[0]:
            side.append(JsonlActivity(file.source_id, file.path, file.label, self._execution))
        side.sort(key=write_order, reverse=True)
        return heapq.merge(self._runs_by_write(), side, key=write_order, reverse=True)

    def _runs_by_write(self) -> list[RunActivity]:
        """The runs with events as feed sources, newest write first; sorted once per run list."""
        runs = self.runs.runs()
        if self._run_sources[0] != runs.generation:
            ordered = sorted(
                (RunActivity(run) for run in runs if run.events), key=write_order, reverse=True
            )
            self._run_sources = (runs.generation, ordered)
        return self._run_sources[1]

    def page(
        self,
        wanted: ActivityFilter,
        *,
        limit: int,
        before: SortKey | None,
        budget: ScanBudget | None = None,
    ) -> ActivityPage:
        """A page of the merged timeline, newest first, read within `budget` (default: the
        search bounds of activity.py; the page says when it stopped early)."""
        sources = self.sources()
        if wanted.run_id is not None:
            run_id = wanted.run_id
            sources = (s for s in sources if not isinstance(s, RunActivity) or s.run_id == run_id)
        return page_activity(sources, limit=limit, before=before, wanted=wanted, budget=budget)


@dataclass
class RunActivity:
    """A run's events file as a feed source."""

    run: RunFolder

    @property
    def source_id(self) -> str:
        """`run:<run_id>`."""
        return f"run:{self.run.run_id}"

    @property
    def run_id(self) -> str:
        """The run's folder name."""
        return self.run.run_id

    @property
    def last_write(self) -> datetime:
        """The newest mtime of the run's files."""
        return self.run.last_write

    def read_last(self, count: int) -> tuple[list[ActivityItem], bool]:
        """The run's last `count` records as items, oldest first."""
        if self.run.events is None:
            return [], True
        read = read_tail(self.run.events, count)
        return self._items(read.records), read.exhausted

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Items in about `max_bytes` before position `end` (None: the end), oldest first."""
        events = self.run.events
        if events is None:
            return SourceSlice([], None, 0, 0)
        if events.format == "parquet":
            return self._parquet_back(end, max_bytes)
        header: RawLine | None = None
        floor = 0
        if events.format == "csv":
            header = read_first_line(events.path)
            if header is None:
                return SourceSlice([], None, 0, events.key.size)
            floor = len(header.data) + 1
        piece = read_slice_before(events.path, end, max_bytes, floor=floor)
        records, _ = decode_lines(events, piece.lines, header)
        next_end = piece.start if piece.start > floor and not piece.missing else None
        if piece.error is not None:
            next_end = None
        return SourceSlice(
            self._items(records), next_end, piece.read_bytes, piece.size, stuck=piece.stuck
        )

    def _parquet_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Rows before row `end` of a Parquet events file; bytes estimated from the row count."""
        events = self.run.events
        assert events is not None
        rows = max(max_bytes // PARQUET_ROW_BYTES, 1)
        newest = read_tail(events, 1).records
        total = newest[-1].position + 1 if newest else 0
        end = total if end is None else min(end, total)
        older = [r for r in read_tail(events, total - end + rows).records if r.position < end]
        start = max(end - rows, 0)
        read_bytes = events.key.size * (end - start) // max(total, 1)
        next_end = start if start > 0 else None
        return SourceSlice(self._items(older), next_end, read_bytes, events.key.size)

    def _items(self, records: list[Located]) -> list[ActivityItem]:
        """Records of this run as feed items (step rows without a time are left out)."""
        items: list[ActivityItem] = []
        for located in records:
            try:
                item = self._item(located)
            except Exception:  # one record that cannot be shown never stops the page
                continue
            if item is not None:
                items.append(item)
        return items

    def _item(self, located: Located) -> ActivityItem | None:
        """One record as a feed item; None for a step row without a time."""
        record = located.record
        if isinstance(record, RunEvent):
            return run_event_item(record, self.source_id, located.position, self.run_id)
        return step_row_item(record, self.source_id, located.position, self.run_id)


@dataclass
class JsonlActivity:
    """The AI events file or an execution telemetry file as a feed source."""

    source_id: str
    path: Path
    label: str
    cache: TailCache[Any]

    @property
    def last_write(self) -> datetime:
        """The file's mtime."""
        key = stat_key(self.path)
        return datetime.fromtimestamp((key.mtime_ns if key else 0) / 1e9, tz=UTC)

    def read_last(self, count: int) -> tuple[list[ActivityItem], bool]:
        """The file's last `count` records as items, oldest first."""
        tail = self.cache.read(self.path, self.label, count)
        items = [self._item(entry.record, entry.offset) for entry in tail.entries]
        return [item for item in items if item is not None], tail.exhausted

    def _item(self, record: Any, offset: int) -> ActivityItem | None:
        """A validated record of this file as a feed item; None for a problem or a failure."""
        try:
            if isinstance(record, AiDecisionEvent):
                return ai_event_item(record, self.source_id, offset)
            if isinstance(record, ExecutionEvent):
                return execution_item(record, self.source_id, offset)
        except Exception:  # one record that cannot be shown never stops the page
            return None
        return None

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Items in the `max_bytes` before byte `end` (None: the end), oldest first."""
        piece = read_slice_before(self.path, end, max_bytes)
        items: list[ActivityItem] = []
        for line in piece.lines:
            objects, _ = decode_jsonl([line], self.label)
            for obj in objects:
                record = checked_record(self.cache.model, obj, self.label, offset=line.offset)
                item = self._item(record, line.offset)
                if item is not None:
                    items.append(item)
        next_end = piece.start if piece.start > 0 and piece.error is None else None
        return SourceSlice(items, next_end, piece.read_bytes, piece.size, stuck=piece.stuck)
