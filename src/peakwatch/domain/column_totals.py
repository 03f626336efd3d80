"""Run totals and alert episodes folded from a block of native events as columns.

The same results as folding the block record by record (RunLedger._fold), computed with
array operations: steps close at `position` events, counting the `order` events since the
previous one; equity, its peak and the drawdown follow the steps; the episodes follow
every record's time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from peakwatch.contract.values import saturated_int64
from peakwatch.domain.alert_episodes import Episodes, RunWatch, after
from peakwatch.domain.run_totals import RunTotals
from peakwatch.domain.steps import StepBuilder
from peakwatch.sources.event_columns import NativeColumns, StepColumns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fold_native_columns(
    columns: NativeColumns, totals: RunTotals, builder: StepBuilder, watch: RunWatch
) -> None:
    """Fold one block into the totals, the open step (`builder`) and the episodes."""
    count = len(columns)
    if not count:
        return
    _count_levels_and_gaps(columns, totals)
    totals.last_event_time = _time(columns.ts_us[-1])
    positions = np.flatnonzero(columns.is_position)
    drawdown, in_a_row = _fold_steps(columns, positions, totals, builder)
    # the state after each record: that of the last step closed at or before it (index 0:
    # the state before the block)
    steps_closed = np.searchsorted(positions, np.arange(count), side="right")
    _watch(watch, columns.ts_us, drawdown[steps_closed], in_a_row[steps_closed])


def _count_levels_and_gaps(columns: NativeColumns, totals: RunTotals) -> None:
    """Errors, warnings and seq gaps (a seq more than one past the one before)."""
    totals.errors += columns.errors
    totals.warnings += columns.warnings
    seq = columns.seq
    gaps = int(np.count_nonzero(seq[1:] > seq[:-1] + 1))
    if totals.last_seq is not None and int(seq[0]) > totals.last_seq + 1:
        gaps += 1
    totals.seq_gaps += gaps
    totals.last_seq = int(seq[-1])


def _fold_steps(
    columns: NativeColumns, positions: np.ndarray, totals: RunTotals, builder: StepBuilder
) -> tuple[np.ndarray, np.ndarray]:
    """Fold the steps closed in the block, counting the orders since the step before (the
    open step's count in `builder`); returns what `_fold_step_values` returns."""
    orders_so_far = np.cumsum(columns.is_order)
    blocked_so_far = np.cumsum(columns.is_blocked)
    if not len(positions):
        builder.orders += int(orders_so_far[-1])
        builder.blocked += int(blocked_so_far[-1])
        start = np.nan if totals.drawdown is None else totals.drawdown
        return np.array([start]), np.array([totals.blocked_in_a_row])
    orders = np.diff(orders_so_far[positions], prepend=0)
    blocked = np.diff(blocked_so_far[positions], prepend=0)
    orders[0] += builder.orders
    blocked[0] += builder.blocked
    builder.orders = int(orders_so_far[-1] - orders_so_far[positions[-1]])
    builder.blocked = int(blocked_so_far[-1] - blocked_so_far[positions[-1]])
    builder.risk_allowed, builder.risk_reasons, builder.ts_bar = None, [], None
    pick = {name: getattr(columns, name)[positions] for name in STEP_VALUES}
    return _fold_step_values(totals, orders, blocked, **pick)


STEP_VALUES = ("equity", "realized_pnl", "unrealized_pnl", "position_size")


def fold_step_columns(columns: StepColumns, totals: RunTotals, watch: RunWatch) -> None:
    """Fold a block of Peak_Trade step rows (one step each) into the totals and episodes."""
    if not len(columns):
        return
    pick = {name: getattr(columns, name) for name in STEP_VALUES}
    drawdown, in_a_row = _fold_step_values(totals, columns.orders, columns.blocked, **pick)
    timed = columns.has_time
    if timed.any():  # rows without a time leave the latest time and the episodes alone
        at = columns.ts_us[timed]
        totals.last_event_time = _time(at[-1])
        _watch(watch, at, drawdown[1:][timed], in_a_row[1:][timed])


def _fold_step_values(
    totals: RunTotals,
    orders: np.ndarray,
    blocked: np.ndarray,
    *,
    equity: np.ndarray,
    realized_pnl: np.ndarray,
    unrealized_pnl: np.ndarray,
    position_size: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """RunTotals.apply_step for each step; returns the drawdown and blocked-in-a-row after
    each step, each preceded by its value before them (NaN for no drawdown)."""
    steps = len(orders)
    start_drawdown = np.nan if totals.drawdown is None else totals.drawdown
    streak_before = totals.blocked_in_a_row
    totals.total_steps += steps
    totals.total_orders = _added(totals.total_orders, orders)
    totals.total_blocked_orders = _added(totals.total_blocked_orders, blocked)
    index = np.arange(steps)
    last_unblocked = np.maximum.accumulate(np.where(blocked != 0, -1, index))
    in_a_row = np.where(last_unblocked >= 0, index - last_unblocked, index + 1 + streak_before)
    totals.blocked_in_a_row = int(in_a_row[-1])
    for name, values in (
        ("realized_pnl", realized_pnl),
        ("unrealized_pnl", unrealized_pnl),
        ("position_size", position_size),
    ):
        known = values[~np.isnan(values)]
        if known.size:
            setattr(totals, name, float(known[-1]))
    drawdown = _fold_equity(equity, totals, start_drawdown)
    before = (np.array([start_drawdown]), np.array([streak_before]))
    return np.concatenate((before[0], drawdown)), np.concatenate((before[1], in_a_row))


def _added(total: int, counts: np.ndarray) -> int:
    """`total` plus each count in turn, saturated to 64 bits at every step as apply_step does
    (one sum when no step can reach the bounds)."""
    if abs(total) < 1 << 62 and counts.size and np.abs(counts).max() < 1 << 40:
        return saturated_int64(total + int(counts.sum()))
    for count in counts.tolist():
        total = saturated_int64(total + count)
    return total


def _fold_equity(equity: np.ndarray, totals: RunTotals, start_drawdown: float) -> np.ndarray:
    """Equity, its running peak and drawdown over the steps; the drawdown after each step."""
    known = np.flatnonzero(~np.isnan(equity))
    after_step = np.full(len(equity), np.nan)
    if not known.size:
        after_step[:] = start_drawdown
        return after_step
    values = equity[known]
    peaks = np.maximum.accumulate(values)
    if totals.peak_equity is not None:
        peaks = np.maximum(peaks, totals.peak_equity)
    positive = peaks > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        drawdowns = np.where(positive, (values - peaks) / peaks, np.nan)
    totals.equity = float(values[-1])
    totals.peak_equity = float(peaks[-1])
    if positive.any():
        totals.drawdown = float(drawdowns[positive][-1])
        worst = float(drawdowns[positive].min())
        if totals.max_drawdown is None or worst < totals.max_drawdown:
            totals.max_drawdown = worst
    after_step[known] = drawdowns
    return _forward_filled(after_step, start_drawdown)


def _forward_filled(values: np.ndarray, start: float) -> np.ndarray:
    """Each NaN replaced by the last number before it (`start` before the first)."""
    index = np.where(np.isnan(values), -1, np.arange(len(values)))
    last = np.maximum.accumulate(index)
    return np.where(last >= 0, values[np.maximum(last, 0)], start)


def _watch(watch: RunWatch, at: np.ndarray, drawdown: np.ndarray, in_a_row: np.ndarray) -> None:
    """RunWatch.observe for every record of the block, in order."""
    limits = watch.limits
    latest = np.maximum.accumulate(at)
    if watch.last_time is not None:
        latest = np.maximum(latest, _micros(watch.last_time))
        before = np.concatenate(([_micros(watch.last_time)], latest[:-1]))
        silent = (at - before) / 1e6 > limits.silence_seconds
    else:
        before = np.concatenate(([at[0]], latest[:-1]))
        silent = (at - before) / 1e6 > limits.silence_seconds
        silent[0] = False
    gaps = np.flatnonzero(silent)
    if gaps.size:
        episodes = watch.silences
        episodes.count += int(gaps.size)
        first = after(_time(before[gaps[0]]), limits.silence_seconds)
        episodes.first_seen = episodes.first_seen or first
        episodes.since = after(_time(before[gaps[-1]]), limits.silence_seconds)
        episodes.resolved_at = _time(at[gaps[-1]])
    watch.last_time = _time(latest[-1])
    beyond = drawdown <= -limits.drawdown_warning  # NaN (no drawdown yet) is never beyond
    _worst_drawdown(watch, beyond, drawdown)
    _observe(watch.drawdown, beyond, at)
    _observe(watch.blocked, in_a_row >= limits.blocked_in_a_row, at)


def _worst_drawdown(watch: RunWatch, beyond: np.ndarray, drawdown: np.ndarray) -> None:
    """The worst drawdown of the latest drawdown episode, as Episodes would leave it."""
    held = np.concatenate(([watch.drawdown.holding], beyond[:-1]))
    starts = np.flatnonzero(beyond & ~held)
    if starts.size:
        begin = int(starts[-1])
        watch.worst_drawdown = float(drawdown[begin : _episode_end(beyond, begin)].min())
    elif watch.drawdown.holding and beyond[0] and watch.worst_drawdown is not None:
        worst = float(drawdown[: _episode_end(beyond, 0)].min())
        watch.worst_drawdown = min(watch.worst_drawdown, worst)


def _episode_end(holds: np.ndarray, begin: int) -> int:
    """The index after the run of true values that starts at `begin`."""
    ends = np.flatnonzero(~holds[begin:])
    return begin + int(ends[0]) if ends.size else len(holds)


def _observe(episodes: Episodes, holds: np.ndarray, at: np.ndarray) -> None:
    """Episodes.observe for each (holds, at) in order."""
    held = np.concatenate(([episodes.holding], holds[:-1]))
    began = np.flatnonzero(holds & ~held)
    ended = np.flatnonzero(~holds & held)
    if began.size:
        episodes.count += int(began.size)
        episodes.first_seen = episodes.first_seen or _time(at[began[0]])
        episodes.since = _time(at[began[-1]])
        episodes.resolved_at = None
    if ended.size and (not began.size or ended[-1] > began[-1]):
        episodes.resolved_at = _time(at[ended[-1]])
    episodes.holding = bool(holds[-1])


def _time(micros: np.integer | int) -> datetime:
    """An aware UTC datetime from microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=int(micros))


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)
