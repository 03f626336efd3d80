"""The peakwatch launchers started as subprocesses, all at once, and how each one ended.

Interpreter start-up dominates the cost of a launch, so a test module starts every case
it needs together with `launch_all` and its tests read the outcomes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from peakwatch.secrets import find_secret_env

REPO = Path(__file__).resolve().parents[1]
PEAKWATCH = str(Path(sys.executable).with_name("peakwatch"))
Outcome = tuple[int | None, str, str]  # exit code (None: still running), stdout, stderr
Launch = tuple[list[str], dict[str, str], Path]  # arguments, environment, working folder


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without secrets or PEAKWATCH_ settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in find_secret_env(os.environ)}
    env = {k: v for k, v in env.items() if not k.startswith("PEAKWATCH_")}
    env.update(extra)
    return env


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
    """The status of `url` once it answers; -1 if the process ended, -2 on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return -1
        try:
            return httpx.get(url, timeout=1).status_code
        except httpx.HTTPError:
            time.sleep(0.1)
    return -2


def launch_all(
    launches: dict[str, Launch], serving: dict[str, int] | None = None
) -> dict[str, Outcome]:
    """Start every launch at once and wait for each to end.

    A launch named in `serving` (name -> port) is a server that should come up: its
    outcome carries the status of its `/health` instead of an exit code, and it is
    stopped once that is known. Every other launch must end by itself.
    """
    serving = serving or {}
    processes = {
        name: subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, (args, env, cwd) in launches.items()
    }
    results: dict[str, Outcome] = {}
    try:
        for name, port in serving.items():
            server = processes[name]
            status = wait_for_health(f"http://127.0.0.1:{port}/health", server)
            server.terminate()
            _, out, err = finish(server, 10)
            results[name] = (status, out, err)
        for name, process in processes.items():
            if name not in results:
                results[name] = finish(process, 30)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    return results
