"""The sessions registry: one JSON record per file, re-parsed only when its stat changes.

The index keeps a compact summary per file; `reread` reads one file whole for its detail.
"""

from __future__ import annotations

import bisect
import os
import stat
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from peakwatch.contract.models import SessionRecord
from peakwatch.sources.checked import FILE_NOT_READ, checked_record
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import entry_problem
from peakwatch.sources.session_summary import SessionSummary, summarize
from peakwatch.sources.steady import STEADY, is_regular, torn

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SessionFile:
    """One registry file as last read: its record's summary, or the problem that kept it out."""

    name: str
    key: FileKey
    record: SessionSummary | None
    problem: Problem | None

    @property
    def mtime(self) -> datetime:
        """When the file was last written (a sign of life for the session)."""
        return datetime.fromtimestamp(self.key.mtime_ns / 1e9, tz=UTC)

    @property
    def sort_key(self) -> tuple[datetime, str]:
        """Most recent first: started_at, else the file name (which starts with the start time)."""
        started = self.record.started_at if self.record else None
        return (started or _EPOCH, self.name)


class SessionList(list[SessionFile]):
    """A most-recent-first list handed out by SessionsIndex.files(); never changed after."""


class SessionsIndex:
    """The registry folder, refreshed from scandir + stat; unchanged files are never re-parsed."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label
        self.parse_count = 0
        self.root_problem: Problem | None = None
        self.link_problems: list[Problem] = []  # entries skipped: links, pipes, bad names
        self._files: dict[str, SessionFile] = {}
        self._ordered = SessionList()
        self._problems: list[Problem] = []
        self._problems_of: SessionList | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._files)

    def refresh(self) -> None:
        """Bring the index up to date with the folder."""
        with self._lock:
            seen, changed = self._scan()
            removed = self._files.keys() - seen
            if not changed and not removed:
                return
            outgoing = [self._files[name] for name in removed]
            outgoing += [self._files[name] for name in changed if name in self._files]
            for name in removed:
                del self._files[name]
            self._files.update(changed)
            self._ordered = _reordered(self._ordered, outgoing, list(changed.values()))

    def refresh_file(self, name: str) -> None:
        """Bring one registry file up to date with one `lstat` (a change the kernel notified).

        A name that is now anything but a regular file leaves the index; the next full
        refresh names it as a problem.
        """
        if not name.endswith(".json") or name.startswith(".") or "/" in name:
            return
        with self._lock:
            known = self._files.get(name)
            try:
                st: os.stat_result | None = os.lstat(self.root / name)
            except FileNotFoundError:
                st = None
            except OSError:
                return
            if st is None or not stat.S_ISREG(st.st_mode):
                if known is None:
                    return
                del self._files[name]
                self._ordered = _reordered(self._ordered, [known], [])
                return
            key = FileKey.of(st)
            if known is not None and known.key == key:
                return
            fresh = self._parse(name, key, known)
            self._files[name] = fresh
            self._ordered = _reordered(self._ordered, [known] if known else [], [fresh])

    def _scan(self) -> tuple[set[str], dict[str, SessionFile]]:
        """Names present now, and the files whose stat key changed (parsed again)."""
        seen: set[str] = set()
        changed: dict[str, SessionFile] = {}
        try:
            listing = os.scandir(self.root)
        except FileNotFoundError:
            self.root_problem = None
            self.link_problems = []
            return seen, changed
        except OSError:
            self.root_problem = Problem(self.label, "registry folder cannot be listed")
            return seen, changed
        self.root_problem = None
        links: list[Problem] = []
        # One entry at a time: an entry caches its stat, and holding all 100,000 of them
        # left holes in the heap that doubled the resident memory the index costs.
        try:
            with listing:
                for entry in listing:
                    self._scan_entry(entry, seen, changed, links)
        except OSError:  # the folder broke while it was being listed
            self.root_problem = Problem(self.label, "registry folder cannot be listed")
            return set(), {}
        self.link_problems = links
        return seen, changed

    def _scan_entry(
        self,
        entry: os.DirEntry[str],
        seen: set[str],
        changed: dict[str, SessionFile],
        links: list[Problem],
    ) -> None:
        """Note one folder entry: seen, changed (parsed again) or skipped as a problem."""
        name = entry.name
        if not name.endswith(".json") or name.startswith("."):
            return
        skipped = entry_problem(self.label, entry, self.root)
        if skipped is not None:  # a link, a pipe, a socket, a device or a name not UTF-8
            links.append(skipped)
            return
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return
        seen.add(name)
        known = self._files.get(name)
        # Compared field by field: building a FileKey per file made a no-change scan of
        # 100,000 files about a quarter slower (826 vs 1,064 ms).
        if (
            known is None
            or known.key.mtime_ns != st.st_mtime_ns
            or known.key.size != st.st_size
            or known.key.inode != st.st_ino
        ):
            changed[name] = self._parse(name, FileKey.of(st), known)

    def _parse(self, name: str, key: FileKey, known: SessionFile | None = None) -> SessionFile:
        """Read one record; a record that was whole and is now torn keeps its last whole view."""
        self.parse_count += 1
        label = f"{self.label}/{name}"
        try:
            parsed = self._parsed(name, key, label)
        except Exception:  # one record must never stop the registry scan
            parsed = SessionFile(name, key, None, Problem(label, FILE_NOT_READ))
        path = self.root / name
        kept = known.record if known is not None else None
        if parsed.record is None and kept is not None and is_regular(path):
            why = parsed.problem.reason if parsed.problem else None  # torn: keep the last record
            return SessionFile(name, key, kept, Problem(label, torn(STEADY.broken(path), why)))
        if parsed.record is not None:
            STEADY.forget_broken(path)
        return parsed

    def _parsed(self, name: str, key: FileKey, label: str) -> SessionFile:
        read = self._read(name, label)
        if isinstance(read, Problem):
            return SessionFile(name, key, None, read)
        return SessionFile(name, key, summarize(read), None)

    def _read(self, name: str, label: str) -> SessionRecord | Problem:
        """The validated record of one file, or the problem that keeps it out."""
        obj, reason = read_json_object(self.root / name)
        if obj is None:
            return Problem(label, reason or "unreadable")
        if "session_id" not in obj:
            obj = {**obj, "session_id": name.removesuffix(".json")}
        return checked_record(SessionRecord, obj, label)

    def reread(self, name: str) -> tuple[SessionFile, SessionRecord] | None:
        """One file read again, whole (for its detail view); None when it is gone or unreadable.

        The index itself is not changed: its next refresh sees a changed file as usual.
        """
        key = stat_key(self.root / name)
        if key is None:
            return None
        try:
            read = self._read(name, f"{self.label}/{name}")
        except Exception:  # a detail view answers 404, never 500, for what a file holds
            return None
        if isinstance(read, Problem):
            return None
        return SessionFile(name, key, summarize(read), None), read

    def files(self) -> list[SessionFile]:
        """Every registry file, most recent first (readable and unreadable).

        The same list object is returned until something changes; a change makes a new
        list, so a caller may cache what it derives from a list by the list's identity.
        Do not modify it.
        """
        return self._ordered

    def problems(self) -> list[Problem]:
        """Unreadable records and folder problems, by file name."""
        ordered = self._ordered
        if self._problems_of is not ordered:  # re-collected only when the registry changed
            self._problems = [f.problem for f in ordered if f.problem is not None]
            self._problems_of = ordered
        found = list(self._problems)
        found.extend(self.link_problems)
        if self.root_problem:
            found.append(self.root_problem)
        return sorted(found, key=lambda p: p.file)

    def exists(self) -> bool:
        """True when the registry folder exists."""
        return self.root.is_dir()


def _reordered(
    ordered: list[SessionFile], outgoing: list[SessionFile], incoming: list[SessionFile]
) -> SessionList:
    """A new most-recent-first list without `outgoing` and with `incoming` in place.

    A few changes are bisected in (O(changes * log n) comparisons plus one list copy);
    many changes sort the whole list once.
    """
    if len(outgoing) + len(incoming) > 64:
        kept = set(map(id, outgoing))
        merged = [f for f in ordered if id(f) not in kept] + incoming
        return SessionList(sorted(merged, key=_newest_first))
    result = SessionList(ordered)
    for file in outgoing:
        index = bisect.bisect_left(result, _newest_first(file), key=_newest_first)
        while index < len(result) and result[index] is not file:
            index += 1  # equal keys cannot happen (names are unique); stay safe anyway
        if index < len(result):
            del result[index]
    for file in incoming:
        bisect.insort(result, file, key=_newest_first)
    return result


class _Descending:
    """Wraps a sort key so that ascending order of wrappers is descending order of keys."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[datetime, str]) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return other.key < self.key


def _newest_first(file: SessionFile) -> _Descending:
    return _Descending(file.sort_key)
