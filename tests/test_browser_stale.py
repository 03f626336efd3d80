"""Stale while disconnected: when the stream drops, the page says since when and greys its live
figures and badges; when the stream is back and has caught up they look current again."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from browser import BROWSER_TESTS, DESKTOP, SCREENSHOTS, live_settings, open_run
from live_server import running_server

pytestmark = BROWSER_TESTS

RUN = "stale_probe"
GREYED_JS = """() => {
  const grey = (node) => {
    for (let up = node; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (/grayscale/.test(style.filter) && parseFloat(style.opacity) < 1) { return true; }
    }
    return false;
  };
  const tile = document.querySelector('[data-live-part="tiles"] .tile dd');
  const badge = document.querySelector('h1 [data-status-badge]');
  return {tile: grey(tile), badge: grey(badge), stale: document.body.hasAttribute('data-stale')};
}"""


class CutProxy:
    """A TCP relay in front of the server that can drop every connection and refuse new ones
    for a while: the page loses its stream while the server (and its event ids) live on."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                end.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones until `restore`."""
        self.refusing = True
        with self.lock:
            for end in self.open:
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.open.clear()

    def restore(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@contextmanager
def cut_proxy(base: str) -> Iterator[tuple[CutProxy, str]]:
    proxy = CutProxy(int(base.rsplit(":", 1)[1]))
    try:
        yield proxy, f"http://127.0.0.1:{proxy.port}"
    finally:
        proxy.close()


def test_a_dropped_stream_greys_live_figures_says_since_when_and_recovers(
    browser: Any, tmp_path: Path
) -> None:
    settings = live_settings(tmp_path)
    writer = open_run(settings.runs_dir, RUN)
    writer.position(1.0, 10_000.0, realized_pnl=0.0)
    context = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    page = context.new_page()
    note = page.locator("#stale-note")
    with running_server(settings) as server, cut_proxy(server) as (proxy, base):
        page.goto(f"{base}/dashboard/runs/{RUN}")
        conn = page.locator("#conn")
        conn.filter(has_text="live").wait_for(timeout=5000)
        assert page.evaluate(GREYED_JS) == {"tile": False, "badge": False, "stale": False}
        assert note.is_hidden()

        proxy.cut()
        conn.filter(has_text="disconnected").wait_for(timeout=10_000)
        note.wait_for(state="visible", timeout=5000)
        assert re.search(r"Not live since \d\d:\d\d:\d\d UTC", note.inner_text()), note.inner_text()
        assert page.evaluate(GREYED_JS) == {"tile": True, "badge": True, "stale": True}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "run-stale-desktop.png"))

        writer.position(2.0, 10_500.0, realized_pnl=500.0)  # written while the page is away
        proxy.restore()
        conn.filter(has_text="live").wait_for(timeout=15_000)
        note.wait_for(state="hidden", timeout=5000)
        assert page.evaluate(GREYED_JS) == {"tile": False, "badge": False, "stale": False}
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert page.evaluate("window.performance.navigation.type") == 0, "caught up, no reload"
        tile = page.locator('[data-live-part="tiles"] .tile', has_text="Equity").locator("dd")
        page.wait_for_function(
            "(node) => /10,500/.test(node.textContent)", arg=tile.element_handle(), timeout=10_000
        )
    context.close()
