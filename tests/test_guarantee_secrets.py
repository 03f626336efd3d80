"""No secrets, no leaks: no server starts with a secret in its environment, and no response
shows a secret, a file from outside the roots, exception text, the bad input or a file path.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from launchers import PEAKWATCH, REPO, Outcome, clean_env, launch_all
from live_server import free_port
from peakwatch import server as server_module
from peakwatch.secrets import find_secret_env
from peakwatch.web import create_app
from worlds import MARKER, RUN_ID, sweep_paths

SECRET_VALUE = "s3cr3t-value-123"
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
HEALTH_PATHS = ("/status/health", "/api/health/details")


# -- no secret in the process --------------------------------------------------------------


@pytest.fixture(scope="module")
def launches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Each launcher with a secret in its environment, started at once."""
    work = tmp_path_factory.mktemp("launch")
    scrub_port = free_port()
    serve = [PEAKWATCH, "serve", "--port"]
    uvicorn_line = [sys.executable, "-m", "uvicorn", "src.webui.app:app", "--host", "127.0.0.1"]
    return launch_all(
        {
            "secret": (
                [*serve, str(free_port())],
                clean_env(BINANCE_API_SECRET=SECRET_VALUE),
                work,
            ),
            "uvicorn": (
                [*uvicorn_line, "--port", str(free_port())],
                clean_env(KRAKEN_API_KEY=SECRET_VALUE, PEAKWATCH_RUNS_DIR=str(work)),
                REPO,
            ),
            "scrub": (
                [*serve, str(scrub_port), "--scrub-secret-env"],
                clean_env(BINANCE_API_SECRET=SECRET_VALUE, PEAKWATCH_RUNS_DIR=str(work)),
                work,
            ),
        },
        serving={"scrub": scrub_port},
    )


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


# -- nothing secret or internal in a response ----------------------------------------------


def all_text(response: httpx.Response) -> str:
    return response.content.decode("utf-8", "replace")


def test_sweep_never_errors_or_leaks(
    world: dict[str, Any], world_app: FastAPI, world_client: TestClient
) -> None:
    base = str(world["top"])
    roots = {str(path) for path in world["settings"].roots().values()}
    statuses = {}
    for path in sweep_paths(world_app):
        response = world_client.get(path, headers={"Origin": "http://evil.example"})
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
        elif urlsplit(path).path == "/api/live/safety":
            # the audit names the data roots it lists and reads: their common folder only
            assert found <= {os.path.commonpath(sorted(roots))}, (path, found)
        else:
            assert not found, (path, found)
    assert statuses["/runs/meta_only/snapshot"] == 200
    assert statuses["/runs/bad_utf8/tail?limit=500"] == 200
    assert statuses["/runs/native_run/tail?limit=%2Fetc%2Fpasswd"] == 422
    health = world_client.get("/api/health/details").json()
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


def test_validation_errors_do_not_echo_input(world_client: TestClient) -> None:
    response = world_client.get(f"/runs/{RUN_ID}/tail", params={"limit": f"/etc/{MARKER}"})
    assert response.status_code == 422
    assert MARKER not in response.text and "/etc/" not in response.text
    assert "input" not in response.json()["detail"][0]
