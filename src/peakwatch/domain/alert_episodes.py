"""When a run's alert conditions held (silences, drawdown beyond the limit, orders blocked
steps in a row), folded record by record together with the run's totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peakwatch.settings import Settings

DRAWDOWN_WARNING_SHARE = 0.5  # the drawdown rule warns at half its critical threshold


@dataclass(slots=True)
class Episodes:
    """How often one condition began to hold, when it first and last began, when it stopped."""

    count: int = 0
    first_seen: datetime | None = None
    since: datetime | None = None
    resolved_at: datetime | None = None  # when the last episode ended; None while it holds
    holding: bool = False

    def observe(self, holds: bool, at: datetime) -> None:
        """The condition at one record's time."""
        if holds and not self.holding:
            self.count += 1
            self.since = at
            self.first_seen = self.first_seen or at
            self.resolved_at = None
            self.holding = True
        elif not holds and self.holding:
            self.holding = False
            self.resolved_at = at

    def whole(self, start: datetime, end: datetime) -> None:
        """An episode seen only once it was over (a silence ends with the next record)."""
        self.count += 1
        self.first_seen = self.first_seen or start
        self.since = start
        self.resolved_at = end


@dataclass(frozen=True, slots=True)
class Limits:
    """The thresholds of the run rules peakwatch derives."""

    silence_seconds: float = 600.0
    drawdown: float = 0.1  # a fraction; critical at a drawdown of -drawdown or worse
    blocked_in_a_row: int = 3

    @property
    def drawdown_warning(self) -> float:
        """The drawdown rule's warning level, a fraction (it fires at -this or worse)."""
        return self.drawdown * DRAWDOWN_WARNING_SHARE

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits the settings give."""
        return cls(
            settings.run_stale_seconds,
            settings.drawdown_alert_threshold,
            settings.blocked_in_a_row_alert,
        )


def after(moment: datetime, seconds: float) -> datetime:
    """`moment` plus `seconds`, or `moment` itself when that passes the calendar's end."""
    try:
        return moment + timedelta(seconds=seconds)
    except OverflowError:
        return moment


@dataclass(slots=True)
class RunWatch:
    """The episodes of each run rule, kept up to date by the run's ledger."""

    limits: Limits = field(default_factory=Limits)
    silences: Episodes = field(default_factory=Episodes)
    drawdown: Episodes = field(default_factory=Episodes)
    blocked: Episodes = field(default_factory=Episodes)
    last_time: datetime | None = None  # the latest record time seen
    worst_drawdown: float | None = None  # the worst drawdown of the latest drawdown episode

    def observe(self, at: datetime | None, drawdown: float | None, blocked_in_a_row: int) -> None:
        """One record at `at` and the totals after it."""
        if at is None:
            return
        last = self.last_time
        if last is not None and (at - last).total_seconds() > self.limits.silence_seconds:
            self.silences.whole(after(last, self.limits.silence_seconds), at)
        if last is None or at > last:
            self.last_time = at
        beyond = drawdown is not None and drawdown <= -self.limits.drawdown_warning
        if beyond and not self.drawdown.holding:
            self.worst_drawdown = drawdown
        elif beyond and drawdown is not None and self.worst_drawdown is not None:
            self.worst_drawdown = min(self.worst_drawdown, drawdown)
        self.drawdown.observe(beyond, at)
        self.blocked.observe(blocked_in_a_row >= self.limits.blocked_in_a_row, at)
