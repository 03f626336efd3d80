"""The runs folder: one sub-folder per run holding meta.json, refreshed from stat."""

from __future__ import annotations

import itertools
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from peakwatch.contract.models import RunMeta
from peakwatch.sources.checked import FILE_NOT_READ, checked_record
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.paths import (
    NAME_NOT_UTF8,
    is_utf8_name,
    is_valid_id,
    outside_link_problem,
    printable_name,
)
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import EventsFile, find_events_file, read_last_event_time
from peakwatch.sources.steady import STEADY, is_regular, torn

META_NAME = "meta.json"
ALERTS_NAME = "alerts.jsonl"
EVENTS_GONE = "events file disappeared (deleted or renamed)"


@dataclass(frozen=True, slots=True)
class RunFolder:
    """A run as last read from disk: meta, its events file and the time of its last event."""

    run_id: str
    path: Path
    label: str
    meta_key: FileKey
    meta: RunMeta | None
    meta_problem: Problem | None
    events: EventsFile | None
    last_event_time: datetime | None
    events_problem: Problem | None
    alerts_key: FileKey | None
    last_write: datetime = field(init=False, compare=False)
    """The newest mtime among meta and events: when the runner last wrote anything."""

    def __post_init__(self) -> None:
        newest = max(self.meta_key.mtime_ns, self.events.key.mtime_ns if self.events else 0)
        object.__setattr__(self, "last_write", datetime.fromtimestamp(newest / 1e9, tz=UTC))

    def problems(self) -> list[Problem]:
        """What could not be read in this run's folder."""
        return [p for p in (self.meta_problem, self.events_problem) if p is not None]


class RunList(list[RunFolder]):
    """A list of runs handed out by RunsIndex.runs(); the index never changes it after.

    `generation` is unique per list: equal generations mean the same runs in the same state.
    """

    def __init__(self, runs: Iterable[RunFolder] = ()) -> None:
        super().__init__(runs)
        self.generation = next(_GENERATIONS)


_GENERATIONS = itertools.count(1)


class RunsIndex:
    """Runs under a root, re-reading a run only when its meta or events file changed."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label
        self.parse_count = 0
        self.root_problem: Problem | None = None
        self.link_problems: list[Problem] = []
        self._runs: dict[str, RunFolder] = {}
        self._list = RunList()
        self._run_problems: tuple[RunList, list[Problem]] = (self._list, [])
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._runs)

    def refresh(self) -> None:
        """Bring the index up to date with the folder."""
        with self._lock:
            fresh: dict[str, RunFolder] = {}
            for name, path in self._list_folders():
                folder = self._refresh_guarded(name, path, self._runs.get(name))
                if folder is not None:
                    fresh[name] = folder
            known = self._runs
            if fresh.keys() != known.keys() or any(f is not known[n] for n, f in fresh.items()):
                self._list = RunList(fresh.values())
            self._runs = fresh

    def refresh_run(self, name: str) -> RunFolder | None:
        """Bring one run up to date with a few `stat` calls; None when it is not there.

        A change makes a new run list, as a full refresh does.
        """
        if not is_valid_id(name):
            return None
        path = self.root / name
        with self._lock:
            known = self._runs.get(name)
            try:
                is_folder = stat.S_ISDIR(os.lstat(path).st_mode)  # a link is never a run
            except OSError:
                is_folder = False
            folder = self._refresh_guarded(name, path, known) if is_folder else None
            if folder is known:
                return folder
            runs = dict(self._runs)
            if folder is None:
                del runs[name]
            else:
                runs[name] = folder
            self._runs, self._list = runs, RunList(runs.values())
            return folder

    def _list_folders(self) -> list[tuple[str, Path]]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            self.root_problem = None
            self.link_problems = []
            return []
        except OSError:
            self.root_problem = Problem(self.label, "runs folder cannot be listed")
            return []
        self.root_problem = None
        found = []
        links = []
        for entry in entries:
            link = self._skipped_entry(entry)
            if link is not None:
                links.append(link)
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir and is_valid_id(entry.name):
                found.append((entry.name, Path(entry.path)))
        self.link_problems = links
        return found

    def _skipped_entry(self, entry: os.DirEntry[str]) -> Problem | None:
        """A problem for an entry that is not UTF-8 named or a link leading nowhere or outside.

        A link that stays inside the root is silently no run (it is another name of one).
        """
        label = f"{self.label}/{printable_name(entry.name)}"
        if not is_utf8_name(entry.name):
            return Problem(label, NAME_NOT_UTF8)
        return outside_link_problem(label, entry, self.root)

    def _refresh_guarded(self, name: str, path: Path, known: RunFolder | None) -> RunFolder | None:
        """`_refresh_one`, an unexpected failure making the run unreadable instead of raising."""
        try:
            return self._refresh_one(name, path, known)
        except Exception:  # one run's files must never stop the listing of the others
            return _unreadable_run(name, path, f"{self.label}/{name}")

    def _refresh_one(self, name: str, path: Path, known: RunFolder | None) -> RunFolder | None:
        meta_key = stat_key(path / META_NAME)
        if meta_key is None:
            return None
        events_key = stat_key(known.events.path) if known and known.events else None
        gone = _gone_problem(known)
        if known and known.events and events_key is None:
            gone = Problem(known.events.label, EVENTS_GONE)
            known = None  # events file vanished or was renamed: look again
        alerts_key = stat_key(path / ALERTS_NAME)
        unchanged = known and known.meta_key == meta_key and known.events
        if unchanged and known is not None and known.events and known.events.key == events_key:
            if known.alerts_key == alerts_key:
                return known
            return replace(known, alerts_key=alerts_key)
        label = f"{self.label}/{name}"
        meta, meta_problem = self._read_meta(path, label, meta_key, known)
        events = find_events_file(path, label)
        if known and known.events and events and known.events.key == events.key:
            last_time, events_problem = known.last_event_time, known.events_problem
        elif events is None:
            last_time, events_problem = None, gone
        else:
            self.parse_count += 1
            last_time, events_problem = read_last_event_time(events)
        return RunFolder(
            run_id=name,
            path=path,
            label=label,
            meta_key=meta_key,
            meta=meta,
            meta_problem=meta_problem,
            events=events,
            last_event_time=last_time,
            events_problem=events_problem,
            alerts_key=alerts_key,
        )

    def _read_meta(
        self, path: Path, label: str, key: FileKey, known: RunFolder | None
    ) -> tuple[RunMeta | None, Problem | None]:
        if known and known.meta_key == key:
            return known.meta, known.meta_problem
        self.parse_count += 1
        meta_label = f"{label}/{META_NAME}"
        obj, reason = read_json_object(path / META_NAME)
        kept = known.meta if known is not None else None
        if obj is None and kept is not None and is_regular(path / META_NAME):
            why = torn(STEADY.broken(path / META_NAME), reason)  # torn: keep the last meta
            return kept, Problem(meta_label, why)
        if obj is None:
            return None, Problem(meta_label, reason or "unreadable")
        result = checked_record(RunMeta, obj, meta_label)
        if isinstance(result, Problem):
            return None, result
        return result, None

    def runs(self) -> RunList:
        """Every run folder currently on disk (unordered).

        The same RunList object is returned until a run appears, changes or goes, so what
        is derived from it (the activity order) can be cached by identity. Do not modify it.
        """
        return self._list

    def get(self, run_id: str) -> RunFolder | None:
        """The run with this folder name, if it exists."""
        return self._runs.get(run_id)

    def problems(self) -> list[Problem]:
        """Unreadable metas and events files, plus folder problems."""
        listed = self._list
        if self._run_problems[0] is not listed:  # collected once per run list
            self._run_problems = (listed, [p for run in listed for p in run.problems()])
        found = list(self._run_problems[1])
        found.extend(self.link_problems)
        if self.root_problem:
            found.append(self.root_problem)
        return sorted(found, key=lambda p: p.file)


def _gone_problem(known: RunFolder | None) -> Problem | None:
    """The 'events file disappeared' problem a run without events still carries, if any."""
    if known is None or known.events is not None or known.events_problem is None:
        return None
    return known.events_problem if known.events_problem.reason == EVENTS_GONE else None


def _unreadable_run(name: str, path: Path, label: str) -> RunFolder | None:
    """A run whose files could not be read, shown with a problem (None once meta.json is gone)."""
    meta_key = stat_key(path / META_NAME)
    if meta_key is None:
        return None
    return RunFolder(
        run_id=name,
        path=path,
        label=label,
        meta_key=meta_key,
        meta=None,
        meta_problem=Problem(label, FILE_NOT_READ),
        events=None,
        last_event_time=None,
        events_problem=None,
        alerts_key=None,
    )
