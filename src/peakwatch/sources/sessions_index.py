"""The sessions registry: one JSON record per file, re-parsed only when its stat changes."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from peakwatch.contract.models import SessionRecord
from peakwatch.contract.parse import validate_record
from peakwatch.sources.identity import FileKey
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.problems import Problem

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SessionFile:
    """One registry file as last read: its record, or the problem that kept it out."""

    name: str
    key: FileKey
    record: SessionRecord | None
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


class SessionsIndex:
    """The registry folder, refreshed from scandir + stat; unchanged files are never re-parsed."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label
        self.parse_count = 0
        self.root_problem: Problem | None = None
        self._files: dict[str, SessionFile] = {}
        self._ordered: list[SessionFile] = []
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Bring the index up to date with the folder."""
        with self._lock:
            seen, changed = self._scan()
            removed = self._files.keys() - seen.keys()
            for name in removed:
                del self._files[name]
            self._files.update(changed)
            if changed or removed:
                self._ordered = sorted(self._files.values(), key=lambda f: f.sort_key, reverse=True)

    def _scan(self) -> tuple[dict[str, FileKey], dict[str, SessionFile]]:
        seen: dict[str, FileKey] = {}
        changed: dict[str, SessionFile] = {}
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            self.root_problem = None
            return seen, changed
        except OSError:
            self.root_problem = Problem(self.label, "registry folder cannot be listed")
            return seen, changed
        self.root_problem = None
        for entry in entries:
            if not entry.name.endswith(".json") or entry.name.startswith("."):
                continue
            try:
                key = FileKey.of(entry.stat())
            except OSError:
                continue
            seen[entry.name] = key
            known = self._files.get(entry.name)
            if known is None or known.key != key:
                changed[entry.name] = self._parse(entry.name, key)
        return seen, changed

    def _parse(self, name: str, key: FileKey) -> SessionFile:
        self.parse_count += 1
        label = f"{self.label}/{name}"
        obj, reason = read_json_object(self.root / name)
        if obj is None:
            return SessionFile(name, key, None, Problem(label, reason or "unreadable"))
        if "session_id" not in obj:
            obj = {**obj, "session_id": name.removesuffix(".json")}
        result = validate_record(SessionRecord, obj, label)
        if isinstance(result, Problem):
            return SessionFile(name, key, None, result)
        return SessionFile(name, key, result, None)

    def files(self) -> list[SessionFile]:
        """Every registry file, most recent first (readable and unreadable)."""
        return self._ordered

    def problems(self) -> list[Problem]:
        """Unreadable records and folder problems, by file name."""
        found = [f.problem for f in self._ordered if f.problem is not None]
        if self.root_problem:
            found.append(self.root_problem)
        return sorted(found, key=lambda p: p.file)

    def exists(self) -> bool:
        """True when the registry folder exists."""
        return self.root.is_dir()
