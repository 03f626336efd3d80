"""Change notifications fed to the indexes: a notified run or registry file is refreshed alone.

While a root is watched, its paced full refresh is only a slow consistency check; when the
watch stops, the paced refresh takes over again, and every (re)start makes one full pass due.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from peakwatch.domain.pacing import PacedRefresh
from peakwatch.sources.changes import ChangeWatcher
from peakwatch.sources.runs_index import RunsIndex
from peakwatch.sources.sessions_index import SessionsIndex

GAP_SECONDS = 0.5  # a run folder or registry file is refreshed at most this often
logger = logging.getLogger("peakwatch")


class NotifiedRefresh:
    """Refreshes what the kernel says changed under the runs and sessions roots.

    Changes are coalesced per run folder and per registry file: each is refreshed at most
    once per GAP_SECONDS, however often it is written.
    """

    def __init__(
        self,
        runs: RunsIndex,
        sessions: SessionsIndex,
        paced_runs: PacedRefresh,
        paced_sessions: PacedRefresh,
    ) -> None:
        self._runs, self._sessions = runs, sessions
        self._paced = {runs.root: paced_runs, sessions.root: paced_sessions}
        self._pending: dict[tuple[Path, str], None] = {}  # (root, name) in the order noticed
        self._refreshed_at: dict[tuple[Path, str], float] = {}
        self.watcher = ChangeWatcher(
            [runs.root, sessions.root],
            self.changed,
            self.started,
            self.stopped,
            nested=[runs.root],
        )

    def modes(self) -> dict[Path, tuple[str, str | None]]:
        """Each watched root's mode: ("notify", None) or ("scan", why)."""
        return {root: self.watcher.mode(root) for root in self._paced}

    def started(self, roots: list[Path]) -> None:
        """Roots now watched: their next refresh is a full pass, then only a check."""
        for root in roots:
            self._paced[root].watched = True
            self._paced[root].make_due()

    def stopped(self, roots: list[Path]) -> None:
        """Roots back in scan mode: the paced refresh keeps them current again."""
        for root in roots:
            self._paced[root].watched = False
            self._paced[root].make_due()

    def changed(self, paths: set[Path]) -> None:
        """Note the changed paths and refresh what is due (called on every tick)."""
        for path in paths:
            target = self._target(path)
            if target is not None:
                self._pending[target] = None
        now = time.monotonic()
        for target in list(self._pending):
            if now - self._refreshed_at.get(target, -GAP_SECONDS) < GAP_SECONDS:
                continue
            del self._pending[target]
            self._refreshed_at[target] = now
            self._refresh(*target)
        if len(self._refreshed_at) > 4 * len(self._pending) + 1024:  # forget idle entries
            self._refreshed_at = {
                t: at for t, at in self._refreshed_at.items() if now - at < GAP_SECONDS
            }

    def _target(self, path: Path) -> tuple[Path, str] | None:
        """(root, name) of the run folder or registry file a changed path belongs to."""
        sessions_root = self._sessions.root
        if path.parent == sessions_root:
            return sessions_root, path.name
        runs_root = self._runs.root
        if path in (runs_root, sessions_root):
            return None  # the root itself: the watcher watches it again if it was replaced
        try:
            relative = path.relative_to(runs_root)
        except ValueError:
            return None
        return runs_root, relative.parts[0]

    def _refresh(self, root: Path, name: str) -> None:
        try:
            if root == self._sessions.root:
                self._sessions.refresh_file(name)
            else:
                self._runs.refresh_run(name)
        except Exception:  # the paced refresh still sees it; the watcher must go on
            logger.warning("refresh of a notified change failed; the next full pass retries")
