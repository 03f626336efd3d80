"""Tail reads of JSONL artifacts validated against a contract model, cached by file key."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from peakwatch.sources.checked import checked_record
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import entry_problem
from peakwatch.sources.tail import scan_budget, tail_lines

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Entry(Generic[ModelT]):
    """A validated record and the byte offset of its line."""

    offset: int
    record: ModelT


@dataclass(slots=True)
class JsonlTail(Generic[ModelT]):
    """The last records of a JSONL file, oldest first, and the problems met reading them."""

    entries: list[Entry[ModelT]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exhausted: bool = True
    key: FileKey | None = None


def read_jsonl_tail(path: Path, model: type[ModelT], label: str, limit: int) -> JsonlTail[ModelT]:
    """The last `limit` lines of `path` validated as `model` (bad lines become problems)."""
    key = stat_key(path)
    if key is None:
        return JsonlTail()
    tail = tail_lines(path, limit, max_scan_bytes=scan_budget(limit))
    result: JsonlTail[ModelT] = JsonlTail(
        problems=tail.problems(label),
        exhausted=len(tail.lines) + len(tail.skipped) < limit,
        key=key,
    )
    for line in tail.lines:
        objects, problems = decode_jsonl([line], label)
        result.problems.extend(problems)
        for obj in objects:
            record = checked_record(model, obj, label, offset=line.offset)
            if isinstance(record, Problem):
                result.problems.append(record)
            else:
                result.entries.append(Entry(line.offset, record))
    return result


class TailCache(Generic[ModelT]):
    """Remembers the last tail read of each file until its stat key changes."""

    def __init__(self, model: type[ModelT]) -> None:
        self.model = model
        self._cache: dict[tuple[str, int], JsonlTail[ModelT]] = {}
        # The last read of each file whose read met problems (health lists them).
        self._flawed: dict[str, JsonlTail[ModelT]] = {}
        self._lock = threading.Lock()

    def read(self, path: Path, label: str, limit: int) -> JsonlTail[ModelT]:
        """The tail of `path`, re-read only when the file changed since the cached read."""
        cache_key = (os.fspath(path), limit)
        key = stat_key(path)
        with self._lock:
            cached = self._cache.get(cache_key)
        if cached is not None and cached.key == key:
            return cached
        fresh = read_jsonl_tail(path, self.model, label, limit)
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[cache_key] = fresh
            if fresh.problems:
                self._flawed[cache_key[0]] = fresh
            else:
                self._flawed.pop(cache_key[0], None)
        return fresh

    def problems(self) -> list[Problem]:
        """Problems of the last read of each file, while that file is unchanged since."""
        with self._lock:
            flawed = list(self._flawed.items())
        found: list[Problem] = []
        for path, tail in flawed:
            if stat_key(path) == tail.key:  # a fixed, replaced or removed file has none
                found.extend(tail.problems)
        return found


@dataclass(frozen=True, slots=True)
class FolderFiles:
    """The regular files of a folder with a suffix, and the entries skipped as problems."""

    files: list[tuple[str, FileKey]]
    problems: list[Problem]


def scan_files(folder: Path, suffix: str, label: str) -> FolderFiles:
    """Names and stat keys of the regular files in `folder` ending with `suffix`, sorted.

    Links, pipes, sockets, devices and names that are not UTF-8 become problems
    labelled `<label>/<name>`; they are never read.
    """
    found: list[tuple[str, FileKey]] = []
    problems: list[Problem] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return FolderFiles(found, problems)
    for entry in entries:
        if not entry.name.endswith(suffix) or entry.name.startswith("."):
            continue
        skipped = entry_problem(label, entry, folder)
        if skipped is not None:
            problems.append(skipped)
            continue
        try:
            found.append((entry.name, FileKey.of(entry.stat(follow_symlinks=False))))
        except OSError:
            continue
    return FolderFiles(sorted(found), sorted(problems, key=lambda p: p.file))


def list_files(folder: Path, suffix: str) -> list[tuple[str, FileKey]]:
    """Names and stat keys of the regular files in `folder` ending with `suffix`."""
    return scan_files(folder, suffix, folder.name).files
