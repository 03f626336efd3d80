"""Response shapes of the decisions API for the OpenAPI document (data is shaped in domain/)."""

from __future__ import annotations

from typing import Literal

from peakwatch.web.schemas import ArtifactProblem, Shape

Link = Literal["id", "inferred", "mixed"]


class DecisionRow(Shape):
    """One decision: what the AI decided, what followed, and its outcome as the run stands."""

    decision_id: str
    id_given: bool
    ts: str | None
    action: str
    confidence: float | None
    rationale: str | None
    component: str | None
    symbol: str | None
    latency_ms: float | None
    verdict: str | None
    reason: str | None
    sources: list[str]
    risk: Literal["allowed", "blocked"] | None
    risk_reasons: list[str]
    orders: int
    orders_rejected: int
    fills: int
    first_fill_delay_ms: float | None
    link: Link | None
    equity_before: float | None
    equity_after: float | None
    outcome_pnl: float | None
    state: Literal["open", "closed"]
    result: Literal["win", "loss", "flat"] | None


class OutcomeCounts(Shape):
    win: int
    loss: int
    flat: int
    open: int


class DecisionCounts(Shape):
    """The whole run's counts, not only this page's."""

    decisions: int
    by_action: dict[str, int]
    by_outcome: OutcomeCounts


class DecisionsPage(Shape):
    run_id: str
    decisions: list[DecisionRow]
    next_cursor: str | None
    scan_stopped: bool
    counts: DecisionCounts
    problems: list[ArtifactProblem]


class TraceItem(Shape):
    """One thing that followed the decision; fields beyond the first five appear when known."""

    kind: str
    ts: str | None
    delay_ms: float
    link: Literal["id", "inferred"]
    source: str
    allowed: bool | None = None
    status: str | None = None
    order_id: str | None = None
    intent_id: str | None = None
    side: str | None = None
    qty: float | None = None
    price: float | None = None
    fee: float | None = None
    position_size: float | None = None
    equity: float | None = None
    error: str | None = None
    reasons: list[str] | None = None
    count: int | None = None


class DecisionDetail(DecisionRow):
    run_id: str
    previous_id: str | None
    next_id: str | None
    trace: list[TraceItem]
    trace_dropped: int


class Percentiles(Shape):
    count: int
    p50: float | None
    p95: float | None


class CalibrationBin(Shape):
    lo: float
    hi: float
    count: int
    mean_confidence: float | None
    hit_rate: float | None


class Scorecard(Shape):
    """The AI scorecard: counts over every decision, outcome figures over closed ones."""

    decisions: int
    by_action: dict[str, int]
    open: int
    closed: int
    scored: int
    wins: int
    losses: int
    flats: int
    risk_checked: int
    blocked: int
    blocked_share: float | None
    orders_sent: int
    orders_rejected: int
    rejected_share: float | None
    hit_rate: float | None
    avg_win: float | None
    avg_loss: float | None
    profit_factor: float | None
    pnl_total: float
    pnl_per_decision: float | None
    latency_ms: Percentiles
    first_fill_delay_ms: Percentiles
    calibration: list[CalibrationBin]
    calibrated: int
    brier: float | None


class RunScorecard(Scorecard):
    run_id: str
    strategy: str | None
    symbol: str | None


class ScorecardGroup(Scorecard):
    group: str
    runs: int


class AiScorecard(Shape):
    group_by: Literal["component", "strategy", "symbol", "run"]
    groups: list[ScorecardGroup]
    total: Scorecard


class TradeView(Shape):
    """A position from flat to flat or to a reversal, and the decisions opening and closing it."""

    run_id: str
    trade_id: str
    symbol: str | None
    side: Literal["long", "short"]
    state: Literal["open", "closed"]
    entry_time: str | None
    entry_price: float | None
    exit_time: str | None
    exit_price: float | None
    qty: float
    open_qty: float
    fees: float
    pnl: float
    duration_s: float
    open_decision_id: str | None
    close_decision_id: str | None


class PnlSums(Shape):
    trades: int
    wins: int
    losses: int
    pnl: float
    fees: float


class SymbolPnl(PnlSums):
    open: int
    open_pnl: float


class RunTrades(Shape):
    run_id: str
    trades: list[TradeView]
    next_cursor: str | None
    trades_total: int
    trades_open: int
    trades_closed: int
    by_symbol: dict[str, SymbolPnl]
    by_day: dict[str, PnlSums]


class TradesAcrossRuns(Shape):
    trades: list[TradeView]
    by_symbol: dict[str, PnlSums]
    by_day: dict[str, PnlSums]
