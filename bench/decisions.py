"""Warm `GET /api/runs/{id}/decisions?limit=50` and `/scorecard`: 10^6 events against 10^3.

The server is started the way `peakwatch serve` starts it; each request stats the run,
catches up its ledger (nothing new: a stat) and answers. The big run is written line by line
from a template (not through the SDK) and folded once by a first request, untimed.
`python -m bench.decisions [--size small]` runs this alone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import httpx

from bench import data
from bench.harness import (
    FULL,
    SMALL,
    Report,
    Sizes,
    in_scratch,
    median,
    ms,
    p95,
    peakwatch,
    verdict,
)

TARGET_RATIO = 2.0
REQUESTS = 300
BIG = {"full": 10**6, "small": 2 * 10**4}
SMALL_EVENTS = 10**3
EVENTS_PER_BAR = 6
FOLD_TIMEOUT = 900.0  # seconds: the first request folds the whole big run
RUNS = ("decisions_big", "decisions_small")
PATHS = {
    "/api/runs/{id}/decisions?limit=50": "/api/runs/{run_id}/decisions?limit=50",
    "/api/runs/{id}/scorecard": "/api/runs/{run_id}/scorecard",
}

# One bar: market, decision (with an id), risk, order, fill or nothing, position.
BAR = (
    '{{"v":1,"seq":{s0},"ts":"{t}.000100Z","kind":"market","level":"info","msg":"m",'
    '"data":{{"close":{px},"symbol":"BTC/EUR"}}}}\n'
    '{{"v":1,"seq":{s1},"ts":"{t}.000200Z","kind":"decision","level":"info","msg":"d",'
    '"data":{{"decision_id":"d-{s1}","action":"{action}","confidence":{conf},'
    '"latency_ms":{lat},"symbol":"BTC/EUR","rationale":"momentum"}}}}\n'
    '{{"v":1,"seq":{s2},"ts":"{t}.000300Z","kind":"risk","level":"info","msg":"r",'
    '"data":{{"decision_id":"d-{s1}","allowed":{allowed},"reasons":[{reasons}]}}}}\n'
    '{{"v":1,"seq":{s3},"ts":"{t}.000400Z","kind":"order","level":"info","msg":"o",'
    '"data":{{"decision_id":"d-{s1}","order_id":"o{bar}","side":"{action}","qty":0.1,'
    '"price":{px},"status":"{status}"}}}}\n'
    '{{"v":1,"seq":{s4},"ts":"{t}.000500Z","kind":"{fill}","level":"info","msg":"f",'
    '"data":{{"decision_id":"d-{s1}","order_id":"o{bar}","side":"{action}","qty":0.1,'
    '"price":{px},"fee":0.01}}}}\n'
    '{{"v":1,"seq":{s5},"ts":"{t}.000600Z","kind":"position","level":"info","msg":"p",'
    '"data":{{"decision_id":"d-{s1}","symbol":"BTC/EUR","position_size":{pos},'
    '"equity":{eq}}}}}\n'
)


def write_run(runs: Path, run_id: str, events: int) -> int:
    """A native run of about `events` events; returns its size in bytes."""
    data.write_meta(runs / run_id, run_id, ended=True)
    path = runs / run_id / "events.jsonl"
    size = 0
    with path.open("w") as handle:
        chunk: list[str] = []
        for bar in range(events // EVENTS_PER_BAR):
            seq = bar * EVENTS_PER_BAR + 1
            blocked, rejected = bar % 7 == 3, bar % 11 == 5
            status = "blocked" if blocked else "rejected" if rejected else "submitted"
            chunk.append(
                BAR.format(
                    s0=seq,
                    s1=seq + 1,
                    s2=seq + 2,
                    s3=seq + 3,
                    s4=seq + 4,
                    s5=seq + 5,
                    t=data.iso_at(bar)[:-1],
                    bar=bar,
                    px=100 + bar % 50,
                    action="buy" if bar % 2 else "sell",
                    conf=f"0.{(bar * 37) % 100:02d}",
                    lat=5 + (bar * 13) % 400 / 10,
                    allowed="false" if blocked else "true",
                    reasons='"max_position"' if blocked else "",
                    status=status,
                    fill="fill" if status == "submitted" else "heartbeat",
                    pos=(bar % 4) / 10,
                    eq=10_000 + (bar * 7919) % 101 - 50,
                )
            )
            if len(chunk) >= 10_000:
                size += handle.write("".join(chunk))
                chunk = []
        size += handle.write("".join(chunk))
    return size


def _alternating(client: httpx.Client, urls: dict[str, str], n: int) -> dict[str, list[float]]:
    """`n` timed GETs per run, big and small in turn, so that whatever else the machine does
    at the time weighs on both alike (three untimed ones first)."""
    for url in urls.values():
        for _ in range(3):
            client.get(url).raise_for_status()
    times: dict[str, list[float]] = {run_id: [] for run_id in urls}
    for _ in range(n):
        for run_id, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            response.read()
            times[run_id].append((time.perf_counter() - started) * 1000.0)
            response.raise_for_status()
    return times


def run(work: Path, sizes: Sizes, report: Report) -> None:
    """Write both runs, start the server, fold them once, then time warm requests."""
    big_events = BIG[sizes.name]
    root = work / "decisions"
    runs_root = root / "live_runs"
    started = time.perf_counter()
    big_bytes = write_run(runs_root, "decisions_big", big_events)
    write_run(runs_root, "decisions_small", SMALL_EVENTS)
    written = time.perf_counter() - started
    roots = {
        "runs_dir": runs_root,
        "sessions_dir": root / "sessions",
        "alerts_dir": runs_root / "alerts",
        "ai_events_path": root / "logs" / "ai" / "ai_events.jsonl",
        "execution_dir": root / "logs" / "execution",
    }
    with (
        peakwatch(roots) as server,
        httpx.Client(base_url=server.base, timeout=FOLD_TIMEOUT) as client,
    ):
        started = time.perf_counter()
        client.get("/api/runs/decisions_big/decisions?limit=50").raise_for_status()
        folded = time.perf_counter() - started
        client.get("/api/runs/decisions_small/decisions?limit=50").raise_for_status()
        report.add(
            "decisions",
            "data generated and folded",
            f"{big_events:.0e} events ({big_bytes / 1e6:.0f} MB)",
            note=f"written in {written:.0f} s, first fold (first request) {folded:.0f} s, "
            f"server RSS {server.rss_mb():.0f} MiB",
        )
        for name, path in PATHS.items():
            urls = {run_id: path.format(run_id=run_id) for run_id in RUNS}
            n = REQUESTS if sizes.name == "full" else REQUESTS // 10
            times = _alternating(client, urls, n)
            large, small = median(times[RUNS[0]]), median(times[RUNS[1]])
            ratio = large / small
            report.add(
                "decisions",
                f"warm GET {name}: {big_events:.0e} vs {SMALL_EVENTS:.0e} events",
                f"{ms(large)} vs {ms(small)} = {ratio:.2f}x",
                f"<= {TARGET_RATIO}x",
                verdict(ratio <= TARGET_RATIO),
                f"median of {n}, p95 {ms(p95(times[RUNS[0]]))} vs {ms(p95(times[RUNS[1]]))}",
            )
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__)
    parser.add_argument("--size", choices=("full", "small"), default="full")
    args = parser.parse_args(argv)
    sizes = FULL if args.size == "full" else SMALL
    return in_scratch("peakwatch-bench-decisions-", lambda work, report: run(work, sizes, report))


if __name__ == "__main__":
    sys.exit(main())
