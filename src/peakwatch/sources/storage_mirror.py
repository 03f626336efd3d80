"""A remote root mirrored read-only into a private local folder, for the local readers.

Every reader in `sources` works on local files (stat, file identity, appends, change
notifications), so a remote root is served by copying it: `RootMirror.sync(listing)`
applies the latest listing of a `RootPoller` to the mirror folder, which keeps the
root's layout. Only objects under the root's parts are copied (`storage_names.py`).

- `.jsonl` and `.csv` objects are append-only logs, followed with `read_appended`: the
  complete lines appended since the last sync are appended to the mirror file (a partial
  last line waits for its newline), a rewritten or shrunk object replaces it. A run's
  events and other logs are followed from their first byte (run totals need every line).
  The long global logs (the AI events file, the alert store, the execution logs) start
  from their last `TAIL_BYTES`, at a line start, the first time they are seen: their
  local readers only read recent tails, so older lines would be copied for nothing.
- Every other object (meta, session records, `.toml`, `.parquet`, ...) is fetched whole
  in ranged pieces when added or changed and replaced atomically. Parquet too, since the
  local run totals count every row. An object over `MAX_OBJECT_BYTES` is not copied.
- A removed object's mirror file is deleted. Each file's mtime is the object's, so ages
  and staleness are the producer's, never the copy's.

An unchanged object costs no request. A sync reads at most about `SYNC_BUDGET_BYTES`;
the rest comes next sync. A failed read leaves nothing half-written (bytes are written
only after their read succeeded, replacements go through a temp file) and is retried.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from peakwatch.sources.storage import Listing, ObjectInfo, StorageRoot
from peakwatch.sources.storage_errors import TIMED_OUT, UNREACHABLE, failure_reason
from peakwatch.sources.storage_mirror_files import append_file, remove_file, replace_file
from peakwatch.sources.storage_names import Kind, Parts, mirrored
from peakwatch.sources.storage_readonly import ReadOnlyFile
from peakwatch.sources.storage_reads import SAMPLE_BYTES, FollowState, read_appended

TAIL_BYTES = 4 << 20  # where a global log starts: its last 4 MiB
SYNC_BUDGET_BYTES = 64 << 20  # read per sync, about (one read may pass it)
MAX_OBJECT_BYTES = 256 << 20  # a whole object over this is not copied ("too large")
PIECE_BYTES = 8 << 20  # one ranged read of a whole object
_STOP_REASONS = frozenset({UNREACHABLE, TIMED_OUT})  # the store is away: stop this sync


@dataclass(frozen=True)
class MirrorChanges:
    """What one sync did: mirror files written or removed, objects whose read failed;
    `pending`: it stopped at its budget, so syncing the same listing again copies more."""

    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    pending: bool = False

    def __bool__(self) -> bool:
        return bool(self.updated or self.removed)


@dataclass(frozen=True)
class MirrorHealth:
    """The mirror's state after its last sync; `reason` is that sync's first failure."""

    objects: int  # objects whose mirror file is up to date with the listing
    bytes_behind: int  # bytes of the listing not copied yet
    last_sync: float | None  # epoch seconds of the last sync
    skipped_names: int  # object names refused as unsafe in the last listing
    too_large: int  # objects over MAX_OBJECT_BYTES, not copied
    failures: int  # failed object reads, in all
    reason: str | None


@dataclass
class _Entry:
    """What the mirror holds of one object."""

    kind: Kind
    seen: ObjectInfo | None = None  # the listing entry applied in full
    follow: FollowState | None = None  # a log: where its mirror file ends in the object
    too_large: bool = False


@dataclass(frozen=True)
class _RecordingRoot(StorageRoot):
    """The same root, keeping the bytes of each ranged read (what `read_appended` read)."""

    reads: list[tuple[int, bytes]] = field(default_factory=list)

    def read_range(self, name: str, start: int, end: int) -> bytes:
        data = super().read_range(name, start, end)
        self.reads.append((max(start, 0), data))
        return data


class RootMirror:
    """Copies a root's parts into `folder` (its layout kept) from each listing given."""

    def __init__(
        self,
        root: StorageRoot,
        parts: Mapping[str, str],
        folder: Path,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.parts = Parts.of(parts)
        self.folder = folder
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._listing: dict[str, ObjectInfo] = {}
        self._refused = 0
        self._failures = 0
        self._reason: str | None = None
        self._last_sync: float | None = None
        self._health = self._measure()

    def path_of(self, name: str) -> Path:
        """The mirror file of an object (or part) name under the root."""
        return self.folder / name if name else self.folder

    def sync(self, listing: Listing, budget: int | None = None) -> MirrorChanges:
        """Bring the mirror up to `listing`: removals, then whole objects, then logs, reading
        about `budget` bytes at most (SYNC_BUDGET_BYTES by default)."""
        budget = SYNC_BUDGET_BYTES if budget is None else budget
        kinds, self._refused = mirrored(listing, self.parts)
        self._listing = {name: listing[name] for name in kinds}
        updated: list[str] = []
        failed: list[str] = []
        reason: str | None = None
        removed: list[str] = []
        for name in sorted(name for name in self._entries if name not in kinds):
            try:
                remove_file(self.path_of(name), self.folder)
            except OSError as error:  # kept, and tried again next sync
                failed.append(name)
                self._failures += 1
                reason = reason or failure_reason(error)
                continue
            del self._entries[name]
            removed.append(name)
        used, stopped = 0, False
        for name in sorted(kinds, key=lambda name: (kinds[name] != "whole", name)):
            info = listing[name]
            entry = self._entries.setdefault(name, _Entry(kinds[name]))
            if entry.seen == info or used >= budget:
                continue
            try:
                spent, wrote = self._apply(name, info, entry, budget - used)
            except Exception as error:  # storage libraries raise many types; the reason is fixed
                failed.append(name)
                self._failures += 1
                why = failure_reason(error)
                reason = reason or why
                if why in _STOP_REASONS:
                    stopped = True
                    break
                continue
            used += spent
            if wrote:
                updated.append(name)
        self._reason = reason
        self._last_sync = self._clock()
        self._health = self._measure()
        pending = not stopped and any(
            self._entries[name].seen != info
            for name, info in self._listing.items()
            if name not in failed
        )
        return MirrorChanges(tuple(updated), tuple(removed), tuple(failed), pending)

    @property
    def health(self) -> MirrorHealth:
        """As of the last sync (kept then, so another thread reads it while a sync runs)."""
        return self._health

    def _measure(self) -> MirrorHealth:
        current = [
            name
            for name, info in self._listing.items()
            if name in self._entries and self._entries[name].seen == info
        ]
        return MirrorHealth(
            objects=sum(not self._entries[name].too_large for name in current),
            bytes_behind=sum(self._behind(name, info) for name, info in self._listing.items()),
            last_sync=self._last_sync,
            skipped_names=self._refused,
            too_large=sum(entry.too_large for entry in self._entries.values()),
            failures=self._failures,
            reason=self._reason,
        )

    def _behind(self, name: str, info: ObjectInfo) -> int:
        entry = self._entries.get(name)
        if entry is None:
            return info.size
        if entry.follow is not None:
            return max(info.size - entry.follow.offset, 0)
        if entry.too_large or entry.seen == info:
            return 0
        return min(info.size, TAIL_BYTES) if entry.kind == "tail" else info.size

    def _apply(self, name: str, info: ObjectInfo, entry: _Entry, budget: int) -> tuple[int, bool]:
        """Copy what changed of one object: (bytes read, whether its mirror file changed)."""
        if entry.kind == "whole":
            return self._fetch(name, info, entry)
        return self._follow(name, info, entry, budget)

    def _fetch(self, name: str, info: ObjectInfo, entry: _Entry) -> tuple[int, bool]:
        path = self.path_of(name)
        if info.size > MAX_OBJECT_BYTES:
            existed = path.exists()
            remove_file(path, self.folder)  # a stale copy would show old facts as current
            entry.seen, entry.too_large = info, True
            return 0, existed
        with self.root.open(name, info) as f:
            spent = replace_file(path, _pieces(f), info.mtime)
        entry.seen, entry.too_large = info, False
        return spent, True

    def _follow(self, name: str, info: ObjectInfo, entry: _Entry, budget: int) -> tuple[int, bool]:
        path = self.path_of(name)
        spent, wrote = 0, False
        if entry.follow is None:
            begun, body, spent = self._start(name, info, entry.kind)
            replace_file(path, [body], info.mtime)
            entry.follow, wrote = begun, True
        while spent < budget:
            state = entry.follow
            if state.offset == info.size and state.etag == info.etag:
                entry.seen = info
                break
            trial = dataclasses.replace(state)
            root = self.root
            recorder = _RecordingRoot(root.location, root.fs, root.path, root.remote)
            appended = read_appended(recorder, info, trial)
            start, data = recorder.reads[-1] if recorder.reads else (0, b"")
            spent += sum(len(read) for _, read in recorder.reads)
            if appended.reset and entry.kind == "tail" and info.size > TAIL_BYTES:
                trial, body, more = self._start(name, info, entry.kind)
                spent += more
                replace_file(path, [body], info.mtime)
            elif appended.reset:
                replace_file(path, [data[: trial.offset - start]], info.mtime)
            elif trial.offset > state.offset:
                append_file(path, data[state.offset - start : trial.offset - start], info.mtime)
            entry.follow = trial
            wrote = wrote or appended.reset or trial.offset > state.offset
            if not recorder.reads or start + len(data) >= info.size:
                entry.seen = info  # read to the end: what is left is a partial last line
                break
        return spent, wrote

    def _start(self, name: str, info: ObjectInfo, kind: Kind) -> tuple[FollowState, bytes, int]:
        """Where a log's mirror begins: its first byte, or for a global log the first line
        start of its last TAIL_BYTES: (the state there, the complete lines read, bytes read)."""
        begin = info.size - TAIL_BYTES
        if kind != "tail" or begin <= 0:
            return FollowState(), b"", 0
        data = self.root.read_range(name, begin - 1, info.size)  # from the byte before
        first = data.find(b"\n")
        if first < 0:  # inside one long line: skip to its end
            return FollowState(info.size, data[-SAMPLE_BYTES:], info.etag, True), b"", len(data)
        last = data.rfind(b"\n") + 1
        state = FollowState(begin - 1 + last, data[:last][-SAMPLE_BYTES:], info.etag)
        return state, data[first + 1 : last], len(data)


def _pieces(f: ReadOnlyFile) -> Iterator[bytes]:
    """An opened object's bytes in ranged reads of PIECE_BYTES."""
    while piece := f.read(PIECE_BYTES):
        yield piece
