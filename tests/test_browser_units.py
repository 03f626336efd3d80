"""Numbers and time for people: money with its currency, a position with its asset, prices
with thousands separators and quantities without noise, every time with its zone (UTC or the
local offset), and one count called "orders" on the run page and the session page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from browser import BROWSER_TESTS, DESKTOP, live_settings, open_run
from live_server import running_server
from peakwatch.producer.session_recorder import SessionRecorder
from peakwatch.producer.side_files import ExecutionTelemetryWriter

pytestmark = BROWSER_TESTS

RUN = "units_run"
SESSION = "session_units_1"
PAIRS_JS = """(selector) => Object.fromEntries([...document.querySelectorAll(selector)]
  .map((t) => [t.querySelector('dt').textContent.trim(),
               t.querySelector('dd').textContent.trim()]))"""
ROW_TIMES_JS = """() => [...document.querySelectorAll('.feed-row .row-head time.ts')]
  .map((t) => t.textContent.trim())"""


def write_run(settings: Any) -> None:
    """A BTC/EUR run: one order blocked by risk, one sent and filled, then a position of 29."""
    writer = open_run(settings.runs_dir, RUN)
    decision = writer.decision("buy", rationale="probe", confidence=0.7)
    writer.order("o-1", "buy", 40.0, 61_700.0, status="blocked", decision_id=decision)
    writer.order("o-2", "buy", 29.0, 61_755.59, decision_id=decision)
    writer.fill("o-2", "buy", 29.0, 61_755.59, fee=1.25, decision_id=decision)
    writer.position(29.0, 61_755.59, realized_pnl=12.5, unrealized_pnl=-3.25)
    ExecutionTelemetryWriter(settings.execution_dir, SESSION).write(
        "fill",
        {"side": "buy", "qty": 29.0, "price": "61755.59", "run_id": RUN},
        symbol="BTC/EUR",
        mode="paper",
    )
    recorder = SessionRecorder(
        settings.sessions_dir,
        session_id=SESSION,
        run_id=RUN,
        mode="paper",
        env_name="paper_probe",
        symbol="BTC/EUR",
        config={},
        cli_args=[],
    ).start()
    recorder.heartbeat({"num_orders": 1, "realized_pnl": 12.5})


def test_figures_carry_units_prices_separators_and_orders_mean_one_thing(
    browser: Any, tmp_path: Path
) -> None:
    settings = live_settings(tmp_path)
    write_run(settings)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(f"{base}/dashboard/runs/{RUN}")
        tiles = page.evaluate(PAIRS_JS, '[data-live-part="tiles"] .tile')
        assert tiles["Equity"] == "61,755.59 EUR"
        assert tiles["Realized PnL"] == "+12.50 EUR"
        assert tiles["Unrealized PnL"] == "-3.25 EUR"
        assert tiles["Position"] == "29 BTC"
        assert (tiles["Orders"], tiles["Blocked"]) == ("1", "1"), "sent, and blocked apart"

        page.goto(f"{base}/sessions/{SESSION}")
        meta = page.evaluate(PAIRS_JS, "dl.meta > div")
        assert meta["Orders"] == tiles["Orders"], "the session page counts the same orders"
        assert meta["Realized PnL"] == "+12.50 EUR"

        page.goto(f"{base}/activity?run={RUN}")
        text = page.locator(".feed").inner_text()
        assert "qty 29, price 61,755.59" in text, "execution telemetry reads like the rest"
        assert "Fill buy 29 @ 61,755.59, fee 1.25" in text
        assert "61755.59" not in text and "29.0" not in text
        times = page.evaluate(ROW_TIMES_JS)
        assert times and all(re.fullmatch(r"\d\d:\d\d:\d\d UTC", t) for t in times), times
        page.context.close()


def test_local_time_shows_its_offset_in_rendered_and_live_rows(
    browser: Any, tmp_path: Path
) -> None:
    settings = live_settings(tmp_path)
    write_run(settings)
    with running_server(settings) as base:
        context = browser.new_context(viewport=DESKTOP, timezone_id="Asia/Kolkata")
        page = context.new_page()
        page.goto(f"{base}/activity?run={RUN}&tz=local")
        page.locator("#conn", has_text="live").wait_for(timeout=5000)
        writer = open_run(settings.runs_dir, RUN)
        writer.event("error", "a live row", level="error")  # notable: not folded
        page.locator(".feed-row", has_text="a live row").wait_for(timeout=10_000)
        times = page.evaluate(ROW_TIMES_JS)
        assert len(times) > 1
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d UTC\+05:30", t) for t in times), times
        context.close()
