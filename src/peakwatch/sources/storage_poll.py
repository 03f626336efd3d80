"""Poll one root's listing on its own interval, back off while the store fails, keep health.

A failed poll keeps the last good listing, so the first poll after recovery reports
exactly what changed meanwhile: nothing is lost, nothing comes twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from peakwatch.sources.storage import Changes, Listing, StorageRoot, compare
from peakwatch.sources.storage_errors import failure_reason

REMOTE_POLL_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class RootHealth:
    """What the health page shows of a root; `reason` is one of storage_errors.REASONS."""

    reachable: bool | None  # None until the first poll
    last_success: float | None  # epoch seconds of the last good listing
    newest_mtime: float | None  # the newest object's mtime in it
    reason: str | None
    failures: int  # failed polls in a row
    objects: int


class RootPoller:
    """Lists a root when due and says what changed since the last good listing."""

    def __init__(
        self,
        root: StorageRoot,
        interval: float,
        *,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self._interval = interval
        self._max_backoff = max_backoff
        self._clock = clock
        self._listing: Listing = {}
        self._next = 0.0
        self._health = RootHealth(None, None, None, None, 0, 0)

    @property
    def listing(self) -> Listing:
        """The last good listing (empty before the first)."""
        return self._listing

    @property
    def health(self) -> RootHealth:
        return self._health

    def due(self) -> bool:
        """True when the interval (or the backoff after failures) has passed."""
        return self._clock() >= self._next

    def poll(self) -> Changes | None:
        """List the root now: the changes since the last good listing, or None if it failed."""
        now = self._clock()
        try:
            listing = self.root.list_objects()
        except Exception as error:  # storage libraries raise many types; the reason is fixed
            failures = self._health.failures + 1
            delay = min(self._interval * 2**failures, self._max_backoff)
            self._next = now + max(delay, self._interval)
            self._health = RootHealth(
                False,
                self._health.last_success,
                self._health.newest_mtime,
                failure_reason(error),
                failures,
                self._health.objects,
            )
            return None
        changes = compare(self._listing, listing)
        self._listing = listing
        self._next = now + self._interval
        newest = max((seen.mtime for seen in listing.values()), default=None)
        self._health = RootHealth(True, now, newest, None, 0, len(listing))
        return changes
