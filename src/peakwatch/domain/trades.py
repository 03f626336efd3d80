"""Trades of a run, folded one record at a time: a position from flat to flat or to a reversal.

Natively trades come from `fill` events (a `position` event whose size differs from what the
fills add up to counts as a fill of the difference at the last known price); from Peak_Trade
step rows, a change of `position_size` is a fill at the row's price (fees are not known there).
A trade's PnL is realized PnL minus fees; an open trade's adds the unrealized PnL at the last
price. PnL per symbol and per UTC day (of the exit) count closed trades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peakwatch.contract.models import RunEvent, StepRow
from peakwatch.contract.values import format_utc
from peakwatch.domain.decision_trace import text_of
from peakwatch.domain.steps import to_finite_or_none

FLAT = 1e-9  # a position smaller than this (times its scale) is flat


@dataclass(slots=True)
class Trade:
    """One trade: entry and exit averages, fees, realized PnL, the decisions at both ends."""

    number: int
    symbol: str | None
    direction: int  # 1 long, -1 short
    entry_time: datetime
    open_decision_id: str | None
    entry_qty: float = 0.0
    entry_value: float = 0.0
    exit_qty: float = 0.0
    exit_value: float = 0.0
    fees: float = 0.0
    realized: float = 0.0
    exit_time: datetime | None = None
    close_decision_id: str | None = None
    last_time: datetime | None = None

    @property
    def trade_id(self) -> str:
        """A stable id: `t-<n>`, n counting the run's trades from 1."""
        return f"t-{self.number}"

    @property
    def closed(self) -> bool:
        """Whether the position went back to flat (or reversed)."""
        return self.exit_time is not None

    @property
    def entry_price(self) -> float:
        """Average entry price."""
        return self.entry_value / self.entry_qty if self.entry_qty else 0.0

    def pnl(self, mark: float | None) -> float:
        """Realized PnL minus fees; an open trade adds the unrealized PnL at `mark`."""
        pnl = self.realized - self.fees
        remaining = self.entry_qty - self.exit_qty
        if not self.closed and mark is not None and remaining > 0:
            pnl += remaining * (mark - self.entry_price) * self.direction
        return pnl

    def view(
        self, mark: float | None, symbol: str | None, until: datetime | None = None
    ) -> dict[str, Any]:
        """JSON-ready, with the run's symbol for a trade that names none; an open trade's
        duration runs to `until` (the run's latest record)."""
        end = self.exit_time or until or self.last_time or self.entry_time
        return {
            "trade_id": self.trade_id,
            "symbol": self.symbol or symbol,
            "side": "long" if self.direction > 0 else "short",
            "state": "closed" if self.closed else "open",
            "entry_time": format_utc(self.entry_time),
            "entry_price": self.entry_price,
            "exit_time": format_utc(self.exit_time),
            "exit_price": self.exit_value / self.exit_qty if self.exit_qty else None,
            "qty": self.entry_qty,
            "open_qty": 0.0 if self.closed else self.entry_qty - self.exit_qty,
            "fees": self.fees,
            "pnl": self.pnl(mark),
            "duration_s": (end - self.entry_time).total_seconds(),
            "open_decision_id": self.open_decision_id,
            "close_decision_id": self.close_decision_id,
        }


@dataclass(slots=True)
class PnlSums:
    """Closed trades of one symbol or day: count, wins, losses, PnL and fees."""

    trades: int = 0
    wins: int = 0
    losses: int = 0
    pnl: float = 0.0
    fees: float = 0.0

    def add(self, trade: Trade) -> None:
        pnl = trade.pnl(None)
        self.trades += 1
        self.wins += pnl > 0
        self.losses += pnl < 0
        self.pnl += pnl
        self.fees += trade.fees

    def view(self) -> dict[str, Any]:
        return {
            "trades": self.trades,
            "wins": self.wins,
            "losses": self.losses,
            "pnl": self.pnl,
            "fees": self.fees,
        }


@dataclass(slots=True)
class TradeBook:
    """The trades of one run, the open one per symbol, PnL per symbol and per day."""

    trades: list[Trade] = field(default_factory=list)
    by_symbol: dict[str | None, PnlSums] = field(default_factory=dict)
    by_day: dict[str, PnlSums] = field(default_factory=dict)
    marks: dict[str | None, float] = field(default_factory=dict)  # last price per symbol
    version: int = 0
    fills: int = 0  # native fill events folded
    last_time: datetime | None = None  # the latest record folded
    _open: dict[str | None, Trade] = field(default_factory=dict)
    _position: dict[str | None, float] = field(default_factory=dict)
    _symbol: str | None = None  # the symbol native events last named

    def open_trades(self) -> list[Trade]:
        """Trades still open, one per symbol at most."""
        return list(self._open.values())

    def add_event(self, event: RunEvent, decision_id: str | None) -> None:
        """Fold one native event: prices from market and fill events, fills, positions."""
        data = event.data
        self.last_time = event.ts
        symbol = text_of(data.get("symbol"))
        if symbol is not None:
            self._symbol = symbol
        symbol = symbol or self._symbol
        if event.kind == "market":
            price = to_finite_or_none(data.get("close"))
            price = price if price is not None else to_finite_or_none(data.get("price"))
            if price is not None:
                self.marks[symbol] = price
                self.version += 1
        elif event.kind == "fill":
            qty, price = to_finite_or_none(data.get("qty")), to_finite_or_none(data.get("price"))
            side = text_of(data.get("side"))
            if qty is None or price is None or side not in ("buy", "sell") or qty <= 0:
                return
            fee = to_finite_or_none(data.get("fee")) or 0.0
            self.fills += 1
            signed = qty if side == "buy" else -qty
            self.fill(symbol, signed, price, fee, event.ts, decision_id)
        elif event.kind == "position":
            size = to_finite_or_none(data.get("position_size"))
            price = self.marks.get(symbol)
            if size is not None and price is not None:
                self.move_to(symbol, size, price, event.ts, decision_id)

    def add_row(self, row: StepRow, decision_id: str | None) -> None:
        """Fold one Peak_Trade step row: its price, and its position size."""
        ts = row.ts_event or row.ts_bar
        self.last_time = ts or self.last_time
        price = row.price if row.price is not None else row.close
        if price is not None:
            self.marks[None] = price
            self.version += 1
        if ts is not None and price is not None and row.position_size is not None:
            self.move_to(None, row.position_size, price, ts, decision_id)

    def move_to(
        self, symbol: str | None, size: float, price: float, ts: datetime, decision_id: str | None
    ) -> None:
        """A fill of the difference when the position is not `size` already."""
        held = self._position.get(symbol, 0.0)
        if abs(size - held) > FLAT * max(1.0, abs(size), abs(held)):
            self.fill(symbol, size - held, price, 0.0, ts, decision_id)

    def fill(
        self,
        symbol: str | None,
        signed: float,
        price: float,
        fee: float,
        ts: datetime,
        decision_id: str | None,
    ) -> None:
        """Apply one fill of `signed` quantity (buy > 0) to the symbol's position and trade."""
        self.version += 1
        self.marks[symbol] = price
        held = self._position.get(symbol, 0.0)
        trade = self._open.get(symbol)
        quantity = abs(signed)
        if trade is not None:
            trade.last_time = ts
        if trade is None or (signed > 0) == (trade.direction > 0):  # opening or adding
            if trade is None:
                trade = self._start(symbol, 1 if signed > 0 else -1, ts, decision_id)
            trade.entry_qty += quantity
            trade.entry_value += quantity * price
            trade.fees += fee
            self._position[symbol] = held + signed
            return
        closing = min(quantity, abs(held))
        share = closing / quantity
        trade.exit_qty += closing
        trade.exit_value += closing * price
        trade.realized += closing * (price - trade.entry_price) * trade.direction
        trade.fees += fee * share
        position = held + signed
        if abs(position) <= FLAT * max(1.0, quantity):
            position = 0.0
        self._position[symbol] = position
        if position == 0.0 or (position > 0) != (held > 0):
            self._close(trade, ts, decision_id)
        if position != 0.0 and (position > 0) != (held > 0):  # a reversal opens the next one
            following = self._start(symbol, 1 if position > 0 else -1, ts, decision_id)
            following.entry_qty = abs(position)
            following.entry_value = abs(position) * price
            following.fees = fee * (1.0 - share)

    def _start(
        self, symbol: str | None, direction: int, ts: datetime, decision: str | None
    ) -> Trade:
        trade = Trade(len(self.trades) + 1, symbol, direction, ts, decision, last_time=ts)
        self.trades.append(trade)
        self._open[symbol] = trade
        return trade

    def _close(self, trade: Trade, ts: datetime, decision_id: str | None) -> None:
        trade.exit_time = ts
        trade.close_decision_id = decision_id
        del self._open[trade.symbol]
        self.by_symbol.setdefault(trade.symbol, PnlSums()).add(trade)
        day = ts.strftime("%Y-%m-%d")
        self.by_day.setdefault(day, PnlSums()).add(trade)


STATES = ("open", "closed")


def trade_cursor(cursor: str | None) -> int | None:
    """The trade number a cursor (`t-<n>`) names; ValueError when it is not one."""
    if cursor is None:
        return None
    number = cursor.removeprefix("t-")
    if not cursor.startswith("t-") or not number.isdigit() or len(number) > 18:
        raise ValueError("not a trades cursor")
    return int(number)


def trade_views(
    book: TradeBook,
    symbol: str | None,
    *,
    state: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Trades newest first (state open or closed, if given) and the cursor of the next page.

    `symbol` stands in for trades that name none (Peak_Trade step rows).
    """
    if state is not None and state not in STATES:
        raise ValueError("state must be open or closed")
    before = trade_cursor(cursor)
    end = len(book.trades) if before is None else min(before - 1, len(book.trades))
    candidates = book.open_trades() if state == "open" else None
    found: list[dict[str, Any]] = []
    if candidates is not None:  # at most one per symbol: no need to walk the list
        chosen = sorted((t for t in candidates if t.number <= end), key=lambda t: -t.number)
        views = [t.view(book.marks.get(t.symbol), symbol, book.last_time) for t in chosen[:limit]]
        more = len(chosen) > limit
        return views, f"t-{chosen[limit - 1].number}" if more and limit else None
    for index in range(end - 1, -1, -1):
        trade = book.trades[index]
        if state == "closed" and not trade.closed:
            continue
        if len(found) >= limit:
            return found, f"t-{trade.number + 1}"
        found.append(trade.view(book.marks.get(trade.symbol), symbol, book.last_time))
    return found, None


def pnl_view(book: TradeBook, symbol: str | None) -> dict[str, Any]:
    """Counts, PnL per symbol (closed trades, plus the open ones' PnL) and per day."""
    by_symbol: dict[str, dict[str, Any]] = {}
    for name, sums in book.by_symbol.items():
        by_symbol[name or symbol or "?"] = {**sums.view(), "open": 0, "open_pnl": 0.0}
    for trade in book.open_trades():
        name = trade.symbol or symbol or "?"
        row = by_symbol.setdefault(name, {**PnlSums().view(), "open": 0, "open_pnl": 0.0})
        row["open"] += 1
        row["open_pnl"] += trade.pnl(book.marks.get(trade.symbol))
    open_count = len(book.open_trades())
    return {
        "trades_total": len(book.trades),
        "trades_open": open_count,
        "trades_closed": len(book.trades) - open_count,
        "by_symbol": dict(sorted(by_symbol.items())),
        "by_day": {day: sums.view() for day, sums in sorted(book.by_day.items())},
    }
