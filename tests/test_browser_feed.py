"""A feed you can read: notable rows shown, routine ones folded (also without JavaScript), a
toggle for every event; while scrolled or paused new items are counted in a bounded buffer
behind "N new; jump to newest"; a j/k focus stays on its row; a fill is never dropped."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from browser import (
    BROWSER_TESTS,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    demo_writing,
    live_settings,
    open_run,
)
from live_server import running_server
from peakwatch.producer import RunWriter

pytestmark = BROWSER_TESTS

RUN = "feed_run"
SHOWN_ROWS = "() => document.querySelectorAll('.feed-row').length"
JUMP = "[data-feed-new]"
ROW_AT_300 = (
    "() => document.elementFromPoint(640, 300).closest('.feed-row').getAttribute('data-id')"
)


def bar(writer: RunWriter, n: int) -> None:
    """One quiet step: a bar, a signal, a HOLD and a position mark (4 routine events)."""
    writer.event("market", f"bar {n}", data={"close": 100.0 + n, "price": 100.0 + n})
    writer.event("signal", f"signal {n}", data={"signal": 0})
    writer.decision("hold", rationale=f"hold {n}", confidence=0.5)
    writer.position(0.0, 10_000.0)


def raw_lines(writer: RunWriter, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Lines appended in one write, so that one poll of the server reads all of them."""
    path = writer.run_dir / "events.jsonl"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    lines = [
        orjson.dumps({"v": 1, "seq": 10_000 + i, "ts": now, "kind": kind, "msg": msg, "data": data})
        for i, (kind, msg, data) in enumerate(rows)
    ]
    with path.open("ab") as out:
        out.write(b"\n".join(lines) + b"\n")


def routine_rows(count: int, tag: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [("signal", f"{tag} {i}", {"signal": 0}) for i in range(count)]


def wait_live(page: Any) -> None:
    page.wait_for_function(
        "() => (document.getElementById('conn') || {}).textContent === 'live'", timeout=5000
    )


def seeded(tmp_path: Path) -> tuple[Any, RunWriter]:
    settings = live_settings(tmp_path)
    writer = open_run(settings.runs_dir, RUN)
    for n in range(3):
        bar(writer, n)
    writer.fill("o1", "buy", 0.5, 101.0, 0.05, msg="first fill")
    for n in range(3, 6):
        bar(writer, n)
    return settings, writer


def test_routine_events_fold_without_javascript_and_the_toggle_shows_all(
    browser: Any, tmp_path: Path
) -> None:
    settings, _ = seeded(tmp_path)
    with running_server(settings) as base:
        context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
        page = context.new_page()
        page.goto(base + f"/activity?run={RUN}")
        top = page.locator("ol.feed > li")
        kinds = [top.nth(i).get_attribute("class").split()[0] for i in range(top.count())]
        # newest first: 12 routine events after the fill, the fill, the run start, 12 before
        assert kinds == ["feed-fold", "feed-row", "feed-fold", "feed-row"]
        assert page.locator("ol.feed > .feed-row", has_text="Fill buy").is_visible()
        folds = page.locator(".feed-fold > details > summary")
        assert folds.first.inner_text() == "12 routine events"
        hidden = page.locator(".feed-fold .feed-row", has_text="HOLD").first
        assert not hidden.is_visible(), "routine rows are folded away"
        folds.first.click()
        assert hidden.is_visible(), "a fold opens without JavaScript"

        page.get_by_role("link", name="Show every event").click()
        assert "view=all" in page.url and f"run={RUN}" in page.url
        assert page.locator(".feed-fold").count() == 0
        assert page.locator("ol.feed > .feed-row").count() == 26  # 24 routine, fill, start
        assert page.locator(".feed-row.imp-routine").count() == 24
        page.get_by_role("link", name="Fold routine events").click()
        assert "view=all" not in page.url and page.locator(".feed-fold").count() >= 2
        context.close()


def test_live_rows_fold_and_notable_ones_stand_out(browser: Any, tmp_path: Path) -> None:
    settings, writer = seeded(tmp_path)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(base + f"/activity?run={RUN}")
        wait_live(page)
        first = page.locator(".feed-fold > details > summary").first
        assert first.inner_text() == "12 routine events"
        bar(writer, 6)
        page.wait_for_function(
            "() => document.querySelector('.feed-fold summary').textContent"
            " === '16 routine events'",
            timeout=5000,
        )
        assert page.locator("ol.feed > li").first.get_attribute("class") == "feed-fold"
        writer.fill("o2", "sell", 0.5, 107.0, 0.05, msg="second fill")
        top = page.locator("ol.feed > li").first
        page.wait_for_function(
            "() => document.querySelector('ol.feed > li').matches('.feed-row.imp-notable')",
            timeout=5000,
        )
        assert "Fill sell" in top.inner_text() and top.is_visible()
        weight = page.evaluate(
            "() => [getComputedStyle(document.querySelector('ol.feed > .imp-notable .kind'))"
            ".fontWeight, getComputedStyle(document.querySelector('.imp-routine .summary'))"
            ".color, getComputedStyle(document.querySelector('.imp-notable .summary')).color]"
        )
        assert int(weight[0]) >= 700, "a fill's kind is bold"
        assert weight[1] != weight[2], "routine rows are quieter than notable ones"
        page.context.close()


def test_scrolled_or_paused_new_items_are_counted_then_shown_on_jump(
    browser: Any, tmp_path: Path
) -> None:
    settings, writer = seeded(tmp_path)
    for n in range(6, 20):
        bar(writer, n)
    with running_server(settings) as base:
        page = browser.new_context(viewport={"width": 1280, "height": 600}).new_page()
        page.goto(base + f"/activity?run={RUN}&view=all")
        wait_live(page)
        before = page.evaluate(SHOWN_ROWS)
        page.evaluate("window.scrollTo(0, 900)")
        assert page.evaluate("document.querySelector('ol.feed').getBoundingClientRect().top") < 0
        in_view = page.evaluate(ROW_AT_300)

        raw_lines(writer, routine_rows(150, "held routine"))
        writer.fill("o9", "buy", 0.1, 99.0, 0.01, msg="held fill")
        jump = page.locator(JUMP)
        jump.wait_for(timeout=5000)
        page.wait_for_function(
            "() => document.querySelector('[data-feed-new]').textContent"
            " === '151 new; jump to newest'",
            timeout=5000,
        )
        page.wait_for_timeout(500)
        assert page.evaluate(SHOWN_ROWS) == before, "nothing is rendered while scrolled down"
        assert page.evaluate(ROW_AT_300) == in_view, "the row the reader looks at stays put"

        jump.click()
        page.locator("ol.feed > .feed-row", has_text="Fill buy 0.1").wait_for(timeout=3000)
        assert page.evaluate("document.querySelector('ol.feed').getBoundingClientRect().top") >= 0
        assert not jump.is_visible()
        shown = page.evaluate(SHOWN_ROWS)
        assert shown <= before + 1 + 100, "the buffer keeps the newest 100 routine items"

        page.evaluate("window.scrollTo(0, 0)")
        page.get_by_role("button", name="Pause").click()
        raw_lines(writer, routine_rows(5, "paused routine"))
        page.wait_for_function(
            "() => (document.querySelector('[data-feed-new]') || {}).textContent"
            " === '5 new; jump to newest'",
            timeout=5000,
        )
        assert page.evaluate(SHOWN_ROWS) == shown, "nothing is rendered while paused"
        page.get_by_role("button", name="Resume").click()
        page.locator(".feed-row", has_text="paused routine 4").wait_for(timeout=3000)
        assert not jump.is_visible()
        page.context.close()


def test_a_row_focused_with_j_keeps_its_focus_and_place_while_rows_arrive(
    browser: Any, tmp_path: Path
) -> None:
    settings, writer = seeded(tmp_path)
    with running_server(settings) as base:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.goto(base + f"/activity?run={RUN}&view=all")
        wait_live(page)
        for _ in range(3):
            page.keyboard.press("j")
        place = (
            "() => [document.activeElement.getAttribute('data-id'),"
            " Math.round(document.activeElement.getBoundingClientRect().top)]"
        )
        focused, top = page.evaluate(place)
        assert focused
        for n in range(6, 12):
            bar(writer, n)
            page.wait_for_timeout(150)
        page.wait_for_function(
            "() => document.querySelectorAll('.feed-row').length > 26"
            " || document.querySelector('[data-feed-new]:not([hidden])')",
            timeout=5000,
        )
        page.wait_for_timeout(500)
        now_focused, now_top = page.evaluate(place)
        assert now_focused == focused, "the focus stays on its row"
        assert abs(now_top - top) <= 2, "and the row stays where it was on screen"
        page.keyboard.press("j")
        assert page.evaluate(place)[0] != focused, "j walks on from the focused row"
        page.context.close()


def test_a_fill_in_the_same_poll_as_many_routine_rows_is_shown(
    browser: Any, tmp_path: Path
) -> None:
    settings, writer = seeded(tmp_path)
    with running_server(settings) as base:
        for view in ("", "&view=all"):
            page = browser.new_context(viewport=DESKTOP).new_page()
            page.goto(base + f"/activity?run={RUN}{view}")
            wait_live(page)
            tag = f"burst{view[-3:]}"
            rows = [("fill", f"{tag} fill", {"side": "buy", "qty": 0.2, "price": 98.0})]
            raw_lines(writer, rows + routine_rows(80, f"{tag} routine"))
            fill = page.locator("ol.feed > .feed-row.imp-notable", has_text="Fill buy 0.2")
            fill.wait_for(timeout=5000)
            assert fill.count() == 1
            if not view:
                summary = page.locator("ol.feed > .feed-fold summary").first
                assert summary.inner_text() == "80 routine events"
            page.context.close()


def test_screenshots_of_the_folded_feed(browser: Any, tmp_path: Path) -> None:
    settings = live_settings(tmp_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with demo_writing(tmp_path, speed=10, runs=3):
        time.sleep(3.0)
    with running_server(settings) as base:
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                page.goto(base + "/activity")
                wait_live(page)
                assert page.locator(".feed-fold").count() >= 1
                assert page.locator("ol.feed > .feed-row.imp-notable").count() >= 1
                suffix = "" if scheme == "light" else "-dark"
                page.screenshot(
                    path=str(SCREENSHOTS / f"activity-{name}{suffix}.png"),
                    animations="disabled",
                    full_page=name == "phone",
                )
                context.close()
