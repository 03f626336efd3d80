"""The benchmarks run end to end at the smoke size and print their one table.

Not a timing test: it only checks that `python -m bench --size small` finishes and reports
every benchmark, so the bench cannot silently rot.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXPECTED_ROWS = (
    "artifacts on disk",
    "jsonl, file unchanged:",
    "jsonl, file changed:",
    "csv, file unchanged:",
    "csv, file changed:",
    "parquet, file unchanged:",
    "parquet, file changed:",
    "server RSS",
    "RSS per session record at ",
    "a rewritten record shows, with notifications",
    "a rewritten meta.json shows, scan only",
    "GET /runs",
    "GET /api/live_sessions?limit=50",
    "refresh after 1 changed file",
    "GET /api/live/status/snapshot.json",
    "SSE clients",
    "idle streams",
    "page-cache read",
    "stat ",
    "empty HTTP round trip",
    "/health p99 during /dashboard",
    "/health p99 during activity search",
    "server peak RSS under the attacks",
    "GET /metrics, ",
    "status_snapshot.html size",
    "GET /api/live/status/snapshot.html",
    "first full mirror (",
    "idle poll of the unchanged bucket",
)
FLEET_ROWS = (
    "data generated and uploaded",
    "first full mirror (",
    "GET /runs?limit=50, bucket / local",
    "GET /api/live_sessions?limit=50, bucket / local",
    "an append shows in /runs/{id}/tail",
    "idle poll of the unchanged bucket",
    "LIST calls per poll",
)


@pytest.mark.timeout(300)
def test_bench_smoke_prints_the_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "small"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "BENCH_DIR": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout
    header = next(line for line in table.splitlines() if line.startswith("| group"))
    assert "measured" in header and "target" in header
    for row in EXPECTED_ROWS:
        assert row in table, f"missing row {row!r}:\n{table}"
    assert "parsed 1 file(s)" in table
    assert "endpoint missing" not in table
    assert list(tmp_path.iterdir()) == [], "the bench left data behind"


@pytest.mark.timeout(120)
def test_fleet_bench_smoke_counts_no_get_on_an_idle_poll(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.fleet", "--size", "small"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {row: line for line in done.stdout.splitlines() for row in FLEET_ROWS if row in line}
    assert set(lines) == set(FLEET_ROWS), done.stdout
    assert "timed out" not in lines["first full mirror ("]
    assert "240 GET" in lines["first full mirror ("]  # every object of the root copied once
    idle = lines["idle poll of the unchanged bucket"]
    assert "0 HEAD, 0 GET, 0 B per poll" in idle and "| yes " in idle, idle
    assert "| 1 " in lines["LIST calls per poll"]  # 240 objects: one page
    assert "visible after" in lines["an append shows in /runs/{id}/tail"]
    assert list(tmp_path.iterdir()) == [], "the bench left data behind"
