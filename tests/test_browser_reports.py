"""The status snapshot and the run report in Chromium: readable without JavaScript, nothing
spills sideways on a phone, light or dark as the reader's system says, light on paper, a PDF
of a sane length; screenshots of both go to docs/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from browser import BROWSER_TESTS, OVERFLOW_JS, PHONE, SCREENSHOTS, demo_writing
from live_server import running_server
from peakwatch.settings import load_settings
from test_snapshot import build_data

pytestmark = BROWSER_TESTS

DESKTOP = {"width": 1280, "height": 900}
A4_AT_96_DPI = {"width": 794, "height": 1123}
LOOK_JS = """() => ({
  background: getComputedStyle(document.body).backgroundColor,
  contents: getComputedStyle(document.querySelector('.toc') || document.body).display,
  chart: (() => { const svg = document.querySelector('svg.chart-svg');
    return svg ? svg.getBoundingClientRect().height : 0; })(),
  heading: document.querySelector('h1').textContent,
})"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server over the snapshot test data and a few seconds of the demo's runs; the URLs of
    the status report and of one demo run's report, at one as_of."""
    roots = tmp_path_factory.mktemp("reports") / "data"
    roots.mkdir()
    build_data(roots)
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    with demo_writing(roots, speed=20.0, runs=3):
        time.sleep(4.0)  # dozens of bars per demo run: decisions, trades, a real curve
    as_of = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5))
    events = {
        path.parent.name: path.stat().st_size for path in settings.runs_dir.glob("*/events.jsonl")
    }
    demo_run = max((run for run in events if "_ai_" in run), key=lambda run: (events[run], run))
    with running_server(settings) as url:
        yield {
            "status": f"{url}/api/live/status/snapshot.html?as_of={as_of}",
            "run": f"{url}/runs/{quote(demo_run, safe='')}/report.html?as_of={as_of}",
            "runs": len([path for path in settings.runs_dir.iterdir() if path.is_dir()]),
        }


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF Chromium printed (its page objects; the page tree is /Pages)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("name", ["status", "run"])
def test_report_fits_a_phone_and_follows_the_color_scheme(
    browser: Any, reports: dict[str, Any], name: str
) -> None:
    looks = {}
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            page = context.new_page()
            page.goto(reports[name])
            overflow = page.evaluate(OVERFLOW_JS)
            assert overflow["scrollWidth"] <= viewport["width"], (name, size, scheme, overflow)
            looks[size, scheme] = page.evaluate(LOOK_JS)
            suffix = "" if scheme == "light" else "-dark"
            if size == "phone" or scheme == "light":
                page.screenshot(path=str(SCREENSHOTS / f"report-{name}-{size}{suffix}.png"))
            context.close()
    assert looks["phone", "light"]["background"] != looks["phone", "dark"]["background"]
    assert looks["desktop", "light"]["chart"] > 100 and looks["phone", "light"]["chart"] > 100


@pytest.mark.parametrize("name", ["status", "run"])
def test_report_reads_without_javascript_and_prints_light(
    browser: Any, reports: dict[str, Any], name: str
) -> None:
    context = browser.new_context(java_script_enabled=False, color_scheme="dark")
    page = context.new_page()
    page.goto(reports[name])
    shown = page.evaluate(LOOK_JS)
    assert shown["chart"] > 100 and "peakwatch" in shown["heading"]
    assert page.locator("text=Latest decisions").first.is_visible()
    page.emulate_media(media="print", color_scheme="dark")
    printed = page.evaluate(LOOK_JS)
    assert printed["background"] == "rgb(255, 255, 255)"  # paper stays light
    if name == "status":
        assert shown["contents"] != "none" and printed["contents"] == "none"
    page.set_viewport_size(A4_AT_96_DPI)
    page.screenshot(path=str(SCREENSHOTS / f"report-{name}-print.png"))
    context.close()


def test_reports_print_to_a_pdf_of_sane_length(browser: Any, reports: dict[str, Any]) -> None:
    """One A4 page or more per report, and not a page per element: a run's section takes a
    couple of pages at most."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(reports["status"])
    status_pages = pdf_pages(page.pdf(format="A4"))
    page.goto(reports["run"])
    run_pages = pdf_pages(page.pdf(format="A4"))
    context.close()
    assert 2 <= status_pages <= 3 * reports["runs"] + 3, status_pages
    assert 1 <= run_pages <= 4, run_pages
