"""A demo run in Peak_Trade's own formats: events.csv or events.parquet beside meta.json."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peakwatch.demo.plan import (
    COMPAT_EXTRAS,
    TIMEFRAME,
    Paths,
    Plan,
)
from peakwatch.demo.strategy import Step, Trader
from peakwatch.producer import (
    PeakTradeCsvEventsWriter,
    PeakTradeParquetEventsWriter,
    format_ts,
    write_json_atomic,
)
from peakwatch.producer.atomic import append_json_line


class CompatRun:
    """A run in a Peak_Trade format: meta.json plus events.csv or events.parquet rows."""

    def __init__(self, plan: Plan, trader: Trader, paths: Paths, ts: datetime) -> None:
        self.plan, self.trader = plan, trader
        self.run_id = plan.run_id(ts)
        self.run_dir = paths.runs / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.meta: dict[str, Any] = {
            "run_id": self.run_id,
            "mode": "paper",
            "strategy_name": plan.strategy,
            "symbol": plan.symbol,
            "timeframe": TIMEFRAME,
            "started_at": format_ts(ts),
            "ended_at": None,
            "config_snapshot": {"tags": ["demo", "peak_trade_format", plan.fmt]},
            "notes": f"Peak_Trade {plan.fmt} events format (compatibility demo)",
        }
        write_json_atomic(self.run_dir / "meta.json", self.meta)
        self.rows: PeakTradeCsvEventsWriter | PeakTradeParquetEventsWriter
        if plan.fmt == "csv":
            self.rows = PeakTradeCsvEventsWriter(self.run_dir, extra_columns=COMPAT_EXTRAS)
        else:
            self.rows = PeakTradeParquetEventsWriter(self.run_dir, extra_columns=COMPAT_EXTRAS)

    def write(self, step: Step, ts: datetime) -> None:
        """Append one step row (and Peak_Trade alerts)."""
        bar, order, fill = step.bar, step.order, step.fill
        status = order["status"] if order else None
        reasons = step.risk_reasons or []
        self.rows.append(
            {
                "step": step.index,
                "ts_bar": ts,
                "ts_event": ts,
                "price": bar.close,
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "volume": bar.volume,
                "position_size": step.position,
                "cash": step.cash,
                "equity": step.equity,
                "realized_pnl": step.realized_pnl,
                "unrealized_pnl": step.unrealized_pnl,
                "signal": step.reading.signal,
                "signal_changed": step.reading.changed,
                "orders_generated": int(order is not None),
                "orders_filled": int(fill is not None),
                "orders_rejected": int(status == "rejected"),
                "orders_blocked": int(status == "blocked"),
                "risk_allowed": not reasons,
                "risk_reasons": "; ".join(reasons),
                "extra_order_side": order["side"] if order else None,
                "extra_fill_price": fill["price"] if fill else None,
                "extra_execution_status": status,
                "extra_rejection_reason": order.get("reason") if order else None,
                "extra_ai_action": step.decision.action,
                "extra_ai_confidence": step.decision.confidence,
            }
        )
        for alert in step.alerts:
            line: dict[str, Any] = {
                "rule_id": alert.rule_id,
                "severity": alert.severity,
                "message": alert.message,
                "run_id": self.run_id,
                "timestamp": format_ts(ts),
            }
            if alert.threshold is not None:
                line["threshold"] = alert.threshold
            append_json_line(self.run_dir / "alerts.jsonl", line)

    def finish(self, status: str, ts: datetime) -> None:
        """Write the remaining rows and set `ended_at` (upstream has no status field)."""
        if isinstance(self.rows, PeakTradeParquetEventsWriter):
            self.rows.flush()
        self.meta["ended_at"] = format_ts(ts)
        write_json_atomic(self.run_dir / "meta.json", self.meta)
