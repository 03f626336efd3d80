"""`peakwatch serve --workers 2`: every process gives the same answers over the same data."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from artifacts import native_bar_events, session_record, write_jsonl, write_meta, write_session
from live_server import serve_subprocess

AS_OF = "2026-01-01T12:30:00Z"
PATHS = [
    "/runs",
    "/runs/r1/tail?limit=5",
    "/runs/r1/snapshot?as_of=" + AS_OF,
    f"/api/live_sessions?limit=10&as_of={AS_OF}",
    f"/api/live/status/snapshot.json?as_of={AS_OF}",
    "/api/health/details",
]


@contextlib.contextmanager
def serve_workers(roots: Path, workers: int) -> Iterator[str]:
    flags = ["--workers", str(workers)]
    with serve_subprocess(roots, flags, roots.parent / "serve.log") as (_, base):
        yield base


def stream_boot_id(base: str) -> str:
    """The process part of the id the stream's hello carries (`<boot>-<n>`)."""
    with httpx.Client(timeout=5) as client, client.stream("GET", f"{base}/api/stream") as reply:
        for line in reply.iter_lines():
            if line.startswith("id: "):
                return line[4:].rsplit("-", 1)[0]
    raise AssertionError("the stream sent no hello")


def test_two_workers_answer_alike(tmp_path: Path) -> None:
    roots = tmp_path / "data"
    write_meta(roots / "live_runs" / "r1", "r1")
    write_jsonl(roots / "live_runs" / "r1" / "events.jsonl", native_bar_events(8))
    registry = roots / "reports" / "experiments" / "live_sessions"
    write_session(registry, session_record("s1"))
    write_session(registry, session_record("s2", status="started"))
    with serve_workers(roots, 2) as base:
        boots: set[str] = set()
        deadline = time.monotonic() + 30
        while len(boots) < 2 and time.monotonic() < deadline:
            boots.add(stream_boot_id(base))
        assert len(boots) == 2, "both processes must be serving"
        for path in PATHS:
            bodies = set()
            for _ in range(12):  # a fresh connection each time: the kernel spreads them
                with httpx.Client(base_url=base, timeout=10) as client:
                    reply = client.get(path)
                assert reply.status_code == 200, (path, reply.text[:200])
                bodies.add(reply.content)
            assert len(bodies) == 1, f"{path} differs between processes"


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--workers", "0"], "at least 1"), (["--workers", "2", "--reload"], "--reload")],
)
def test_impossible_worker_counts_are_refused(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    command = [str(Path(sys.executable).with_name("peakwatch")), "serve", "--port", "0", *flags]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr
