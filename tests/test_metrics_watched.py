"""`/metrics` exports what peakwatch watches: per-run figures, fleet counts and the lock.

The runs are the hand-computed world of tests/trade_world.py, written while the server
runs so that the live feed (not the scrape) reads them, as it does for a runner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from peakwatch.producer.run_writer import RunWriter
from peakwatch.settings import load_settings
from peakwatch.web import create_app
from trade_world import build_trade_world
from web_helpers import metric_lines, wait_until

ALPHA = {"run_id": "alpha", "strategy": "trend", "symbol": "BTC/EUR", "mode": "paper"}


def samples(client: TestClient, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of metric `name` as (labels, value)."""
    found = []
    for key, value in metric_lines(client, name).items():
        inner = key[len(name) + 1 : -1] if key.endswith("}") else ""
        pairs = (part.split("=", 1) for part in inner.split(",") if part)
        found.append(({k: v.strip('"') for k, v in pairs}, value))
    return found


def value_of(client: TestClient, name: str, **labels: str) -> float | None:
    """The value of the one sample of `name` with exactly `labels`, else None."""
    for found, value in samples(client, name):
        if found == labels:
            return value
    return None


def run_ids(client: TestClient) -> set[str]:
    return {labels["run_id"] for labels, _ in samples(client, "peakwatch_run_status")}


def _client(roots: Path, **overrides: object) -> TestClient:
    settings = load_settings(
        {"index_max_age_seconds": 0.0, "poll_interval_seconds": 0.05, **overrides},
        environ={},
        cwd=roots,
    )
    return TestClient(create_app(settings), base_url="http://localhost")


@pytest.fixture
def scraped(roots: Path) -> Iterator[TestClient]:
    """A running server over the trade world, its runs counted by the live feed."""
    with _client(roots, metrics_completed_seconds=1e10) as client:
        client.get("/metrics")  # the feed is primed before the runs appear
        build_trade_world(roots / "live_runs")
        wait_until(
            lambda: value_of(client, "peakwatch_run_counted", **ALPHA) == 1,
            what="alpha counted by the live feed",
        )
        yield client


def test_each_run_exports_its_figures(scraped: TestClient) -> None:
    def one(name: str, **extra: str) -> float | None:
        return value_of(scraped, name, **ALPHA, **extra)

    assert one("peakwatch_run_equity") == 105.0
    assert one("peakwatch_run_max_drawdown_ratio") == pytest.approx(105 / 110 - 1)
    assert one("peakwatch_run_steps_total") == 7
    assert one("peakwatch_run_orders_total", state="submitted") == 4
    assert one("peakwatch_run_orders_total", state="filled") == 4
    assert one("peakwatch_run_orders_total", state="blocked") == 0
    assert one("peakwatch_run_decisions_total", action="buy") == 2
    assert one("peakwatch_run_decisions_total", action="sell") == 2
    assert one("peakwatch_run_hit_rate_ratio") == 0.5
    assert one("peakwatch_run_brier_score") == pytest.approx(0.185)
    assert one("peakwatch_run_status", status="completed") == 1
    assert one("peakwatch_run_status", status="active") == 0


def test_fleet_counts_and_the_lock(scraped: TestClient) -> None:
    runs = metric_lines(scraped, "peakwatch_runs")
    assert runs['peakwatch_runs{status="completed"}'] == 3
    assert runs['peakwatch_runs{status="stale"}'] == 1  # quiet: started, never finished
    assert metric_lines(scraped, "peakwatch_runs_not_exported")["peakwatch_runs_not_exported"] == 0
    # no safety config under the roots: the verdict is not LIVE LOCKED
    assert metric_lines(scraped, "peakwatch_live_locked")["peakwatch_live_locked"] == 0
    text = scraped.get("/metrics").text
    assert "# HELP peakwatch_run_equity " in text
    assert "# TYPE peakwatch_run_orders_total counter" in text


def test_series_are_bounded_newest_active_first(roots: Path) -> None:
    """Over metrics_max_runs the newest go first; long-completed runs drop out."""
    with _client(roots, metrics_max_runs=1, metrics_completed_seconds=1e10) as client:
        build_trade_world(roots / "live_runs")
        RunWriter(
            roots / "live_runs", "now", mode="paper", strategy_name="s", symbol="X", timeframe="1s"
        ).start()
        wait_until(lambda: run_ids(client) == {"now"}, what="only the newest active run")
        assert (
            metric_lines(client, "peakwatch_runs_not_exported")["peakwatch_runs_not_exported"] == 4
        )
    with _client(roots) as client:  # default: completed an hour ago and more drop out
        wait_until(lambda: run_ids(client), what="runs listed")
        assert run_ids(client) == {"now", "quiet"}  # quiet never finished: stale, kept


def test_the_api_contract_lists_every_metric_and_no_other(scraped: TestClient) -> None:
    """The metric table in the API contract is checked against a real scrape."""
    contract = (Path(__file__).parents[1] / "docs/webui/DASHBOARD_API_CONTRACT_v0.md").read_text()
    section = contract.split("## `GET /metrics`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(peakwatch_[a-z_]+)` \|", section, flags=re.M))
    scraped_names = set()
    for line in scraped.get("/metrics").text.splitlines():
        if line.startswith("# TYPE "):
            scraped_names.add(line.split()[2])
    assert documented == scraped_names


def test_firing_alerts_are_counted_by_severity_once_per_rule_and_subject(roots: Path) -> None:
    """Two lines of one rule about one run are one firing alert; another rule is another."""
    with _client(roots) as client:
        run = RunWriter(
            roots / "live_runs", "loud", mode="paper", strategy_name="s", symbol="X", timeframe="1s"
        ).start()
        run.alert("large_loss_abs", "critical", "Trade closed at -85 EUR")
        run.alert("large_loss_abs", "critical", "Trade closed at -90 EUR")
        run.alert("slow_fill", "warning", "Fill took 4 s")

        def firing() -> dict[str, float]:
            return {
                labels["severity"]: value
                for labels, value in samples(client, "peakwatch_alerts_firing")
            }

        wait_until(lambda: firing().get("critical") == 1, what="one critical alert firing")
        assert firing() == {"info": 0, "warning": 1, "critical": 1}
