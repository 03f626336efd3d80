"""Index refreshes paced by their own cost, so a huge folder never stalls a request."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Protocol

INLINE_SECONDS = 0.02  # refreshes slower than this run in the background when allowed
CPU_SHARE = 0.02  # the pause after a refresh is at least its scan time / CPU_SHARE
HINTED_CPU_SHARE = 0.2  # ... or scan time / HINTED_CPU_SHARE once the folder itself changed
PARSE_COST = 20.0  # parsing a changed file costs about as much as this many `stat` calls
CHECK_SECONDS = 60.0  # the pause while change notifications keep the index current
logger = logging.getLogger("peakwatch")


class Index(Protocol):
    """An index that re-stats its folder on `refresh` and counts the files it parses."""

    parse_count: int
    root: Path

    def refresh(self) -> None: ...

    def __len__(self) -> int: ...


class PacedRefresh:
    """Refreshes an index when the last refresh is older than `max_age`, or longer when slow.

    The pause grows with the scan time (the refresh's duration without the share of files
    it had to parse), so re-statting a huge folder costs at most CPU_SHARE of a core. When
    the folder itself changed (a file or run folder was added, removed or renamed, which
    atomic writes do), the pause shrinks to the scan time / HINTED_CPU_SHARE. A refresh
    that took more than INLINE_SECONDS makes the next ones run on a background thread (if
    `background`), while callers go on with the index as it is. While `watched` (change
    notifications bring the index up to date), a full refresh is only a consistency check
    every CHECK_SECONDS at least, unless `max_age` is 0 (every call refreshes).
    """

    def __init__(self, index: Index, max_age: float, *, background: bool) -> None:
        self._index = index
        self._max_age = max_age
        self._background = background
        self._done_at = 0.0
        self._took = 0.0
        self._scan_seconds = 0.0
        self._root_state: tuple[int, int] | None = None  # the folder's (inode, mtime) at scan
        self._lock = threading.Lock()  # guards starting the background thread
        self._running = threading.Lock()  # one refresh at a time
        self._thread: threading.Thread | None = None
        self._due = False
        self.watched = False

    @property
    def interval(self) -> float:
        """Seconds between two refreshes."""
        pause = CHECK_SECONDS if self._checking else self._max_age
        return max(pause, self._scan_seconds / CPU_SHARE)

    @property
    def _checking(self) -> bool:
        """True when full refreshes are only a consistency check (a max age of 0 keeps them)."""
        return self.watched and self._max_age > 0

    def make_due(self) -> None:
        """Make the next call refresh (changes may have gone unseen, e.g. before a watch)."""
        self._due = True

    def is_stale(self) -> bool:
        """True when the next call would refresh."""
        age = time.monotonic() - self._done_at
        if self._due or age >= self.interval:
            return True
        if self._checking:
            return False
        hinted = max(self._max_age, self._scan_seconds / HINTED_CPU_SHARE)
        return age >= hinted and self._root_now() != self._root_state

    def __call__(self, *, force: bool = False) -> None:
        """Refresh now if forced or cheap; start a background refresh if slow; else nothing."""
        if not force and not self.is_stale():
            return
        slow = self._took > INLINE_SECONDS and self._done_at > 0
        if force or not (slow and self._background):
            self._run(force)
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._run, args=(False,), name="peakwatch-index-refresh", daemon=True
            )
            self._thread.start()

    def _run(self, force: bool) -> None:
        with self._running:
            if not force and not self.is_stale():
                return  # another caller refreshed while this one waited
            parsed_before = self._index.parse_count
            self._due = False
            self._root_state = self._root_now()  # before the scan: a change during it counts
            started = time.monotonic()
            self._refresh_index()
            self._done_at = time.monotonic()
            self._took = self._done_at - started
            parsed = min((self._index.parse_count - parsed_before) / max(len(self._index), 1), 1)
            unchanged = 1.0 - parsed
            self._scan_seconds = self._took * unchanged / (unchanged + PARSE_COST * parsed)

    def _refresh_index(self) -> None:
        """One refresh; a failure keeps the index as it was and the next refresh tries again."""
        try:
            self._index.refresh()
        except Exception:  # the index must outlive any one bad scan
            logger.warning("index refresh of %s failed; will retry", type(self._index).__name__)

    def _root_now(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self._index.root)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns
