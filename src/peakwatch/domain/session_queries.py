"""What the dashboard answers about the sessions registry: lists, one session, stats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from peakwatch.domain.sessions import (
    RegistryTotals,
    filter_sessions,
    registry_totals,
    session_detail,
    session_stats,
)
from peakwatch.settings import Settings
from peakwatch.sources.sessions_index import SessionFile, SessionsIndex

LastEvent = Callable[[str], datetime | None]


class Sessions:
    """The session records of the sessions root, judged against their runs' last events."""

    def __init__(
        self,
        settings: Settings,
        index: SessionsIndex,
        refresh: Callable[[], None],
        last_event: LastEvent,
    ) -> None:
        self.settings = settings
        self.index = index
        self.last_event = last_event
        self._refresh = refresh
        self._totals: tuple[list[SessionFile], RegistryTotals] = ([], registry_totals([]))

    def listing(
        self, as_of: datetime, *, limit: int, mode: str | None, status: str | None
    ) -> list[dict[str, Any]]:
        """`GET /api/live_sessions`."""
        self._refresh()
        return filter_sessions(
            self.index.files(),
            as_of,
            self.settings.session_stale_seconds,
            self.last_event,
            mode=mode,
            status=status,
            limit=limit,
        )

    def find(self, session_id: str, as_of: datetime) -> dict[str, Any] | None:
        """`GET /api/live_sessions/{id}`: its file read again, whole; None when it is gone."""
        self._refresh()
        for file in self.index.files():
            if file.record is not None and file.record.session_id == session_id:
                fresh = self.index.reread(file.name)
                if fresh is None or fresh[1].session_id != session_id:
                    return None  # gone, unreadable or rewritten as another session since
                ttl = self.settings.session_stale_seconds
                return session_detail(*fresh, as_of, ttl, self.last_event)
        return None

    def stats(self, as_of: datetime) -> dict[str, Any]:
        """`GET /api/live_sessions/stats`."""
        self._refresh()
        stats = session_stats(
            self.totals(), as_of, self.settings.session_stale_seconds, self.last_event
        )
        stats["problems"] = [p.as_dict() for p in self.index.problems()]
        return stats

    def totals(self) -> RegistryTotals:
        """Totals over the registry that do not depend on time; once per registry state."""
        files = self.index.files()
        if self._totals[0] is not files:  # the index hands out a new list on every change
            self._totals = (files, registry_totals(files))
        return self._totals[1]

    def files(self) -> list[SessionFile]:
        """Registry files, most recent first."""
        self._refresh()
        return self.index.files()
