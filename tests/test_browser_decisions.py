"""A demo run's decision page in Chromium: the trace is drawn as a waterfall in time order,
previous/next walk the run, nothing spills sideways on a phone, text is readable in both themes,
and screenshots of the run page and a decision page (desktop and phone, desktop dark) go to
docs/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from browser import (
    BROWSER_TESTS,
    CONTRAST_JS,
    CONTRAST_SELECTORS,
    OVERFLOW_JS,
    PHONE,
    SCREENSHOTS,
    PageWatch,
    demo_writing,
)
from live_server import running_server
from peakwatch.settings import load_settings

pytestmark = BROWSER_TESTS

DESKTOP = {"width": 1280, "height": 900}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = [("desktop", "light"), ("phone", "light"), ("desktop", "dark")]
# Text of the scorecard, decisions table and waterfall, besides what every page shows.
READABLE = {
    **CONTRAST_SELECTORS,
    "decision parts": ".wf-label span, .wf-what, .wf-when, .tile dd, .tile dt, .rationale-full, "
    ".pnl-win, .pnl-loss, .pnl-flat, .money-up, .money-down, .money-even, .action",
}

# Each waterfall row: its kind and link, and where its bar starts and ends on the screen.
WATERFALL_JS = """() => [...document.querySelectorAll(".wf-steps > li")].map((row) => {
  const bar = row.querySelector("svg.wf-bar");
  const rect = bar.querySelector("rect").getBoundingClientRect();
  const box = bar.getBoundingClientRect();
  return {
    kind: row.dataset.kind, link: row.dataset.link || null,
    delay: row.dataset.delayMs === undefined ? 0 : Number(row.dataset.delayMs),
    start: rect.left - box.left, end: rect.right - box.left, width: box.width,
    badge: (row.querySelector(".badge[class*='link-']") || {}).textContent || null,
  };
})"""


@dataclass
class Demo:
    """A server over a few seconds of the demo, and one of its decisions with a full trace."""

    base: str
    run_id: str
    decision_id: str
    previous_id: str
    next_id: str

    def decision_url(self, decision_id: str) -> str:
        run = quote(self.run_id, safe="")
        return f"{self.base}/dashboard/runs/{run}/decisions/{quote(decision_id, safe='')}"


def traced_decision(base: str) -> tuple[str, dict[str, Any]]:
    """The demo AI run and decision with the most kinds of trace steps (risk, order, fill...)."""
    runs = [r["run_id"] for r in httpx.get(f"{base}/runs").json() if "_paper_ai_" in r["run_id"]]
    best: tuple[int, str, dict[str, Any]] | None = None
    for run_id in runs:
        run = quote(run_id, safe="")
        page = httpx.get(f"{base}/api/runs/{run}/decisions?limit=200").json()
        for row in page["decisions"]:
            if not row["fills"]:
                continue
            detail = httpx.get(
                f"{base}/api/runs/{run}/decisions/{quote(row['decision_id'], safe='')}"
            ).json()
            if detail["previous_id"] and detail["next_id"]:
                kinds = len({step["kind"] for step in detail["trace"]})
                if best is None or kinds > best[0]:
                    best = (kinds, run_id, detail)
    assert best is not None, "the demo wrote no filled decision between two others"
    return best[1], best[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    roots = tmp_path_factory.mktemp("decisions") / "data"
    roots.mkdir()
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    with demo_writing(roots, speed=20.0):
        time.sleep(3.0)  # a few dozen bars per run: filled, blocked and held decisions
    with running_server(settings) as base:
        run_id, detail = traced_decision(base)
        yield Demo(base, run_id, detail["decision_id"], detail["previous_id"], detail["next_id"])


def test_the_waterfall_and_previous_next_walk_a_demo_run(browser: Any, demo: Demo) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = PageWatch(demo.base.split("//", 1)[1]).attach(page)
    response = page.goto(demo.decision_url(demo.decision_id))
    assert response is not None and response.status == 200
    rows = page.evaluate(WATERFALL_JS)
    assert rows[0]["kind"] == "decision"  # the origin, then what followed, in order
    steps = rows[1:]
    assert len(steps) >= 3 and {"fill", "position"} <= {row["kind"] for row in steps}, steps
    delays = [row["delay"] for row in steps]
    assert delays == sorted(delays), delays
    for row in steps:
        assert row["link"] in ("id", "inferred") and row["badge"] == row["link"], row
        assert 0 <= row["start"] < row["end"] <= row["width"] + 0.5, row
    # a later step's bar never starts left of an earlier one's: the waterfall cascades
    starts = [row["start"] for row in steps]
    assert starts == sorted(starts), starts
    assert steps[-1]["end"] > steps[0]["start"]
    assert page.locator("table.executions-table tbody tr").count() >= 1

    page.locator("a[data-next]").click()
    page.wait_for_url(demo.decision_url(demo.next_id))
    assert demo.next_id in page.locator("h1").inner_text()
    page.locator("a[data-previous]").click()
    page.wait_for_url(demo.decision_url(demo.decision_id))
    page.locator("a[data-previous]").click()
    page.wait_for_url(demo.decision_url(demo.previous_id))
    page.locator("a[data-run-link]").click()
    page.locator("#decisions tr[data-decision-id]").first.wait_for()
    # the run page's table links back to the decision page
    row = page.locator(
        f'#decisions tr[data-decision-id="{demo.decision_id}"] a[data-decision-link]'
    )
    if row.count():  # on the first page of the table (the run may have more than 50 since)
        row.click()
        page.wait_for_url(demo.decision_url(demo.decision_id))
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    context.close()


@pytest.mark.parametrize(("size", "scheme"), SHOTS)
def test_run_and_decision_pages_fit_and_are_photographed(
    browser: Any, demo: Demo, size: str, scheme: str
) -> None:
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    suffix = "-dark" if scheme == "dark" else ""
    page = context.new_page()
    watch = PageWatch(demo.base.split("//", 1)[1]).attach(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    response = page.goto(f"{demo.base}/dashboard/runs/{quote(demo.run_id, safe='')}")
    assert response is not None and response.status == 200
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    hint = page.locator(".decisions-table").evaluate(
        "(t) => getComputedStyle(t.closest('section').querySelector('.scroll-hint')).display"
    )
    pnl = page.locator("#decisions tbody tr").first.locator('[data-cell="pnl"]').bounding_box()
    assert pnl is not None
    if size == "phone":  # PnL in view; the columns to its right are announced by the hint
        assert hint == "block" and pnl["x"] + pnl["width"] <= PHONE["width"], pnl
    else:
        assert hint == "none"
    bottom = page.locator("#decisions-panel").bounding_box()
    assert bottom is not None
    contrast = page.evaluate(CONTRAST_JS, READABLE)
    assert contrast["checked"] > 100 and not contrast["failures"], contrast
    path = SCREENSHOTS / f"run-{size}{suffix}.png"
    height = min(bottom["y"] + bottom["height"] + 16, 6000)
    clip = {"x": 0, "y": 0, "width": SIZES[size]["width"], "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")
    assert path.stat().st_size > 10_000

    response = page.goto(demo.decision_url(demo.decision_id))
    assert response is not None and response.status == 200
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    contrast = page.evaluate(CONTRAST_JS, READABLE)
    assert contrast["checked"] > 20 and not contrast["failures"], contrast
    path = SCREENSHOTS / f"decision-{size}{suffix}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    assert path.stat().st_size > 10_000
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    context.close()
