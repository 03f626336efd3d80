"""A real uvicorn server on 127.0.0.1 in a background thread, for stream and browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from peakwatch.settings import Settings
from peakwatch.web.fleet import create_served_app


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(settings: Settings, port: int | None = None) -> Iterator[str]:
    """Serve the app until the block ends; yields the base URL.

    `port` serves on that port (a restart on the same address); default: a free one.
    """
    port = port if port is not None else free_port()
    settings = settings.with_overrides(port=port)
    config = uvicorn.Config(
        create_served_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("test server did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_subprocess(
    cwd: Path, flags: list[str], log_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`peakwatch serve <flags>` run from `cwd` on a free port, with a bare environment.

    Yields the process and its base URL once `/health` answers; stops it at the end.
    """
    port = free_port()
    command = [str(Path(sys.executable).with_name("peakwatch")), "serve", "--port", str(port)]
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, *flags], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "peakwatch serve did not start"
                time.sleep(0.1)
            yield process, base
        finally:
            if process.poll() is None:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)
            if process.poll() is None:
                process.kill()
            process.wait(10)
