"""An event written while a page loads appears on it exactly once: the page's data and its
stream join without a gap and without a duplicate."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, open_run
from live_server import running_server
from peakwatch.settings import Settings, load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"browser tests need Chromium at {CHROMIUM} (apt chromium)"
    ),
]

LOADS = 8
EVENTS_PER_LOAD = 30
ROWS_JS = """() => [...document.querySelectorAll('ol.feed .feed-row')]
  .map((row) => [row.getAttribute('data-id'), row.querySelector('p').textContent.trim()])
  .filter((row) => row[1].startsWith('probe-'))"""


def make_settings(roots: Path) -> Settings:
    values = {"index_max_age_seconds": 0.0, "poll_interval_seconds": 0.05, "keepalive_seconds": 1.0}
    return load_settings(values, environ={}, cwd=roots)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("page_path", ["/activity?run={run}", "/dashboard/runs/{run}"])
def test_events_written_during_the_load_appear_exactly_once(
    browser: Any, tmp_path: Path, page_path: str
) -> None:
    settings = make_settings(tmp_path)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        for load in range(LOADS):
            run_id = f"gap_run_{load}"
            writer = open_run(settings.runs_dir, run_id)
            writer.event("signal", f"gap-{load} opened")
            names = [f"probe-{load}-{n:02d}" for n in range(EVENTS_PER_LOAD)]

            def write(names: list[str] = names, writer: Any = writer) -> None:
                for name in names:  # spread over the load: before, during and after it
                    writer.event("signal", name)
                    time.sleep(0.01)

            writing = threading.Thread(target=write)
            writing.start()
            page.goto(base + page_path.format(run=run_id), wait_until="commit")
            writing.join()
            page.wait_for_function(
                f"() => ({ROWS_JS})().length >= {EVENTS_PER_LOAD}", timeout=10_000
            )
            page.wait_for_timeout(500)  # a late duplicate would arrive by now
            rows = page.evaluate(ROWS_JS)
            assert sorted(text for _, text in rows) == names, f"load {load}: each event once"
            assert len({row_id for row_id, _ in rows}) == len(rows)
        page.context.close()
