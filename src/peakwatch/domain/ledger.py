"""Whole-run totals (steps, orders, blocked, PnL, drawdown), decisions and trades, kept up
to date incrementally by one follow of the run's events file (and of the side files)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.contract.values import format_utc, saturated_int64
from peakwatch.domain.alert_episodes import Limits, RunWatch
from peakwatch.domain.decisions import DecisionBook
from peakwatch.domain.side_records import SideRecords
from peakwatch.domain.steps import StepBuilder, steps_from_records, to_finite_or_none
from peakwatch.domain.trades import TradeBook
from peakwatch.sources.checked import checked_record
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


def orders_sent(total_orders: int, blocked: int) -> int:
    """The one meaning of "orders" on every page: orders sent to the venue (filled, rejected or
    still open), that is every order the runner generated but those the risk check blocked
    (shown apart as "blocked by risk"). A session record's `num_orders` counts the same."""
    return max(total_orders - blocked, 0)


@dataclass(slots=True)
class RunTotals:
    """Totals over every record of a run seen so far."""

    total_steps: int = 0
    total_orders: int = 0
    total_blocked_orders: int = 0
    equity: float | None = None
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    position_size: float | None = None
    peak_equity: float | None = None
    drawdown: float | None = None
    max_drawdown: float | None = None
    last_event_time: datetime | None = None
    blocked_in_a_row: int = 0
    errors: int = 0
    warnings: int = 0
    last_seq: int | None = None
    seq_gaps: int = 0
    problems: list[Problem] = field(default_factory=list)

    def apply_step(self, step: dict[str, Any]) -> None:
        """Fold one step row (v0 tail shape) into the totals."""
        self.total_steps += 1
        self.total_orders = saturated_int64(self.total_orders + (step["orders_count"] or 0))
        blocked = step["orders_blocked"] or 0
        self.total_blocked_orders = saturated_int64(self.total_blocked_orders + blocked)
        self.blocked_in_a_row = self.blocked_in_a_row + 1 if blocked else 0
        for name in ("realized_pnl", "unrealized_pnl", "position_size"):
            if step[name] is not None:
                setattr(self, name, step[name])
        self.mark_equity(step["equity"])

    def mark_equity(self, equity: float | None) -> None:
        """Track equity, its running peak and the drawdown from that peak (a fraction <= 0)."""
        if equity is None:
            return
        self.equity = equity
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        if self.peak_equity and self.peak_equity > 0:
            self.drawdown = (equity - self.peak_equity) / self.peak_equity
            if self.max_drawdown is None or self.drawdown < self.max_drawdown:
                self.max_drawdown = self.drawdown

    def apply_event(self, event: RunEvent) -> None:
        """Count levels and seq gaps of a native event."""
        if event.level == "error":
            self.errors += 1
        elif event.level == "warning":
            self.warnings += 1
        if self.last_seq is not None and event.seq > self.last_seq + 1:
            self.seq_gaps += 1
        self.last_seq = event.seq

    def view(self) -> dict[str, Any]:
        """The snapshot fields derived from the totals."""
        return {
            "total_steps": self.total_steps,
            "total_orders": self.total_orders,
            "total_blocked_orders": self.total_blocked_orders,
            "total_orders_sent": orders_sent(self.total_orders, self.total_blocked_orders),
            "equity": self.equity,
            "realized_pnl": self.realized_pnl,
            "unrealized_pnl": self.unrealized_pnl,
            "position_size": self.position_size,
            "drawdown": self.drawdown,
            "max_drawdown": self.max_drawdown,
            "blocked_in_a_row": self.blocked_in_a_row,
            "error_events": self.errors,
            "warning_events": self.warnings,
            "last_event_time": format_utc(self.last_event_time),
        }


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

    def read_to_end(self, events: EventsFile) -> bool:
        """Whether this state of the events file (its key) has been read to its end."""
        return events.key == self._complete_at

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
        """Catch up with the file (re-reading it if it was replaced) and return the totals.

        With `max_bytes`, read at most about that much of a backlog and leave the rest for
        later calls: a background caller's share of a huge run stays bounded. A Parquet file
        larger than `max_bytes` is then not summed at all (it can only be summed whole).
        """
        with self._lock:
            if self.side is not None and self.side.generation != self._side_generation:
                self._restart()  # a side file was rewritten: the books fold everything again
            totals = self._update_events(events, max_bytes)
            self._fold_side()
            return totals

    def _update_events(self, events: EventsFile, max_bytes: int | None) -> RunTotals:
        """Catch up with the events file (see `update`)."""
        if events.key == self._complete_at:
            return self._totals
        if events.format == "parquet":  # rewritten as a whole: summed again as a whole
            if max_bytes is not None and events.key.size > max_bytes:
                return self._totals  # too big for a bounded caller; a request sums it
            self.watch = RunWatch(self.limits)
            self._totals = _parquet_totals(events, self.watch)
            self._fold_parquet(events)
            self._complete_at = events.key
            return self._totals
        assert self._follower is not None
        budget = max_bytes
        while True:  # in bounded chunks: memory stays flat however much was appended
            before = self._follower.offset
            chunk = CHUNK_BYTES if budget is None else max(1, min(CHUNK_BYTES, budget))
            read = self._follower.read_new(chunk)
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

    def _apply(self, read: RecordsRead, events: EventsFile) -> None:
        """Fold one chunk of appended records, restarting the totals on a reset."""
        known = [p for p in self._totals.problems if p != self._read_error]
        if read.reset:
            self._totals = RunTotals()
            self.watch = RunWatch(self.limits)
            self._builder = StepBuilder()
            self._new_books()
            known = [Problem(events.label, TRUNCATED)] if read.truncated else []
        self._read_error = read.error  # shown while the file cannot be read, then dropped
        fresh = [p for p in read.problems if p not in known]
        if self._read_error is not None:
            fresh.append(self._read_error)
        self._totals.problems = (known + fresh)[-MAX_PROBLEMS:]
        self._fold(read.records)

    def _fold(self, records: list[Located]) -> None:
        label = self.events.label
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
            self._into_books(record, Problem(label, "", offset=located.position))

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
