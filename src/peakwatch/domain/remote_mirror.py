"""A remote root kept mirrored in a private local folder by one thread, for the local readers.

`MirrorFollower(spec)` opens the root read-only, makes a folder only this user can
enter, and polls and syncs the root into it on the root's interval; `paths` are the
local folders and files of its parts, from which a `Settings` over the mirror is built.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.values import format_utc
from peakwatch.settings import DEFAULT_ROOTS, ROOT_PARTS, RootSpec
from peakwatch.sources.storage import open_root
from peakwatch.sources.storage_counting import CallCounts
from peakwatch.sources.storage_mirror import MirrorHealth, RootMirror
from peakwatch.sources.storage_names import part_path
from peakwatch.sources.storage_poll import REMOTE_POLL_SECONDS, RootHealth, RootPoller

logger = logging.getLogger(__name__)
FOLDER_PREFIX = "peakwatch-mirror-"
TICK_SECONDS = 0.5  # how often the thread asks whether a poll is due


@dataclass(frozen=True)
class MirroredRootHealth:
    """A mirrored root's health: its listing (`root`), its copy (`mirror`), syncs that raised."""

    root: RootHealth
    mirror: MirrorHealth
    errors: int

    @property
    def reason(self) -> str | None:
        """Why the root is not fully mirrored now: its listing's failure, else its copy's."""
        return self.root.reason or self.mirror.reason


class MirrorFollower:
    """One remote root mirrored into `folder`; `start()` follows it, `stop()` removes it.

    `on_change` is called from the thread after a sync that wrote or removed a file."""

    def __init__(
        self,
        spec: RootSpec,
        *,
        environ: Mapping[str, str] | None = None,
        on_change: Callable[[], None] = lambda: None,
        counts: CallCounts | None = None,
    ) -> None:
        if not spec.remote:
            raise ValueError("a local root is read in place, not mirrored")
        self.spec = spec
        self.root = open_root(
            spec.location, anonymous=spec.anonymous, environ=environ, counts=counts
        )
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))  # mode 0700
        parts = {part: getattr(spec, part) for part in ROOT_PARTS}
        self.mirror = RootMirror(self.root, parts, self.folder)
        self._interval = spec.poll_interval(REMOTE_POLL_SECONDS)
        self.poller = RootPoller(self.root, self._interval)
        self.paths: dict[str, Path] = {
            setting: self.mirror.path_of(part_path(parts[part]))
            for part, setting in ROOT_PARTS.items()
        }
        # Not a part of a root: the config of the runner is not mirrored, so it reads "missing".
        self.paths["config_path"] = self.folder / DEFAULT_ROOTS["config_path"]
        self._on_change = on_change
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._errors = 0
        self._pending = False  # the last sync stopped at its budget: go on without waiting

    @property
    def health(self) -> MirroredRootHealth:
        return MirroredRootHealth(self.poller.health, self.mirror.health, self._errors)

    def report(self) -> dict[str, Any]:
        """What health pages show of the root: its URL, reachable, its polls and its copy."""
        health = self.health
        polled = health.root
        last = polled.last_success
        newest = polled.newest_mtime
        return {
            "location": self.root.location,
            "reachable": polled.reachable,  # None until the first poll
            "last_success_at": format_utc(datetime.fromtimestamp(last, UTC)) if last else None,
            "newest_object_at": format_utc(datetime.fromtimestamp(newest, UTC)) if newest else None,
            "failures_in_a_row": polled.failures,
            "reason": health.reason,
            "objects": polled.objects,
            "bytes_behind": health.mirror.bytes_behind,
        }

    def sync_now(self) -> bool:
        """Poll and sync once, now: True when a mirror file changed (`on_change` not called).

        After a sync that stopped at its budget, the same listing is synced on, unpolled."""
        with self._lock:
            if self._stopping.is_set():
                return False
            if not self._pending and self.poller.poll() is None:
                return False
            changes = self.mirror.sync(self.poller.listing)
            self._pending = changes.pending
            return bool(changes)

    def start(self) -> None:
        """Follow the root on a daemon thread: poll when due, catch up a backlog meanwhile."""
        if self._thread is None:
            name = f"peakwatch-mirror-{self.spec.name}"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (after the sync it is in) and remove the mirror folder."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self) -> None:
        tick = max(min(self._interval, TICK_SECONDS), 0.01)
        while not self._stopping.wait(tick):
            if not (self._pending or self.poller.due()):
                continue
            try:
                if self.sync_now():
                    self._on_change()
            except Exception as error:  # the thread outlives any one sync; never the text
                self._errors += 1
                logger.warning(
                    "mirror of root %s: a sync failed (%s), retrying on the next poll",
                    self.spec.name,
                    type(error).__name__,
                )
