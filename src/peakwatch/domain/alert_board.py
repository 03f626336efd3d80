"""Every alert the dashboard lists: the alert store, each run's alerts and the ones it raises,
occurrence by occurrence (`everything`) and tracked per rule and subject (`tracked`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from peakwatch.contract.models import StoreAlert
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain.alert_episodes import Episodes, RunWatch, after
from peakwatch.domain.alert_lifecycle import TrackedAlert, track
from peakwatch.domain.alerts import Lifecycle
from peakwatch.domain.run_queries import Runs
from peakwatch.domain.runs import last_sign_of_life, run_status
from peakwatch.domain.session_queries import Sessions
from peakwatch.domain.sessions import last_sign_of_life as session_last_sign
from peakwatch.domain.sessions import session_status
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

    def tracked(self, as_of: datetime) -> list[TrackedAlert]:
        """Every alert folded per (rule, subject), firing first."""
        return track(self.everything(as_of), as_of, self.settings.alert_quiet_seconds)

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
        """Alerts peakwatch raises: silent runs and sessions, unreadable files, risk blocks in a
        row, drawdown beyond a level; an active run's are kept, resolved, while it is open."""
        derived = alerts_domain.derived_alert
        found: list[alerts_domain.Alert] = []
        for run in self.runs.open_runs():  # only these can be stale or active
            watch = self._watch(run, as_of)
            found.extend(self._silence(run, watch.silences, as_of))
            found.extend(self._risk_alerts(run, watch))
        ttl = self.settings.session_stale_seconds
        last_event = self.sessions.last_event
        for file in self.sessions.totals().started:
            record = file.record
            if record is None:
                continue
            if session_status(file, as_of, ttl, last_event) == "stale":
                seen, _ = session_last_sign(file, last_event)
                found.append(
                    derived(
                        "stale_session",
                        f"session:{record.session_id}",
                        "warning",
                        "Session stopped reporting",
                        "The session is still 'started' in the registry but shows no sign "
                        f"of life for more than {int(ttl)} s (the limit).",
                        as_of,
                        lifecycle=Lifecycle(after(seen, ttl) if seen else None, 1, None),
                        threshold=ttl,
                        session_id=record.session_id,
                        run_id=record.run_id,
                    )
                )
        for problem in self._problems()[:UNREADABLE_ALERTS]:
            found.append(
                derived(
                    "unreadable_artifact",
                    f"file:{problem.file}@{problem.offset or problem.line or 0}",
                    "warning",
                    "Unreadable artifact",
                    f"{problem.file}: {problem.reason}",
                    None,
                    lifecycle=Lifecycle(None, 1, None),
                )
            )
        return found

    def _watch(self, run: RunFolder, as_of: datetime) -> RunWatch:
        """An active run's episodes, caught up with its events; none for a silent run (no
        first read of a run that writes nothing, and every process says the same of it)."""
        if run_status(run, as_of, self.settings.run_stale_seconds) == "active":
            return self.runs.watch(run) or RunWatch()
        return RunWatch()

    def _silence(
        self, run: RunFolder, silences: Episodes, as_of: datetime
    ) -> list[alerts_domain.Alert]:
        """`stale_run`: firing while the run writes nothing, resolved once it writes again."""
        limit = self.settings.run_stale_seconds
        stale = run_status(run, as_of, limit) == "stale"
        if not stale and not silences.count:
            return []
        if stale:
            seen = last_sign_of_life(run)
            since = after(seen, limit) if seen else None
            life = Lifecycle(silences.first_seen or since, silences.count + 1, None)
            message = f"No event for more than {int(limit)} s (the limit); the run has not ended."
        else:
            life = Lifecycle(silences.first_seen, silences.count, silences.resolved_at)
            message = f"Wrote nothing for more than {int(limit)} s (the limit); writing again."
        return [
            alerts_domain.derived_alert(
                "stale_run",
                f"run:{run.run_id}",
                "warning",
                "Run went silent",
                message,
                as_of if stale else silences.resolved_at,
                lifecycle=life,
                threshold=limit,
                run_id=run.run_id,
            )
        ]

    def _risk_alerts(self, run: RunFolder, watch: RunWatch) -> list[alerts_domain.Alert]:
        """`risk_blocks_in_a_row` and `drawdown`, from the episodes the run's ledger kept."""
        found = []
        limits = watch.limits
        blocked, drawdown = watch.blocked, watch.drawdown
        if blocked.count:
            in_a_row = limits.blocked_in_a_row
            now = "still" if blocked.holding else "no longer"
            found.append(
                self._episode_alert(
                    run,
                    watch,
                    blocked,
                    "risk_blocks_in_a_row",
                    "Risk checks keep blocking",
                    f"Orders were blocked {in_a_row} or more steps in a row (the limit); "
                    f"{now} blocking.",
                    float(in_a_row),
                )
            )
        if drawdown.count:
            found.append(self._drawdown_alert(run, watch))
        return found

    def _drawdown_alert(self, run: RunFolder, watch: RunWatch) -> alerts_domain.Alert:
        """`drawdown`: a warning past half the threshold, critical past it; the text names
        the level that fired, the worst of the episode and, while it lasts, the drawdown now."""
        limits = watch.limits
        worst = watch.worst_drawdown
        critical = worst is not None and worst <= -limits.drawdown
        level = limits.drawdown if critical else limits.drawdown_warning
        name = "critical threshold" if critical else "warning level"
        message = f"Drawdown reached {worst:.2%}" if worst is not None else "Drawdown"
        message += f", beyond the {name} -{level:.1%}"
        if watch.drawdown.holding:
            now = self.runs.ledger(run)["drawdown"]
            message += f"; now {now:.2%}." if now is not None else "."
        else:
            message += f"; back within -{limits.drawdown_warning:.1%}."
        return self._episode_alert(
            run,
            watch,
            watch.drawdown,
            "drawdown",
            "Drawdown beyond threshold",
            message,
            -level,
            severity="critical" if critical else "warning",
        )

    @staticmethod
    def _episode_alert(
        run: RunFolder,
        watch: RunWatch,
        episodes: Episodes,
        rule_id: str,
        title: str,
        message: str,
        threshold: float,
        severity: str = "warning",
    ) -> alerts_domain.Alert:
        resolved_at = None if episodes.holding else episodes.resolved_at
        return alerts_domain.derived_alert(
            rule_id,
            f"run:{run.run_id}",
            severity,
            title,
            message,
            watch.last_time if episodes.holding else resolved_at,
            lifecycle=Lifecycle(episodes.first_seen, episodes.count, resolved_at),
            threshold=threshold,
            run_id=run.run_id,
        )
