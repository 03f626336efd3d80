"""An event written while a page loads appears on it exactly once: the page's data and its
stream join without a gap and without a duplicate."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from browser import BROWSER_TESTS, DESKTOP, live_settings, open_run
from live_server import running_server

pytestmark = BROWSER_TESTS

LOADS = 8
EVENTS_PER_LOAD = 30
ROWS_JS = """() => [...document.querySelectorAll('ol.feed .feed-row')]
  .map((row) => [row.getAttribute('data-id'), row.querySelector('p').textContent.trim()])
  .filter((row) => row[1].startsWith('probe-'))"""


@pytest.mark.parametrize("page_path", ["/activity?run={run}", "/dashboard/runs/{run}"])
def test_events_written_during_the_load_appear_exactly_once(
    browser: Any, tmp_path: Path, page_path: str
) -> None:
    settings = live_settings(tmp_path, poll_interval_seconds=0.05)
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
