"""Whole-run totals (steps, orders, blocked, PnL, drawdown), decisions and trades, kept up
to date incrementally by one follow of the run's events file (and of the side files)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.contract.values import saturated_int64
from peakwatch.domain.alert_episodes import Limits, RunWatch
from peakwatch.domain.column_totals import fold_native_columns, fold_step_columns
from peakwatch.domain.decisions import DecisionBook
from peakwatch.domain.run_totals import RunTotals
from peakwatch.domain.side_records import SideRecords
from peakwatch.domain.steps import StepBuilder, steps_from_records, to_finite_or_none
from peakwatch.domain.trades import TradeBook
from peakwatch.sources.checked import checked_record
from peakwatch.sources.event_columns import NativeColumns, StepColumns
from peakwatch.sources.identity import stat_key
from peakwatch.sources.parquet_tail import sum_parquet_columns, tail_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import (
    EventsFile,
    EventsFollower,
    Located,
    RecordsRead,
    record_time,
)

BookRecord = RunEvent | StepRow | AiDecisionEvent | ExecutionEvent
NOT_FOLLOWED = "record could not be followed into decisions or trades; skipped"
TRUNCATED = "file was truncated or rewritten in place; totals restart from its new content"
MAX_PROBLEMS = 20
CHUNK_BYTES = 4 << 20


class RunLedger:
    """Follows one run's events file and folds what was appended into its totals, its
    decisions, its trades and its alert episodes (`watch`, by `limits`); the run's lines of
    the side files (`side`) join the decisions."""

    def __init__(
        self,
        events: EventsFile,
        side: SideRecords | None = None,
        run_id: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.events = events
        self.side = side
        self.run_id = run_id
        self.limits = limits or Limits()
        self.cache: dict[str, tuple[int, object]] = {}  # answers by the version they were for
        self._lock = threading.Lock()
        self._restart()

    def _restart(self) -> None:
        """Start from nothing: the events file is read again from its beginning."""
        self._totals = RunTotals()
        self.watch = RunWatch(self.limits)
        self._follower = EventsFollower(self.events) if self.events.format != "parquet" else None
        self._complete_at: object = None  # the events file's key when last read to its end
        self._builder = StepBuilder()
        self._read_error: Problem | None = None
        self._restart_books()

    def _restart_books(self) -> None:
        """Start the decisions and trades from nothing (their own read of the events file)."""
        parquet = self.events.format == "parquet"
        self._book_follower = None if parquet else EventsFollower(self.events)
        self._books_at: object = None  # the events file's key when the books last read to its end
        self._new_books()

    def _new_books(self) -> None:
        self.decisions = DecisionBook()
        self.trades = TradeBook()
        self._side_seen = 0
        self._side_generation = self.side.generation if self.side is not None else 0
        self._rows_folded = 0  # Parquet rows folded into the books

    @contextmanager
    def books(self) -> Iterator[tuple[DecisionBook, TradeBook]]:
        """The decisions and trades as last updated, held still while the caller reads."""
        with self._lock:
            yield self.decisions, self.trades

    @property
    def version(self) -> int:
        """Changes whenever the decisions or trades may have changed."""
        return self.decisions.version + self.trades.version

    def backlog(self, events: EventsFile) -> tuple[int, int]:
        """Bytes of the events file the totals and the books have not read yet (a Parquet
        file not yet summed or folded counts whole)."""
        size = events.key.size
        if events.format == "parquet":
            totals_done = events.key == self._complete_at
            books_done = events.key == self._books_at
            return (0 if totals_done else size), (0 if books_done else size)
        assert self._follower is not None and self._book_follower is not None
        return max(size - self._follower.offset, 0), max(size - self._book_follower.offset, 0)

    def totals_read(self, events: EventsFile) -> bool:
        """Whether the totals have read this state of the events file to its end."""
        return events.key == self._complete_at

    def read_to_end(self, events: EventsFile) -> bool:
        """Whether this state of the events file (its key) has been read to its end, by the
        totals and by the books."""
        return events.key == self._complete_at == self._books_at

    @property
    def totals(self) -> RunTotals:
        """The totals as last updated; their problems only while the events file still exists.

        A removed run or events file leaves nothing to fix, so its old bad lines are not
        reported any more (its ledger may live on until the owner forgets it).
        """
        if self._totals.problems and stat_key(self.events.path) is None:
            return replace(self._totals, problems=[])
        return self._totals

    def update(self, events: EventsFile, max_bytes: int | None = None) -> RunTotals:
        """Catch the totals up with the file (re-reading it if it was replaced); return them.

        With `max_bytes`, read at most about that much of a backlog and leave the rest for
        later calls: a background caller's share of a huge run stays bounded. A Parquet file
        larger than `max_bytes` is then not summed at all (it can only be summed whole).
        """
        with self._lock:
            return self._update_events(events, max_bytes)

    def update_books(self, events: EventsFile, max_bytes: int | None = None) -> None:
        """Catch the decisions and trades up with the events file (at most about `max_bytes`
        of a backlog) and with the run's lines of the side files."""
        with self._lock:
            if self.side is not None and self.side.generation != self._side_generation:
                self._restart_books()  # a side file was rewritten: the books fold all again
            self._update_books(events, max_bytes)
            self._fold_side()

    def _update_events(self, events: EventsFile, max_bytes: int | None) -> RunTotals:
        """Catch the totals up with the events file (see `update`)."""
        if events.key == self._complete_at:
            return self._totals
        if events.format == "parquet":  # rewritten as a whole: summed again as a whole
            if max_bytes is not None and events.key.size > max_bytes:
                return self._totals  # too big for a bounded caller; a request sums it
            self.watch = RunWatch(self.limits)
            self._totals = _parquet_totals(events, self.watch)
            self._complete_at = events.key
            return self._totals
        assert self._follower is not None
        budget = max_bytes
        while True:  # in bounded chunks: memory stays flat however much was appended
            before = self._follower.offset
            chunk = CHUNK_BYTES if budget is None else max(1, min(CHUNK_BYTES, budget))
            read = self._follower.read_batch(chunk)
            self._apply(read, events)
            if read.error or read.missing:
                return self._totals
            advanced = self._follower.offset - (0 if read.reset else before)
            if not advanced:
                self._complete_at = events.key
                return self._totals
            if budget is not None:
                budget -= advanced
                if budget <= 0:
                    return self._totals

    def _update_books(self, events: EventsFile, max_bytes: int | None) -> None:
        """Fold what the events file gained since the books' last read into the books."""
        if events.key == self._books_at:
            return
        if events.format == "parquet":
            if max_bytes is None or events.key.size <= max_bytes:
                self._fold_parquet(events)
                self._books_at = events.key
            return
        follower = self._book_follower
        assert follower is not None
        budget = max_bytes
        while True:
            before = follower.offset
            chunk = CHUNK_BYTES if budget is None else max(1, min(CHUNK_BYTES, budget))
            read = follower.read_new(chunk)  # its bad lines are the totals' to report
            if read.reset:
                self._new_books()
            for located in read.records:
                where = Problem(self.events.label, "", offset=located.position)
                self._into_books(located.record, where)
            if read.error or read.missing:
                return
            advanced = follower.offset - (0 if read.reset else before)
            if not advanced:
                self._books_at = events.key
                return
            if budget is not None:
                budget -= advanced
                if budget <= 0:
                    return

    def _apply(self, read: RecordsRead, events: EventsFile) -> None:
        """Fold one chunk of appended records, restarting the totals on a reset."""
        known = [p for p in self._totals.problems if p != self._read_error]
        if read.reset:
            self._totals = RunTotals()
            self.watch = RunWatch(self.limits)
            self._builder = StepBuilder()
            known = [Problem(events.label, TRUNCATED)] if read.truncated else []
        self._read_error = read.error  # shown while the file cannot be read, then dropped
        fresh = [p for p in read.problems if p not in known]
        if self._read_error is not None:
            fresh.append(self._read_error)
        self._totals.problems = (known + fresh)[-MAX_PROBLEMS:]
        for piece in read.pieces:
            if isinstance(piece, NativeColumns):
                fold_native_columns(piece, self._totals, self._builder, self.watch)
            elif isinstance(piece, StepColumns):
                fold_step_columns(piece, self._totals, self.watch)
            else:
                self._fold(piece)

    def _fold(self, records: list[Located]) -> None:
        """Fold records one by one into the totals and the alert episodes."""
        for located in records:
            record = located.record
            stamp = record_time(record)
            if stamp is not None:
                self._totals.last_event_time = stamp
            if isinstance(record, RunEvent):
                self._totals.apply_event(record)
                step = self._builder.add(record)
                if step is not None:
                    self._totals.apply_step(step)
            else:
                self._totals.apply_step(steps_from_records([located])[0])
            totals = self._totals
            self.watch.observe(stamp, totals.drawdown, totals.blocked_in_a_row)

    def _into_books(self, record: BookRecord, where: Problem) -> None:
        """Fold one record into the decisions and trades; one that raises is a problem."""
        try:
            offset = where.offset or 0
            if isinstance(record, RunEvent):
                decision = self.decisions.add_event(record, where.file, offset)
                self.trades.add_event(record, decision.decision_id if decision else None)
            elif isinstance(record, StepRow):
                decision = self.decisions.add_row(record, where)
                self.trades.add_row(record, decision.decision_id if decision else None)
            elif isinstance(record, AiDecisionEvent):
                self.decisions.add_ai(record, where.file, offset)
            else:
                self.decisions.add_execution(record, where.file, offset)
        except Exception:  # one record must not stop the records after it
            self.decisions.note(where, NOT_FOLLOWED)

    def _fold_parquet(self, events: EventsFile) -> None:
        """Fold the rows added to a Parquet file since the last call into the books."""
        total = tail_parquet(events.path, 0, events.label).total_rows
        if total < self._rows_folded:
            self._new_books()
        fresh = total - self._rows_folded
        if fresh <= 0:
            return
        tail = tail_parquet(events.path, fresh, events.label)
        first = tail.total_rows - len(tail.rows)
        for index, row in enumerate(tail.rows, start=first):
            step = checked_record(StepRow, row, events.label, line=index + 1)
            if isinstance(step, StepRow):
                self._into_books(step, Problem(events.label, "", line=index + 1))
        self._rows_folded = tail.total_rows

    def _fold_side(self) -> None:
        """Fold this run's AI events and telemetry lines read since the last call."""
        if self.side is None or self.run_id is None:
            return
        generation, fresh = self.side.records(self.run_id, self._side_seen)
        if generation != self._side_generation:
            return  # the next update starts over
        for entry in fresh:
            self._into_books(entry.record, Problem(entry.label, "", offset=entry.offset))
        self._side_seen += len(fresh)


def _parquet_totals(events: EventsFile, watch: RunWatch) -> RunTotals:
    """Totals of a Parquet run: column sums over the file, latest values from its last rows
    (the alert episodes are watched over those last rows only)."""
    totals = RunTotals()
    sums, rows, problems = sum_parquet_columns(
        events.path, ["orders_generated", "orders_blocked"], events.label
    )
    totals.problems = list(problems)
    totals.total_steps = rows
    totals.total_orders = saturated_int64(sums.get("orders_generated", 0))
    totals.total_blocked_orders = saturated_int64(sums.get("orders_blocked", 0))
    tail = tail_parquet(events.path, 500, events.label)
    totals.problems.extend(p for p in tail.problems if p not in totals.problems)  # said once
    for row in tail.rows:
        step = checked_record(StepRow, row, events.label)
        if isinstance(step, Problem):  # the tail read of the run reports bad rows
            continue
        totals.last_event_time = step.ts_event or step.ts_bar or totals.last_event_time
        for name in ("realized_pnl", "unrealized_pnl", "position_size"):
            value = to_finite_or_none(getattr(step, name))
            if value is not None:
                setattr(totals, name, value)
        totals.blocked_in_a_row = totals.blocked_in_a_row + 1 if step.orders_blocked else 0
        totals.mark_equity(step.equity)
        watch.observe(step.ts_event or step.ts_bar, totals.drawdown, totals.blocked_in_a_row)
    return totals
