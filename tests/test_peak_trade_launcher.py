"""`uvicorn src.live.web.app:app` (Peak_Trade's runbook 10d, Option 2) works from the repo root.

The module imports from a plain checkout, and a real uvicorn started with that line serves
the runs-first dashboard and the v0 API over the roots given in the environment.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from artifacts import native_bar_events, write_jsonl, write_meta
from launchers import REPO, clean_env, finish, wait_for_health
from live_server import free_port


def test_the_module_imports_from_the_repo_root(tmp_path: Path) -> None:
    """`src.live.web.app` is importable with the repo root as working folder, app and all."""
    code = "from src.live.web.app import app; print(type(app).__name__, app.state.settings.home)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=clean_env(PEAKWATCH_RUNS_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["FastAPI", "runs"]


@pytest.fixture(scope="module")
def option_two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uvicorn src.live.web.app:app` started from the repo root over one run."""
    runs = tmp_path_factory.mktemp("option2") / "live_runs"
    write_meta(runs / "run_a", "run_a", strategy_name="ma_crossover")
    write_jsonl(runs / "run_a" / "events.jsonl", native_bar_events(3))
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "src.live.web.app:app", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*args, "--port", str(port)],
        cwd=REPO,
        env=clean_env(PEAKWATCH_RUNS_DIR=str(runs)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status = wait_for_health(f"{base}/health", process)
        if status != 200:
            process.kill()
            _, _, err = finish(process, 10)
            pytest.fail(f"uvicorn src.live.web.app:app did not serve (status {status}): {err}")
        yield base
    finally:
        process.terminate()
        finish(process, 10)


def test_option_two_serves_the_runs_first_dashboard(option_two: str) -> None:
    home = httpx.get(f"{option_two}/", timeout=10)
    assert home.status_code == 200
    assert "run_a" in home.text
    assert "<title>Runs" in home.text
    runs = httpx.get(f"{option_two}/runs", timeout=10).json()
    assert [run["run_id"] for run in runs] == ["run_a"]
