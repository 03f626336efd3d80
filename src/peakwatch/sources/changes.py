"""Kernel file-change notifications for local folders (watchfiles), on one thread.

A folder is watched when it exists on a local filesystem and the kernel accepts the watch;
otherwise it is in scan mode with the reason. The watcher restarts by itself when a folder
appears, is replaced, or the notifications stop; every (re)start is reported so the caller
can run one full pass for what changed while nothing watched.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from watchfiles._rust_notify import RustNotify

NOTIFY = "notify"
SCAN = "scan"
NOT_WATCHED = "not watched by this process"
MISSING = "folder missing"
NETWORK_FS = "network filesystem"
REFUSED = "the kernel refused the watch (inotify limits?)"
STOPPED = "notifications stopped; restarting"

ADDED = 1  # watchfiles' Change.added
DEBOUNCE_MS = 200  # a burst of changes is handed over at most this long after it began
STEP_MS = 50  # ... or when no change came for this long
TICK_MS = 250  # the callback is called at least this often, with no paths when none changed
RETRY_SECONDS = 1.0  # how often an unwatched folder is looked at again
# Filesystems whose changes may be made by another machine, which the kernel never sees.
NETWORK_TYPES = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "lustre", "gpfs"}
    | {"afs", "davfs", "fuse.sshfs", "fuse.s3fs", "fuse.rclone", "fuse.gcsfuse"}
)
logger = logging.getLogger("peakwatch")

Changed = Callable[[set[Path]], None]
Started = Callable[[list[Path]], None]


class ChangeWatcher:
    """Watches `folders` on one thread and hands changed paths to `on_changes`.

    A folder in `nested` is watched with each of its sub-folders (one level: a run folder
    and its files); the others alone. Watches never recurse, so a link inside a root never
    leads the watcher elsewhere. `on_changes` gets the set of changed paths (empty on a
    quiet tick, at least every TICK_MS); `on_started` gets the folders each time watching
    them (re)starts, and `on_stopped` the folders that went back to scan mode.
    """

    def __init__(
        self,
        folders: Iterable[Path],
        on_changes: Changed,
        on_started: Started,
        on_stopped: Started,
        nested: Iterable[Path] = (),
    ) -> None:
        self.folders = list(dict.fromkeys(folders))
        self._nested = set(nested)
        self._on_changes = on_changes
        self._on_started = on_started
        self._on_stopped = on_stopped
        self._reasons: dict[Path, str | None] = dict.fromkeys(self.folders, NOT_WATCHED)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._open_now: tuple[RustNotify, list[Path]]  # set while watching

    def mode(self, folder: Path) -> tuple[str, str | None]:
        """("notify", None) for a watched folder, else ("scan", why)."""
        reason = self._reasons.get(folder, NOT_WATCHED)
        return (NOTIFY, None) if reason is None else (SCAN, reason)

    def start(self) -> None:
        """Start the thread (again after `stop`); nothing when it is running."""
        if self._thread is None or not self._thread.is_alive():
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="peakwatch-changes", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait for the thread; every folder is back in scan mode."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._reasons = dict.fromkeys(self.folders, NOT_WATCHED)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch_once()
            except Exception:  # the thread must outlive any one failure; scan covers the gap
                logger.warning("file change notifications failed; restarting")
                self._set_scan([f for f, r in self._reasons.items() if r is None], STOPPED)
            self._stop.wait(RETRY_SECONDS)

    def _watch_once(self) -> None:
        """Watch what can be watched until a folder changes state or the watch fails."""
        candidates = []
        for folder in self.folders:
            reason = _unwatchable(folder)
            if reason is None:
                candidates.append(folder)
            else:
                self._set_scan([folder], reason)
        if not candidates:
            return
        opened = self._open(candidates)
        if opened is None:
            self._set_scan(candidates, REFUSED)
            return
        watched = opened[1]
        self._set_scan([f for f in candidates if f not in watched], REFUSED)
        identities = {folder: _identity(folder) for folder in watched}
        try:
            self._on_started(watched)  # before the mode says notify: a full pass is due first
            for folder in watched:
                self._reasons[folder] = None
            self._open_now = opened
            self._follow(identities)
        finally:
            self._open_now[0].close()
            self._set_scan([f for f in watched if self._reasons.get(f) is None], STOPPED)

    def _follow(self, identities: dict[Path, Any]) -> None:
        """Hand changes over until stopped, or until a folder needs a new watch.

        A new sub-folder of a nested folder is watched by a new notifier opened before the
        old one closes, so nothing written meanwhile is missed; `_open_now` is the one open.
        """
        opened = self._open_now
        unwatched = [f for f in self.folders if f not in identities]
        looked_at = time.monotonic()
        while not self._stop.is_set():
            raw = opened[0].watch(DEBOUNCE_MS, STEP_MS, TICK_MS, self._stop)
            if raw == "stop":
                break
            changes = [] if isinstance(raw, str) else [(kind, Path(path)) for kind, path in raw]
            paths = {path for _, path in changes}
            # A sub-folder added (or made again under a name whose watch died with it).
            if any(k == ADDED and p.parent in self._nested and _is_folder(p) for k, p in changes):
                renewed = self._open(opened[1])
                if renewed is None or renewed[1] != opened[1]:
                    if renewed is not None:
                        renewed[0].close()
                    self._on_changes(paths)
                    break  # the kernel refused the new watches: start over
                opened[0].close()
                self._open_now = opened = renewed
            self._on_changes(paths)
            if any(_identity(f) != known for f, known in identities.items()):
                break  # a watched folder was removed or replaced: watch the new one
            if unwatched and time.monotonic() - looked_at >= RETRY_SECONDS:
                looked_at = time.monotonic()
                if any(_unwatchable(f) is None for f in unwatched):
                    break  # a folder became watchable: watch it too

    def _open(self, folders: list[Path]) -> tuple[RustNotify, list[Path]] | None:
        """A notifier over every folder, else over those the kernel accepts one by one.

        Returns it and the folders it watches.
        """
        attempts = [folders, *([f] for f in folders)] if len(folders) > 1 else [folders]
        for attempt in attempts:
            paths = {p for folder in attempt for p in self._watch_paths(folder)}
            try:
                notify = RustNotify(sorted(map(str, paths)), False, False, 0, False, True)
            except (OSError, RuntimeError):
                continue
            return notify, attempt
        return None

    def _watch_paths(self, folder: Path) -> list[Path]:
        """The folder, and its sub-folders (never links) when it is nested."""
        found = [folder]
        if folder in self._nested:
            try:
                with os.scandir(folder) as entries:
                    found += [Path(e.path) for e in entries if _is_folder_entry(e)]
            except OSError:
                pass
        return found

    def _set_scan(self, folders: list[Path], reason: str) -> None:
        stopped = [f for f in folders if self._reasons.get(f) is None]
        for folder in folders:
            self._reasons[folder] = reason
        if stopped:
            self._on_stopped(stopped)


def _is_folder_entry(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_folder(path: Path) -> bool:
    """True for a directory that is not a link."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(folder)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _unwatchable(folder: Path) -> str | None:
    """Why notifications cannot see this folder's changes, or None when they can."""
    if not folder.is_dir():
        return MISSING
    kind = filesystem_type(folder)
    if kind in NETWORK_TYPES:
        return NETWORK_FS
    return None


def filesystem_type(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> str | None:
    """The type of the filesystem holding `path` (Linux), or None when it cannot be told."""
    try:
        lines = mountinfo.read_text(errors="replace").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = -1, None
    for line in lines:
        fields, _, rest = line.partition(" - ")
        parts = fields.split()
        if len(parts) < 5 or not rest:
            continue
        mount = parts[4].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > best:
            best, kind = len(mount), rest.split()[0]
    return kind
