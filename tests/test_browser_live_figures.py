"""Live figures without a reload: the runs tables' PnL, hit rate and sparkline on home and
/dashboard (also in a row the stream added), and a decision page's trace and next link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser import BROWSER_TESTS, DESKTOP, live_settings, open_run
from live_server import running_server
from peakwatch.producer import RunWriter

pytestmark = BROWSER_TESTS

RUN = "figures_run"
NEW_RUN = "figures_new_run"
LIVE_JS = "() => (document.getElementById('conn') || {}).textContent === 'live'"
CELL_JS = r"""([run, cell]) => {
  const td = document.querySelector(`tr[data-run-id="${run}"] td[data-cell="${cell}"]`);
  return td ? td.textContent.replace(/\s+/g, '') : null;  // spacing is the formatter's
}"""
SPARK_JS = """(run) => {
  const line = document.querySelector(`tr[data-run-id="${run}"] .spark polyline`);
  return line ? line.getAttribute('points') : null;
}"""


def round_trip(writer: RunWriter, entry: float, exit: float, equity: float) -> None:
    """A decision to buy one unit at `entry` and one to sell it at `exit`, with their fills."""
    for action, side, price, size in (("buy", "buy", entry, 1.0), ("sell", "sell", exit, 0.0)):
        decision_id = writer.decision(action, rationale="probe", confidence=0.7)
        order_id = f"o-{writer.seq}"
        writer.order(order_id, side, 1.0, price, decision_id=decision_id)
        writer.fill(order_id, side, 1.0, price, decision_id=decision_id)
        marked = equity if size == 0.0 else equity - (exit - entry)
        writer.position(size, marked, decision_id=decision_id)


def cell(page: Any, run: str, name: str) -> str | None:
    return page.evaluate(CELL_JS, [run, name])


def wait_cell(page: Any, run: str, name: str, text: str) -> None:
    page.wait_for_function(
        f"(args) => ({CELL_JS})(args) === {text!r}", arg=[run, name], timeout=10_000
    )


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_runs_table_figures_follow_the_runs_without_reload(
    browser: Any, tmp_path: Path, path: str
) -> None:
    settings = live_settings(tmp_path)
    writer = open_run(settings.runs_dir, RUN)
    round_trip(writer, 100.0, 110.0, 10_010.0)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(base + path)
        page.wait_for_function(LIVE_JS, timeout=5000)
        page.evaluate("() => { window.__notReloaded = true; }")
        assert cell(page, RUN, "pnl") == "+10.00EUR"
        assert cell(page, RUN, "hit-rate") == "–", "no decision is closed with a win or loss yet"
        spark = page.evaluate(SPARK_JS, RUN)
        assert spark, "the sparkline is drawn"

        round_trip(writer, 110.0, 100.0, 10_000.0)  # a losing trade: PnL back to 0
        wait_cell(page, RUN, "pnl", "0.00EUR")
        assert cell(page, RUN, "hit-rate") == "100.0%", "the first sell is closed as a win"
        assert page.evaluate(SPARK_JS, RUN) != spark, "the sparkline took the new steps"

        newcomer = open_run(settings.runs_dir, NEW_RUN)  # a row the stream adds
        newcomer.heartbeat()
        page.wait_for_selector(f'tr[data-run-id="{NEW_RUN}"]', timeout=10_000)
        round_trip(newcomer, 100.0, 125.5, 10_025.5)
        wait_cell(page, NEW_RUN, "pnl", "+25.50EUR")
        assert page.evaluate(SPARK_JS, NEW_RUN), "the new row's sparkline is drawn"
        assert page.evaluate("() => window.__notReloaded === true"), "the page never reloaded"
        page.context.close()


TRACE_JS = "() => [...document.querySelectorAll('.wf-steps > li')].map((li) => li.dataset.kind)"


def test_decision_page_trace_and_next_link_follow_the_run(browser: Any, tmp_path: Path) -> None:
    settings = live_settings(tmp_path)
    writer = open_run(settings.runs_dir, RUN)
    decision_id = writer.decision("buy", rationale="probe", confidence=0.7)
    writer.order("o-1", "buy", 1.0, 100.0, decision_id=decision_id)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(f"{base}/dashboard/runs/{RUN}/decisions/{decision_id}")
        page.wait_for_function(LIVE_JS, timeout=5000)
        page.evaluate("() => { window.__notReloaded = true; }")
        assert page.evaluate(TRACE_JS) == ["decision", "order"]
        assert page.locator("a[data-next]").count() == 0
        assert "Newest decision" in page.locator("nav.decision-nav").inner_text()

        writer.fill("o-1", "buy", 1.0, 100.5, fee=0.1, decision_id=decision_id)
        page.wait_for_function(f"() => ({TRACE_JS})().includes('fill')", timeout=10_000)
        assert page.evaluate(TRACE_JS) == ["decision", "order", "fill"]
        assert page.locator(".executions-table tr[data-kind='fill']").count() == 1

        next_id = writer.decision("sell", rationale="probe", confidence=0.4)
        page.wait_for_selector("a[data-next]", timeout=10_000)
        href = page.locator("a[data-next]").get_attribute("href")
        assert href == f"/dashboard/runs/{RUN}/decisions/{next_id}"
        assert page.evaluate("() => window.__notReloaded === true"), "the page never reloaded"
        page.context.close()
