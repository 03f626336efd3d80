"""The status report (`GET /api/live/status/snapshot.html`) and a run report over many big runs:
their size and their warm build time, with every chart downsampled to <= 1,000 points.

`python -m bench.reports [--size full|small] [--runs N] [--events N]` runs it alone.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import httpx

from bench.data import write_jsonl_events, write_meta
from bench.harness import FULL, SMALL, Report, Sizes, in_scratch, median, ms, peakwatch, verdict

SCALE = {"full": (100, 10**5), "small": (5, 2 * 10**3)}  # runs, events per run
TARGET_BYTES = 3 * 10**6
TARGET_MS = 2000.0
REQUESTS = 5
FOLD_TIMEOUT = 1800.0  # seconds: the first request folds every run once
PATH = "/api/live/status/snapshot.html"


def write_runs(runs_root: Path, runs: int, events: int) -> int:
    """`runs` native runs of about `events` events each; returns the bytes written."""
    total = 0
    for i in range(runs):
        run_dir = runs_root / f"report_{i:03d}"
        write_meta(run_dir, run_dir.name, ended=i % 2 == 0)
        total += write_jsonl_events(run_dir / "events.jsonl", events)
    return total


def _warm_ms(client: httpx.Client, url: str, n: int) -> tuple[float, int]:
    """Median milliseconds of `n` requests for `url` and the size of its body."""
    times, size = [], 0
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000.0)
        size = len(response.content)
    return median(times), size


def run(work: Path, sizes: Sizes, report: Report, scale: tuple[int, int] | None = None) -> None:
    """Write the runs, start the server, build each report once (cold), then time warm ones."""
    runs, events = scale or SCALE[sizes.name]
    root = work / "report"
    runs_root = root / "live_runs"
    started = time.perf_counter()
    written = write_runs(runs_root, runs, events)
    seconds_written = time.perf_counter() - started
    roots = {
        "runs_dir": runs_root,
        "sessions_dir": root / "sessions",
        "alerts_dir": runs_root / "alerts",
        "ai_events_path": root / "logs" / "ai" / "ai_events.jsonl",
        "execution_dir": root / "logs" / "execution",
    }
    as_of = "?as_of=2030-01-01T00:00:00Z"  # fixed: every request builds the same bytes
    label = f"{runs} runs x {events:.0e} events"
    with (
        peakwatch(roots) as server,
        httpx.Client(base_url=server.base, timeout=FOLD_TIMEOUT) as client,
    ):
        started = time.perf_counter()
        client.get(PATH + as_of).raise_for_status()
        cold = time.perf_counter() - started
        report.add(
            "report",
            f"data generated and folded ({label})",
            f"{runs * events:.0e} events ({written / 1e6:.0f} MB)",
            note=f"written in {seconds_written:.0f} s, first report (folds every run) "
            f"{cold:.0f} s, server RSS {server.rss_mb():.0f} MiB",
        )
        warm, size = _warm_ms(client, PATH + as_of, REQUESTS)
        report.add(
            "report",
            f"status_snapshot.html size ({label})",
            f"{size / 1e6:.2f} MB",
            f"< {TARGET_BYTES / 1e6:.0f} MB",
            verdict(size < TARGET_BYTES),
            f"{min(runs, 50)} run sections with charts, the rest a table",
        )
        report.add(
            "report",
            f"warm GET {PATH} ({label})",
            ms(warm),
            f"< {TARGET_MS:.0f} ms",
            verdict(warm < TARGET_MS),
            f"median of {REQUESTS}",
        )
        one = f"/runs/report_000/report.html{as_of}"
        warm_one, size_one = _warm_ms(client, one, REQUESTS)
        report.add(
            "report",
            f"warm GET /runs/{{id}}/report.html ({events:.0e} events)",
            ms(warm_one),
            note=f"median of {REQUESTS}, {size_one / 1e3:.0f} kB",
        )
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__)
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--runs", type=int, help="runs (default: 100 full, 5 small)")
    parser.add_argument("--events", type=int, help="events per run (default: 1e5 / 2e3)")
    args = parser.parse_args(argv)
    sizes = FULL if args.size == "full" else SMALL
    runs, events = SCALE[sizes.name]
    scale = (args.runs or runs, args.events or events)
    return in_scratch(
        "peakwatch-bench-report-", lambda work, report: run(work, sizes, report, scale)
    )


if __name__ == "__main__":
    raise SystemExit(main())
