"""A demo run in the native format: events.jsonl, a session record, AI events and telemetry.

Every bar's decision gets a decision_id from the producer SDK, and the risk check, order,
fill and position that follow it (and its AI events line) carry that id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peakwatch.demo.plan import (
    RUNBOOKS,
    START_BALANCE,
    TIMEFRAME,
    Clock,
    Paths,
    Plan,
    Shared,
)
from peakwatch.demo.strategy import Step, Trader
from peakwatch.producer import (
    ExecutionTelemetryWriter,
    RunWriter,
    SessionRecorder,
    format_ts,
)


class NativeRun:
    """A run in the native format: events.jsonl, a session record, AI events and telemetry."""

    def __init__(self, plan: Plan, trader: Trader, paths: Paths, shared: Shared, ts: datetime):
        self.plan, self.trader, self.shared, self.clock = plan, trader, shared, Clock(ts)
        self.run_id = plan.run_id(ts)
        self.session_id = f"session_{ts:%Y%m%d_%H%M%S}_paper_{plan.session_tag}"
        config = {
            "strategy_name": plan.strategy,
            "symbol": plan.symbol,
            "timeframe": TIMEFRAME,
            "mode": "paper",
            "start_balance": START_BALANCE,
            "tags": ["demo", "ai", plan.strategy],
            "notes": "peakwatch demo: simulated AI paper trading",
            "lookback": plan.lookback,
            "max_position": trader.limits.max_position,
            "max_drawdown": trader.limits.max_drawdown,
        }
        self.writer = RunWriter(
            paths.runs,
            self.run_id,
            mode="paper",
            strategy_name=plan.strategy,
            symbol=plan.symbol,
            timeframe=TIMEFRAME,
            config_snapshot=config,
            notes="peakwatch demo: simulated AI paper trading",
            started_at=ts,
        )
        self.session = SessionRecorder(
            paths.sessions,
            session_id=self.session_id,
            run_id=self.run_id,
            mode="paper",
            env_name="demo_paper",
            symbol=plan.symbol,
            config=config,
            cli_args=shared.cli_args,
            strategy_tier="r_and_d",
            started_at=ts,
        )
        self.telemetry = ExecutionTelemetryWriter(paths.execution, self.session_id)
        self.last_step: Step | None = None
        self.session.start()
        self.writer.start(ts=self.clock())

    def _event(self, kind: str, msg: str, data: dict[str, Any], level: str = "info") -> None:
        self.writer.event(kind, msg, level=level, data=data, ts=self.clock())

    def _telemetry(self, kind: str, payload: dict[str, Any]) -> None:
        self.telemetry.write(kind, payload, symbol=self.plan.symbol, mode="paper", ts=self.clock())

    def write(self, step: Step, ts: datetime) -> None:
        """Write one bar's events."""
        self.clock.reset(ts)
        self.last_step = step
        bar, reading, decision, symbol = step.bar, step.reading, step.decision, self.plan.symbol
        change = bar.close / bar.open - 1.0
        self._event(
            "market",
            f"{symbol} close {bar.close:,.2f} ({change:+.2%}), volume {bar.volume:g}, {bar.regime}",
            {
                "ts_bar": format_ts(ts),
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "price": bar.close,
                "volume": bar.volume,
                "regime": bar.regime,
            },
        )
        if step.feed_error:
            self._event("error", step.feed_error, {"error": step.feed_error}, level="error")
            self._telemetry("error", {"error": step.feed_error})
        changed = " (changed)" if reading.changed else ""
        label = f"{reading.signal:+d}" if reading.signal else "0"
        self._event(
            "signal",
            f"Signal {label}{changed}: {reading.reason}",
            {"signal": reading.signal, "changed": reading.changed, "reason": reading.reason},
        )
        decision_id = self.writer.decision(
            decision.action,
            confidence=decision.confidence,
            rationale=decision.rationale,
            ts=self.clock(),
            symbol=symbol,
            signal=reading.signal,
        )
        self._write_order(step, decision_id)
        self._write_ai_event(step, decision_id)
        self._write_position(step, decision_id)
        for alert in step.alerts:  # one alert, in the run's file and in the store alike
            moment = self.clock()
            self.writer.alert(
                alert.rule_id, alert.severity, alert.message, ts=moment, threshold=alert.threshold
            )
            self.shared.alert_store.write(
                alert.message,
                f"{alert.message}. Run {self.run_id}, strategy {self.plan.strategy}.",
                severity={"info": "INFO", "warning": "WARN"}.get(alert.severity, "CRITICAL"),
                category=alert.category,
                source="peakwatch.demo",
                session_id=self.session_id,
                runbooks=RUNBOOKS.get(alert.category, []),
                timestamp=moment,
                context={"rule_id": alert.rule_id, "run_id": self.run_id}
                | ({"threshold": alert.threshold} if alert.threshold is not None else {}),
            )
        if step.index % 10 == 0:
            self.writer.heartbeat(ts=self.clock())
        if step.index % 5 == 0:
            self.session.heartbeat(self.metrics(step), ts=self.clock())

    def _write_order(self, step: Step, decision_id: str) -> None:
        reasons, order, fill = step.risk_reasons, step.order, step.fill
        if reasons is None or order is None:
            return
        what = f"{order['side']} {order['qty']:g} {self.trader.asset}"
        allowed = not reasons
        self._telemetry("gate", {"allowed": allowed, "reasons": reasons})
        if allowed:
            msg = f"Risk check passed for {what}"
        else:
            msg = f"Risk blocked {what}: {'; '.join(reasons)}"
        self.writer.risk(allowed, reasons, decision_id=decision_id, msg=msg, ts=self.clock())
        self._telemetry("intent", {key: order[key] for key in ("order_id", "side", "qty", "price")})
        status = order["status"]
        data = {key: order[key] for key in ("order_id", "side", "qty", "price", "status")}
        msg = f"Order {order['order_id']} {what} @ {order['price']:,.2f} {status}"
        extra = {}
        if status == "rejected":
            msg += f": {order['reason']}"
            data["reason"] = extra["reason"] = order["reason"]
        self.writer.order(
            order["order_id"],
            order["side"],
            order["qty"],
            order["price"],
            status=status,
            decision_id=decision_id,
            msg=msg,
            ts=self.clock(),
            **extra,
        )
        if status != "blocked":
            self._telemetry("order", data)
        if status == "rejected":
            self._telemetry("error", {"order_id": order["order_id"], "error": order["reason"]})
        if fill is not None:
            msg = (
                f"Filled {fill['order_id']} {what} @ {fill['price']:,.2f}, "
                f"fee {fill['fee']:.4f} EUR"
            )
            self.writer.fill(
                fill["order_id"],
                fill["side"],
                fill["qty"],
                fill["price"],
                fill["fee"],
                decision_id=decision_id,
                msg=msg,
                ts=self.clock(),
            )
            self._telemetry("fill", dict(fill))

    def _write_ai_event(self, step: Step, decision_id: str) -> None:
        decision, order = step.decision, step.order
        if order is None:
            verdict, reason = "noop", "no_signal" if step.position == 0 else "holding"
        elif order["status"] == "submitted":
            verdict, reason = "accept", "none"
        elif order["status"] == "blocked":
            verdict, reason = "reject", "risk_limit"
        else:
            verdict, reason = "reject", "exchange_reject"
        self.shared.ai_events.decision(
            component=self.plan.strategy,
            run_id=self.run_id,
            decision=verdict,
            reason=reason,
            latency_ms=step.latency_ms,
            action="submit" if verdict == "accept" else "none",
            confidence=decision.confidence,
            rationale=decision.rationale,
            decision_id=decision_id,
            ts=self.clock(),
        )

    def _write_position(self, step: Step, decision_id: str) -> None:
        side = "flat" if step.position == 0 else ("long" if step.position > 0 else "short")
        size = f" {abs(step.position):g} {self.trader.asset}" if step.position else ""
        msg = (
            f"{self.plan.symbol} {side}{size}; equity {step.equity:,.2f} EUR "
            f"(realized {step.realized_pnl:+,.2f}, unrealized {step.unrealized_pnl:+,.2f})"
        )
        self.writer.position(
            step.position,
            step.equity,
            symbol=self.plan.symbol,
            cash=step.cash,
            realized_pnl=step.realized_pnl,
            unrealized_pnl=step.unrealized_pnl,
            decision_id=decision_id,
            msg=msg,
            ts=self.clock(),
        )

    def metrics(self, step: Step | None = None) -> dict[str, Any]:
        """Session metrics in the Peak_Trade registry shape."""
        trader, account = self.trader, self.trader.account
        recent_block = trader.steps - trader.last_blocked_at < 20
        breach = account.max_drawdown < -trader.limits.max_drawdown
        price = step.bar.close if step else 0.0
        notional = round(abs(account.position) * price, 2)
        return {
            "realized_pnl": round(account.realized_pnl, 2),
            "unrealized_pnl": step.unrealized_pnl if step else 0.0,
            "max_drawdown": round(account.max_drawdown, 6),
            "num_orders": account.orders,
            "num_trades": account.fills,
            "steps": trader.steps,
            "fill_rate": round(account.fills / account.orders, 4) if account.orders else None,
            "risk_status": "red" if breach else ("yellow" if recent_block else "green"),
            "risk_severity": "breach" if breach else ("warning" if recent_block else "ok"),
            "open_positions": 1 if account.position else 0,
            "total_notional": notional,
            "exposure": round(notional / step.equity, 4) if step and step.equity else 0.0,
        }

    def finish(self, status: str, ts: datetime) -> None:
        """Finish the run and its session."""
        self.clock.reset(ts)
        self.writer.finish(status, ts=self.clock())
        self.session.heartbeat(self.metrics(self.last_step), ts=self.clock())
        error = "stopped by the operator (Ctrl-C)" if status == "aborted" else None
        self.session.finish(status, error, ts=self.clock())
