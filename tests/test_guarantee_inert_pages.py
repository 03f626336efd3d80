"""Inert pages: nothing from an artifact can run in the browser.

Every response carries a CSP that allows only the app's own scripts, forbids framing and
sends no CORS header; pages have no inline script or event handler; and a payload in
every text field of every artifact renders as escaped text (and stays plain data in JSON).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from html_audit import audit_html
from peakwatch.web import create_app
from worlds import RUN_ID, SESSION_ID, XSS, build_xss_world, get_paths, settings_for, xss_pages

# -- strict headers, no inline script ------------------------------------------------------


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


def test_security_headers_on_every_response(world_app: FastAPI, world_client: TestClient) -> None:
    origin = {"Origin": "http://evil.example"}
    for path in [*get_paths(world_app), "/openapi.json", "/no/such", "/runs/nope/snapshot"]:
        check_security_headers(world_client.get(path, headers=origin).headers, f"GET {path}")
        check_security_headers(world_client.head(path, headers=origin).headers, f"HEAD {path}")
    check_security_headers(world_client.head("/api/stream").headers, "HEAD /api/stream")
    check_security_headers(world_client.post("/runs", headers=origin).headers, "POST /runs")
    check_security_headers(world_client.options("/runs", headers=origin).headers, "OPTIONS /runs")
    bad_host = world_client.get("/", headers={"Host": "evil.example"})
    check_security_headers(bad_host.headers, "bad Host")
    check_security_headers(world_client.get("/runs/x/tail?limit=abc").headers, "422")


def test_pages_have_no_inline_script_or_handlers(world_client: TestClient) -> None:
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
        f"/runs/{RUN_ID}/report.html",
        "/dashboard/runs/nope",
        "/sessions/nope",
    ]
    for path in pages:
        response = world_client.get(path)
        assert "text/html" in response.headers["content-type"], path
        audit = audit_html(response.text)
        assert not audit.inline_scripts, path
        assert not audit.handlers, (path, audit.handlers)
        assert not audit.injected, (path, audit.injected)
        for src in audit.script_srcs:
            assert src.startswith("/static/"), (path, src)  # no CDN, no third party
        assert "//cdn" not in response.text and "https://" not in response.text.split("</head>")[0]


# -- stored XSS: every artifact text field renders inert -----------------------------------


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
