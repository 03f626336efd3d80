"""One app's view of the data roots: the indexes and the domain objects the web layer asks.

Routes use the object of their concern (`workspace.runs`, `.sessions`, `.activity`,
`.alerts`, `.health`, `.ai` for scorecards and trades across runs) from worker threads;
none of them opens a file itself. Each answer's cost depends on what it returns, refreshed
cheaply from `stat`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, StoreAlert
from peakwatch.domain.activity_feed import Activity
from peakwatch.domain.ai_scorecard import AiScorecard
from peakwatch.domain.alert_board import Alerts
from peakwatch.domain.health import Health
from peakwatch.domain.notified import NotifiedRefresh
from peakwatch.domain.pacing import PacedRefresh
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.domain.run_queries import Runs
from peakwatch.domain.safety import SafetyReport, evaluate_safety, with_data_roots
from peakwatch.domain.session_queries import Sessions
from peakwatch.settings import Settings
from peakwatch.sources.identity import stat_key
from peakwatch.sources.jsonl_files import TailCache
from peakwatch.sources.runs_index import RunsIndex
from peakwatch.sources.safety_config import SafetyConfigRead, read_safety_config
from peakwatch.sources.sessions_index import SessionsIndex


class Workspace:
    """The indexes over one set of data roots and the concerns that answer from them."""

    def __init__(
        self,
        settings: Settings,
        *,
        background_refresh: bool = False,
        mirror: MirrorFollower | None = None,
    ) -> None:
        self.settings = settings
        self.run_index = RunsIndex(settings.runs_dir, settings.runs_dir.name)
        self.session_index = SessionsIndex(settings.sessions_dir, settings.sessions_dir.name)
        max_age = settings.index_max_age_seconds
        self._refresh_runs = PacedRefresh(self.run_index, max_age, background=background_refresh)
        self._refresh_sessions = PacedRefresh(
            self.session_index, max_age, background=background_refresh
        )
        self.notified = NotifiedRefresh(
            self.run_index, self.session_index, self._refresh_runs, self._refresh_sessions
        )
        ai_events: TailCache[AiDecisionEvent] = TailCache(AiDecisionEvent)
        execution: TailCache[ExecutionEvent] = TailCache(ExecutionEvent)
        store: TailCache[StoreAlert] = TailCache(StoreAlert)
        self.runs = Runs(settings, self.run_index, self.refresh, background=background_refresh)
        self.ai = AiScorecard(self.runs)
        self.sessions = Sessions(settings, self.session_index, self.refresh, self.runs.last_event)
        self.activity = Activity(settings, self.run_index, self.refresh, ai_events, execution)
        self.health = Health(
            settings,
            self.runs,
            self.session_index,
            ai_events,
            execution,
            store,
            self.refresh,
            self.notified.modes,
            mirror.report if mirror else None,
        )
        self.alerts = Alerts(
            settings, self.runs, self.sessions, store, self.health.index_problems, self.refresh
        )
        self._safety_read: tuple[Any, SafetyConfigRead] | None = None

    def refresh(self, *, force: bool = False) -> None:
        """Re-stat both indexes when older than their max age (see PacedRefresh)."""
        self._refresh_runs(force=force)
        self._refresh_sessions(force=force)

    def safety(self, as_of: datetime) -> SafetyReport:
        """The audit verdict on the configured safety config (same code as the export)."""
        config: Path = self.settings.config_path
        key = (
            stat_key(config, follow_symlinks=True),
            stat_key(config.parent / "bounded_live.toml", follow_symlinks=True),
        )
        cached = self._safety_read
        if cached is None or cached[0] != key:
            cached = (key, read_safety_config(config))
            self._safety_read = cached
        report = evaluate_safety(cached[1], as_of=as_of, environment_id=None)
        return with_data_roots(report, self.settings.fleet())
