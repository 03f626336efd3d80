"""A fleet in the browser: the fleet view, a root's pages live under its path, and rows the
page adds by itself link within that root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import BROWSER_TESTS, DESKTOP, PHONE, SCREENSHOTS, PageWatch, live_settings, open_run
from live_server import running_server
from peakwatch.settings import parse_roots

pytestmark = BROWSER_TESTS


def test_fleet_view_and_a_roots_live_runs_table(browser: Any, tmp_path: Path) -> None:
    for name, equity in (("lab", 10_250.0), ("host-b", 9_800.0)):
        run = open_run(tmp_path / name / "live_runs", f"{name}_first")
        run.position(1.0, equity, realized_pnl=equity - 10_000.0)
    settings = live_settings(tmp_path).with_overrides(
        root_specs=parse_roots(["lab=lab", "host-b=host-b"], tmp_path)
    )
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        watch = PageWatch(base.removeprefix("http://")).attach(page)
        page.goto(base + "/")
        rows = page.locator("[data-fleet-table] tbody tr")
        assert rows.count() == 2
        assert page.locator('tr[data-root="lab"] [data-root-count="active"]').inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / "fleet-desktop.png"), full_page=False)
        phone = browser.new_context(viewport=PHONE, color_scheme="dark").new_page()
        phone.goto(base + "/")
        phone.screenshot(path=str(SCREENSHOTS / "fleet-phone-dark.png"))

        page.click('tr[data-root="lab"] a[href="/roots/lab/"]')
        page.click('nav a:has-text("Runs")')
        page.wait_for_url(base + "/roots/lab/dashboard")
        page.wait_for_function(
            "() => (document.getElementById('conn') || {}).textContent === 'live'", timeout=5000
        )
        late = open_run(tmp_path / "lab" / "live_runs", "lab_late")
        late.position(1.0, 10_000.0)
        added = page.locator('tr[data-run-id="lab_late"] a').first
        added.wait_for(timeout=5000)
        assert added.get_attribute("href") == "/roots/lab/dashboard/runs/lab_late"
        assert page.locator('tr[data-run-id="host-b_first"]').count() == 0  # other root's run
        added.click()
        page.wait_for_url(base + "/roots/lab/dashboard/runs/lab_late")
        page.click('nav a:has-text("Fleet")')
        page.wait_for_url(base + "/roots/")
        assert not watch.errors and not watch.foreign
