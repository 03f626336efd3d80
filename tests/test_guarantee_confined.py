"""Confined to the data roots: a request can name ids, never a file, and never reads outside.

No query, header or path parameter is a path; path-like parameters are ignored, except the
`root`, `filename` and `base_dir` that Peak_Trade's execution watch takes, which may only name
a configured root (its setting name or configured path) and answer 400 otherwise. An id that
tries to leave a root (dots, encoded slashes, absolute paths, NUL, overlong UTF-8...) is
"not found", and a symbolic link inside a root that leads out of it is never followed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from peakwatch.web import create_app
from web_helpers import flat_routes, raw_request
from worlds import (
    ID_ROUTES,
    MARKER,
    RUN_ID,
    SAMPLE_IDS,
    SESSION_ID,
    build_rich,
    plant_outside,
    settings_for,
)

PATHLIKE_NAME = re.compile(r"path|file|dir|folder|root|base", re.IGNORECASE)
# Peak_Trade's clients send these; each may only name what the settings configure.
ROOT_NAMING = {
    "/api/v0/execution/health": ("root", "filename"),
    "/api/v0/execution/runs": ("root", "filename"),
    "/api/v0/execution/runs/{run_id}": ("root", "filename"),
    "/api/execution/runs": ("root", "filename"),
    "/api/execution/runs/{run_id}": ("root", "filename"),
    "/api/execution/runs/{run_id}/events": ("root", "filename"),
    "/api/live/sessions": ("base_dir",),
    "/watch/execution": ("root", "filename"),
}


def path_like(path: str, name: str) -> bool:
    """A parameter name that looks like a path and is not one of ROOT_NAMING's."""
    return bool(PATHLIKE_NAME.search(name)) and name not in ROOT_NAMING.get(path, ())


# -- no parameter is a path ----------------------------------------------------------------


def test_no_openapi_parameter_is_a_path(world_client: TestClient) -> None:
    document = world_client.get("/openapi.json").json()
    seen = []
    for path, item in document["paths"].items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                seen.append(parameter["name"])
                assert not path_like(path, parameter["name"]), (path, parameter["name"])
    assert {"limit", "run_id", "as_of"} <= set(seen)  # the walk saw real parameters


def test_no_route_parameter_is_a_path(world_app: FastAPI) -> None:
    """Also the pages, which are not in the OpenAPI document."""
    checked = 0
    for route, path, _ in flat_routes(world_app):
        if not isinstance(route, APIRoute):
            continue
        dependant = route.dependant
        for param in dependant.query_params + dependant.header_params + dependant.cookie_params:
            checked += 1
            assert not path_like(path, param.name), (path, param.name)
            assert not path_like(path, param.alias or ""), (path, param.alias)
        assert not dependant.body_params, path
        for param in dependant.path_params:
            assert param.name in SAMPLE_IDS, (path, param.name)
    assert checked > 20


def test_root_naming_parameters_name_only_configured_roots(
    world: dict[str, Any], world_client: TestClient
) -> None:
    """Anything but a configured root's setting name or path is a 400 that reads nothing."""
    settings = world["settings"]
    outside = world["outside"]
    refused = {
        "root": [str(outside["dir"]), "logs/execution", "runs_dir", "/", "."],
        "filename": ["../secret.jsonl", str(outside["json_secret"]), "secret.txt", "x.jsonl"],
        "base_dir": [str(outside["foreign_sessions"]), "reports/experiments/live_sessions"],
    }
    allowed = {
        "root": ["execution_dir", str(settings.execution_dir)],
        "filename": [f"{SESSION_ID}.jsonl"],
        "base_dir": ["sessions_dir", str(settings.sessions_dir)],
    }
    for template, names in ROOT_NAMING.items():
        path = template.replace("{run_id}", RUN_ID)
        for name in names:
            for value in refused[name]:
                response = world_client.get(path, params={name: value})
                assert response.status_code == 400, (path, name, value)
                assert MARKER not in response.text, (path, value)
                assert len(value) < 6 or value not in response.text, (path, value)
            for value in allowed[name]:
                response = world_client.get(path, params={name: value})
                assert response.status_code in (200, 404), (path, name, value)
                assert MARKER not in response.text, (path, value)


PATH_PARAMS = (
    "base_runs_dir",
    "runs_dir",
    "runs-dir",
    "sessions_dir",
    "alerts_dir",
    "ai_events_path",
    "execution_dir",
    "exec_events_dir",
    "config_path",
    "config",
    "path",
    "file",
    "root",
    "dir",
)


def test_path_like_query_parameters_are_ignored(
    world: dict[str, Any], world_client: TestClient
) -> None:
    outside = world["outside"]
    values = {
        "base_runs_dir": outside["foreign_run"].parent,
        "runs_dir": outside["foreign_run"].parent,
        "runs-dir": outside["foreign_run"].parent,
        "sessions_dir": outside["foreign_sessions"],
        "alerts_dir": outside["dir"],
        "ai_events_path": outside["json_secret"],
        "execution_dir": outside["dir"],
        "exec_events_dir": outside["dir"],
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
        with_params = world_client.get(f"{path}?{query}")
        assert MARKER not in with_params.text, path
        assert with_params.status_code in (200, 404), path
        if path.endswith(".json") or path in ("/runs", "/api/live_sessions", "/api/live/safety"):
            plain = world_client.get(path)
            assert _without_clock(with_params.json()) == _without_clock(plain.json()), path
    etc = world_client.get("/runs?base_runs_dir=/etc&runs_dir=/etc").json()
    assert {run["run_id"] for run in etc} == {
        run["run_id"] for run in world_client.get("/runs").json()
    }


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


# -- ids never leave a root ----------------------------------------------------------------


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


def test_traversal_ids_are_refused_on_every_id_route(
    world: dict[str, Any], world_server: str
) -> None:
    checked = 0
    for template in ID_ROUTES:
        for raw_id in traversal_ids(world):
            path = template.replace("{id}", raw_id)
            status, headers, body = raw_request(world_server, "GET", path)
            text = body.decode("utf-8", "replace")
            # the JSON v1 routes declare max_length=200 on ids: longer ones are a 422
            expected = (404, 422) if len(raw_id) > 200 and template.startswith("/api/") else (404,)
            if status == 307 and raw_id.endswith("%2F"):
                # Starlette's slash redirect: `/api/live_sessions/../` -> `/api/live_sessions/..`
                # on the same origin; following it must still end in a 404
                location = headers["location"]
                assert location.startswith(world_server + "/"), location
                status, headers, body = raw_request(
                    world_server, "GET", location[len(world_server) :]
                )
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
        status, _, _ = raw_request(world_server, "GET", template.replace("{id}", sample))
        assert status == 200, template
    assert checked >= len(ID_ROUTES) * 25


def test_traversal_ids_in_query_parameters(world: dict[str, Any], world_server: str) -> None:
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
            status, _, body = raw_request(world_server, "GET", path)
            text = body.decode("utf-8", "replace")
            assert status in (200, 404, 422), f"{path[:120]} -> {status}"
            assert MARKER not in text, path[:120]
            assert "root:x:0:0" not in text
            assert "Traceback" not in text


# -- links out of a root are not followed --------------------------------------------------


def test_symlinks_out_of_a_root_are_not_followed(world_client: TestClient) -> None:
    runs = {run["run_id"] for run in world_client.get("/runs").json()}
    assert RUN_ID in runs and "linked_run" not in runs
    assert world_client.get("/runs/linked_run/snapshot").status_code == 404
    assert world_client.get("/dashboard/runs/linked_run").status_code == 404
    sessions = world_client.get("/api/live_sessions?limit=100").json()
    assert all(MARKER not in json.dumps(s) for s in sessions)
    assert world_client.get(f"/api/live_sessions/{MARKER}").status_code == 404


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
