"""Navigation and the phone: `/sessions/` is the sessions list, the highlighted tab follows the
section, the runs and sessions lists keep status and PnL in view on a phone, and home on a
phone is a summary with links; screenshots of home and the sessions list go to docs/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from browser import (
    BROWSER_TESTS,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    demo_writing,
    live_settings,
)
from live_server import running_server

pytestmark = BROWSER_TESTS

CURRENT_TAB_JS = """() => [...document.querySelectorAll('.site-nav a[aria-current="page"]')]
  .map((a) => a.textContent.trim())"""

# Where the first row's status badge and PnL value are, and whether they are on screen.
IN_VIEW_JS = """(selector) => {
  const row = document.querySelector(selector + ' tbody tr');
  const box = (node) => {
    if (!node) { return null; }
    const r = node.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height};
  };
  const pnl = [...row.children].find((c) => /PnL/.test(c.getAttribute('data-label') || ''));
  return {status: box(row.querySelector('.badge[class*="status-"]')), pnl: box(pnl),
          width: window.innerWidth};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a demo that wrote for a few seconds (three runs and their sessions)."""
    roots = tmp_path_factory.mktemp("nav") / "data"
    roots.mkdir()
    settings = live_settings(roots)
    with demo_writing(roots, speed=10.0):
        time.sleep(3.0)
    with running_server(settings) as base:
        yield base


def test_sessions_with_a_slash_is_the_sessions_list_and_the_tab_follows_the_section(
    browser: Any, site: str
) -> None:
    page = browser.new_context(viewport=DESKTOP).new_page()
    response = page.goto(site + "/sessions/")
    assert response is not None and response.status == 200
    assert page.url == site + "/sessions"
    assert page.locator("h1").inner_text() == "Sessions"
    assert page.evaluate(CURRENT_TAB_JS) == ["Sessions"]

    page.locator("table.sessions-table tbody th a").first.click()
    page.wait_for_url("**/sessions/session_*")
    assert page.locator("h1").inner_text().startswith("Session")
    assert page.evaluate(CURRENT_TAB_JS) == ["Sessions"], "a session page is in Sessions"

    page.goto(site + "/sessions/no_such_session")
    assert page.evaluate(CURRENT_TAB_JS) == ["Sessions"]
    page.goto(site + "/")
    assert page.evaluate(CURRENT_TAB_JS) == ["Home"]
    page.goto(site + "/dashboard")
    assert page.evaluate(CURRENT_TAB_JS) == ["Runs"]
    page.context.close()


@pytest.mark.parametrize("path", ["/alerts", "/status/health", "/docs", "/activity"])
def test_on_a_phone_the_current_tab_is_scrolled_into_view(
    browser: Any, site: str, path: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(site + path)
    page.wait_for_load_state("load")
    box = page.locator('.site-nav a[aria-current="page"]').bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"the current tab of {path} is off screen on a phone: {box}"
    )
    assert page.evaluate("window.scrollY") == 0, "only the tab bar moved"
    page.context.close()


@pytest.mark.parametrize("path", ["/", "/sessions", "/dashboard"])
def test_on_a_phone_status_and_pnl_of_each_listed_row_are_in_view(
    browser: Any, site: str, path: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(site + path)
    tables = [t for t in ("table.runs-table", "table.sessions-table") if page.locator(t).count()]
    assert tables
    for table in tables:
        where = page.evaluate(IN_VIEW_JS, table)
        for name in ("status", "pnl"):
            box = where[name]
            assert box and box["width"] > 0 and box["height"] > 0, f"{table} {name} is shown"
            assert box["left"] >= 0 and box["right"] <= where["width"], (
                f"{table}: the {name} of the first row is off screen on a phone: {box}"
            )
    page.context.close()


def test_home_on_a_phone_is_a_summary_with_links(browser: Any, site: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page = browser.new_context(viewport=PHONE, color_scheme=scheme).new_page()
        page.goto(site + "/")
        page.wait_for_timeout(300)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 5 * PHONE["height"], f"home is {height} px tall on a phone"
        shown = page.locator(".feed > li:visible").count()
        assert 0 < shown <= 3, f"{shown} feed rows on a phone's home"
        for name in ("All sessions", "All activity, with filters", "All alerts"):
            assert page.get_by_role("link", name=name).is_visible()
        assert page.get_by_role("link", name="Runs dashboard, all runs page by page").is_visible()
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=str(SCREENSHOTS / f"home-phone{suffix}.png"), full_page=True)
        page.goto(site + "/sessions")
        page.screenshot(path=str(SCREENSHOTS / f"sessions-phone{suffix}.png"))
        page.context.close()
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(site + "/")
    assert page.locator(".feed > li:visible").count() > 3, "a desktop's home lists more"
    page.screenshot(path=str(SCREENSHOTS / "home-desktop.png"))
    page.goto(site + "/sessions")
    page.screenshot(path=str(SCREENSHOTS / "sessions-desktop.png"))
    page.context.close()
