"""Every alert the dashboard lists: the alert store, each run's alerts and the ones it raises."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.models import StoreAlert
from peakwatch.contract.values import parse_utc
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain.run_queries import Runs
from peakwatch.domain.runs import run_status
from peakwatch.domain.session_queries import Sessions
from peakwatch.domain.sessions import last_sign_of_life, session_status
from peakwatch.settings import Settings
from peakwatch.sources.jsonl_files import JsonlTail, TailCache, list_files
from peakwatch.sources.problems import Problem
from peakwatch.sources.runs_index import RunFolder

STORE_ALERT_DAYS = 7  # daily alert-store files read, newest last
STORE_ALERTS_SCAN = 500  # lines from the end of each of them
UNREADABLE_ALERTS = 200  # unreadable files raised as alerts, at most


def read_store(
    store_dir: Path, cache: TailCache[StoreAlert]
) -> list[tuple[str, JsonlTail[StoreAlert]]]:
    """The alert store's recent daily files as (name, tail), reading only what changed."""
    return [
        (name, cache.read(store_dir / name, f"{store_dir.name}/{name}", STORE_ALERTS_SCAN))
        for name, _ in list_files(store_dir, ".jsonl")[-STORE_ALERT_DAYS:]
    ]


class Alerts:
    """Store alerts of the last days, per-run alerts and alerts derived from the data."""

    def __init__(
        self,
        settings: Settings,
        runs: Runs,
        sessions: Sessions,
        store: TailCache[StoreAlert],
        problems: Callable[[], list[Problem]],
        refresh: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.runs = runs
        self.sessions = sessions
        self._store = store
        self._problems = problems
        self._refresh = refresh

    def everything(self, as_of: datetime) -> list[alerts_domain.Alert]:
        """Store alerts (last days), per-run alerts and derived alerts."""
        self._refresh()
        found: list[alerts_domain.Alert] = []
        for name, tail in read_store(self.settings.alerts_dir, self._store):
            found.extend(
                alerts_domain.from_store_alert(e.record, name, e.offset) for e in tail.entries
            )
        found.extend(self.runs.alert_records())
        found.extend(self.derived(as_of))
        return found

    def derived(self, as_of: datetime) -> list[alerts_domain.Alert]:
        """Alerts peakwatch raises: stale runs and sessions, unreadable files, risk, drawdown."""
        derived = alerts_domain.derived_alert
        found: list[alerts_domain.Alert] = []
        stale_after = self.settings.run_stale_seconds
        for run in self.runs.open_runs():  # only these can be stale or active
            status = run_status(run, as_of, stale_after)
            if status == "stale":
                found.append(
                    derived(
                        "stale_run",
                        run.run_id,
                        "warning",
                        "Run went silent",
                        f"No event for more than {int(stale_after)} s and the run has not ended.",
                        run.last_event_time,
                        run_id=run.run_id,
                    )
                )
            if status == "active" and run.events is not None:
                found.extend(self._risk_alerts(run, self.runs.ledger(run)))
        ttl = self.settings.session_stale_seconds
        last_event = self.sessions.last_event
        for file in self.sessions.totals().started:
            record = file.record
            if record is None:
                continue
            if session_status(file, as_of, ttl, last_event) == "stale":
                seen, _ = last_sign_of_life(file, last_event)
                found.append(
                    derived(
                        "stale_session",
                        record.session_id,
                        "warning",
                        "Session stopped reporting",
                        "The session is still 'started' in the registry but shows no sign "
                        f"of life for more than {int(ttl)} s.",
                        seen,
                        session_id=record.session_id,
                        run_id=record.run_id,
                    )
                )
        for problem in self._problems()[:UNREADABLE_ALERTS]:
            found.append(
                derived(
                    "unreadable_artifact",
                    f"{problem.file}@{problem.offset or problem.line or 0}",
                    "warning",
                    "Unreadable artifact",
                    f"{problem.file}: {problem.reason}",
                    None,
                )
            )
        return found

    def _risk_alerts(self, run: RunFolder, totals: dict[str, Any]) -> list[alerts_domain.Alert]:
        found = []
        threshold = self.settings.blocked_in_a_row_alert
        last = parse_utc(totals["last_event_time"])
        if totals["blocked_in_a_row"] >= threshold:
            found.append(
                alerts_domain.derived_alert(
                    "risk_blocks_in_a_row",
                    run.run_id,
                    "warning",
                    "Risk checks keep blocking",
                    f"{totals['blocked_in_a_row']} steps in a row had orders blocked.",
                    last,
                    run_id=run.run_id,
                )
            )
        drawdown = totals["drawdown"]
        limit = self.settings.drawdown_alert_threshold
        if drawdown is not None and drawdown <= -limit:
            found.append(
                alerts_domain.derived_alert(
                    "drawdown",
                    run.run_id,
                    "critical",
                    "Drawdown beyond threshold",
                    f"Drawdown {drawdown:.2%} is beyond the {limit:.0%} threshold.",
                    last,
                    run_id=run.run_id,
                )
            )
        return found
