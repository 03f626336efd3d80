"""RSS per session record: the server started over N registry files minus it over none.

`python -m bench.session_memory [--count N] [--fast]` runs this row alone (and prints it).
"""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, in_scratch, peakwatch, verdict

TARGET_BYTES = 1024
URLS = ("/api/live_sessions?limit=50", "/api/live_sessions/stats", "/sessions", "/")


def settled_rss_mb(server: Server) -> float:
    """RSS after every session answer was asked for twice (code paths and caches warm)."""
    with httpx.Client(base_url=server.base, timeout=600) as client:
        for _ in range(2):
            for url in URLS:
                client.get(url).raise_for_status()
            time.sleep(0.6)  # past the index's re-stat interval: the second round re-scans
    return server.rss_mb()


def run(work: Path, count: int, report: Report, *, fast: bool = False) -> None:
    """Two servers, an empty registry and `count` files; the RSS difference per record.

    `fast` writes the files from one template (for a million of them)."""
    empty = work / "session-memory" / "empty"
    full = work / "session-memory" / "full"
    runs = work / "session-memory" / "runs"
    for folder in (empty, runs):
        folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write = data.write_sessions_fast if fast else data.write_sessions
    write(full, count, datetime.now(UTC))
    generated = time.perf_counter() - started
    try:
        with peakwatch({"runs_dir": runs, "sessions_dir": empty}) as server:
            base = settled_rss_mb(server)
        start_seconds = max(60.0, count / 2_000)  # the first scan parses every file
        with peakwatch(
            {"runs_dir": runs, "sessions_dir": full}, start_seconds=start_seconds
        ) as server:
            loaded = settled_rss_mb(server)
    finally:
        shutil.rmtree(work / "session-memory", ignore_errors=True)
    per_record = (loaded - base) * 1024 * 1024 / count
    report.add(
        "memory",
        f"RSS per session record at {count:,} files",
        f"{per_record:,.0f} B",
        f"<= {TARGET_BYTES:,} B",
        verdict(per_record <= TARGET_BYTES),
        f"{loaded:.0f} MiB with the files, {base:.0f} MiB empty; generated in {generated:.0f} s",
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.session_memory", description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--fast", action="store_true", help="write the files from one template")
    args = parser.parse_args()
    return in_scratch(
        "peakwatch-bench-", lambda work, report: run(work, args.count, report, fast=args.fast)
    )


if __name__ == "__main__":
    raise SystemExit(main())
