"""The run page of a huge run: a progress bar while its history is counted, moved on by the
stream, gone (with the complete totals) when the count ends, without a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.data import write_jsonl_events, write_meta

from browser import BROWSER_TESTS, DESKTOP, PHONE, SCREENSHOTS, live_settings
from live_server import running_server
from peakwatch.domain import first_look

pytestmark = BROWSER_TESTS

RUN = "huge_run"
LIVE_JS = "() => (document.getElementById('conn') || {}).textContent === 'live'"
BAR_JS = "() => { const bar = document.querySelector('.counting progress'); " \
    "return bar ? Number(bar.getAttribute('value')) : null; }"  # fmt: skip


def test_the_progress_bar_moves_and_ends_without_reload(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_look, "TOTALS_INLINE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "BOOKS_INLINE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "TOTALS_SLICE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "BOOKS_SLICE_BYTES", 64 << 10)
    monkeypatch.setattr(first_look, "TOTALS_CPU_SHARE", 0.1)
    settings = live_settings(tmp_path)
    write_meta(settings.runs_dir / RUN, RUN, ended=True)
    write_jsonl_events(settings.runs_dir / RUN / "events.jsonl", 12_000)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(f"{base}/dashboard/runs/{RUN}")
        page.wait_for_function(LIVE_JS, timeout=5000)
        page.evaluate("() => { window.__notReloaded = true; }")
        label = page.locator(".counting label").inner_text()
        assert label.startswith("Counting the totals:") and "MB" in label
        first = page.evaluate(BAR_JS)
        page.screenshot(path=str(SCREENSHOTS / "first-look-desktop.png"), full_page=False)
        phone = browser.new_context(viewport=PHONE, color_scheme="dark").new_page()
        phone.goto(f"{base}/dashboard/runs/{RUN}")
        phone.locator(".counting").scroll_into_view_if_needed()
        phone.screenshot(path=str(SCREENSHOTS / "first-look-phone-dark.png"))
        page.wait_for_function(f"() => ({BAR_JS})() > {first}", timeout=30_000)
        page.wait_for_function("() => !document.querySelector('.counting')", timeout=120_000)
        assert page.evaluate("() => window.__notReloaded === true")
        steps = page.locator(".tile", has_text="Steps").locator("dd").inner_text()
        assert steps.replace(",", "") == "2000", "the complete totals replaced the partial ones"
