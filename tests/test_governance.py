"""Watch-only governance: read-only, local-only, no secrets, hands off the data.

Every test here is written to fail when one guard is weakened: a route with another
method, a path-like query parameter, an id that escapes its root, a missing security
header, an unescaped artifact value, a leaked exception, a start with secrets in the
environment, or a single byte written under the data roots.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from artifacts import (
    native_bar_events,
    native_event,
    session_record,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
    write_session,
)
from live_server import free_port, running_server
from peakwatch import server as server_module
from peakwatch.secrets import find_secret_env
from peakwatch.settings import Settings, load_settings
from peakwatch.web import create_app

REPO = Path(__file__).resolve().parents[1]
MARKER = "OUTSIDE-ROOT-MARKER-9c41e7"  # only ever written outside the data roots
SECRET_VALUE = "s3cr3t-value-123"
READ_METHODS = {"GET", "HEAD"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND")
RUN_ID = "native_run"
SESSION_ID = "session_20260101_000500_paper_a1b2c3"
SAMPLE_IDS = {"run_id": RUN_ID, "session_id": SESSION_ID, "anything": RUN_ID}
PATHLIKE_NAME = re.compile(r"path|file|dir|folder|root|base", re.IGNORECASE)
EXCEPTION_NAMES = (
    "Traceback",
    "Errno",
    "JSONDecodeError",
    "UnicodeDecodeError",
    "ValidationError",
    "IsADirectoryError",
    "NotADirectoryError",
    "FileNotFoundError",
    "PermissionError",
    "OSError",
    "KeyError",
    "ValueError",
    "TypeError",
    "AttributeError",
    "RuntimeError",
    "ArrowInvalid",
    "ArrowException",
    "orjson",
    'File "',
)
XSS = "<img src=x onerror=alert(1)><script>alert(1)</script>\"'"
XSS_RUN_DIR = "xss-run_1"  # a valid run folder name; the payload goes into meta.run_id


# --------------------------------------------------------------------------------------
# data folders
# --------------------------------------------------------------------------------------


def settings_for(base: Path, **overrides: Any) -> Settings:
    """Default roots under `base`, no index caching, a fast stream."""
    values = {"index_max_age_seconds": 0.0, "poll_interval_seconds": 0.05, **overrides}
    return load_settings(values, environ={}, cwd=base)


def plant_outside(outside: Path) -> dict[str, Path]:
    """Files outside every root that would leak MARKER if anything escaped a root."""
    outside.mkdir(parents=True, exist_ok=True)
    secret = outside / "secret.txt"
    secret.write_text(f"{MARKER}\n")
    json_secret = outside / "secret.jsonl"
    write_jsonl(json_secret, [native_event(1, "signal", datetime.now(UTC), msg=MARKER)])
    foreign_run = outside / "live_runs" / "foreign"
    write_meta(foreign_run, MARKER, strategy_name=MARKER, notes=MARKER)
    write_jsonl(foreign_run / "events.jsonl", [native_event(1, "signal", datetime.now(UTC))])
    write_jsonl(
        foreign_run / "alerts.jsonl",
        [{"rule_id": MARKER, "severity": "critical", "message": MARKER, "run_id": MARKER}],
    )
    foreign_sessions = outside / "sessions"
    write_session(foreign_sessions, session_record(MARKER, notes=MARKER))
    return {
        "dir": outside,
        "secret": secret,
        "json_secret": json_secret,
        "foreign_run": foreign_run,
        "foreign_sessions": foreign_sessions,
    }


def build_rich(base: Path) -> None:
    """Every artifact kind peakwatch reads, plus broken ones that force error paths."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=30)
    runs = base / "live_runs"
    # native JSONL run with run alerts
    native = runs / RUN_ID
    write_meta(native, RUN_ID, started_at=start.isoformat(), mode="paper")
    write_jsonl(native / "events.jsonl", native_bar_events(6, start=now - timedelta(minutes=1)))
    write_jsonl(
        native / "alerts.jsonl",
        [
            {
                "rule_id": "risk_blocked",
                "severity": "warning",
                "message": "order blocked by max_position",
                "run_id": RUN_ID,
                "timestamp": now.isoformat(),
            }
        ],
    )
    # Peak_Trade CSV and Parquet runs, a meta-only run
    write_meta(runs / "csv_run", "csv_run")
    write_csv_events(runs / "csv_run", step_rows(12, blocked_every=4))
    write_meta(runs / "pq_run", "pq_run")
    write_parquet_events(runs / "pq_run", step_rows(30, blocked_every=5), group=10)
    write_meta(runs / "meta_only", "meta_only", ended_at=None)
    # broken runs: corrupt meta, a directory where meta/events are expected, invalid UTF-8
    (runs / "corrupt_meta").mkdir(parents=True)
    (runs / "corrupt_meta" / "meta.json").write_text('{"run_id": "corrupt_meta", "mode": ')
    (runs / "dir_meta" / "meta.json").mkdir(parents=True)
    write_meta(runs / "dir_events", "dir_events")
    (runs / "dir_events" / "events.jsonl").mkdir()
    write_meta(runs / "bad_utf8", "bad_utf8")
    good = json.dumps(native_event(2, "signal", now)).encode()
    (runs / "bad_utf8" / "events.jsonl").write_bytes(
        json.dumps(native_event(1, "signal", now)).encode()
        + b"\n\xff\xfe\x80 not utf-8 \xc3\x28\n{broken json\n"
        + good
        + b"\n"
    )
    (runs / "bad_utf8" / "alerts.jsonl").write_bytes(b"\xff\xfe{\n[1, 2]\nnull\n")
    write_meta(runs / "bad_parquet", "bad_parquet")
    (runs / "bad_parquet" / "events.parquet").write_bytes(b"PAR1 this is not parquet")
    write_meta(runs / "bad_csv", "bad_csv")
    (runs / "bad_csv" / "events.csv").write_bytes(b"step,ts_bar,equity\n1,\xff\xfe,abc\n2,2026")
    # the daily alert store
    write_jsonl(
        runs / "alerts" / f"alerts_{now:%Y-%m-%d}.jsonl",
        [
            {
                "id": "a1",
                "title": "Drawdown",
                "body": "drawdown beyond limit",
                "severity": "WARN",
                "category": "RISK",
                "source": "risk",
                "session_id": SESSION_ID,
                "timestamp": now.isoformat(),
                "context": {"runbooks": ["rb1"]},
                "stored_at": now.isoformat(),
            }
        ],
    )
    (runs / "alerts" / f"alerts_{now - timedelta(days=1):%Y-%m-%d}.jsonl").write_bytes(
        b"{not json\n\xff\n"
    )
    # the sessions registry, one broken record, one that is a directory
    sessions = base / "reports" / "experiments" / "live_sessions"
    write_session(sessions, session_record(SESSION_ID, started=start, run_id=RUN_ID))
    write_session(
        sessions,
        session_record("session_started_1", started=start, status="started", mode="shadow"),
    )
    (sessions / "20260101T000000_live_session_paper_broken.json").write_text("{ nope")
    (sessions / "20260101T000001_live_session_paper_isdir.json").mkdir()
    (sessions / "20260101T000002_live_session_paper_utf8.json").write_bytes(b'{"a": "\xff"}')
    # AI decision events and execution telemetry
    write_jsonl(
        base / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": (now - timedelta(seconds=5)).isoformat().replace("+00:00", "Z"),
                "component": "policy",
                "run_id": RUN_ID,
                "event": "decision",
                "decision": "accept",
                "reason": "none",
                "latency_ms": 12.5,
                "action": "submit",
            }
        ],
    )
    with (base / "logs" / "ai" / "ai_events.jsonl").open("ab") as handle:
        handle.write(b"\xff\xfe garbage\n")
    write_jsonl(
        base / "logs" / "execution" / f"{SESSION_ID}.jsonl",
        [
            {
                "ts": (now - timedelta(seconds=3)).isoformat(),
                "session_id": SESSION_ID,
                "symbol": "BTC/EUR",
                "mode": "paper",
                "kind": kind,
                "payload": {"order_id": "o1", "qty": 0.1, "api_key": "SHOULD_NOT_LEAK"},
            }
            for kind in ("gate", "intent", "order", "fill", "error")
        ],
    )
    (base / "logs" / "execution" / "broken.jsonl").write_bytes(b"{\n\xff\n")
    # safety config
    (base / "config").mkdir()
    (base / "config" / "config.toml").write_text(
        '[environment]\nmode = "paper"\nenable_live_trading = false\n'
        'confirm_token = "SHOULD_NOT_LEAK"\n'
    )


def plant_escapes(base: Path, outside: dict[str, Path]) -> None:
    """Symlinks inside the roots that lead outside them."""
    runs = base / "live_runs"
    (runs / "linked_run").symlink_to(outside["foreign_run"], target_is_directory=True)
    sessions = base / "reports" / "experiments" / "live_sessions"
    (sessions / "linked_sessions").symlink_to(outside["foreign_sessions"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A rich data folder, files outside it holding MARKER, and escaping symlinks."""
    top = tmp_path_factory.mktemp("governance")
    base = top / "data"
    base.mkdir()
    outside = plant_outside(top / "outside")
    build_rich(base)
    plant_escapes(base, outside)
    return {"top": top, "base": base, "outside": outside, "settings": settings_for(base)}


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> FastAPI:
    return create_app(world["settings"])


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live(world: dict[str, Any]) -> Iterator[str]:
    """A real uvicorn server over the world (raw request paths reach it unchanged)."""
    with running_server(world["settings"]) as base:
        yield base


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


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


def route_paths(app: FastAPI) -> list[str]:
    """Every routed path of the app with path parameters filled with sample ids."""
    paths = []
    for route, path, _ in flat_routes(app):
        if isinstance(route, Mount):
            paths.append(f"{path}/app.css")
            continue
        paths.append(expand(path))
    return sorted(set(paths))


def expand(template: str) -> str:
    def sample(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return quote(SAMPLE_IDS[name], safe="")

    return re.sub(r"\{([^}]+)\}", sample, template)


def get_paths(app: FastAPI) -> list[str]:
    """Paths a GET sweep can fetch (the SSE stream never ends: exercised separately)."""
    return [p for p in route_paths(app) if p != "/api/stream"]


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


class DomAudit(HTMLParser):
    """Collects what must never be in a page: inline script, on* handlers, injected images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.injected: list[str] = []
        self.script_srcs: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
        if tag == "script":
            src = names.get("src")
            if src:
                self.script_srcs.append(src)
            else:
                self.inline_scripts.append(self.getpos().__repr__())
        if tag == "img" and names.get("src") == "x":
            self.injected.append("img[src=x]")
        for name, value in attrs:
            if value and value.strip().lower().startswith("javascript:"):
                self.injected.append(f"{tag}[{name}=javascript:]")


def audit_html(text: str) -> DomAudit:
    parser = DomAudit()
    parser.feed(text)
    parser.close()
    return parser


def all_text(response: httpx.Response) -> str:
    return response.content.decode("utf-8", "replace")


# --------------------------------------------------------------------------------------
# watch-only: methods
# --------------------------------------------------------------------------------------


def test_every_route_is_get_or_head_only(app: FastAPI) -> None:
    mounts = []
    routes = flat_routes(app)
    for route, path, methods in routes:
        if isinstance(route, Mount):
            mounts.append(path)
            assert isinstance(route.app, StaticFiles), path
            continue
        assert isinstance(route, (APIRoute, Route)), f"unexpected route type {route!r}"
        assert methods, f"{path} accepts every method"
        assert set(methods) <= READ_METHODS, f"{path} accepts {sorted(set(methods) - READ_METHODS)}"
    assert mounts == ["/static"], "only the static files mount may exist"
    assert len(routes) > 20  # the walk saw the real app
    for route in app.router.routes:  # nothing routes around the walk (websockets, raw ASGI)
        assert not isinstance(route, WebSocketRoute)


def test_static_mount_serves_only_get_and_head(client: TestClient) -> None:
    assert client.get("/static/app.css").status_code == 200
    head = client.head("/static/live.js")
    assert head.status_code == 200 and head.content == b""
    for method in WRITE_METHODS:
        response = client.request(method, "/static/app.css")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/%2E%2E/app.py").status_code == 404


def test_openapi_document_is_get_only(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert len(document["paths"]) >= 15
    for path, item in document["paths"].items():
        operations = {key for key in item if key not in ("parameters", "summary", "description")}
        assert operations, path
        assert operations <= {"get", "head"}, f"{path}: {sorted(operations)}"
    docs = client.get("/docs").text
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert f">{method}<" not in docs


@pytest.mark.parametrize("method", WRITE_METHODS)
def test_write_methods_get_405_everywhere(app: FastAPI, client: TestClient, method: str) -> None:
    paths = [*route_paths(app), "/", "/no/such/path", "/openapi.json", "/api/stream"]
    for path in paths:
        response = client.request(
            method,
            path,
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
            content=b'{"run_id": "x"}',
        )
        assert response.status_code == 405, f"{method} {path}"
        assert response.headers.get("allow") == "GET, HEAD", f"{method} {path}"
        assert "access-control-allow-origin" not in response.headers
        body = response.json()
        assert set(body) == {"detail"}, body
        assert "read-only" in body["detail"]
        for leak in (path, RUN_ID, SESSION_ID, str(app.state.settings.runs_dir), MARKER):
            assert leak not in response.text or leak == "/", (method, path, leak)


def test_write_methods_rejected_by_real_server(live: str) -> None:
    for method in ("POST", "DELETE", "OPTIONS"):
        status, headers, body = raw_request(live, method, f"/runs/{RUN_ID}/snapshot")
        assert status == 405 and headers["allow"] == "GET, HEAD"
        assert b"native_run" not in body


def test_head_works_on_every_get_route(app: FastAPI, client: TestClient) -> None:
    not_ok = set()
    for path in route_paths(app):
        head = client.head(path)
        assert head.content == b"", path
        if path == "/api/stream":
            assert head.status_code == 200
            continue
        got = client.get(path)
        assert head.status_code == got.status_code, path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        if head.status_code != 200:
            not_ok.add(path)
    assert not_ok == {f"/runs/{RUN_ID}"}  # only the /runs/{anything:path} catch-all is a 404


def test_head_sends_no_body_bytes_at_the_asgi_level(app: FastAPI, client: TestClient) -> None:
    """HTTP clients hide a HEAD body; the ASGI messages show whether the guard dropped it."""

    async def head(path: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "HEAD",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

        requests = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if requests:
                return requests.pop()
            await asyncio.sleep(30)  # the client stays connected until the response is done
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)
        return messages

    for path in ("/health", "/runs", "/", f"/dashboard/runs/{RUN_ID}", "/static/app.css"):
        messages = asyncio.run(head(path))
        assert messages[0]["status"] == 200, path
        assert int(dict(messages[0]["headers"])[b"content-length"]) > 0, path
        assert b"".join(m.get("body", b"") for m in messages[1:]) == b"", path


# --------------------------------------------------------------------------------------
# no query parameter is a path
# --------------------------------------------------------------------------------------


def test_no_openapi_parameter_is_a_path(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    seen = []
    for path, item in document["paths"].items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                seen.append(parameter["name"])
                assert not PATHLIKE_NAME.search(parameter["name"]), (path, parameter["name"])
    assert {"limit", "run_id", "as_of"} <= set(seen)  # the walk saw real parameters


def test_no_route_parameter_is_a_path(app: FastAPI) -> None:
    """Also the pages, which are not in the OpenAPI document."""
    checked = 0
    for route, path, _ in flat_routes(app):
        if not isinstance(route, APIRoute):
            continue
        dependant = route.dependant
        for param in dependant.query_params + dependant.header_params + dependant.cookie_params:
            checked += 1
            assert not PATHLIKE_NAME.search(param.name), (path, param.name)
            assert not PATHLIKE_NAME.search(param.alias or ""), (path, param.alias)
        assert not dependant.body_params, path
        for param in dependant.path_params:
            assert param.name in SAMPLE_IDS, (path, param.name)
    assert checked > 20


PATH_PARAMS = (
    "base_runs_dir",
    "runs_dir",
    "runs-dir",
    "sessions_dir",
    "alerts_dir",
    "ai_events_path",
    "execution_dir",
    "config_path",
    "config",
    "path",
    "file",
    "root",
    "dir",
)


def test_path_like_query_parameters_are_ignored(world: dict[str, Any], client: TestClient) -> None:
    outside = world["outside"]
    values = {
        "base_runs_dir": outside["foreign_run"].parent,
        "runs_dir": outside["foreign_run"].parent,
        "runs-dir": outside["foreign_run"].parent,
        "sessions_dir": outside["foreign_sessions"],
        "alerts_dir": outside["dir"],
        "ai_events_path": outside["json_secret"],
        "execution_dir": outside["dir"],
        "config_path": outside["secret"],
        "config": outside["secret"],
        "path": outside["secret"],
        "file": outside["secret"],
        "root": outside["dir"],
        "dir": outside["dir"],
    }
    query = urlencode({name: str(values[name]) for name in PATH_PARAMS})
    for path in [
        "/runs",
        "/runs/foreign/snapshot",
        "/api/live_sessions",
        "/api/activity",
        "/api/alerts",
        "/api/live/status/snapshot.json",
        "/api/live/status/snapshot.html",
        "/api/live/safety",
        "/",
        "/dashboard",
        "/activity",
        "/alerts",
        "/status/health",
    ]:
        with_params = client.get(f"{path}?{query}")
        assert MARKER not in with_params.text, path
        assert with_params.status_code in (200, 404), path
        if path.endswith(".json") or path in ("/runs", "/api/live_sessions", "/api/live/safety"):
            plain = client.get(path)
            assert _without_clock(with_params.json()) == _without_clock(plain.json()), path
    etc = client.get("/runs?base_runs_dir=/etc&runs_dir=/etc").json()
    assert {run["run_id"] for run in etc} == {run["run_id"] for run in client.get("/runs").json()}


def _without_clock(value: Any) -> Any:
    """Drop wall-clock fields that differ between two requests."""
    if isinstance(value, dict):
        return {
            k: _without_clock(v)
            for k, v in value.items()
            if k not in ("generated_at", "as_of", "content_sha256", "age_seconds")
        }
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


# --------------------------------------------------------------------------------------
# ids never escape a root
# --------------------------------------------------------------------------------------


def traversal_ids(world: dict[str, Any]) -> list[str]:
    """Raw (already percent-encoded) id segments that try to leave a root."""
    secret = world["outside"]["secret"]
    rel_secret = os.path.relpath(secret, world["settings"].runs_dir)
    return [
        "%2E%2E",
        "%2e%2e",
        "..",
        ".",
        "%2E",
        "..%2F",
        "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        quote(rel_secret, safe=""),
        quote(os.path.relpath(world["outside"]["foreign_run"], world["settings"].runs_dir), ""),
        "%2E%2E%2Foutside%2Fsecret.txt",
        "%2E%2E%252F%2E%2E%252Fetc%252Fpasswd",  # double encoded
        "%2Fetc%2Fpasswd",
        quote(str(secret), safe=""),
        quote(str(world["outside"]["foreign_run"]), safe=""),
        "..%5C..%5Csecret.txt",
        "%5C..%5C",
        "native_run%5C..%5C..%5Coutside",
        "native_run%00",
        "%00",
        "a%00b",
        "native_run%2F..%2F..%2Foutside",
        "%7E%2F.ssh",
        ".hidden",
        "linked_run",
        "foreign",
        "x" * 201,
        "n" * 5000,
        "%C0%AE%C0%AE",  # overlong UTF-8 dots
        "%E2%80%A5",  # two-dot leader
        "native_run%0A",
        f"{SESSION_ID}%0A",
        "native_run%0D%0A",
        "native_run%7F",
        "native_run%20",
    ]


ID_ROUTES = (
    "/runs/{id}/snapshot",
    "/runs/{id}/tail",
    "/runs/{id}/alerts",
    "/api/runs/{id}/events",
    "/api/live_sessions/{id}",
    "/dashboard/runs/{id}",
    "/sessions/{id}",
)


def test_traversal_ids_are_refused_on_every_id_route(world: dict[str, Any], live: str) -> None:
    checked = 0
    for template in ID_ROUTES:
        for raw_id in traversal_ids(world):
            path = template.replace("{id}", raw_id)
            status, headers, body = raw_request(live, "GET", path)
            text = body.decode("utf-8", "replace")
            # the JSON v1 routes declare max_length=200 on ids: longer ones are a 422
            expected = (404, 422) if len(raw_id) > 200 and template.startswith("/api/") else (404,)
            if status == 307 and raw_id.endswith("%2F"):
                # Starlette's slash redirect: `/api/live_sessions/../` -> `/api/live_sessions/..`
                # on the same origin; following it must still end in a 404
                location = headers["location"]
                assert location.startswith(live + "/"), location
                status, headers, body = raw_request(live, "GET", location[len(live) :])
                text = body.decode("utf-8", "replace")
            assert status in expected, f"{path[:120]} -> {status}"
            assert MARKER not in text, path[:120]
            assert "root:x:0:0" not in text, path[:120]
            assert "Traceback" not in text
            assert headers.get("x-content-type-options") == "nosniff"
            checked += 1
    # the sample ids are found on the same routes, so the 404s above are meaningful
    for template in ID_ROUTES:
        sample = SESSION_ID if "session" in template else RUN_ID
        status, _, _ = raw_request(live, "GET", template.replace("{id}", sample))
        assert status == 200, template
    assert checked >= len(ID_ROUTES) * 25


def test_traversal_ids_in_query_parameters(world: dict[str, Any], live: str) -> None:
    pages = (
        "/?run={id}",
        "/dashboard?run={id}",
        "/activity?run={id}",
        "/activity?session={id}",
        "/api/activity?run_id={id}",
        "/api/activity?session_id={id}",
        "/api/alerts?run_id={id}&session_id={id}",
    )
    for template in pages:
        for raw_id in traversal_ids(world)[::3] + ["linked_run", "foreign"]:
            path = template.replace("{id}", raw_id)
            status, _, body = raw_request(live, "GET", path)
            text = body.decode("utf-8", "replace")
            assert status in (200, 404, 422), f"{path[:120]} -> {status}"
            assert MARKER not in text, path[:120]
            assert "root:x:0:0" not in text
            assert "Traceback" not in text


def test_symlinks_out_of_a_root_are_not_followed(client: TestClient) -> None:
    runs = {run["run_id"] for run in client.get("/runs").json()}
    assert RUN_ID in runs and "linked_run" not in runs
    assert client.get("/runs/linked_run/snapshot").status_code == 404
    assert client.get("/dashboard/runs/linked_run").status_code == 404
    sessions = client.get("/api/live_sessions?limit=100").json()
    assert all(MARKER not in json.dumps(s) for s in sessions)
    assert client.get(f"/api/live_sessions/{MARKER}").status_code == 404


def test_file_symlinks_out_of_a_root_are_not_read(tmp_path: Path) -> None:
    """A file inside a root that links outside it is never read: no symlink escape."""
    base = tmp_path / "data"
    base.mkdir()
    outside = plant_outside(tmp_path / "outside")
    build_rich(base)
    run = base / "live_runs" / "file_links"
    run.mkdir()
    (run / "meta.json").symlink_to(outside["foreign_run"] / "meta.json")
    (run / "events.jsonl").symlink_to(outside["json_secret"])
    (run / "alerts.jsonl").symlink_to(outside["foreign_run"] / "alerts.jsonl")
    registry = base / "reports" / "experiments" / "live_sessions"
    foreign_record = next(outside["foreign_sessions"].glob("*.json"))
    (registry / "20260102T000000_live_session_paper_link.json").symlink_to(foreign_record)
    (base / "logs" / "execution" / "link.jsonl").symlink_to(outside["json_secret"])
    (base / "live_runs" / "alerts" / "alerts_2999-01-01.jsonl").symlink_to(outside["secret"])
    leaked = []
    with TestClient(create_app(settings_for(base)), base_url="http://localhost") as test_client:
        for path in (
            "/runs",
            "/runs/file_links/snapshot",
            "/runs/file_links/alerts",
            "/api/runs/file_links/events",
            "/api/live_sessions?limit=100",
            f"/api/live_sessions/{MARKER}",
            "/api/activity",
            "/api/alerts",
            "/dashboard/runs/file_links",
            "/activity",
        ):
            if MARKER in test_client.get(path).text:
                leaked.append(path)
    assert leaked == []


# --------------------------------------------------------------------------------------
# a full sweep: no marker, no secret, no exception text, no paths
# --------------------------------------------------------------------------------------


def sweep_paths(app: FastAPI) -> list[str]:
    extra = [
        "/?run=native_run",
        "/dashboard?run=native_run",
        "/dashboard?run=csv_run",
        "/dashboard?run=bad_utf8",
        "/activity?run=bad_utf8",
        "/activity?session=" + SESSION_ID,
        "/activity?before=not-a-cursor",
        "/alerts?severity=critical",
        "/api/activity?limit=500",
        "/api/activity?before=garbage",
        "/api/alerts?since=yesterday",
        "/runs?as_of=not-a-time",
        "/runs/native_run/tail?limit=0",
        "/runs/native_run/tail?limit=%2Fetc%2Fpasswd",
        "/runs/native_run/alerts?limit=abc",
        "/api/live_sessions?limit=1000",
        "/api/live_sessions?status=exploded",
    ]
    for run in ("csv_run", "pq_run", "meta_only", "bad_utf8", "bad_parquet", "bad_csv"):
        extra += [
            f"/runs/{run}/snapshot",
            f"/runs/{run}/tail?limit=500",
            f"/runs/{run}/alerts",
            f"/api/runs/{run}/events",
            f"/dashboard/runs/{run}",
        ]
    extra += [f"/runs/{run}/snapshot" for run in ("corrupt_meta", "dir_meta", "dir_events")]
    extra += ["/sessions/session_started_1", "/api/live_sessions/session_started_1"]
    return get_paths(app) + extra


HEALTH_PATHS = ("/status/health", "/api/health/details")


def test_sweep_never_errors_or_leaks(
    world: dict[str, Any], app: FastAPI, client: TestClient
) -> None:
    base = str(world["top"])
    roots = {str(path) for path in world["settings"].roots().values()}
    statuses = {}
    for path in sweep_paths(app):
        response = client.get(path, headers={"Origin": "http://evil.example"})
        text = all_text(response)
        statuses[path] = response.status_code
        assert response.status_code < 500, path
        assert MARKER not in text, path
        assert "SHOULD_NOT_LEAK" not in text, path
        for name in EXCEPTION_NAMES:
            # the API description itself names the HTTPValidationError schema
            assert name not in text or path in ("/openapi.json", "/docs"), (path, name)
        assert "access-control-allow-origin" not in response.headers, path
        if urlsplit(path).path in HEALTH_PATHS:
            continue
        found = set(re.findall(re.escape(base) + r"[^\s\"'<>&]*", text))
        if "text/html" in response.headers["content-type"]:
            # a page may name a configured folder to look in (empty state, not found),
            # never a file inside it and never anything outside the roots
            assert found <= roots, (path, found)
        else:
            assert not found, (path, found)
    assert statuses["/runs/meta_only/snapshot"] == 200
    assert statuses["/runs/bad_utf8/tail?limit=500"] == 200
    assert statuses["/runs/native_run/tail?limit=%2Fetc%2Fpasswd"] == 422
    health = client.get("/api/health/details").json()
    assert health["unreadable_count"] >= 3  # the broken files were really read and reported
    assert all(not p["file"].startswith("/") for p in health["unreadable"])


def test_unexpected_exceptions_are_not_echoed(world: dict[str, Any]) -> None:
    app = create_app(world["settings"])
    leak = f"{world['outside']['secret']} went wrong {MARKER}"

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise IsADirectoryError(21, leak)

    workspace = app.state.workspace
    for concern, name in (
        (workspace.runs, "listing"),
        (workspace.runs, "snapshot"),
        (workspace.sessions, "listing"),
        (workspace.activity, "page"),
        (workspace.alerts, "everything"),
        (workspace.health, "report"),
    ):
        setattr(concern, name, explode)
    with TestClient(app, raise_server_exceptions=False, base_url="http://localhost") as test_client:
        for path in (
            "/runs",
            f"/runs/{RUN_ID}/snapshot",
            "/api/live_sessions",
            "/api/activity",
            "/api/alerts",
            "/api/health/details",
            "/activity",
            "/alerts",
            "/dashboard",
        ):
            response = test_client.get(path)
            assert response.status_code == 500, path
            assert response.json() == {"detail": "internal error; see the server log"}
            assert MARKER not in response.text and "IsADirectory" not in response.text
            assert response.headers["x-frame-options"] == "DENY"


def test_validation_errors_do_not_echo_input(client: TestClient) -> None:
    response = client.get(f"/runs/{RUN_ID}/tail", params={"limit": f"/etc/{MARKER}"})
    assert response.status_code == 422
    assert MARKER not in response.text and "/etc/" not in response.text
    assert "input" not in response.json()["detail"][0]


# --------------------------------------------------------------------------------------
# local only: Host header, security headers, no CORS
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "attacker.com:8000",
        "localhost.attacker.com",
        "127.0.0.1.nip.io:8000",
        "localhost:8000@evil.example",
        "evil.example:80:80",
        "",
        "[::2]:8000",
        "0.0.0.0:8000",
        "testserver",  # a bare name a local search domain could resolve to an attacker
    ],
)
def test_forged_host_gets_400(client: TestClient, host: str) -> None:
    for path in ("/", "/health", f"/runs/{RUN_ID}/snapshot", "/static/app.css"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, path)
        assert "native_run" not in response.text and (not host or host not in response.text)
        assert response.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "LOCALHOST:1", "[::1]:8000"]
)
def test_local_hosts_pass(client: TestClient, host: str) -> None:
    assert client.get("/health", headers={"Host": host}).status_code == 200


def test_forged_host_on_real_server(live: str) -> None:
    assert raw_request(live, "GET", "/health", {"Host": "evil.example"})[0] == 400
    assert raw_request(live, "GET", "/", {"Host": "attacker.com:8000"})[0] == 400
    port = urlsplit(live).port
    assert raw_request(live, "GET", "/health", {"Host": f"127.0.0.1:{port}"})[0] == 200
    assert raw_request(live, "GET", "/health", {"Host": f"localhost:{port}"})[0] == 200


def test_allowed_host_adds_names(world: dict[str, Any]) -> None:
    settings = world["settings"].with_overrides(allowed_hosts=("dash.lan", "Box.Internal"))
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        for host in ("dash.lan", "dash.lan:8000", "box.internal:9", "localhost:8000"):
            assert test_client.get("/health", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "dash.lan.evil.example", "sub.dash.lan"):
            assert test_client.get("/health", headers={"Host": host}).status_code == 400, host


def check_security_headers(headers: httpx.Headers | dict[str, str], where: str) -> None:
    csp = headers.get("content-security-policy", "")
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()
    }
    assert "default-src 'self'" in csp, where
    script_src = directives.get("script-src", directives.get("default-src", ""))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, where
    assert "*" not in script_src and "http" not in script_src, where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert "access-control-allow-origin" not in headers, where
    assert "access-control-allow-credentials" not in headers, where


def test_security_headers_on_every_response(app: FastAPI, client: TestClient) -> None:
    origin = {"Origin": "http://evil.example"}
    for path in [*get_paths(app), "/openapi.json", "/no/such", "/runs/nope/snapshot"]:
        check_security_headers(client.get(path, headers=origin).headers, f"GET {path}")
        check_security_headers(client.head(path, headers=origin).headers, f"HEAD {path}")
    check_security_headers(client.head("/api/stream").headers, "HEAD /api/stream")
    check_security_headers(client.post("/runs", headers=origin).headers, "POST /runs")
    check_security_headers(client.options("/runs", headers=origin).headers, "OPTIONS /runs")
    bad_host = client.get("/", headers={"Host": "evil.example"})
    check_security_headers(bad_host.headers, "bad Host")
    check_security_headers(client.get("/runs/x/tail?limit=abc").headers, "422")


def test_pages_have_no_inline_script_or_handlers(world: dict[str, Any], client: TestClient) -> None:
    pages = [
        "/",
        "/dashboard",
        f"/dashboard?run={RUN_ID}",
        f"/dashboard/runs/{RUN_ID}",
        f"/sessions/{SESSION_ID}",
        "/activity",
        "/alerts",
        "/status/health",
        "/docs",
        "/api/live/status/snapshot.html",
        "/dashboard/runs/nope",
        "/sessions/nope",
    ]
    for path in pages:
        response = client.get(path)
        assert "text/html" in response.headers["content-type"], path
        audit = audit_html(response.text)
        assert not audit.inline_scripts, path
        assert not audit.handlers, (path, audit.handlers)
        assert not audit.injected, (path, audit.injected)
        for src in audit.script_srcs:
            assert src.startswith("/static/"), (path, src)  # no CDN, no third party
        assert "//cdn" not in response.text and "https://" not in response.text.split("</head>")[0]


# --------------------------------------------------------------------------------------
# stored XSS: every artifact text field renders inert
# --------------------------------------------------------------------------------------


def build_xss_world(base: Path, payload: str = XSS) -> dict[str, str]:
    """Artifacts with `payload` in every text field a page can show."""
    now = datetime.now(UTC).replace(microsecond=0)
    runs = base / "live_runs"
    run_dir = runs / XSS_RUN_DIR
    write_meta(
        run_dir,
        payload,
        strategy_name=payload,
        symbol=payload,
        timeframe=payload,
        mode=payload,
        notes=payload,
        started_at=(now - timedelta(minutes=5)).isoformat(),
        config_snapshot={"tags": [payload], payload: payload},
    )
    events = []
    seq = 1
    for kind, data in (
        ("run_started", {"strategy": payload}),
        ("decision", {"action": payload, "symbol": payload, "rationale": payload}),
        ("risk", {"allowed": False, "reasons": [payload], "level": "warning"}),
        ("order", {"order_id": payload, "side": payload, "status": payload}),
        ("fill", {"order_id": payload, "side": "buy", "qty": 0.1, "price": 1.0}),
        ("error", {"error": payload, "level": "error"}),
        (payload, {"note": payload}),
    ):
        events.append(
            native_event(seq, kind, now - timedelta(seconds=30 - seq), msg=payload, **data)
        )
        seq += 1
    write_jsonl(run_dir / "events.jsonl", events)
    write_jsonl(
        run_dir / "alerts.jsonl",
        [
            {
                "rule_id": payload,
                "severity": "critical",
                "message": payload,
                "run_id": payload,
                "timestamp": now.isoformat(),
            }
        ],
    )
    csv_dir = runs / "xss-csv"
    write_meta(csv_dir, payload, strategy_name=payload, symbol=payload)
    rows = step_rows(3, start=now - timedelta(minutes=3), blocked_every=1)
    for row in rows:
        row["risk_reasons"] = payload
        row["extra_order_side"] = payload
    write_csv_events(csv_dir, rows)
    write_jsonl(
        runs / "alerts" / f"alerts_{now:%Y-%m-%d}.jsonl",
        [
            {
                "id": payload,
                "title": payload,
                "body": payload,
                "severity": "CRITICAL",
                "category": payload,
                "source": payload,
                "session_id": payload,
                "timestamp": now.isoformat(),
                "context": {"runbooks": [payload]},
                "stored_at": now.isoformat(),
            }
        ],
    )
    registry = base / "reports" / "experiments" / "live_sessions"
    record = session_record(
        payload,
        started=now - timedelta(minutes=10),
        status="failed",
        mode="paper",
        run_id=XSS_RUN_DIR,
        env_name=payload,
        symbol=payload,
        error=payload,
        strategy_tier=payload,
        config={"strategy_name": payload, "notes": payload, "tags": [payload]},
        metrics={"risk_status": payload, "realized_pnl": 1.0},
        cli_args=["--strategy", payload],
    )
    registry.mkdir(parents=True, exist_ok=True)
    (registry / "20260101T000000_live_session_paper_xss.json").write_text(json.dumps(record))
    write_jsonl(
        base / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": (now - timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
                "component": payload,
                "run_id": payload,
                "event": "decision",
                "decision": payload,
                "reason": payload,
                "action": payload,
                "rationale": payload,
            }
        ],
    )
    write_jsonl(
        base / "logs" / "execution" / "xss-session.jsonl",
        [
            {
                "ts": (now - timedelta(seconds=1)).isoformat(),
                "session_id": payload,
                "symbol": payload,
                "mode": payload,
                "kind": kind,
                "payload": {"error": payload, "reason": payload, payload: payload},
            }
            for kind in ("intent", "error", payload)
        ],
    )
    # a broken file whose name carries the payload-safe part shows up on the health page
    (runs / "xss-broken").mkdir()
    (runs / "xss-broken" / "meta.json").write_text(json.dumps({"run_id": payload, "mode": 3}))
    return {"run": XSS_RUN_DIR, "session": payload}


def xss_pages(ids: dict[str, str]) -> list[str]:
    session = quote(ids["session"], safe="")
    run = quote(ids["run"], safe="")
    return [
        "/",
        "/dashboard",
        f"/dashboard?run={run}",
        "/dashboard?run=xss-csv",
        f"/dashboard/runs/{run}",
        "/dashboard/runs/xss-csv",
        f"/sessions/{session}",
        "/activity",
        f"/activity?session={session}",
        f"/activity?q={quote(XSS)}",
        "/alerts",
        "/status/health",
        "/api/live/status/snapshot.html",
        f"/dashboard/runs/{quote(XSS, safe='')}",
        f"/sessions/{quote(XSS + 'missing', safe='')}",
    ]


def assert_inert(text: str, where: str) -> None:
    assert "<script>alert" not in text, where
    assert "<img src=x" not in text, where
    audit = audit_html(text)
    assert not audit.inline_scripts, where
    assert not audit.handlers, (where, audit.handlers)
    assert not audit.injected, (where, audit.injected)


@pytest.fixture(scope="module")
def xss_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    base = tmp_path_factory.mktemp("xss") / "data"
    base.mkdir()
    ids = build_xss_world(base)
    with TestClient(create_app(settings_for(base)), base_url="http://localhost") as test_client:
        yield test_client, ids


def test_xss_payload_renders_inert_on_every_page(xss_client: tuple[TestClient, dict]) -> None:
    client, ids = xss_client
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    shown = 0
    for path in xss_pages(ids):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_inert(response.text, path)
        if escaped in response.text:
            shown += 1
    # the payload really reached the pages (escaped), so the checks above were not vacuous
    for path in (
        f"/dashboard/runs/{ids['run']}",
        f"/sessions/{quote(ids['session'], safe='')}",
        "/activity",
        "/alerts",
    ):
        assert escaped in client.get(path).text, path
    assert shown >= 8


def test_xss_payload_in_json_is_plain_data(xss_client: tuple[TestClient, dict]) -> None:
    client, ids = xss_client
    snapshot = client.get(f"/runs/{ids['run']}/snapshot")
    assert snapshot.headers["content-type"].startswith("application/json")
    assert snapshot.json()["strategy_name"] == XSS
    sessions = client.get("/api/live_sessions?limit=100")
    assert sessions.headers["content-type"].startswith("application/json")
    assert XSS in {session["session_id"] for session in sessions.json()}


# --------------------------------------------------------------------------------------
# no secrets in the process; local bind; one-line start errors
# --------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in find_secret_env(os.environ)}
    env = {k: v for k, v in env.items() if not k.startswith("PEAKWATCH_")}
    env.update(extra)
    return env


PEAKWATCH = str(Path(sys.executable).with_name("peakwatch"))
Outcome = tuple[int | None, str, str]


def finish(process: subprocess.Popen[str], timeout: float) -> Outcome:
    """Exit code and output; None when it was still running (a server that should not be)."""
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        return None, out, err


def wait_for_health(url: str, process: subprocess.Popen[str], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return -1
        try:
            return httpx.get(url, timeout=1).status_code
        except httpx.HTTPError:
            time.sleep(0.1)
    return -2


@pytest.fixture(scope="module")
def launches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Every launcher case started at once (interpreter start-up dominates their cost)."""
    work = tmp_path_factory.mktemp("launch")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy_port = taken.getsockname()[1]
    scrub_port = free_port()
    serve = [PEAKWATCH, "serve", "--port"]
    uvicorn_line = [sys.executable, "-m", "uvicorn", "src.webui.app:app", "--host", "127.0.0.1"]
    specs: dict[str, tuple[list[str], dict[str, str], Path]] = {
        "secret": ([*serve, str(free_port())], clean_env(BINANCE_API_SECRET=SECRET_VALUE), work),
        "uvicorn": (
            [*uvicorn_line, "--port", str(free_port())],
            clean_env(KRAKEN_API_KEY=SECRET_VALUE, PEAKWATCH_RUNS_DIR=str(work)),
            REPO,
        ),
        "remote": ([*serve, str(free_port()), "--host", "0.0.0.0"], clean_env(), work),
        "remote6": ([*serve, str(free_port()), "--host", "::"], clean_env(), work),
        "busy": ([*serve, str(busy_port)], clean_env(), work),
        # `python3` of the runbook is the project's interpreter (the activated venv)
        "help_live": ([sys.executable, "scripts/live_web_server.py", "--help"], clean_env(), REPO),
        "help_dev": ([sys.executable, "scripts/run_web_dashboard.py", "--help"], clean_env(), REPO),
        "scrub": (
            [*serve, str(scrub_port), "--scrub-secret-env"],
            clean_env(BINANCE_API_SECRET=SECRET_VALUE, PEAKWATCH_RUNS_DIR=str(work)),
            work,
        ),
    }
    processes = {
        name: subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, (args, env, cwd) in specs.items()
    }
    results: dict[str, Outcome] = {}
    try:
        scrub = processes.pop("scrub")
        status = wait_for_health(f"http://127.0.0.1:{scrub_port}/health", scrub)
        scrub.terminate()
        _, out, err = finish(scrub, 10)
        results["scrub"] = (status, out, err)
        for name, process in processes.items():
            results[name] = finish(process, 30)
    finally:
        taken.close()
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    results["busy_port"] = (busy_port, "", "")
    yield results


def test_serve_refuses_secret_environment(launches: dict[str, Outcome]) -> None:
    code, out, err = launches["secret"]
    assert code == 2, "peakwatch serve started with a secret in its environment"
    assert "BINANCE_API_SECRET" in err
    assert "--scrub-secret-env" in err
    assert SECRET_VALUE not in err + out
    assert "Traceback" not in err


def test_uvicorn_entry_point_refuses_secret_environment(launches: dict[str, Outcome]) -> None:
    code, out, err = launches["uvicorn"]
    assert code == 2, "uvicorn src.webui.app:app started with a secret in its environment"
    assert "KRAKEN_API_KEY" in err
    assert SECRET_VALUE not in err + out


def test_scrub_secret_env_starts_clean(launches: dict[str, Outcome]) -> None:
    status, out, err = launches["scrub"]
    assert status == 200, err[-2000:]
    assert "BINANCE_API_SECRET" in err
    assert SECRET_VALUE not in out + err


def test_check_environment_scrubs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in find_secret_env(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET_VALUE)
    monkeypatch.setenv("PEAK_TRADE_CONFIRM_TOKEN", SECRET_VALUE)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    with pytest.raises(server_module.StartError) as refused:
        server_module.check_environment(scrub=False)
    assert "BINANCE_API_SECRET" in str(refused.value)
    assert SECRET_VALUE not in str(refused.value)
    assert "BINANCE_API_SECRET" in os.environ
    removed = server_module.check_environment(scrub=True)
    assert removed == ["BINANCE_API_SECRET", "PEAK_TRADE_CONFIRM_TOKEN"]
    assert "BINANCE_API_SECRET" not in os.environ
    assert "PEAK_TRADE_CONFIRM_TOKEN" not in os.environ
    assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
    assert SECRET_VALUE not in os.environ.values()
    assert server_module.check_environment(scrub=False) == []


@pytest.mark.parametrize("case, host", [("remote", "0.0.0.0"), ("remote6", "::")])
def test_non_loopback_bind_refused(launches: dict[str, Outcome], case: str, host: str) -> None:
    code, _, err = launches[case]
    assert code == 2, host
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "--allow-remote" in lines[0] and host in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.1", "example.com"])
def test_non_loopback_bind_refused_in_process(world: dict[str, Any], host: str) -> None:
    with pytest.raises(server_module.StartError, match="--allow-remote"):
        server_module.check_bind(world["settings"].with_overrides(host=host, port=free_port()))
    server_module.check_bind(world["settings"].with_overrides(host="127.0.0.1", port=free_port()))


def test_port_in_use_is_one_line(launches: dict[str, Outcome]) -> None:
    code, _, err = launches["busy"]
    port = launches["busy_port"][0]
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(port) in lines[0] and "lsof" in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("case", ["help_live", "help_dev"])
def test_runbook_launchers_help(launches: dict[str, Outcome], case: str) -> None:
    code, out, err = launches[case]
    assert code == 0, err
    for flag in ("--host", "--port", "--base-runs-dir", "--auto-refresh-seconds", "--reload"):
        assert flag in out, (case, flag)
    assert "--scrub-secret-env" in out


# --------------------------------------------------------------------------------------
# hands off the data
# --------------------------------------------------------------------------------------


def listing(top: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under `top`: mode, size, mtime_ns, and a sha256 of file contents."""
    found: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, files in os.walk(top, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            info = path.lstat()
            digest = ""
            if stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            found[str(path.relative_to(top))] = (
                info.st_mode,
                info.st_size,
                info.st_mtime_ns,
                info.st_ino,
                digest,
            )
    top_info = top.lstat()
    found["."] = (top_info.st_mode, top_info.st_mtime_ns)
    return found


def test_full_exercise_leaves_data_byte_identical(tmp_path: Path) -> None:
    base = tmp_path / "data"
    base.mkdir()
    outside = plant_outside(tmp_path / "outside")
    build_rich(base)
    plant_escapes(base, outside)
    ids = build_xss_world(tmp_path / "xss" / "data")
    settings = settings_for(base)
    app = create_app(settings)
    paths = sweep_paths(app) + [
        p.replace("{id}", i) for p in ID_ROUTES for i in ("%2E%2E", "linked_run", "..%2F")
    ]
    before = listing(tmp_path)
    time.sleep(0.01)
    with running_server(settings) as url, httpx.Client(base_url=url, timeout=10) as http:
        for path in paths:
            assert http.get(path).status_code < 500, path
        for path in get_paths(app):
            http.head(path)
        # the stream for a second, the status snapshot, and write attempts
        deadline = time.monotonic() + 1.0
        timeout = httpx.Timeout(5.0, read=1.2)
        with http.stream("GET", "/api/stream", timeout=timeout) as response:
            assert response.status_code == 200
            try:
                for _ in response.iter_bytes():
                    if time.monotonic() > deadline:
                        break
            except httpx.ReadTimeout:
                pass  # a quiet stream: only a keep-alive would come next
        assert time.monotonic() >= deadline - 0.3
        assert http.get("/api/live/status/snapshot.json").status_code == 200
        assert http.get("/api/live/status/snapshot.html").status_code == 200
        for method in WRITE_METHODS:
            http.request(method, f"/runs/{RUN_ID}/snapshot", content=b"x")
    with TestClient(
        create_app(settings_for(tmp_path / "xss" / "data")), base_url="http://localhost"
    ) as xss:
        for path in xss_pages(ids):
            xss.get(path)
    after = listing(tmp_path)
    assert sorted(after) == sorted(before), set(after) ^ set(before)
    changed = {name for name in before if before[name] != after[name]}
    assert not changed, {name: (before[name], after[name]) for name in changed}


def test_data_files_are_opened_read_only(
    world: dict[str, Any], app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Python-level open under the data folder asks for reading only."""
    import builtins
    import io

    top = str(world["top"])
    writes: list[tuple[str, Any]] = []
    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def check_mode(file: Any, mode: str) -> None:
        if (
            isinstance(file, (str, os.PathLike))
            and os.fspath(file).startswith(top)
            and any(flag in mode for flag in "wax+")
        ):
            writes.append((os.fspath(file), mode))

    def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        check_mode(file, mode)
        return real_open(file, mode, *args, **kwargs)

    def guarded_io_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        check_mode(file, mode)
        return real_io_open(file, mode, *args, **kwargs)

    def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path).startswith(top) and flags & write_flags:
            writes.append((os.fspath(path), flags))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_io_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    with TestClient(
        create_app(world["settings"]), raise_server_exceptions=False, base_url="http://localhost"
    ) as fresh:
        for path in sweep_paths(app):
            fresh.get(path)
    assert not writes, writes
