"""One meaning of "orders": sent to the venue. An order the risk check blocked is counted as
blocked and never as an order, on the run snapshot, the run page and /metrics alike."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from peakwatch.producer.run_writer import RunWriter
from peakwatch.settings import load_settings
from peakwatch.web import create_app
from web_helpers import metric_lines, wait_until

RUN = "orders_run"


def test_a_blocked_order_is_blocked_not_an_order_on_every_surface(roots: Path) -> None:
    settings = load_settings(
        {"index_max_age_seconds": 0.0, "poll_interval_seconds": 0.05}, environ={}, cwd=roots
    )
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        client.get("/metrics")  # the live feed is primed before the run appears
        writer = RunWriter(
            settings.runs_dir,
            RUN,
            mode="paper",
            strategy_name="probe",
            symbol="BTC/EUR",
            timeframe="1s",
        ).start()
        writer.order("o-1", "buy", 1.0, 100.0, status="blocked")
        writer.order("o-2", "buy", 1.0, 100.0)
        writer.order("o-3", "sell", 1.0, 101.0, status="rejected")
        writer.position(0.0, 10_000.0)

        snapshot = client.get(f"/runs/{RUN}/snapshot").json()
        assert (snapshot["total_orders"], snapshot["total_blocked_orders"]) == (3, 1)
        assert snapshot["total_orders_sent"] == 2

        def submitted() -> float | None:
            for key, value in metric_lines(client, "peakwatch_run_orders_total").items():
                if f'run_id="{RUN}"' in key and 'state="submitted"' in key:
                    return value
            return None

        wait_until(lambda: submitted() is not None, what="the run counted by the live feed")
        assert submitted() == 2

        html = client.get(f"/dashboard/runs/{RUN}").text
        assert "<dt>Orders</dt><dd>2</dd>" in html
        assert "<dt>Blocked</dt><dd>1</dd>" in html
