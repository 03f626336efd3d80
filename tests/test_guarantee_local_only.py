"""Local only: peakwatch binds to loopback and answers only requests addressed to a local name.

A forged Host header (DNS rebinding) gets 400 unless the name was allowed at start; a
non-loopback bind is refused without `--allow-remote`; start errors are one line, and
the runbook launchers take the same flags.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from launchers import PEAKWATCH, REPO, Outcome, clean_env, launch_all
from live_server import free_port
from peakwatch import server as server_module
from peakwatch.web import create_app
from web_helpers import raw_request
from worlds import RUN_ID

# -- the Host header -----------------------------------------------------------------------


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
def test_forged_host_gets_400(world_client: TestClient, host: str) -> None:
    for path in ("/", "/health", f"/runs/{RUN_ID}/snapshot", "/static/app.css"):
        response = world_client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, path)
        assert "native_run" not in response.text and (not host or host not in response.text)
        assert response.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "LOCALHOST:1", "[::1]:8000"]
)
def test_local_hosts_pass(world_client: TestClient, host: str) -> None:
    assert world_client.get("/health", headers={"Host": host}).status_code == 200


def test_forged_host_on_real_server(world_server: str) -> None:
    assert raw_request(world_server, "GET", "/health", {"Host": "evil.example"})[0] == 400
    assert raw_request(world_server, "GET", "/", {"Host": "attacker.com:8000"})[0] == 400
    port = urlsplit(world_server).port
    assert raw_request(world_server, "GET", "/health", {"Host": f"127.0.0.1:{port}"})[0] == 200
    assert raw_request(world_server, "GET", "/health", {"Host": f"localhost:{port}"})[0] == 200


def test_allowed_host_adds_names(world: dict[str, Any]) -> None:
    settings = world["settings"].with_overrides(allowed_hosts=("dash.lan", "Box.Internal"))
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        for host in ("dash.lan", "dash.lan:8000", "box.internal:9", "localhost:8000"):
            assert test_client.get("/health", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "dash.lan.evil.example", "sub.dash.lan"):
            assert test_client.get("/health", headers={"Host": host}).status_code == 400, host


# -- loopback bind, one-line start errors, the runbook launchers ---------------------------


@pytest.fixture(scope="module")
def launches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Each launcher that must refuse to start, or only print its help, started at once."""
    work = tmp_path_factory.mktemp("launch")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy_port = taken.getsockname()[1]
    serve = [PEAKWATCH, "serve", "--port"]
    try:
        results = launch_all(
            {
                "remote": ([*serve, str(free_port()), "--host", "0.0.0.0"], clean_env(), work),
                "remote6": ([*serve, str(free_port()), "--host", "::"], clean_env(), work),
                "busy": ([*serve, str(busy_port)], clean_env(), work),
                # `python3` of the runbook is the project's interpreter (the activated venv)
                "help_live": (
                    [sys.executable, "scripts/live_web_server.py", "--help"],
                    clean_env(),
                    REPO,
                ),
                "help_dev": (
                    [sys.executable, "scripts/run_web_dashboard.py", "--help"],
                    clean_env(),
                    REPO,
                ),
            }
        )
    finally:
        taken.close()
    results["busy_port"] = (busy_port, "", "")
    yield results


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
