"""The alerts page in Chromium: one row per rule and subject (repeats and the copy in the alert
store fold into it), firing ones first, filters for state and severity, a repeat raising the
count live; it fits a phone; screenshots in docs/screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from browser import (
    BROWSER_TESTS,
    DESKTOP,
    OVERFLOW_JS,
    PHONE,
    SCREENSHOTS,
    PageWatch,
    live_settings,
    open_run,
)
from live_server import running_server
from peakwatch.producer import AlertStoreWriter, RunWriter

pytestmark = BROWSER_TESTS

ALPHA, BETA = "alerts_alpha", "alerts_beta"
ROWS_JS = """() => [...document.querySelectorAll('li.alert-row.tracked')].map((row) => ({
  key: row.dataset.alertKey, state: row.dataset.state, severity: row.dataset.severity,
  count: row.querySelector('.times-seen').textContent.trim(),
  sources: [...row.querySelectorAll('.alert-life .src')].map((s) => s.textContent),
  section: row.closest('ul').getAttribute('aria-label'),
}))"""


def both(
    writer: RunWriter, store: AlertStoreWriter, at: datetime, rule: str, severity: str, text: str
) -> None:
    """One alert as the demo writes it: in the run's alerts.jsonl and in the alert store."""
    writer.alert(rule, severity, text, ts=at)
    store.write(
        text,
        f"{text}. Run {writer.run_id}.",
        severity={"warning": "WARN", "critical": "CRITICAL"}[severity],
        category="RISK",
        timestamp=at,
        context={"rule_id": rule, "run_id": writer.run_id},
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, RunWriter, AlertStoreWriter]]:
    settings = live_settings(tmp_path)
    store = AlertStoreWriter(settings.alerts_dir)
    now = datetime.now(UTC)
    alpha = open_run(settings.runs_dir, ALPHA)
    beta = open_run(settings.runs_dir, BETA)
    alpha.heartbeat()
    beta.heartbeat()
    old = now - timedelta(hours=2)  # long quiet: resolved
    both(alpha, store, old, "risk_blocked", "warning", "Risk blocked buy 0.1 BTC: max_position")
    for seconds in (40, 25, 10):  # three repeats of one alert, each in both files
        at = now - timedelta(seconds=seconds)
        both(alpha, store, at, "drawdown", "warning", "Drawdown -1.30% passed the warning -1.2%")
    both(
        beta,
        store,
        now - timedelta(seconds=30),
        "drawdown",
        "critical",
        "Drawdown -2.10% beyond -2.0%",
    )
    with running_server(settings) as base:
        yield base, alpha, store


def rows(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(ROWS_JS))


def test_alerts_are_grouped_firing_first_filtered_and_counted_live(
    browser: Any, site: tuple[str, RunWriter, AlertStoreWriter]
) -> None:
    base, alpha, store = site
    page = browser.new_context(viewport=DESKTOP).new_page()
    watch = PageWatch(base.split("//", 1)[1]).attach(page)
    page.goto(base + "/alerts")
    page.wait_for_function(
        "() => (document.getElementById('conn') || {}).textContent === 'live'", timeout=5000
    )
    found = rows(page)
    # 10 lines in two files: 3 alerts, firing ones first (critical, then warning)
    assert [(r["key"], r["state"], r["severity"], r["count"]) for r in found] == [
        (f"drawdown/run:{BETA}", "firing", "critical", "1×"),
        (f"drawdown/run:{ALPHA}", "firing", "warning", "3×"),
        (f"risk_blocked/run:{ALPHA}", "resolved", "warning", "1×"),
    ]
    assert [r["section"] for r in found] == ["Firing alerts"] * 2 + ["Resolved alerts"]
    assert all(r["sources"] == ["alert_store", "run"] for r in found)
    headline = page.locator(".alert-headline").inner_text()
    assert headline == "2 alerts firing: 1 critical, 1 warning"

    # a repeat raises the count of its row, live: no new row
    both(alpha, store, datetime.now(UTC), "drawdown", "warning", "Drawdown -1.40% passed -1.2%")
    page.wait_for_function(
        f"""() => {{
          const row = document.querySelector('li[data-alert-key="drawdown/run:{ALPHA}"]');
          return row && row.querySelector('.times-seen').textContent.trim() === '4×';
        }}""",
        timeout=10_000,
    )
    assert len(rows(page)) == 3
    assert (
        "Drawdown -1.40% passed -1.2%" in page.locator("li.alert-row.tracked").nth(1).inner_text()
    )

    # the state and severity filters, by the form as a person uses it
    page.select_option("#f-state", "resolved")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/alerts?state=resolved**")
    assert [(r["key"], r["state"]) for r in rows(page)] == [
        (f"risk_blocked/run:{ALPHA}", "resolved")
    ]
    page.select_option("#f-state", "")
    page.select_option("#f-sev", "critical")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/alerts?*severity=critical**")
    assert [r["key"] for r in rows(page)] == [f"drawdown/run:{BETA}"]
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    page.goto(base + "/alerts")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "alerts-desktop.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_alerts_page_fits_a_phone(
    browser: Any, site: tuple[str, RunWriter, AlertStoreWriter], scheme: str
) -> None:
    base, _, _ = site
    page = browser.new_context(viewport=PHONE, color_scheme=scheme).new_page()
    page.goto(base + "/alerts")
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    assert [r["state"] for r in rows(page)] == ["firing", "firing", "resolved"]
    name = "alerts-phone.png" if scheme == "light" else "alerts-phone-dark.png"
    target = SCREENSHOTS if scheme == "light" else SCREENSHOTS.parent.parent / "build"
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)
    page.context.close()


HOME_ROWS_JS = """() => [
  ...document.querySelectorAll('[data-live-part="home-alerts"] li.alert-row, #alerts-h ~ ul li')
].map((row) => row.querySelector('.row-head').textContent.replace(/\\s+/g, ' ').trim())"""


def test_home_lists_each_alert_once_and_a_repeat_raises_its_count(
    browser: Any, site: tuple[str, RunWriter, AlertStoreWriter]
) -> None:
    base, alpha, store = site
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(base + "/")
    page.wait_for_function(
        "() => (document.getElementById('conn') || {}).textContent === 'live'", timeout=5000
    )
    before = page.evaluate(HOME_ROWS_JS)
    assert len(before) == 3 and "firing" in before[0] and "resolved" in before[2], before
    assert "3×" in before[1], before
    counts = page.locator('[data-live-part="home-alert-counts"]').inner_text().split()
    assert counts == ["critical", "1", "warning", "1", "info", "0"]  # the firing ones
    both(alpha, store, datetime.now(UTC), "drawdown", "warning", "Drawdown -1.40% passed -1.2%")
    page.wait_for_function(f"() => ({HOME_ROWS_JS})()[1].includes('4×')", timeout=10_000)
    assert len(page.evaluate(HOME_ROWS_JS)) == 3, "a repeat is no new row"
    page.context.close()
