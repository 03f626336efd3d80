"""Stored XSS in a real browser: artifact text stays text, also when it arrives live over SSE.

Chromium (Debian's, driven by Playwright) loads every page over artifacts that carry an
XSS payload in every text field. No dialog may open, and neither the injected `<img>` nor
an injected `<script>` may exist in the DOM. The DOM checks hold even though the CSP
would block execution: they catch the injection itself, not only its effect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from artifacts import native_event, write_jsonl
from browser import CHROMIUM, LAUNCH_ARGS
from live_server import running_server
from worlds import XSS, XSS_RUN_DIR, build_xss_world, settings_for, xss_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
]

# What the page must not contain, and proof that the payload arrived as text.
DOM_AUDIT = """() => {
  const all = Array.from(document.querySelectorAll("*"));
  const handlers = [];
  for (const el of all) {
    for (const attr of Array.from(el.attributes)) {
      if (attr.name.toLowerCase().startsWith("on")) {
        handlers.push(el.tagName + "[" + attr.name + "]");
      }
      if (/^\\s*javascript:/i.test(attr.value)) {
        handlers.push(el.tagName + "[" + attr.name + "=javascript:]");
      }
    }
  }
  // a JSON data block (the reports') is never run; the payload may be inside it as data
  const scripts = Array.from(document.scripts).filter((s) => s.type !== "application/json");
  return {
    injectedImages: document.querySelectorAll("img[src='x']").length,
    inlineScripts: scripts.filter((s) => !s.src).length,
    alertScripts: scripts.filter((s) => (s.textContent || "").includes("alert")).length,
    foreignScripts: scripts.filter((s) => s.src && new URL(s.src).origin !== location.origin)
      .map((s) => s.src),
    handlers: handlers,
    payloadAsText: (document.body ? document.body.textContent : "").includes(
      "<script>alert(1)</script>"
    ),
  };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("xss_browser") / "data"
    base.mkdir()
    ids = build_xss_world(base)
    settings = settings_for(base, keepalive_seconds=1.0)
    with running_server(settings) as url:
        yield {"url": url, "ids": ids, "base": base}


class Watched:
    """A page with every dialog and CSP report recorded."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(java_script_enabled=True)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def audit(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(DOM_AUDIT)
        return result

    def close(self) -> None:
        self.context.close()


def assert_clean(watched: Watched, where: str) -> dict[str, Any]:
    found = watched.audit()
    assert watched.dialogs == [], (where, watched.dialogs)
    assert found["injectedImages"] == 0, where
    assert found["inlineScripts"] == 0, where
    assert found["alertScripts"] == 0, where
    assert found["foreignScripts"] == [], where
    assert found["handlers"] == [], (where, found["handlers"])
    return found


def test_every_page_renders_the_payload_inert(browser: Any, xss_site: dict[str, Any]) -> None:
    watched = Watched(browser)
    shown = 0
    try:
        for path in xss_pages(xss_site["ids"]):
            watched.page.goto(xss_site["url"] + path, wait_until="load")
            watched.page.wait_for_timeout(150)  # let the page's scripts run over the rows
            found = assert_clean(watched, path)
            shown += found["payloadAsText"]
        # the live script itself ran without errors over hostile text
        assert watched.errors == []
    finally:
        watched.close()
    assert shown >= 8  # the payload was on the pages, as visible text


def test_payload_arriving_over_the_stream_stays_text(
    browser: Any, xss_site: dict[str, Any]
) -> None:
    base: Path = xss_site["base"]
    run_dir = base / "live_runs" / XSS_RUN_DIR
    pages = [
        "/activity",
        f"/dashboard/runs/{XSS_RUN_DIR}",
        f"/sessions/{quote(xss_site['ids']['session'], safe='')}",
    ]
    watchers = []
    try:
        for path in pages:
            watched = Watched(browser)
            watched.page.goto(xss_site["url"] + path, wait_until="load")
            watched.page.wait_for_selector(".conn.conn-live", timeout=10_000)
            watchers.append((path, watched))
        tag = f"live-{datetime.now(UTC).timestamp():.0f}"
        payload = f"{XSS} {tag}"
        now = datetime.now(UTC)
        with (run_dir / "events.jsonl").open("r") as handle:
            seq = sum(1 for _ in handle) + 1
        write_jsonl(
            run_dir / "events.jsonl",
            [
                native_event(
                    seq,
                    "decision",
                    now,
                    msg=payload,
                    action=payload,
                    symbol=payload,
                    rationale=payload,
                ),
                native_event(seq + 1, "error", now, msg=payload, level="error", error=payload),
            ],
            mode="a",
        )
        with (run_dir / "alerts.jsonl").open("a") as handle:
            alert = {
                "rule_id": payload,
                "severity": "critical",
                "message": payload,
                "run_id": payload,
                "timestamp": now.isoformat(),
            }
            handle.write(json.dumps(alert) + "\n")
        write_jsonl(
            base / "logs" / "execution" / "xss-session.jsonl",
            [
                {
                    "ts": now.isoformat(),
                    "session_id": xss_site["ids"]["session"],
                    "symbol": payload,
                    "kind": "error",
                    "payload": {"error": payload},
                }
            ],
            mode="a",
        )
        for _path, watched in watchers:
            watched.page.wait_for_function(
                "tag => document.body.textContent.includes(tag)", arg=tag, timeout=10_000
            )
        for path, watched in watchers:
            watched.page.wait_for_timeout(100)
            found = assert_clean(watched, f"{path} after live update")
            assert found["payloadAsText"], path
            assert watched.errors == [], (path, watched.errors)
        activity = watchers[0][1].page
        assert activity.evaluate(
            "tag => Array.from(document.querySelectorAll('.feed-row'))"
            ".some(row => row.textContent.includes(tag) && row.textContent.includes('<img'))",
            tag,
        )
    finally:
        for _, watched in watchers:
            watched.close()
