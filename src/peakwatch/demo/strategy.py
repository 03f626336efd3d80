"""The simulated AI trader: a momentum signal, a decision with a rationale and a confidence,
risk limits, and a paper account that fills orders with fees.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from peakwatch.demo.alert_rules import WARN_SHARE, Alert, drawdown_alert
from peakwatch.demo.market import Bar, Market

FEE_RATE = 0.001  # 10 bps taker fee
SLIPPAGE = 0.0002  # 2 bps against us
REJECT_RATE = 0.12  # orders the paper exchange rejects (rate limits, post-only crossing)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the strategy sees after a bar: the signal and the numbers behind it."""

    signal: int
    changed: bool
    momentum: float  # t-statistic of the last `lookback` returns, in sigma
    volatility: float  # standard deviation of the last 10 returns (fraction per bar)
    vol_trend: str  # rising | falling | steady
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The AI's choice for one bar."""

    action: str  # buy | sell | hold | close
    side: str | None  # buy | sell, None for hold
    qty: float
    target: float
    confidence: float
    rationale: str


class MomentumStrategy:
    """Long/short momentum with hysteresis: enter beyond `entry` sigma, exit inside `exit`."""

    def __init__(self, lookback: int = 20, entry: float = 1.5, exit: float = 0.3) -> None:
        self.lookback = lookback
        self.entry = entry
        self.exit = exit
        self.closes: deque[float] = deque(maxlen=lookback + 1)
        self.signal = 0

    def update(self, close: float) -> Reading:
        """Take a closing price and return the new reading."""
        self.closes.append(close)
        prices = list(self.closes)
        returns = [b / a - 1.0 for a, b in zip(prices, prices[1:], strict=False)]
        if len(returns) < 5:
            return Reading(0, False, 0.0, 0.0, "steady", f"warming up ({len(returns)} returns)")
        spread = statistics.pstdev(returns) or 1e-12
        momentum = statistics.fmean(returns) / spread * math.sqrt(len(returns))
        recent = statistics.pstdev(returns[-10:])
        vol_trend = "steady"
        if recent < 0.85 * spread:
            vol_trend = "falling"
        elif recent > 1.15 * spread:
            vol_trend = "rising"
        previous = self.signal
        if momentum > self.entry:
            self.signal = 1
        elif momentum < -self.entry:
            self.signal = -1
        elif abs(momentum) < self.exit or momentum * self.signal < 0:
            self.signal = 0
        reason = f"momentum {momentum:+.2f}σ over {len(returns)} bars"
        return Reading(self.signal, self.signal != previous, momentum, recent, vol_trend, reason)

    def decide(
        self,
        reading: Reading,
        position: float,
        unit: float,
        asset: str,
        unrealized: float,
        *,
        max_units: int = 2,
    ) -> Decision:
        """Turn a reading into an action toward a target position of 0, ±1 or ±2 units."""
        strength = 2 if abs(reading.momentum) > 2.6 and max_units >= 2 else 1
        target = round(reading.signal * strength * unit, 6)
        if strength == 2 and position * reading.signal <= 0:
            target = round(reading.signal * unit, 6)  # a fresh entry starts with one unit
        qty = round(abs(target - position), 6)
        sigma = f"{reading.momentum:+.1f}σ"
        context = f"Momentum {sigma} over {self.lookback} bars and volatility {reading.vol_trend}"
        edge = min(0.97, 0.45 + 0.12 * abs(reading.momentum))
        edge += {"falling": 0.03, "rising": -0.05}.get(reading.vol_trend, 0.0)
        if len(self.closes) <= 5:
            rationale = f"Warming up: {len(self.closes)} of {self.lookback} bars seen; staying flat"
            return Decision("hold", None, 0.0, position, 0.5, rationale)
        if qty == 0:
            if position == 0:
                rationale = f"Momentum {sigma} is inside the ±{self.entry:.1f}σ band; staying flat"
            else:
                held = "long" if position > 0 else "short"
                rationale = f"Momentum {sigma} still supports the {held} {abs(position):g} {asset}"
                rationale += "; holding"
            margin = abs(abs(reading.momentum) - self.entry)
            return Decision("hold", None, 0.0, target, _conf(0.55 + 0.1 * margin), rationale)
        if target == 0:
            held = "long" if position > 0 else "short"
            rationale = (
                f"Momentum faded to {sigma}; closing {held} {abs(position):g} {asset} "
                f"at {unrealized:+,.2f} EUR unrealized"
            )
            side = "sell" if position > 0 else "buy"
            confidence = _conf(0.6 + 0.1 * (self.entry - abs(reading.momentum)))
            return Decision("close", side, qty, target, confidence, rationale)
        action = "buy" if target > position else "sell"
        direction = "long" if target > 0 else "short"
        if position == 0:
            verb = f"entering {direction} {qty:g} {asset}"
        elif position * target < 0:
            verb = f"flipping to {direction} {abs(target):g} {asset}"
        else:
            verb = f"adding {qty:g} {asset} to the {direction}"
        return Decision(action, action, qty, target, _conf(edge), f"{context}; {verb}")


def _adds_exposure(decision: Decision, position: float) -> bool:
    if decision.action == "hold":
        return False
    return abs(decision.target) > abs(position) or decision.target * position < 0


def _conf(value: float) -> float:
    return round(min(0.99, max(0.05, value)), 2)


JUDGEMENT_LEAN = 0.1  # how far the confidence leans toward the decision's outcome
JUDGEMENT_NOISE = 0.2  # and how noisily: better than chance, far from sure


def judged(decision: Decision, outcome: float, rng: random.Random) -> Decision:
    """The decision with the model's confidence: it leans toward how the decision scores
    (equity up or down by the next decision) but with noise, so it is informative yet
    imperfectly calibrated. A decision that changes nothing keeps the strategy's confidence.
    """
    if abs(outcome) < 1e-9:
        return decision
    lean = JUDGEMENT_LEAN if outcome > 0 else -JUDGEMENT_LEAN
    return replace(decision, confidence=_conf(0.55 + lean + rng.gauss(0.0, JUDGEMENT_NOISE)))


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits checked before an order that adds exposure (closing is always allowed)."""

    max_position: float  # in asset units
    max_drawdown: float = 0.02  # fraction of peak equity
    volatility_halt: float = 0.005  # 10-bar standard deviation of returns


def check_risk(
    limits: RiskLimits, decision: Decision, position: float, drawdown: float, volatility: float
) -> list[str]:
    """The reasons to block `decision` (empty when allowed)."""
    if not _adds_exposure(decision, position):
        return []
    reasons = []
    if abs(decision.target) > limits.max_position + 1e-9:
        reasons.append(f"max_position: {abs(decision.target):g} > limit {limits.max_position:g}")
    if drawdown < -limits.max_drawdown:
        reasons.append(f"drawdown_limit: {drawdown:.2%} beyond -{limits.max_drawdown:.1%}")
    if volatility > limits.volatility_halt:
        reasons.append(
            f"volatility_halt: 10-bar volatility {volatility:.2%} > {limits.volatility_halt:.2%}"
        )
    return reasons


@dataclass(slots=True)
class PaperAccount:
    """Cash, one position with its average price, realized PnL and fees, marked to market."""

    cash: float
    position: float = 0.0
    avg_price: float = 0.0
    realized_pnl: float = 0.0
    fees: float = 0.0
    peak_equity: float = 0.0
    max_drawdown: float = 0.0
    orders: int = 0
    fills: int = 0

    def fill(self, side: str, qty: float, price: float) -> tuple[float, float]:
        """Fill an order at `price` with slippage; return (fill price, fee)."""
        sign = 1.0 if side == "buy" else -1.0
        fill_price = round(price * (1.0 + sign * SLIPPAGE), 2)
        fee = round(qty * fill_price * FEE_RATE, 4)
        delta = sign * qty
        if self.position * delta < 0:  # reducing or flipping: realize the closed part
            closed = min(abs(delta), abs(self.position))
            direction = 1.0 if self.position > 0 else -1.0
            self.realized_pnl += closed * (fill_price - self.avg_price) * direction
        new_position = round(self.position + delta, 6)
        if new_position == 0:
            self.avg_price = 0.0
        elif self.position * new_position <= 0:
            self.avg_price = fill_price
        elif abs(new_position) > abs(self.position):
            total = abs(self.position) * self.avg_price + abs(delta) * fill_price
            self.avg_price = total / abs(new_position)
        self.position = new_position
        self.cash -= delta * fill_price + fee
        self.realized_pnl -= fee
        self.fees += fee
        self.fills += 1
        return fill_price, fee

    def mark(self, price: float) -> tuple[float, float, float]:
        """Return (equity, unrealized PnL, drawdown) at `price` and track the peak."""
        unrealized = self.position * (price - self.avg_price) if self.position else 0.0
        equity = self.cash + self.position * price
        self.peak_equity = max(self.peak_equity, equity)
        drawdown = equity / self.peak_equity - 1.0 if self.peak_equity > 0 else 0.0
        self.max_drawdown = min(self.max_drawdown, drawdown)
        return equity, unrealized, drawdown


@dataclass(frozen=True, slots=True)
class Step:
    """Everything that happened in one bar, ready to be written in any artifact format."""

    index: int
    bar: Bar
    reading: Reading
    decision: Decision
    risk_reasons: list[str] | None  # None when no order was intended
    order: dict[str, Any] | None
    fill: dict[str, Any] | None
    position: float
    cash: float
    equity: float
    realized_pnl: float
    unrealized_pnl: float
    drawdown: float
    latency_ms: float
    feed_error: str | None
    alerts: list[Alert]


class Trader:
    """One simulated AI paper trader on its own synthetic market; `step()` trades one bar."""

    def __init__(
        self,
        rng: random.Random,
        *,
        run_number: int,
        symbol: str,
        start_price: float,
        base_volume: float,
        lookback: int,
        start_balance: float,
        judgement: random.Random | None = None,
    ) -> None:
        self.rng = rng
        self.judgement = judgement or random.Random(f"judgement:{run_number}")
        self.last_equity = start_balance
        self.run_number = run_number
        self.symbol = symbol
        self.asset = symbol.split("/")[0]
        self.market = Market(rng, start_price, base_volume)
        self.strategy = MomentumStrategy(lookback=lookback)
        self.account = PaperAccount(cash=start_balance, peak_equity=start_balance)
        self.unit = float(f"{start_balance * 0.4 / start_price:.2g}")
        self.limits = RiskLimits(max_position=round(1.5 * self.unit, 6))
        self.steps = 0
        self.blocked = 0
        self.rejected = 0
        self.last_blocked_at = -1_000
        self._cap_until = -1
        self._aside_until = -1
        self._last_alert: dict[str, int] = {}

    def _throttled(self, rule_id: str, every: int) -> bool:
        last = self._last_alert.get(rule_id, -every)
        if self.steps - last < every:
            return True
        self._last_alert[rule_id] = self.steps
        return False

    def step(self) -> Step:
        """Advance the market one bar and act on it."""
        self.steps += 1
        account, alerts = self.account, []
        bar = self.market.next_bar()
        feed_error = None
        if self.rng.random() < 0.015:
            feed_error = f"Price feed timeout after 2.0 s on {self.symbol}; using the last trade"
        reading = self.strategy.update(bar.close)
        _, unrealized, drawdown = account.mark(bar.close)
        max_units = 1 if self.steps < self._cap_until else 2
        decision = self.strategy.decide(
            reading, account.position, self.unit, self.asset, unrealized, max_units=max_units
        )
        if self.steps < self._aside_until and _adds_exposure(decision, account.position):
            wait = self._aside_until - self.steps
            rationale = (
                f"{decision.rationale.split(';')[0]}, but standing aside after a risk block; "
                f"re-checking in {wait} bar{'s' if wait > 1 else ''}"
            )
            decision = Decision("hold", None, 0.0, account.position, 0.6, rationale)
        reasons, order, fill = None, None, None
        if decision.side is not None:
            reasons = check_risk(
                self.limits, decision, account.position, drawdown, reading.volatility
            )
            order_id = f"ord-{self.run_number:02d}-{account.orders + self.blocked + 1:05d}"
            order = {"order_id": order_id, "side": decision.side, "qty": decision.qty}
            order["price"] = bar.close
            if reasons:
                self.blocked += 1
                self.last_blocked_at = self.steps
                order["status"] = "blocked"
                self._aside_until = self.steps + 6
                if any(reason.startswith("max_position") for reason in reasons):
                    self._cap_until = self.steps + 25
                if not self._throttled("risk_blocked", 15):
                    text = (
                        f"Risk blocked {decision.side} {decision.qty:g} {self.asset}: {reasons[0]}"
                    )
                    alerts.append(Alert("risk_blocked", "warning", "RISK", text))
            elif self.rng.random() < REJECT_RATE:
                self.rejected += 1
                account.orders += 1
                why = self.rng.choice(["exchange rate limit (HTTP 429)", "post-only would cross"])
                order["status"] = "rejected"
                order["reason"] = why
                text = f"Order {order_id} rejected by the paper exchange: {why}"
                alerts.append(Alert("order_rejected", "warning", "EXECUTION", text))
            else:
                account.orders += 1
                order["status"] = "submitted"
                realized_before = account.realized_pnl
                price, fee = account.fill(decision.side, decision.qty, bar.close)
                fill = {"order_id": order_id, "side": decision.side, "qty": decision.qty}
                fill.update(price=price, fee=fee)
                loss = account.realized_pnl - realized_before
                if loss < -0.004 * account.peak_equity and not self._throttled("large_loss", 5):
                    text = f"Trade closed at {loss:+,.2f} EUR on {self.symbol}"
                    alerts.append(Alert("large_loss_abs", "warning", "RISK", text))
        equity, unrealized, drawdown = account.mark(bar.close)
        decision = judged(decision, equity - self.last_equity, self.judgement)
        self.last_equity = equity
        if drawdown < -WARN_SHARE * self.limits.max_drawdown and not self._throttled(
            "drawdown", 30
        ):
            alerts.append(drawdown_alert(drawdown, self.limits.max_drawdown, self.symbol))
        return Step(
            index=self.steps,
            bar=bar,
            reading=reading,
            decision=decision,
            risk_reasons=reasons,
            order=order,
            fill=fill,
            position=account.position,
            cash=round(account.cash, 2),
            equity=round(equity, 2),
            realized_pnl=round(account.realized_pnl, 2),
            unrealized_pnl=round(unrealized, 2),
            drawdown=drawdown,
            latency_ms=round(self.rng.uniform(4.0, 45.0), 1),
            feed_error=feed_error,
            alerts=alerts,
        )
