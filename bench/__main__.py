"""`python -m bench [--size full|small]`: run every benchmark and print one table.

Data goes under a temporary folder (BENCH_DIR or /tmp) that is removed at the end.
BENCH_SIZE=small is the same as --size small (the CI smoke size).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import (
    changes,
    decisions,
    first_look,
    fleet,
    hostile,
    indexes,
    limits,
    memory,
    reports,
    scrape,
    session_memory,
    snapshot,
    stream,
    tail,
    throughput,
)
from bench.harness import FULL, SMALL, Report, has_route, peakwatch


def machine() -> str:
    """nproc, CPU model, RAM and Python, in one line."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return (
        f"{os.cpu_count()} CPUs ({model}), {mem_kb / 1024**2:.0f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--size", choices=("full", "small"), default=os.environ.get("BENCH_SIZE", "full")
    )
    args = parser.parse_args(argv)
    sizes = FULL if args.size == "full" else SMALL
    base = os.environ.get("BENCH_DIR") or tempfile.gettempdir()
    work = Path(tempfile.mkdtemp(prefix="peakwatch-bench-", dir=base))
    report = Report()
    started = time.perf_counter()
    print(f"peakwatch bench, size {sizes.name}, data in {work}", file=sys.stderr)
    try:
        big = tail.prepare(work, sizes)
        with peakwatch(big.roots) as server:
            snapshot_exists = has_route(server, snapshot.PATH)
            bodies = tail.run(server, big, sizes, report)
            memory.run(server, big, report, snapshot_exists)
            throughput.run(server, big.roots, bodies["jsonl"], work, sizes, report)
        first_look.in_process(big, sizes, work, report)
        with peakwatch(big.roots) as server:  # a fresh server: no run looked at yet
            first_look.run(server, sizes, report)
        shutil.rmtree(work / "big")
        index = indexes.prepare(work, sizes)
        report.add(
            "index",
            "data generated",
            f"{sizes.runs:,} runs, {sizes.sessions:,} sessions",
            note=f"{index.seconds_to_generate:.0f} s",
        )
        indexes.run_parse_counts(index, sizes, report)
        # stream rows open sse_clients streams from one address, two rounds back to back
        # (a closed stream's slot is given back a moment later): lift the per-client cap
        crowd = {"max_streams_per_client": 2 * sizes.sse_clients}
        with peakwatch(index.roots, **crowd) as server:
            indexes.run(server, index, sizes, report)
            snapshot.run(server, sizes, report)
            stream.idle(server, sizes, report, f"{sizes.runs:,} runs + {sizes.sessions:,} sessions")
        indexes.stat_cost(index, report)
        scrape.run(index.roots, sizes, report)
        changes.run(index, sizes, report)
        shutil.rmtree(work / "index")
        session_memory.run(work, sizes.sessions, report)
        session_memory.run(work, sizes.huge_sessions, report, fast=True)
        live = stream.prepare(work)
        with peakwatch(live.roots, **crowd) as server:
            stream.run(server, live, sizes, report)
        attacked = hostile.prepare(work, sizes)
        with peakwatch(attacked.roots) as server:
            hostile.run(server, attacked, sizes, report)
        shutil.rmtree(work / "hostile")
        limits.page_cache(work, sizes, report)
        limits.round_trip(sizes, report)
        decisions.run(work, sizes, report)
        reports.run(work, sizes, report)
        fleet.run(work, sizes, report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\npeakwatch bench ({sizes.name}), {machine()}, {time.perf_counter() - started:.0f} s")
    print(report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
