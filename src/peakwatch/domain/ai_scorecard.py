"""The AI scorecard and the trades across runs: grouped by component, strategy, symbol or run."""

from __future__ import annotations

from typing import Any

from peakwatch.domain.run_decisions import run_defaults, tallies_answer
from peakwatch.domain.run_queries import Runs
from peakwatch.domain.scorecard import Tally
from peakwatch.domain.trades import STATES, PnlSums

GROUPS = ("component", "strategy", "symbol", "run")


class AiScorecard:
    """Cross-run views over every listed run's decisions and trades."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    def _followed(self, run_id: str | None = None) -> list[Any]:
        """The listed runs (or the one named) with their ledgers caught up."""
        self.runs.side.catch_up()
        if run_id is not None:
            found = self.runs.followed(run_id, catch_up=False)
            return [found] if found is not None else []
        followed = []
        for run in self.runs.all_runs():
            found = self.runs.followed(run.run_id, catch_up=False)
            if found is not None:
                followed.append(found)
        return followed

    def scorecard(self, group_by: str = "component") -> dict[str, Any]:
        """One scorecard per group (component: the decision's, else the run's strategy).

        Raises ValueError for another `group_by`.
        """
        if group_by not in GROUPS:
            raise ValueError("group_by must be component, strategy, symbol or run")
        groups: dict[str, Tally] = {}
        runs_of: dict[str, set[str]] = {}
        for run, ledger in self._followed():
            strategy, symbol = run_defaults(run)
            for (component, own_symbol), tally in tallies_answer(ledger).items():
                if not tally.decisions:  # a group its decisions have all left
                    continue
                label = group_label(group_by, run.run_id, strategy, symbol, component, own_symbol)
                groups.setdefault(label, Tally()).merge(tally)
                runs_of.setdefault(label, set()).add(run.run_id)
        total = Tally()
        for tally in groups.values():
            total.merge(tally)
        rows = [
            {"group": name, "runs": len(runs_of[name]), **groups[name].view()}
            for name in sorted(groups)
        ]
        return {"group_by": group_by, "groups": rows, "total": total.view()}

    def runs_by_group(self, group_by: str) -> dict[str, list[str]]:
        """The ids of the runs with decisions in each group of `scorecard(group_by)`, sorted.

        Raises ValueError for another `group_by`.
        """
        if group_by not in GROUPS:
            raise ValueError("group_by must be component, strategy, symbol or run")
        found: dict[str, set[str]] = {}
        for run, ledger in self._followed():
            strategy, symbol = run_defaults(run)
            for (component, own_symbol), tally in tallies_answer(ledger).items():
                if tally.decisions:
                    label = group_label(
                        group_by, run.run_id, strategy, symbol, component, own_symbol
                    )
                    found.setdefault(label, set()).add(run.run_id)
        return {label: sorted(ids) for label, ids in found.items()}

    def trades(
        self,
        *,
        symbol: str | None = None,
        state: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Trades across runs, newest entry first (at most `limit`), with PnL per symbol and,
        without a symbol filter, per day.

        Raises ValueError for a state other than open or closed.
        """
        if state is not None and state not in STATES:
            raise ValueError("state must be open or closed")
        found: list[dict[str, Any]] = []
        by_symbol: dict[str, PnlSums] = {}
        by_day: dict[str, PnlSums] = {}
        for run, ledger in self._followed(run_id):
            _, default = run_defaults(run)
            with ledger.books() as (_, book):
                for name, sums in book.by_symbol.items():
                    if symbol is None or (name or default) == symbol:
                        _add(by_symbol.setdefault(name or default or "?", PnlSums()), sums)
                for day, sums in book.by_day.items():
                    if symbol is None:
                        _add(by_day.setdefault(day, PnlSums()), sums)
                kept = 0
                for trade in reversed(book.trades):
                    if kept >= limit:
                        break
                    if state is not None and (state == "closed") != trade.closed:
                        continue
                    if symbol is not None and (trade.symbol or default) != symbol:
                        continue
                    view = trade.view(book.marks.get(trade.symbol), default, book.last_time)
                    found.append({"run_id": run.run_id, **view})
                    kept += 1
        found.sort(key=lambda row: (row["entry_time"], row["run_id"], row["trade_id"]))
        return {
            "trades": found[::-1][:limit],
            "by_symbol": {name: sums.view() for name, sums in sorted(by_symbol.items())},
            "by_day": {day: sums.view() for day, sums in sorted(by_day.items())},
        }


def group_label(
    group_by: str,
    run_id: str,
    strategy: str | None,
    symbol: str | None,
    component: str | None,
    own_symbol: str | None,
) -> str:
    """A decision group's name: its component (else the run's strategy), the run's strategy,
    its symbol (else the run's), or the run; "(none)" when unknown."""
    name = {
        "component": component or strategy,
        "strategy": strategy,
        "symbol": own_symbol or symbol,
        "run": run_id,
    }[group_by]
    return name if name is not None else "(none)"


def _add(total: PnlSums, sums: PnlSums) -> None:
    total.trades += sums.trades
    total.wins += sums.wins
    total.losses += sums.losses
    total.pnl += sums.pnl
    total.fees += sums.fees
