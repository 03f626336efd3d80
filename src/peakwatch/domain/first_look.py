"""The first look at a huge run: its backlog read on one background thread, in slices.

Requests meanwhile answer at once from what was read so far, with `counting` saying how far
the totals (then the decisions and trades) are; between slices the thread pauses in
proportion to its work, so the requests served meanwhile keep their pace.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peakwatch.domain.ledger import RunLedger
from peakwatch.sources.run_events import EventsFile

TOTALS_INLINE_BYTES = 32 << 20  # a smaller backlog of the totals is read by the request itself
BOOKS_INLINE_BYTES = 2 << 20  # the decisions and trades fold about 15x slower per byte
TOTALS_SLICE_BYTES = 4 << 20
BOOKS_SLICE_BYTES = 256 << 10
TOTALS_CPU_SHARE = 0.9  # the pause after a slice is its duration * (1 / share - 1)
BOOKS_CPU_SHARE = 0.5
NICENESS = 10  # the thread yields the CPU to the request threads whenever both want it
logger = logging.getLogger("peakwatch")


@dataclass(slots=True)
class Job:
    """One run being read: its ledger and its events file as when asked."""

    ledger: RunLedger
    events: EventsFile

    def left(self) -> tuple[int, int]:
        """Bytes the totals and the books have still to read (0 once read to the end)."""
        totals, books = self.ledger.backlog(self.events)
        return (
            0 if self.ledger.totals_read(self.events) else totals,
            0 if self.ledger.read_to_end(self.events) else books,
        )

    def counting(self) -> dict[str, Any]:
        """How far the first look is, as the snapshot and the run page show it."""
        totals, books = self.left()
        size = self.events.key.size
        done = max(size - (totals or books), 0)
        return {
            "part": "totals" if totals else "decisions",
            "read_bytes": done,
            "total_bytes": size,
            "share": round(done / size, 4) if size else 1.0,
        }


class FirstLook:
    """Reads the backlogs too big for a request, one run at a time, oldest request first."""

    def __init__(self, wanted: Callable[[str, RunLedger], bool]) -> None:
        self._wanted = wanted  # whether a run's ledger is still the one to read
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def needs(self, ledger: RunLedger, events: EventsFile, *, books: bool) -> bool:
        """True when the backlog is too big to read inline (or is being read already)."""
        totals_left, books_left = ledger.backlog(events)
        return totals_left > TOTALS_INLINE_BYTES or (books and books_left > BOOKS_INLINE_BYTES)

    def start(self, run_id: str, ledger: RunLedger, events: EventsFile) -> None:
        """Read the run's backlog in the background (no-op when it is being read already)."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None and job.ledger is ledger:
                return
            self._jobs[run_id] = Job(ledger, events)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="peakwatch-first-look", daemon=True
                )
                self._thread.start()

    def counting(self, run_id: str) -> dict[str, Any] | None:
        """The run's progress while its first look runs, else None."""
        job = self._jobs.get(run_id)
        return None if job is None else job.counting()

    def busy(self, run_id: str) -> bool:
        """True while the run's backlog is being read."""
        return run_id in self._jobs

    def counting_all(self) -> dict[str, dict[str, Any]]:
        """The progress of every first look under way, by run id."""
        return {run_id: job.counting() for run_id, job in list(self._jobs.items())}

    def _run(self) -> None:
        _lower_priority()
        while True:
            with self._lock:
                if not self._jobs:
                    self._thread = None
                    return
                run_id, job = next(iter(self._jobs.items()))
            try:
                self._read(run_id, job)
            except Exception:  # a run that cannot be read must not stop the others
                logger.warning("first look: run %s could not be read; skipped", run_id)
            with self._lock:
                if self._jobs.get(run_id) is job:
                    del self._jobs[run_id]

    def _read(self, run_id: str, job: Job) -> None:
        """Slice by slice: the totals first, then the decisions and trades."""
        while self._wanted(run_id, job.ledger):
            started = time.perf_counter()
            totals, books = before = job.left()
            if totals:
                job.ledger.update(job.events, TOTALS_SLICE_BYTES)
                share = TOTALS_CPU_SHARE
            elif books:
                job.ledger.update_books(job.events, BOOKS_SLICE_BYTES)
                share = BOOKS_CPU_SHARE
            else:
                return
            if job.left() == before:
                return  # the file cannot be read on: requests report why
            time.sleep((time.perf_counter() - started) * (1 / share - 1))


def _lower_priority() -> None:
    """Make the calling thread nicer (Linux schedules threads by their own nice value)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere the pauses alone share
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
