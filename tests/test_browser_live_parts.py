"""The run view's tiles, chart, scorecard and decisions follow the run without a reload;
Pause holds them too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser import BROWSER_TESTS, DESKTOP, live_settings, open_run
from live_server import running_server
from peakwatch.producer import RunWriter

pytestmark = BROWSER_TESTS

RUN = "parts_run"
TILE_JS = """(name) => {
  const tile = [...document.querySelectorAll('[data-live-part="tiles"] .tile')]
    .find((t) => t.querySelector('dt').textContent === name);
  return tile ? tile.querySelector('dd').textContent.trim() : null;
}"""
CHART_JS = """() => {
  const line = document.querySelector('[data-live-part="chart"] .eq-line');
  return line ? line.getAttribute('points') : null;
}"""

DECISIONS_JS = """() => document.querySelectorAll(
  '[data-live-part="decisions"] tr[data-decision-id]').length"""


def step(writer: RunWriter, equity: float) -> None:
    """One step of the run: a decision and the position after it."""
    decision_id = writer.decision("buy", rationale="probe", confidence=0.6)
    writer.position(1.0, equity, realized_pnl=equity - 10_000.0, decision_id=decision_id)


@pytest.mark.parametrize("path", [f"/dashboard/runs/{RUN}", f"/dashboard?run={RUN}"])
def test_tiles_and_chart_follow_the_run_and_pause_holds_them(
    browser: Any, tmp_path: Path, path: str
) -> None:
    settings = live_settings(tmp_path)
    writer = open_run(settings.runs_dir, RUN)
    for equity in (10_000.0, 10_010.0, 10_020.0):
        step(writer, equity)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(base + path)
        page.wait_for_function(
            "() => (document.getElementById('conn') || {}).textContent === 'live'", timeout=5000
        )
        assert page.evaluate(TILE_JS, "Equity") == "10,020.00 EUR"
        assert page.evaluate(TILE_JS, "Steps") == "3"
        points = page.evaluate(CHART_JS)
        assert points, "the chart is drawn"
        on_run_page = path.startswith("/dashboard/runs/")
        if on_run_page:
            assert page.evaluate(DECISIONS_JS) == 3

        step(writer, 10_250.5)
        page.wait_for_function(f"() => ({TILE_JS})('Equity') === '10,250.50 EUR'", timeout=10_000)
        assert page.evaluate(TILE_JS, "Steps") == "4"
        assert page.evaluate(CHART_JS) != points, "the chart took the new step"
        assert "Reload" not in page.locator("figure.chart").inner_text()
        if on_run_page:
            page.wait_for_function(f"() => ({DECISIONS_JS})() === 4", timeout=10_000)

        page.get_by_role("button", name="Pause").click()
        step(writer, 10_300.0)
        page.wait_for_timeout(3000)  # longer than a refresh cycle: nothing may change
        assert page.evaluate(TILE_JS, "Equity") == "10,250.50 EUR", "Pause holds the tiles"
        page.get_by_role("button", name="Resume").click()
        page.wait_for_function(f"() => ({TILE_JS})('Equity') === '10,300.00 EUR'", timeout=10_000)
        assert page.evaluate(TILE_JS, "Steps") == "5"
        page.context.close()
