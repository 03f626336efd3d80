"""Everything the dashboard knows about the data roots, refreshed cheaply from `stat`.

The web layer holds one Workspace and calls its methods from worker threads; it
never opens a file itself. Each method's cost depends on what it returns.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peakwatch.contract.models import (
    AiDecisionEvent,
    ExecutionEvent,
    RunAlert,
    RunEvent,
    StoreAlert,
)
from peakwatch.contract.values import format_utc, parse_utc
from peakwatch.domain import alerts as alerts_domain
from peakwatch.domain.activity import (
    ActivityFilter,
    ActivityItem,
    ActivityPage,
    ActivitySource,
    ScanBudget,
    SortKey,
    SourceSlice,
    ai_event_item,
    execution_item,
    page_activity,
    run_event_item,
    step_row_item,
    write_order,
)
from peakwatch.domain.ledger import RunLedger, RunTotals
from peakwatch.domain.pacing import PacedRefresh
from peakwatch.domain.runs import RunViews, run_status
from peakwatch.domain.safety import SafetyReport, evaluate_safety
from peakwatch.domain.sessions import (
    RegistryTotals,
    filter_sessions,
    last_sign_of_life,
    registry_totals,
    session_detail,
    session_stats,
    session_status,
)
from peakwatch.domain.steps import steps_from_records
from peakwatch.secrets import redact, redact_text
from peakwatch.settings import Settings
from peakwatch.sources.decode import decode_jsonl
from peakwatch.sources.identity import FileKey, stat_key
from peakwatch.sources.jsonl_files import TailCache, list_files, scan_files
from peakwatch.sources.lines import RawLine
from peakwatch.sources.paths import is_valid_id
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import Located, decode_lines, read_tail
from peakwatch.sources.runs_index import META_NAME, RunFolder, RunList, RunsIndex
from peakwatch.sources.safety_config import SafetyConfigRead, read_safety_config
from peakwatch.sources.sessions_index import SessionFile, SessionsIndex
from peakwatch.sources.slices import read_slice_before
from peakwatch.sources.tail import read_first_line
from peakwatch.sources.validation import validate_record

STORE_ALERT_DAYS = 7
PARQUET_ROW_BYTES = 256  # a search's slice of a Parquet file: its byte budget in rows of this size
SIDE_FILE_SCAN = 200  # lines from the end of each side file that health looks at
RUN_ALERTS_SCAN = 200
FEED_PROBLEMS_KEPT = 20  # per followed file


@dataclass(frozen=True, slots=True)
class OpenAndSettled:
    """One run list split: open runs (status moves with time) and settled statuses by id."""

    generation: int
    open: list[RunFolder]
    settled: dict[str, str]


def utc_now() -> datetime:
    """The wall clock in UTC (only ever used as a default `as_of`)."""
    return datetime.now(UTC)


class Workspace:
    """The indexes, ledgers and caches over one set of data roots."""

    def __init__(self, settings: Settings, *, background_refresh: bool = False) -> None:
        self.settings = settings
        self.runs = RunsIndex(settings.runs_dir, _label(settings.runs_dir))
        self.sessions = SessionsIndex(settings.sessions_dir, _label(settings.sessions_dir))
        self._ledgers: dict[str, RunLedger] = {}
        self._run_alerts: TailCache[RunAlert] = TailCache(RunAlert)
        self._store_alerts: TailCache[StoreAlert] = TailCache(StoreAlert)
        self._ai_events: TailCache[AiDecisionEvent] = TailCache(AiDecisionEvent)
        self._execution: TailCache[ExecutionEvent] = TailCache(ExecutionEvent)
        self._safety_read: tuple[Any, SafetyConfigRead] | None = None
        self._run_sources: tuple[int, list[RunActivity]] = (0, [])
        self._open_and_settled = OpenAndSettled(0, [], {})
        self._run_views = RunViews()
        self._totals: tuple[list[SessionFile], RegistryTotals] = ([], registry_totals([]))
        self._feed_problems: dict[str, list[Problem]] = {}  # what the live feed could not show
        max_age = settings.index_max_age_seconds
        self._refresh_runs = PacedRefresh(self.runs, max_age, background=background_refresh)
        self._refresh_sessions = PacedRefresh(self.sessions, max_age, background=background_refresh)

    # -- freshness ---------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Re-stat both indexes when older than their max age (see PacedRefresh)."""
        self._refresh_runs(force=force)
        self._refresh_sessions(force=force)

    def refresh_run(self, run_id: str) -> RunFolder | None:
        """One run brought up to date (a few `stat` calls), or None when there is none."""
        return self.runs.refresh_run(run_id)

    # -- runs --------------------------------------------------------------------------

    def run(self, run_id: str) -> RunFolder | None:
        """A run by its folder name; invalid ids are simply not found."""
        if not is_valid_id(run_id):
            return None
        return self.refresh_run(run_id)

    def run_list(
        self,
        as_of: datetime,
        *,
        mode: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """`GET /runs`: newest activity first, filtered, limited."""
        self.refresh()
        return self._run_views.list_runs(
            self.runs.runs(),
            as_of,
            self.settings.run_stale_seconds,
            mode=mode,
            status=status,
            limit=limit,
        )

    def run_list_version(self, as_of: datetime) -> tuple[int, tuple[str, ...]]:
        """What `run_list` at `as_of` depends on: the run list's generation and the statuses
        that move with time (runs neither ended nor unknown), without building the list."""
        self.refresh()
        runs = self.runs.runs()
        stale_after = self.settings.run_stale_seconds
        statuses = tuple(run_status(run, as_of, stale_after) for run in self._split(runs).open)
        return runs.generation, statuses

    def run_statuses(self, as_of: datetime) -> dict[str, str]:
        """Every run's status at `as_of` by run id; only open runs are evaluated afresh."""
        split = self._split(self.runs.runs())
        stale_after = self.settings.run_stale_seconds
        statuses = dict(split.settled)
        statuses.update((run.run_id, run_status(run, as_of, stale_after)) for run in split.open)
        return statuses

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
            return view
        ledger = self._ledgers.get(run.run_id)
        if ledger is None or ledger.events.path != run.events.path:
            ledger = RunLedger(run.events)
            self._ledgers[run.run_id] = ledger
        totals = ledger.update(run.events, max_bytes)
        view = totals.view()
        view["problems"] = [p.as_dict() for p in totals.problems]
        return view

    def run_snapshot(self, run_id: str, as_of: datetime) -> dict[str, Any] | None:
        """`GET /runs/{id}/snapshot`: meta plus whole-run totals; zeros for a meta-only run."""
        run = self.run(run_id)
        if run is None:
            return None
        summary = self._run_views.summary(run, as_of, self.settings.run_stale_seconds)
        totals = self.ledger(run)
        last_event = summary["last_event_time"] or totals["last_event_time"]
        snapshot = {**totals, **summary, "last_event_time": last_event}
        snapshot["problems"] = summary["problems"] + totals["problems"]
        snapshot["meta"] = _meta_view(run)
        return snapshot

    def run_tail(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """`GET /runs/{id}/tail`: the last `limit` steps, oldest first."""
        run = self.run(run_id)
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

    def run_tail_version(self, run_id: str) -> tuple[Path, FileKey, FileKey] | None:
        """What a run's tail depends on: a `stat` of its meta and events file, no read.

        None when the run or either file is not known (or is gone): callers then read the
        tail, which brings the run up to date. Cheap enough for the event loop.
        """
        run = self.runs.get(run_id)
        if run is None or run.events is None:
            return None
        meta_key = stat_key(os.path.join(run.path, META_NAME))  # no meta: no longer a run
        events_key = stat_key(run.events.path)
        if meta_key is None or events_key is None:
            return None
        return run.events.path, meta_key, events_key

    def run_events(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """The last `limit` raw records of a run as feed items, newest first."""
        run = self.run(run_id)
        if run is None:
            return None
        items, _ = RunActivity(run).read_last(limit)
        return [item.as_dict() for item in reversed(items)]

    def run_alerts(self, run_id: str, limit: int) -> list[dict[str, Any]] | None:
        """`GET /runs/{id}/alerts`: the run's alerts.jsonl, newest first, Peak_Trade shape."""
        run = self.run(run_id)
        if run is None:
            return None
        tail = self._run_alerts.read(run.path / "alerts.jsonl", f"{run.label}/alerts.jsonl", limit)
        found = []
        for entry in reversed(tail.entries):
            alert = entry.record
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

    def run_last_event(self, run_id: str) -> datetime | None:
        """The last event time of a run, for session staleness (no refresh: cheap lookup)."""
        run = self.runs.get(run_id)
        return run.last_event_time if run else None

    # -- sessions ----------------------------------------------------------------------

    def session_list(
        self, as_of: datetime, *, limit: int, mode: str | None, status: str | None
    ) -> list[dict[str, Any]]:
        """`GET /api/live_sessions`."""
        self.refresh()
        return filter_sessions(
            self.sessions.files(),
            as_of,
            self.settings.session_stale_seconds,
            self.run_last_event,
            mode=mode,
            status=status,
            limit=limit,
        )

    def session(self, session_id: str, as_of: datetime) -> dict[str, Any] | None:
        """`GET /api/live_sessions/{id}`."""
        self.refresh()
        for file in self.sessions.files():
            if file.record is not None and file.record.session_id == session_id:
                return session_detail(
                    file, as_of, self.settings.session_stale_seconds, self.run_last_event
                )
        return None

    def session_stats(self, as_of: datetime) -> dict[str, Any]:
        """`GET /api/live_sessions/stats`."""
        self.refresh()
        stats = session_stats(
            self._registry_totals(), as_of, self.settings.session_stale_seconds, self.run_last_event
        )
        stats["problems"] = [p.as_dict() for p in self.sessions.problems()]
        return stats

    def _registry_totals(self) -> RegistryTotals:
        """Totals over the registry that do not depend on time; once per registry state."""
        files = self.sessions.files()
        if self._totals[0] is not files:  # the index hands out a new list on every change
            self._totals = (files, registry_totals(files))
        return self._totals[1]

    def session_files(self) -> list[SessionFile]:
        """Registry files, most recent first."""
        self.refresh()
        return self.sessions.files()

    # -- alerts ------------------------------------------------------------------------

    def all_alerts(self, as_of: datetime) -> list[alerts_domain.Alert]:
        """Store alerts (last days), per-run alerts and derived alerts."""
        self.refresh()
        found: list[alerts_domain.Alert] = []
        store_dir = self.settings.alerts_dir
        for name, _ in list_files(store_dir, ".jsonl")[-STORE_ALERT_DAYS:]:
            tail = self._store_alerts.read(store_dir / name, f"{_label(store_dir)}/{name}", 500)
            found.extend(
                alerts_domain.from_store_alert(e.record, name, e.offset) for e in tail.entries
            )
        for run in self.runs.runs():
            if run.alerts_key is None:
                continue
            label = f"{run.label}/alerts.jsonl"
            run_tail = self._run_alerts.read(run.path / "alerts.jsonl", label, RUN_ALERTS_SCAN)
            found.extend(
                alerts_domain.from_run_alert(e.record, run.run_id, e.offset)
                for e in run_tail.entries
            )
        found.extend(self.derived_alerts(as_of))
        return found

    def derived_alerts(self, as_of: datetime) -> list[alerts_domain.Alert]:
        """Alerts peakwatch raises: stale runs and sessions, unreadable files, risk, drawdown."""
        derived = alerts_domain.derived_alert
        found: list[alerts_domain.Alert] = []
        stale_after = self.settings.run_stale_seconds
        for run in self._split(self.runs.runs()).open:  # only these can be stale or active
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
                totals = self.ledger(run)
                found.extend(self._risk_alerts(run, totals))
        ttl = self.settings.session_stale_seconds
        for file in self._registry_totals().started:
            record = file.record
            if record is None:
                continue
            if session_status(file, as_of, ttl, self.run_last_event) == "stale":
                seen, _ = last_sign_of_life(file, self.run_last_event)
                found.append(
                    derived(
                        "stale_session",
                        record.session_id,
                        "warning",
                        "Session stopped reporting",
                        "The session is still 'started' in the registry but shows no sign "
                        f"of life for more than {int(self.settings.session_stale_seconds)} s.",
                        seen,
                        session_id=record.session_id,
                        run_id=record.run_id,
                    )
                )
        for problem in self.problems()[:200]:
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

    # -- activity ----------------------------------------------------------------------

    def activity_sources(self) -> Iterator[ActivitySource]:
        """Every file that feeds the activity timeline, newest write first (lazily merged)."""
        self.refresh()
        side: list[ActivitySource] = []
        ai_path = self.settings.ai_events_path
        if stat_key(ai_path) is not None:
            side.append(JsonlActivity("ai", ai_path, _label(ai_path), self._ai_events))
        exec_dir = self.settings.execution_dir
        for name, _ in list_files(exec_dir, ".jsonl"):
            label = f"{_label(exec_dir)}/{name}"
            side.append(JsonlActivity(f"exec:{name}", exec_dir / name, label, self._execution))
        side.sort(key=write_order, reverse=True)
        return heapq.merge(self._runs_by_write(), side, key=write_order, reverse=True)

    def _runs_by_write(self) -> list[RunActivity]:
        """The runs with events as feed sources, newest write first; sorted once per run list."""
        runs = self.runs.runs()
        if self._run_sources[0] != runs.generation:
            ordered = sorted(
                (RunActivity(run) for run in runs if run.events), key=write_order, reverse=True
            )
            self._run_sources = (runs.generation, ordered)
        return self._run_sources[1]

    def activity(
        self,
        wanted: ActivityFilter,
        *,
        limit: int,
        before: SortKey | None,
        budget: ScanBudget | None = None,
    ) -> ActivityPage:
        """A page of the merged timeline, newest first, read within `budget` (default: the
        search bounds of activity.py; the page says when it stopped early)."""
        sources = self.activity_sources()
        if wanted.run_id is not None:
            run_id = wanted.run_id
            sources = (s for s in sources if not isinstance(s, RunActivity) or s.run_id == run_id)
        return page_activity(sources, limit=limit, before=before, wanted=wanted, budget=budget)

    # -- safety ------------------------------------------------------------------------

    def safety(self, as_of: datetime) -> SafetyReport:
        """The audit verdict on the configured safety config (same code as the export)."""
        key = (
            stat_key(self.settings.config_path, follow_symlinks=True),
            stat_key(self.settings.config_path.parent / "bounded_live.toml", follow_symlinks=True),
        )
        cached = self._safety_read
        if cached is None or cached[0] != key:
            cached = (key, read_safety_config(self.settings.config_path))
            self._safety_read = cached
        return evaluate_safety(cached[1], as_of=as_of, environment_id=None)

    # -- health ------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Unreadable files found by the indexes (the same in every process for the same data)."""
        found = self.runs.problems() + self.sessions.problems()
        return sorted(found, key=lambda p: (p.file, p.offset or 0, p.line or 0))

    def side_file_problems(self) -> list[Problem]:
        """Bad lines near the end of the AI events, execution and alert-store files, plus
        those of run alert files as last read (a `stat` per file when nothing changed)."""
        ai_path = self.settings.ai_events_path
        if stat_key(ai_path) is not None:
            self._ai_events.read(ai_path, _label(ai_path), SIDE_FILE_SCAN)
        exec_dir = self.settings.execution_dir
        execution = scan_files(exec_dir, ".jsonl", _label(exec_dir))
        for name, _ in execution.files:
            self._execution.read(exec_dir / name, f"{_label(exec_dir)}/{name}", SIDE_FILE_SCAN)
        store_dir = self.settings.alerts_dir
        store = scan_files(store_dir, ".jsonl", _label(store_dir))
        for name, _ in store.files[-STORE_ALERT_DAYS:]:
            self._store_alerts.read(store_dir / name, f"{_label(store_dir)}/{name}", 500)
        return [
            *execution.problems,
            *store.problems,
            *self._ai_events.problems(),
            *self._execution.problems(),
            *self._store_alerts.problems(),
            *self._run_alerts.problems(),
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
        found = self.problems() + self.side_file_problems()
        for ledger in list(self._ledgers.values()):
            found.extend(ledger.totals.problems)
        for problems in list(self._feed_problems.values()):
            found.extend(problems)
        unique = {(p.file, p.line, p.offset, p.reason): p for p in found}
        return sorted(unique.values(), key=lambda p: (p.file, p.offset or 0, p.line or 0))

    def health(self) -> dict[str, Any]:
        """Resolved roots, whether they exist, and the unreadable artifacts."""
        self.refresh()
        problems = self.all_problems()
        roots = {
            name: {"path": str(path), "exists": path.exists()}
            for name, path in self.settings.roots().items()
        }
        return {
            "status": "ok" if not problems else "degraded",
            "roots": roots,
            "runs": len(self.runs.runs()),
            "sessions": len(self.sessions.files()),
            "unreadable_count": len(problems),
            "unreadable": [p.as_dict() for p in problems[:500]],
        }


@dataclass
class RunActivity:
    """A run's events file as a feed source."""

    run: RunFolder

    @property
    def source_id(self) -> str:
        """`run:<run_id>`."""
        return f"run:{self.run.run_id}"

    @property
    def run_id(self) -> str:
        """The run's folder name."""
        return self.run.run_id

    @property
    def last_write(self) -> datetime:
        """The newest mtime of the run's files."""
        return self.run.last_write

    def read_last(self, count: int) -> tuple[list[ActivityItem], bool]:
        """The run's last `count` records as items, oldest first."""
        if self.run.events is None:
            return [], True
        read = read_tail(self.run.events, count)
        return self._items(read.records), read.exhausted

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Items in about `max_bytes` before position `end` (None: the end), oldest first."""
        events = self.run.events
        if events is None:
            return SourceSlice([], None, 0, 0)
        if events.format == "parquet":
            return self._parquet_back(end, max_bytes)
        header: RawLine | None = None
        floor = 0
        if events.format == "csv":
            header = read_first_line(events.path)
            if header is None:
                return SourceSlice([], None, 0, events.key.size)
            floor = len(header.data) + 1
        piece = read_slice_before(events.path, end, max_bytes, floor=floor)
        records, _ = decode_lines(events, piece.lines, header)
        next_end = piece.start if piece.start > floor and not piece.missing else None
        if piece.error is not None:
            next_end = None
        return SourceSlice(
            self._items(records), next_end, piece.read_bytes, piece.size, stuck=piece.stuck
        )

    def _parquet_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Rows before row `end` of a Parquet events file; bytes estimated from the row count."""
        events = self.run.events
        assert events is not None
        rows = max(max_bytes // PARQUET_ROW_BYTES, 1)
        newest = read_tail(events, 1).records
        total = newest[-1].position + 1 if newest else 0
        end = total if end is None else min(end, total)
        older = [r for r in read_tail(events, total - end + rows).records if r.position < end]
        start = max(end - rows, 0)
        read_bytes = events.key.size * (end - start) // max(total, 1)
        next_end = start if start > 0 else None
        return SourceSlice(self._items(older), next_end, read_bytes, events.key.size)

    def _items(self, records: list[Located]) -> list[ActivityItem]:
        """Records of this run as feed items (step rows without a time are left out)."""
        items: list[ActivityItem] = []
        for located in records:
            record = located.record
            if isinstance(record, RunEvent):
                items.append(run_event_item(record, self.source_id, located.position, self.run_id))
            else:
                item = step_row_item(record, self.source_id, located.position, self.run_id)
                if item is not None:
                    items.append(item)
        return items


@dataclass
class JsonlActivity:
    """The AI events file or an execution telemetry file as a feed source."""

    source_id: str
    path: Path
    label: str
    cache: TailCache[Any]

    @property
    def last_write(self) -> datetime:
        """The file's mtime."""
        key = stat_key(self.path)
        return datetime.fromtimestamp((key.mtime_ns if key else 0) / 1e9, tz=UTC)

    def read_last(self, count: int) -> tuple[list[ActivityItem], bool]:
        """The file's last `count` records as items, oldest first."""
        tail = self.cache.read(self.path, self.label, count)
        items = [self._item(entry.record, entry.offset) for entry in tail.entries]
        return [item for item in items if item is not None], tail.exhausted

    def _item(self, record: Any, offset: int) -> ActivityItem | None:
        """A validated record of this file as a feed item; None for a problem."""
        if isinstance(record, AiDecisionEvent):
            return ai_event_item(record, self.source_id, offset)
        if isinstance(record, ExecutionEvent):
            return execution_item(record, self.source_id, offset)
        return None

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Items in the `max_bytes` before byte `end` (None: the end), oldest first."""
        piece = read_slice_before(self.path, end, max_bytes)
        items: list[ActivityItem] = []
        for line in piece.lines:
            objects, _ = decode_jsonl([line], self.label)
            for obj in objects:
                record = validate_record(self.cache.model, obj, self.label, offset=line.offset)
                item = self._item(record, line.offset)
                if item is not None:
                    items.append(item)
        next_end = piece.start if piece.start > 0 and piece.error is None else None
        return SourceSlice(items, next_end, piece.read_bytes, piece.size, stuck=piece.stuck)


def _meta_view(run: RunFolder) -> dict[str, Any] | None:
    if run.meta is None:
        return None
    return redact(run.meta.model_dump(mode="json"))


def _label(path: Path) -> str:
    return path.name
