"""What the dashboard answers about runs: lists, statuses, snapshots, tails, run alerts, and
each run's decisions, AI scorecard and trades."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.models import RunAlert
from peakwatch.contract.values import format_utc
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain import run_decisions
from peakwatch.domain.activity_feed import RunActivity
from peakwatch.domain.alert_episodes import Limits, RunWatch
from peakwatch.domain.first_look import FirstLook
from peakwatch.domain.ledger import RunLedger
from peakwatch.domain.run_totals import RunTotals
from peakwatch.domain.runs import RunViews, run_status
from peakwatch.domain.side_records import SideRecords
from peakwatch.domain.steps import steps_from_records
from peakwatch.secrets import redact, redact_text
from peakwatch.settings import Settings
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.jsonl_files import TailCache
from peakwatch.sources.paths import is_valid_id
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import EventsFile, read_tail
from peakwatch.sources.runs_index import META_NAME, RunFolder, RunList, RunsIndex

RUN_ALERTS_SCAN = 200  # lines from the end of a run's alerts.jsonl read for the alert list


@dataclass(frozen=True, slots=True)
class OpenAndSettled:
    """One run list split: open runs (status moves with time) and settled statuses by id."""

    generation: int
    open: list[RunFolder]
    settled: dict[str, str]


class Runs:
    """The runs of the runs root, their whole-run ledgers and their alert files."""

    def __init__(
        self,
        settings: Settings,
        index: RunsIndex,
        refresh: Callable[[], None],
        *,
        background: bool = False,
    ) -> None:
        self.settings = settings
        self.index = index
        self._refresh = refresh
        self._ledgers: dict[str, RunLedger] = {}
        self._ledgers_generation = -1
        self._alert_files: TailCache[RunAlert] = TailCache(RunAlert)
        self._open_and_settled = OpenAndSettled(0, [], {})
        self._views = RunViews()
        self.side = SideRecords(settings)
        self.first_look = FirstLook(lambda run_id, ledger: self._ledgers.get(run_id) is ledger)
        self._background = background  # whether a huge backlog is read in the background

    def refresh_run(self, run_id: str) -> RunFolder | None:
        """One run brought up to date (a few `stat` calls), or None when there is none."""
        return self.index.refresh_run(run_id)

    def find(self, run_id: str) -> RunFolder | None:
        """A run by its folder name, up to date; invalid ids are simply not found."""
        if not is_valid_id(run_id):
            return None
        return self.refresh_run(run_id)

    def listing(
        self,
        as_of: datetime,
        *,
        mode: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """`GET /runs`: newest activity first, filtered, limited."""
        self._refresh()
        return self._views.list_runs(
            self.index.runs(),
            as_of,
            self.settings.run_stale_seconds,
            mode=mode,
            status=status,
            limit=limit,
        )

    def all_runs(self) -> RunList:
        """Every listed run (the index refreshed when older than its max age)."""
        self._refresh()
        return self.index.runs()

    def listing_version(self, as_of: datetime) -> tuple[int, tuple[str, ...]]:
        """What `listing` at `as_of` depends on: the run list's generation and the statuses
        that move with time (runs neither ended nor unknown), without building the list."""
        self._refresh()
        runs = self.index.runs()
        stale_after = self.settings.run_stale_seconds
        statuses = tuple(run_status(run, as_of, stale_after) for run in self._split(runs).open)
        return runs.generation, statuses

    def statuses(self, as_of: datetime) -> dict[str, str]:
        """Every run's status at `as_of` by run id; only open runs are evaluated afresh."""
        split = self._split(self.index.runs())
        stale_after = self.settings.run_stale_seconds
        statuses = dict(split.settled)
        statuses.update((run.run_id, run_status(run, as_of, stale_after)) for run in split.open)
        return statuses

    def open_runs(self) -> list[RunFolder]:
        """The runs whose status can still change with time (neither ended nor unknown), as
        brought up to date (a run that wrote again has a newer last event time)."""
        found = self._split(self.index.runs()).open
        return [self.index.refresh_run(run.run_id) or run for run in found]

    def _split(self, runs: RunList) -> OpenAndSettled:
        """The runs split by whether their status can change with time; once per run list."""
        if self._open_and_settled.generation != runs.generation:
            open_runs = []
            settled = {}
            for run in runs:
                if run.meta is None:
                    settled[run.run_id] = "unknown"
                elif run.meta.ended_at is not None:
                    settled[run.run_id] = "completed"
                else:
                    open_runs.append(run)
            self._open_and_settled = OpenAndSettled(runs.generation, open_runs, settled)
        return self._open_and_settled

    def ledger(self, run: RunFolder, *, max_bytes: int | None = None) -> dict[str, Any]:
        """Whole-run totals, caught up incrementally with the events file.

        `max_bytes` bounds how much of a backlog this call reads (see RunLedger.update).
        """
        if run.events is None:
            view = RunTotals().view()
            view["problems"] = []
            view["counting"] = None
            return view
        ledger = self._ledger_of(run, run.events)
        if max_bytes is None and self._looked_at(run, ledger, run.events, books=False):
            totals = ledger.totals
        else:
            totals = ledger.update(run.events, max_bytes)
        view = totals.view()
        view["problems"] = [p.as_dict() for p in totals.problems]
        view["counting"] = self.first_look.counting(run.run_id)
        return view

    def _looked_at(
        self, run: RunFolder, ledger: RunLedger, events: EventsFile, *, books: bool
    ) -> bool:
        """True when the run's backlog is (now) read in the background: what was read so far
        answers; False when it is small enough for the caller to read."""
        if self.first_look.busy(run.run_id):
            return True
        if not self._background or not self.first_look.needs(ledger, events, books=books):
            return False
        self.first_look.start(run.run_id, ledger, events)
        return True

    def watch(self, run: RunFolder) -> RunWatch | None:
        """The run's alert episodes, caught up with its events file; None without one."""
        if run.events is None:
            return None
        ledger = self._ledger_of(run, run.events)
        if not self._looked_at(run, ledger, run.events, books=False):
            ledger.update(run.events)
        return ledger.watch

    def _ledger_of(self, run: RunFolder, events: EventsFile) -> RunLedger:
        """The run's ledger, a new one when the run has another events file than before."""
        self._forget_gone_runs()
        ledger = self._ledgers.get(run.run_id)
        if ledger is None or ledger.events.path != events.path:
            ledger = RunLedger(events, self.side, run.run_id, Limits.of(self.settings))
            self._ledgers[run.run_id] = ledger
        return ledger

    def followed(self, run_id: str, *, catch_up: bool = True) -> tuple[RunFolder, RunLedger] | None:
        """A run and its ledger caught up with its files (side files at most every
        `index_max_age_seconds`, unless `catch_up` is false); None when there is no such run."""
        run = self.find(run_id)
        if run is None:
            return None
        if catch_up:
            self.side.catch_up()
        events = run.events
        if events is None:  # decisions may still come from the side files
            label = f"{run.label}/events.jsonl"
            events = EventsFile(run.path / "events.jsonl", "jsonl", FileKey(0, 0, 0), label)
        ledger = self._ledger_of(run, events)
        if not self._looked_at(run, ledger, events, books=True):
            ledger.update(events)
            ledger.update_books(events)
        return run, ledger

    def known_ledger(self, run_id: str) -> RunLedger | None:
        """The run's ledger as it stands, when one exists; never reads nor creates one."""
        return self._ledgers.get(run_id)

    def row_ledger(self, run: RunFolder, max_bytes: int) -> RunLedger | None:
        """The run's ledger (totals and books) caught up by at most about `max_bytes` of its
        backlog each (0: nothing read), for a runs-table row or the live feed; None for a run
        without an events file."""
        if run.events is None:
            return None
        ledger = self._ledger_of(run, run.events)
        if max_bytes > 0 and not self.first_look.busy(run.run_id):
            ledger.update(run.events, max_bytes)
            ledger.update_books(run.events, max_bytes)
        return ledger

    def decisions(
        self,
        run_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
    ) -> dict[str, Any] | None:
        """A run's decisions newest first (`next_cursor` pages on), filtered by action and
        outcome (win, loss, flat, open). None: no such run; ValueError: a bad cursor or outcome.
        """
        found = self.followed(run_id)
        if found is None:
            return None
        run, ledger = found
        return run_decisions.decisions_answer(
            ledger, run, limit=limit, cursor=cursor, action=action, outcome=outcome
        )

    def decision(self, run_id: str, decision_id: str) -> dict[str, Any] | None:
        """One decision with its trace, outcome and previous/next ids; None when not found."""
        found = self.followed(run_id)
        if found is None:
            return None
        return run_decisions.decision_answer(found[1], found[0], decision_id)

    def scorecard(self, run_id: str) -> dict[str, Any] | None:
        """The run's AI scorecard; None when there is no such run."""
        found = self.followed(run_id)
        if found is None:
            return None
        return run_decisions.scorecard_answer(found[1], found[0])

    def trades(
        self, run_id: str, *, state: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> dict[str, Any] | None:
        """The run's trades newest first (state open or closed), PnL per symbol and per day.

        None: no such run; ValueError: a bad state or cursor.
        """
        found = self.followed(run_id)
        if found is None:
            return None
        run, ledger = found
        return run_decisions.trades_answer(ledger, run, state=state, limit=limit, cursor=cursor)

    def _forget_gone_runs(self) -> None:
        """Drop the ledgers of runs the index no longer lists; once per run list."""
        runs = self.index.runs()
        if runs.generation == self._ledgers_generation:
            return
        self._ledgers_generation = runs.generation
        listed = {run.run_id for run in runs}
        for run_id in [known for known in self._ledgers if known not in listed]:
            del self._ledgers[run_id]

    def snapshot(self, run_id: str, as_of: datetime) -> dict[str, Any] | None:
        """`GET /runs/{id}/snapshot`: meta plus whole-run totals; zeros for a meta-only run."""
        run = self.find(run_id)
        if run is None:
            return None
        summary = self._views.summary(run, as_of, self.settings.run_stale_seconds)
        totals = self.ledger(run)
        last_event = summary["last_event_time"] or totals["last_event_time"]
        snapshot = {**totals, **summary, "last_event_time": last_event}
        problems = summary["problems"] + totals["problems"]
        snapshot["problems"] = [p for i, p in enumerate(problems) if p not in problems[:i]]
        snapshot["meta"] = _meta_view(run)
        return snapshot

    def tail(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """`GET /runs/{id}/tail`: the last `limit` steps, oldest first."""
        run = self.find(run_id)
        if run is None:
            return None
        if run.events is None:
            return []
        # A native step is about six events (market, decision, risk, order, fill, position);
        # read a little more than that from the end, and twice as much while it falls short.
        count = limit if run.events.format != "jsonl" else limit * 6 + 64
        while True:
            read = read_tail(run.events, count)
            steps = steps_from_records(read.records)
            if len(steps) >= limit or read.exhausted or count >= limit * 512:
                return steps[-limit:]
            count *= 2

    def tail_version(self, run_id: str) -> tuple[Path, FileKey, FileKey] | None:
        """What a run's tail depends on: a `stat` of its meta and events file, no read.

        None when the run or either file is not known (or is gone): callers then read the
        tail, which brings the run up to date. Cheap enough for the event loop.
        """
        run = self.index.get(run_id)
        if run is None or run.events is None:
            return None
        meta_key = stat_key(os.path.join(run.path, META_NAME))  # no meta: no longer a run
        events_key = stat_key(run.events.path)
        if meta_key is None or events_key is None:
            return None
        return run.events.path, meta_key, events_key

    def events(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """The last `limit` raw records of a run as feed items, newest first."""
        run = self.find(run_id)
        if run is None:
            return None
        items, _ = RunActivity(run).read_last(limit)
        return [item.as_dict() for item in reversed(items)]

    def alerts(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """`GET /runs/{id}/alerts`: the run's recent alerts, newest time first, Peak_Trade shape."""
        run = self.find(run_id)
        if run is None:
            return None
        label = f"{run.label}/alerts.jsonl"
        tail = self._alert_files.read(run.path / "alerts.jsonl", label, max(limit, RUN_ALERTS_SCAN))
        timed = [(e.record.timestamp, e.offset, e.record) for e in tail.entries]
        found = []
        for alert in alerts_domain.newest_first(timed)[:limit]:
            found.append(
                {
                    "rule_id": alert.rule_id,
                    "severity": alerts_domain.normalize_severity(alert.severity),
                    "message": redact_text(alert.message) if alert.message else None,
                    "run_id": alert.run_id or run.run_id,
                    "timestamp": format_utc(alert.timestamp),
                }
            )
        return found

    def alert_records(self) -> list[alerts_domain.Alert]:
        """The recent alerts of every run's alerts.jsonl, as alerts."""
        found: list[alerts_domain.Alert] = []
        for run in self.index.runs():
            if run.alerts_key is None:
                continue
            label = f"{run.label}/alerts.jsonl"
            tail = self._alert_files.read(run.path / "alerts.jsonl", label, RUN_ALERTS_SCAN)
            found.extend(
                alerts_domain.from_run_alert(e.record, run.run_id, e.offset) for e in tail.entries
            )
        return found

    def last_event(self, run_id: str) -> datetime | None:
        """The last event time of a run, for session staleness (no refresh: cheap lookup)."""
        run = self.index.get(run_id)
        return run.last_event_time if run else None

    def read_problems(self) -> list[Problem]:
        """Bad lines met in this process while reading events files and run alert files."""
        found = list(self._alert_files.problems())
        for ledger in list(self._ledgers.values()):
            found.extend(ledger.totals.problems)
            found.extend(ledger.decisions.problems)
        return found


def _meta_view(run: RunFolder) -> dict[str, Any] | None:
    if run.meta is None:
        return None
    return redact(run.meta.model_dump(mode="json"))
