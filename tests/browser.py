"""Helpers for the browser tests: Chromium, a live demo site, and checks run inside the page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from peakwatch.demo.runner import run_demo
from peakwatch.producer import RunWriter
from peakwatch.settings import Settings, load_settings

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"browser tests need Chromium at {CHROMIUM} (apt chromium)"
    ),
]
"""A browser test module's `pytestmark`: marked, and skipped where Chromium is missing."""
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
"""Where the browser tests leave the screenshots the docs show."""
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@contextmanager
def demo_writing(out: Path, *, speed: float = 10.0, runs: int = 3) -> Iterator[None]:
    """The demo runner writing under `out` in a thread until the block ends."""
    stop = threading.Event()
    started = threading.Event()
    failed: list[BaseException] = []

    def target() -> None:
        try:
            run_demo(out, seed=7, speed=speed, runs=runs, on_start=started.set, stop=stop)
        except BaseException as exc:  # surfaced below, in the test's thread
            failed.append(exc)
            started.set()

    thread = threading.Thread(target=target, name="demo-runner", daemon=True)
    thread.start()
    if not started.wait(20):
        raise RuntimeError("the demo runner did not write its first bar")
    if failed:
        raise RuntimeError("the demo runner failed") from failed[0]
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=20)


def open_run(runs_dir: Path, run_id: str, **meta: Any) -> RunWriter:
    """A started run of our own, written through the producer SDK."""
    fields: dict[str, Any] = {
        "mode": "paper",
        "strategy_name": "browser_probe",
        "symbol": "BTC/EUR",
        "timeframe": "1s",
    }
    fields.update(meta)
    return RunWriter(runs_dir, run_id, **fields).start()


@dataclass
class PageWatch:
    """Console errors, uncaught exceptions and every request host of one page."""

    allowed_netloc: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> PageWatch:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", self._request)
        return self

    def _console(self, message: Any) -> None:
        if message.type in ("error", "assert"):
            where = (message.location or {}).get("url", "")
            if where.endswith("/favicon.ico"):
                return  # the browser asks for it by itself on pages that name no icon
            self.errors.append(f"console {message.type}: {message.text} ({where})")

    def _request(self, request: Any) -> None:
        url = request.url
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.allowed_netloc:
            self.foreign.append(url)


# ---- checks evaluated inside the page ------------------------------------------------

OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  const wide = [];
  if (doc.scrollWidth > window.innerWidth) {
    for (const node of document.querySelectorAll("body *")) {
      const box = node.getBoundingClientRect();
      if (box.right > window.innerWidth + 1 && box.width > 0) {
        let inScroller = false;
        for (let up = node.parentElement; up; up = up.parentElement) {
          const style = getComputedStyle(up);
          if (/(auto|scroll|hidden|clip)/.test(style.overflowX)) { inScroller = true; break; }
        }
        if (!inScroller) {
          wide.push(node.tagName.toLowerCase() + "." + node.className + " right=" +
            Math.round(box.right));
        }
      }
      if (wide.length >= 5) { break; }
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, wide: wide};
}"""

CONTRAST_JS = """(selectors) => {
  function parse(text) {
    const m = /rgba?\\(([^)]+)\\)/.exec(text || "");
    if (!m) { return null; }
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  }
  function over(top, bottom) {
    const a = top.a;
    return {r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a),
            b: top.b * a + bottom.b * (1 - a), a: 1};
  }
  function background(node) {
    const layers = [];
    for (let up = node; up; up = up.parentElement) {
      const bg = parse(getComputedStyle(up).backgroundColor);
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) { break; }
      }
    }
    let color = {r: 255, g: 255, b: 255, a: 1};
    const canvas = getComputedStyle(document.documentElement).colorScheme;
    if (!layers.length || layers[layers.length - 1].a < 1) {
      if (/dark/.test(canvas) && !/light/.test(canvas)) { color = {r: 18, g: 18, b: 18, a: 1}; }
    }
    for (let i = layers.length - 1; i >= 0; i--) { color = over(layers[i], color); }
    return color;
  }
  function luminance(c) {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ownText(node) {
    for (const child of node.childNodes) {
      if (child.nodeType === 3 && child.textContent.trim()) { return true; }
    }
    return false;
  }
  const failures = [];
  let checked = 0;
  for (const [name, selector] of Object.entries(selectors)) {
    for (const node of document.querySelectorAll(selector)) {
      const box = node.getBoundingClientRect();
      if (!box.width || !box.height || !ownText(node)) { continue; }
      const style = getComputedStyle(node);
      if (style.visibility === "hidden" || style.display === "none") { continue; }
      const bg = background(node);
      const fg = over(parse(style.color), bg);
      const l1 = luminance(fg), l2 = luminance(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      checked += 1;
      if (ratio < 4.5) {
        failures.push(name + ": '" + node.textContent.trim().slice(0, 30) + "' " +
          style.color + " on rgb(" + [bg.r, bg.g, bg.b].map(Math.round).join(", ") + ") = " +
          ratio.toFixed(2));
      }
    }
  }
  return {checked: checked, failures: failures.slice(0, 12)};
}"""

CONTRAST_SELECTORS = {
    "body text": "main p, main li, main dd, main dt, main h1, main h2, main h3, main summary",
    "table text": "table td, table th, table td a, table th a",
    "badges": ".badge, .safety, .conn, .watch-only",
    "nav links": ".site-nav a, .brand, .btn",
    "muted text": ".muted, .lede, .hint, .note, .src, .level-text, .row-head, .site-footer p, "
    ".plot-label, figcaption, .updated, .updated time, .field label",
    "links": "main a, .site-footer a",
}

A11Y_JS = """() => {
  function name(node) {
    if (node.getAttribute("aria-label")) { return node.getAttribute("aria-label").trim(); }
    const by = node.getAttribute("aria-labelledby");
    if (by) {
      return by.split(/\\s+/).map((id) => {
        const ref = document.getElementById(id);
        return ref ? ref.textContent : "";
      }).join(" ").trim();
    }
    if (node.id) {
      const label = document.querySelector('label[for="' + CSS.escape(node.id) + '"]');
      if (label && label.textContent.trim()) { return label.textContent.trim(); }
    }
    const wrapping = node.closest("label");
    if (wrapping && wrapping.textContent.trim()) { return wrapping.textContent.trim(); }
    if (node.tagName === "BUTTON") { return node.textContent.trim(); }
    return (node.getAttribute("title") || "").trim();
  }
  const unlabeled = [];
  const controls = document.querySelectorAll("input, select, textarea, button");
  for (const node of controls) {
    if (node.type === "hidden") { continue; }
    if (!name(node)) { unlabeled.push(node.outerHTML.slice(0, 80)); }
  }
  const tablesWithoutTh = [];
  for (const table of document.querySelectorAll("table")) {
    if (!table.querySelector("th")) { tablesWithoutTh.push(table.outerHTML.slice(0, 80)); }
  }
  return {
    controls: controls.length,
    unlabeled: unlabeled,
    tables: document.querySelectorAll("table").length,
    tablesWithoutTh: tablesWithoutTh,
    h1: document.querySelectorAll("h1").length,
    lang: document.documentElement.lang,
  };
}"""

FOCUS_JS = """() => {
  const node = document.activeElement;
  if (!node || node === document.body) { return null; }
  const style = getComputedStyle(node);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    tag: node.tagName.toLowerCase(),
    text: (node.textContent || "").trim().slice(0, 40),
    outline: outline,
    shadow: style.boxShadow !== "none",
  };
}"""

BACKGROUND_JS = "() => getComputedStyle(document.body).backgroundColor"

STYLES_BLOCKED_JS = "() => [...document.querySelectorAll('style')].some((s) => !s.sheet)"


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def live_settings(roots: Path, **overrides: Any) -> Settings:
    """Settings for a live browser test: no index caching, quick polls, 1 s keepalives."""
    values: dict[str, Any] = {
        "index_max_age_seconds": 0.0,
        "poll_interval_seconds": 0.1,
        "keepalive_seconds": 1.0,
    }
    return load_settings({**values, **overrides}, environ={}, cwd=roots)
