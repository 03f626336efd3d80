"""Watch-only: peakwatch never changes anything, neither through HTTP nor on disk.

Only GET and HEAD exist, on every path; every other method is a 405 before routing. Data
files are opened for reading only, and whatever the requests (write attempts and the live
stream included), the data folder stays byte for byte what it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute

from live_server import running_server
from peakwatch.web import create_app
from web_helpers import flat_routes, raw_request
from worlds import (
    ID_ROUTES,
    MARKER,
    RUN_ID,
    SESSION_ID,
    build_world,
    build_xss_world,
    get_paths,
    route_paths,
    settings_for,
    sweep_paths,
    xss_pages,
)

READ_METHODS = {"GET", "HEAD"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND")


# -- only GET and HEAD exist ---------------------------------------------------------------


def test_every_route_is_get_or_head_only(world_app: FastAPI) -> None:
    mounts = []
    routes = flat_routes(world_app)
    for route, path, methods in routes:
        if isinstance(route, Mount):
            mounts.append(path)
            assert isinstance(route.app, StaticFiles), path
            continue
        assert isinstance(route, (APIRoute, Route)), f"unexpected route type {route!r}"
        assert methods, f"{path} accepts every method"
        assert set(methods) <= READ_METHODS, f"{path} accepts {sorted(set(methods) - READ_METHODS)}"
    assert mounts == ["/static"], "only the static files mount may exist"
    assert len(routes) > 20  # the walk saw the real world_app
    for route in world_app.router.routes:  # nothing routes around the walk (websockets, raw ASGI)
        assert not isinstance(route, WebSocketRoute)


def test_static_mount_serves_only_get_and_head(world_client: TestClient) -> None:
    assert world_client.get("/static/app.css").status_code == 200
    head = world_client.head("/static/js/main.js")
    assert head.status_code == 200 and head.content == b""
    for method in WRITE_METHODS:
        response = world_client.request(method, "/static/app.css")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"
    assert world_client.get("/static/../pyproject.toml").status_code == 404
    assert world_client.get("/static/%2E%2E/app.py").status_code == 404


def test_openapi_document_is_get_only(world_client: TestClient) -> None:
    document = world_client.get("/openapi.json").json()
    assert len(document["paths"]) >= 15
    for path, item in document["paths"].items():
        operations = {key for key in item if key not in ("parameters", "summary", "description")}
        assert operations, path
        assert operations <= {"get", "head"}, f"{path}: {sorted(operations)}"
    docs = world_client.get("/docs").text
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert f">{method}<" not in docs


@pytest.mark.parametrize("method", WRITE_METHODS)
def test_write_methods_get_405_everywhere(
    world_app: FastAPI, world_client: TestClient, method: str
) -> None:
    paths = [*route_paths(world_app), "/", "/no/such/path", "/openapi.json", "/api/stream"]
    for path in paths:
        response = world_client.request(
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
        for leak in (path, RUN_ID, SESSION_ID, str(world_app.state.settings.runs_dir), MARKER):
            assert leak not in response.text or leak == "/", (method, path, leak)


def test_write_methods_rejected_by_real_server(world_server: str) -> None:
    for method in ("POST", "DELETE", "OPTIONS"):
        status, headers, body = raw_request(world_server, method, f"/runs/{RUN_ID}/snapshot")
        assert status == 405 and headers["allow"] == "GET, HEAD"
        assert b"native_run" not in body


def test_head_works_on_every_get_route(world_app: FastAPI, world_client: TestClient) -> None:
    not_ok = set()
    for path in route_paths(world_app):
        head = world_client.head(path)
        assert head.content == b"", path
        if path == "/api/stream":
            assert head.status_code == 200
            continue
        got = world_client.get(path)
        assert head.status_code == got.status_code, path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        if head.status_code != 200:
            not_ok.add(path)
    # the world's execution root has no pipeline events file: no execution run is known
    execution_runs = {path for path in not_ok if "/execution/runs/" in path}
    assert not_ok - execution_runs == {f"/runs/{RUN_ID}"}  # and the /runs/{anything} catch-all


def test_head_sends_no_body_bytes_at_the_asgi_level(
    world_app: FastAPI, world_client: TestClient
) -> None:
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

        await world_app(scope, receive, send)
        return messages

    for path in ("/health", "/runs", "/", f"/dashboard/runs/{RUN_ID}", "/static/app.css"):
        messages = asyncio.run(head(path))
        assert messages[0]["status"] == 200, path
        assert int(dict(messages[0]["headers"])[b"content-length"]) > 0, path
        assert b"".join(m.get("body", b"") for m in messages[1:]) == b"", path


# -- hands off the data --------------------------------------------------------------------


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
    settings = build_world(tmp_path)["settings"]
    ids = build_xss_world(tmp_path / "xss" / "data")
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
    world: dict[str, Any], world_app: FastAPI, monkeypatch: pytest.MonkeyPatch
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
        for path in sweep_paths(world_app):
            fresh.get(path)
    assert not writes, writes
