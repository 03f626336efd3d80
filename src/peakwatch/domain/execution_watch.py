"""The execution watch: Peak_Trade's execution-pipeline events (`execution_event_v0`) by run.

One JSONL file in the execution root (default `execution_pipeline_events_v0.jsonl`)
holds lines `{schema: "execution_event_v0", ts, run_id, correlation_id, event_type
(created|validated|submitted|acked|filled|canceled|failed), order_id, idempotency_key,
payload}`. The file is indexed incrementally: per run its counts by event type, first
and last time, and where each event's line starts, so a page of a run's events reads
only those lines. Events are ordered by time, then by their place in the file.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from peakwatch.contract.values import format_utc, parse_utc
from peakwatch.secrets import redact
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.identity import stat_key
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.lines_at import lines_at

SCHEMA = "execution_event_v0"
DEFAULT_FILENAME = "execution_pipeline_events_v0.jsonl"
CATCH_UP_BYTES = 64 << 20  # indexed per request; the rest of a huge backlog waits for the next
KEPT_FILES = 16
_NO_TIME = -(2**63)  # events without a readable time sort first, as Peak_Trade's "" does
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def status_of(counts: dict[str, int]) -> str:
    """failed, canceled, success (something filled) or unknown, in that order."""
    if counts.get("failed"):
        return "failed"
    if counts.get("canceled"):
        return "canceled"
    if counts.get("filled"):
        return "success"
    return "unknown"


def _micros(value: Any) -> int:
    """The event time as microseconds since the epoch (for ordering), or _NO_TIME."""
    try:
        moment = parse_utc(value)
    except ValueError:
        return _NO_TIME
    if moment is None:
        return _NO_TIME
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _text(value: Any) -> str | None:
    """A text id field: strings and integers as text, anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    return None


@dataclass(slots=True)
class RunEvents:
    """What one run's events add up to, and where each of them is in the file."""

    run_id: str
    correlation_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    times: array[int] = field(default_factory=lambda: array("q"))
    lines: array[int] = field(default_factory=lambda: array("q"))
    offsets: array[int] = field(default_factory=lambda: array("q"))
    _order: list[int] | None = None  # indexes by (time, line), built when first asked

    def add(self, event: dict[str, Any], line: int, offset: int) -> None:
        if not self.lines:
            self.correlation_id = _text(event.get("correlation_id")) or ""
        kind = _text(event.get("event_type"))
        if kind:
            self.counts[kind] = self.counts.get(kind, 0) + 1
        self.times.append(_micros(event.get("ts")))
        self.lines.append(line)
        self.offsets.append(offset)
        self._order = None

    def order(self) -> list[int]:
        """Indexes of the events by time, then by place in the file."""
        if self._order is None:
            self._order = sorted(range(len(self.lines)), key=lambda i: (self.times[i], i))
        return self._order

    def edge_times(self) -> tuple[str | None, str | None]:
        """The first and the last event time (by the order above)."""
        order = self.order()
        first, last = self.times[order[0]], self.times[order[-1]]
        return _formatted(first), _formatted(last)


def _formatted(micros: int) -> str | None:
    if micros == _NO_TIME:
        return None
    return format_utc(_EPOCH + timedelta(microseconds=micros))


class PipelineFile:
    """One execution-pipeline events file, indexed as it grows."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self._reader = IncrementalReader(path)
        self._lock = threading.Lock()
        self._runs: dict[str, RunEvents] = {}
        self._lines = 0
        self.read_errors = 0  # lines that are not JSON objects

    def catch_up(self) -> None:
        """Index the lines appended since the last call (all of them after a rewrite)."""
        appended = self._reader.read_new(CATCH_UP_BYTES)
        if appended.reset or appended.missing:
            self._runs, self._lines, self.read_errors = {}, 0, 0
        self.read_errors += len(appended.skipped)
        for line in appended.lines:
            number = self._lines
            self._lines += 1
            objects, problems = decode_jsonl([line], self.label)
            self.read_errors += len(problems)
            for event in objects:
                run_id = _text(event.get("run_id"))
                if event.get("schema") != SCHEMA or not run_id:
                    continue
                known = self._runs.get(run_id)
                if known is None:
                    known = self._runs[run_id] = RunEvents(run_id)
                known.add(event, number, line.offset)

    def summaries(self) -> list[dict[str, Any]]:
        """Every run, newest last event first (ties by run id, descending)."""
        with self._lock:
            self.catch_up()
            found = [summary_of(run) for run in self._runs.values()]
        found.sort(key=lambda s: (s["last_event_at"] or "", s["run_id"]), reverse=True)
        return found

    def run(self, run_id: str) -> tuple[dict[str, Any], list[int]] | None:
        """A run's summary and its events' offsets in order; None when it has no events."""
        with self._lock:
            self.catch_up()
            known = self._runs.get(run_id)
            if known is None:
                return None
            return summary_of(known), [known.offsets[i] for i in known.order()]

    def events_at(self, offsets: list[int]) -> list[dict[str, Any] | None]:
        """The events whose lines start at `offsets`, in that order; None where a line can
        no longer be read as one (the file changed since it was indexed)."""
        try:
            lines = lines_at(self.path, offsets)
        except OSError:
            return [None] * len(offsets)
        found: list[dict[str, Any] | None] = []
        for line in lines:
            objects, _ = decode_jsonl([line] if line is not None else [], self.label)
            event = objects[0] if objects else None
            found.append(event_view(event) if event and event.get("schema") == SCHEMA else None)
        return found


def summary_of(run: RunEvents) -> dict[str, Any]:
    """A run's id, correlation id, first and last event time, status and counts."""
    started, last = run.edge_times()
    counts = dict(sorted(run.counts.items()))
    return {
        "run_id": run.run_id,
        "correlation_id": run.correlation_id,
        "started_at": started,
        "last_event_at": last,
        "status": status_of(counts),
        "counts": counts,
        "total_events": len(run.lines),
    }


def event_view(event: dict[str, Any]) -> dict[str, Any]:
    """One event with its fields in their types (payload secrets redacted)."""
    payload = event.get("payload")
    try:
        ts = format_utc(parse_utc(event.get("ts")))
    except ValueError:
        ts = None
    return {
        "schema": SCHEMA,
        "ts": ts,
        "run_id": _text(event.get("run_id")) or "",
        "correlation_id": _text(event.get("correlation_id")) or "",
        "event_type": _text(event.get("event_type")) or "",
        "order_id": _text(event.get("order_id")),
        "idempotency_key": _text(event.get("idempotency_key")),
        "payload": redact(payload) if isinstance(payload, dict) else {},
    }


class ExecutionWatch:
    """The pipeline files of the execution root, each indexed once and kept up to date."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: OrderedDict[str, PipelineFile] = OrderedDict()
        self._lock = threading.Lock()

    def exists(self, filename: str) -> bool:
        """True when the file is there (a regular file or not: the health check says so)."""
        return stat_key(self.root / filename) is not None

    def file(self, filename: str) -> PipelineFile:
        """The indexed file of that name in the root (a plain name checked by the caller)."""
        with self._lock:
            known = self._files.pop(filename, None)
            if known is None:
                known = PipelineFile(self.root / filename, f"{self.root.name}/{filename}")
            self._files[filename] = known
            while len(self._files) > KEPT_FILES:
                self._files.popitem(last=False)
            return known
