"""HTTP helpers shared by tests: the app's routes, raw requests, the SSE stream, metrics."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute


def flat_routes(app: FastAPI) -> list[tuple[BaseRoute, str, set[str] | None]]:
    """(route, full path, methods) of every route, also inside included routers."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    contexts: list[Any] = list(iterate(app.routes)) if iterate else list(app.routes)
    found = []
    for item in contexts:
        route = getattr(item, "original_route", item)
        methods = getattr(item, "methods", getattr(route, "methods", None))
        found.append((route, str(getattr(item, "path", "") or route.path), methods))
    for included in app.routes:
        low_priority = getattr(included, "effective_low_priority_routes", None)
        for context in low_priority() if low_priority else ():
            found.append((context.original_route, context.path, context.methods))
    return found


def raw_request(
    base: str, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send `path` byte for byte (no client-side normalization of `..` or escapes)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        host_given = any(name.lower() == "host" for name in headers or {})
        conn.putrequest(method, path, skip_host=host_given, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll until `predicate()` is truthy; return its value or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def metric_lines(client: TestClient, name: str) -> dict[str, float]:
    """Every sample of the Prometheus metric `name` on `/metrics`, by its full label text."""
    found = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


# -- the live stream -----------------------------------------------------------------------


def sse_messages(response: httpx.Response) -> Iterator[dict[str, str]]:
    """Parse an SSE byte stream into messages (comments skipped)."""
    message: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if message:
                yield message
            message = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        message[name] = value.removeprefix(" ")


class SseWatcher(threading.Thread):
    """Reads `/api/stream` until stopped, keeping every message."""

    def __init__(self, url: str, params: dict[str, str] | None = None) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.params = params
        self.messages: list[dict[str, str]] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.content_type = ""
        self.activity_count = 0
        self._parsed: list[dict[str, Any]] = []

    def run(self) -> None:
        try:
            with httpx.stream("GET", self.url, params=self.params, timeout=30) as response:
                self.content_type = response.headers.get("content-type", "")
                buffer = b""
                for chunk in response.iter_raw():
                    if self.stop.is_set():
                        return
                    *complete, buffer = (buffer + chunk).split(b"\n\n")
                    for raw in complete:
                        self._take(raw)
        except BaseException as error:  # reported by the test, never swallowed
            self.error = error
        finally:
            self.ready.set()

    def _take(self, raw: bytes) -> None:
        """One SSE message (comments skipped); fields as text."""
        message: dict[str, str] = {}
        for line in raw.decode().split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                message[name] = value.removeprefix(" ")
        if not message:
            return
        self.messages.append(message)
        if message.get("event") == "activity":
            self.activity_count += 1
        elif message.get("event") == "hello":
            self.ready.set()

    def activity(self) -> list[dict[str, Any]]:
        """The data of every activity message so far (parsed once each)."""
        messages = self.messages[:]
        seen = sum(1 for m in messages if m.get("event") == "activity")
        if seen != len(self._parsed):
            data = [m["data"] for m in messages if m.get("event") == "activity"]
            self._parsed.extend(json.loads(d) for d in data[len(self._parsed) :])
        return list(self._parsed)

    def finish(self) -> None:
        self.stop.set()
        self.join(5)
