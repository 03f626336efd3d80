"""What could not be read, from every file the dashboard looks at, and the roots' state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, StoreAlert
from peakwatch.domain.alert_board import read_store
from peakwatch.domain.run_queries import Runs
from peakwatch.settings import Settings
from peakwatch.sources.changes import SCAN
from peakwatch.sources.execution_files import execution_files
from peakwatch.sources.identity import stat_key
from peakwatch.sources.jsonl_files import TailCache, scan_files
from peakwatch.sources.problems import Problem
from peakwatch.sources.sessions_index import SessionsIndex

SIDE_FILE_SCAN = 200  # lines from the end of each side file that health looks at
FEED_PROBLEMS_KEPT = 20  # per followed file
UNREADABLE_LISTED = 500  # unreadable files listed on health, at most


class Health:
    """Problems of the indexes, of side files and of what this process read or followed."""

    def __init__(
        self,
        settings: Settings,
        runs: Runs,
        sessions: SessionsIndex,
        ai_events: TailCache[AiDecisionEvent],
        execution: TailCache[ExecutionEvent],
        store: TailCache[StoreAlert],
        refresh: Callable[[], None],
        change_modes: Callable[[], dict[Path, tuple[str, str | None]]],
        remote: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.runs = runs
        self.sessions = sessions
        self._ai_events = ai_events
        self._execution = execution
        self._store = store
        self._refresh = refresh
        self._change_modes = change_modes
        self._remote = remote  # a remote root's polls (MirrorFollower.report)
        self._feed_problems: dict[str, list[Problem]] = {}  # what the live feed could not show

    def index_problems(self) -> list[Problem]:
        """Unreadable files found by the indexes (the same in every process for the same data)."""
        found = self.runs.index.problems() + self.sessions.problems()
        return sorted(found, key=lambda p: (p.file, p.offset or 0, p.line or 0))

    def side_file_problems(self) -> list[Problem]:
        """Bad lines near the end of the AI events, execution and alert-store files, plus
        those of run alert files as last read (a `stat` per file when nothing changed)."""
        ai_path = self.settings.ai_events_path
        if stat_key(ai_path) is not None:
            self._ai_events.read(ai_path, ai_path.name, SIDE_FILE_SCAN)
        files, skipped = execution_files(self.settings)
        for file in files:
            self._execution.read(file.path, file.label, SIDE_FILE_SCAN)
        store_dir = self.settings.alerts_dir
        store = scan_files(store_dir, ".jsonl", store_dir.name)
        read_store(store_dir, self._store)
        return [
            *skipped,
            *store.problems,
            *self._ai_events.problems(),
            *self._execution.problems(),
            *self._store.problems(),
        ]

    def note_feed_problems(self, source_id: str, problems: list[Problem]) -> None:
        """What the live feed could not show from one source as last read; [] clears it."""
        if problems:
            self._feed_problems[source_id] = problems[-FEED_PROBLEMS_KEPT:]
        else:
            self._feed_problems.pop(source_id, None)

    def all_problems(self) -> list[Problem]:
        """Index problems, bad lines in side files, and bad lines met while reading events
        files for whole-run totals or following files live in this process."""
        found = self.index_problems() + self.side_file_problems() + self.runs.read_problems()
        for problems in list(self._feed_problems.values()):
            found.extend(problems)
        unique = {(p.file, p.line, p.offset, p.reason): p for p in found}
        return sorted(unique.values(), key=lambda p: (p.file, p.offset or 0, p.line or 0))

    def report(self) -> dict[str, Any]:
        """Resolved roots, whether they exist, and the unreadable artifacts."""
        self._refresh()
        problems = self.all_problems()
        modes = self._change_modes()
        roots = {}
        shown = self.settings.shown_roots()
        for name, path in self.settings.roots().items():
            mode, reason = modes.get(path, (SCAN, None))
            roots[name] = {
                "path": shown[name],
                "exists": path.exists(),
                "changes": mode,
                "changes_reason": reason,
            }
        return {
            "status": "ok" if not problems else "degraded",
            "roots": roots,
            "remote": self._remote() if self._remote else None,
            "runs": len(self.runs.index.runs()),
            "sessions": len(self.sessions.files()),
            "unreadable_count": len(problems),
            "unreadable": [p.as_dict() for p in problems[:UNREADABLE_LISTED]],
        }
