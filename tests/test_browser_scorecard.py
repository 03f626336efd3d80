"""The scorecard page in Chromium at desktop and phone size: nothing spills sideways, the group
and hit rate columns stay in view, text is readable in both themes, and screenshots of it
(desktop and phone, desktop dark) go to docs/screenshots/. The cross-run trades fit too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

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
from trade_world import build_trade_world

pytestmark = BROWSER_TESTS

DESKTOP = {"width": 1280, "height": 900}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
SHOTS = [("desktop", "light"), ("phone", "light"), ("desktop", "dark")]
READABLE = {
    **CONTRAST_SELECTORS,
    "figures": ".tile dd, .tile dt, .money-up, .money-down, .hit-count",
}

# The first column and the hit rate column, where they are on the screen.
COLUMNS_JS = """() => {
  const table = document.querySelector("table[data-scorecard-table]");
  const head = [...table.tHead.rows[0].cells];
  const hit = head.findIndex((cell) => cell.textContent.trim() === "Hit rate");
  const row = table.tBodies[0].rows[0];
  const first = row.querySelector("th").getBoundingClientRect();
  const hitBox = row.cells[hit].getBoundingClientRect();
  const wrap = table.closest(".table-wrap").getBoundingClientRect();
  return {
    first_left: first.left, first_right: first.right, hit_left: hitBox.left,
    hit_right: hitBox.right, wrap_right: wrap.right, inner: window.innerWidth,
    rows: table.tBodies[0].rows.length,
    note: getComputedStyle(document.querySelector(".scroll-note")).display,
  };
}"""


SCROLL_JS = "() => { const w = document.querySelector('.table-wrap'); w.scrollLeft = 1e6; }"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the demo's runs (a few seconds of them) and the hand-made trade world."""
    roots = tmp_path_factory.mktemp("scorecard") / "data"
    roots.mkdir()
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    build_trade_world(settings.runs_dir)
    with demo_writing(roots, speed=20.0):
        time.sleep(3.0)  # a few dozen bars per demo run: decisions with outcomes to score
    with running_server(settings) as url:
        yield url


@pytest.mark.parametrize(("size", "scheme"), SHOTS)
def test_scorecard_fits_and_is_photographed(
    browser: Any, base: str, size: str, scheme: str
) -> None:
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    watch = PageWatch(base.split("//", 1)[1]).attach(page)
    response = page.goto(f"{base}/scorecard?group_by=run")
    assert response is not None and response.status == 200
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    columns = page.evaluate(COLUMNS_JS)
    assert columns["rows"] >= 4, columns  # alpha, beta, orphan and the demo's runs
    assert columns["first_left"] >= 0 and columns["first_right"] <= columns["inner"]
    assert columns["hit_right"] <= columns["wrap_right"] + 1, columns  # in view, not cut off
    assert columns["note"] == ("block" if size == "phone" else "none")
    if size == "phone":  # the group stays in view while the table scrolls to the last column
        page.evaluate(SCROLL_JS)
        after = page.evaluate(COLUMNS_JS)
        assert after["first_left"] >= 0 and after["first_right"] <= after["inner"], after
        page.evaluate("() => { document.querySelector('.table-wrap').scrollLeft = 0; }")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    contrast = page.evaluate(CONTRAST_JS, READABLE)
    assert contrast["checked"] > 50 and not contrast["failures"], contrast
    path = SCREENSHOTS / f"scorecard-{size}{'-dark' if scheme == 'dark' else ''}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    assert path.stat().st_size > 10_000
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    context.close()


# The trades table: how wide it is against its scroller, and whether the trade, run and PnL
# columns of the first row are in view without scrolling sideways.
TRADES_JS = """() => {
  const table = document.querySelector("table[data-trades-table]");
  const wrap = table.closest(".table-wrap").getBoundingClientRect();
  const head = [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
  const row = table.tBodies[0].rows[0];
  const box = (name) => row.cells[head.indexOf(name)].getBoundingClientRect();
  const inView = (name) => box(name).left >= wrap.left - 1 && box(name).right <= wrap.right + 1;
  return {
    table: table.getBoundingClientRect().width, wrap: wrap.width, inner: window.innerWidth,
    key_columns_in_view: ["Trade", "Run", "PnL"].every(inView), head: head,
  };
}"""


@pytest.mark.parametrize("size", sorted(SIZES))
def test_cross_run_trades_fit_the_window(browser: Any, base: str, size: str) -> None:
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    watch = PageWatch(base.split("//", 1)[1]).attach(page)
    response = page.goto(f"{base}/trades")
    assert response is not None and response.status == 200
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    trades = page.evaluate(TRADES_JS)
    assert trades["key_columns_in_view"], trades
    if size == "desktop":  # the whole table, no sideways scrolling on a laptop screen
        assert trades["table"] <= trades["wrap"] + 1, trades
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    context.close()
