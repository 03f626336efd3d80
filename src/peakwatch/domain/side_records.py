"""The AI events file and the execution telemetry, followed once for all runs, kept per run.

Lines are read incrementally (bounded chunks, offsets kept) and validated; a line naming a
run (`run_id`, `payload.run_id`) is kept in that run's list, which its ledger consumes from
where it left off. Bad lines are skipped here (health reports them). A side file that is
truncated or replaced makes every list start over: `generation` changes and ledgers refold.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent
from peakwatch.domain.decision_trace import text_of
from peakwatch.settings import Settings
from peakwatch.sources.checked import checked_record
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.execution_files import execution_files
from peakwatch.sources.incremental import IncrementalReader
from peakwatch.sources.problems import Problem

CHUNK_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class SideRecord:
    """One AI events or execution telemetry line of a run, and where it is."""

    label: str
    offset: int
    record: AiDecisionEvent | ExecutionEvent


class SideRecords:
    """Per-run lists of AI events and execution telemetry lines, caught up at most every
    `min_interval` seconds (the execution folder is listed then too)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ai_path = settings.ai_events_path
        self.min_interval = settings.index_max_age_seconds
        self.generation = 0
        self._readers: dict[str, tuple[Path, IncrementalReader]] = {}
        self._by_run: dict[str, list[SideRecord]] = {}
        self._caught_up_at: float | None = None
        self._lock = threading.Lock()

    def records(self, run_id: str, start: int) -> tuple[int, list[SideRecord]]:
        """The generation and the run's records from `start` on."""
        with self._lock:
            return self.generation, self._by_run.get(run_id, [])[start:]

    def catch_up(self, *, force: bool = False) -> None:
        """Read what was appended to the side files since the last call (paced)."""
        with self._lock:
            now = time.monotonic()
            last = self._caught_up_at
            if not force and last is not None and now - last < self.min_interval:
                return
            self._caught_up_at = now
            for name, path in self._listed():
                if self._read(name, path):
                    self._start_over()
                    return

    def _read(self, label: str, path: Path) -> bool:
        """Read one file to its end; True when it was truncated or replaced."""
        known = self._readers.get(label)
        if known is None or known[0] != path:
            known = self._readers[label] = (path, IncrementalReader(path))
        reader = known[1]
        while True:
            before = reader.offset
            appended = reader.read_new(CHUNK_BYTES)
            if appended.reset:
                return True
            if appended.error or appended.missing or not appended.lines:
                return False
            for line in appended.lines:
                objects, _ = decode_jsonl([line], label)
                for obj in objects:
                    self._keep(label, line.offset, obj)
            if reader.offset == before:
                return False

    def _keep(self, label: str, offset: int, obj: dict[str, Any]) -> None:
        """Validate one line and keep it under the run it names."""
        is_ai = label == self.ai_path.name
        if is_ai:
            run_id = text_of(obj.get("run_id"))
        else:
            payload = obj.get("payload")
            run_id = text_of(payload.get("run_id")) if isinstance(payload, dict) else None
            run_id = run_id or text_of(obj.get("run_id"))  # Peak_Trade's v0/v1 execution events
        if run_id is None:
            return
        model: type[AiDecisionEvent] | type[ExecutionEvent]
        model = AiDecisionEvent if is_ai else ExecutionEvent
        record = checked_record(model, obj, label, offset=offset)
        if isinstance(record, Problem):
            return
        self._by_run.setdefault(run_id, []).append(SideRecord(label, offset, record))

    def _start_over(self) -> None:
        """A side file was rewritten: forget everything and read every file afresh."""
        self.generation += 1
        self._by_run.clear()
        self._readers.clear()
        for label, path in self._listed():
            self._read(label, path)

    def _listed(self) -> list[tuple[str, Path]]:
        """The AI events file and every execution file, with their labels."""
        files = [(self.ai_path.name, self.ai_path)]
        return files + [(file.label, file.path) for file in execution_files(self.settings)[0]]
