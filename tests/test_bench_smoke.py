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
