"""`GET /runs/{id}/tail?limit=200`: a huge run against a small one, per events format."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, Sizes, human_bytes, median, ms, verdict

FORMATS = ("jsonl", "csv", "parquet")
LIMIT = 200
TARGET_RATIO = 1.5
FILLER_BLOCK = 64 << 20
SIDES = (True, False)  # the big run, the small run
BUDGET_SECONDS = 40.0


@dataclass
class BigRuns:
    """The runs root with one big and one small run per format, plus filler up to a size."""

    root: Path
    roots: dict[str, Path]
    bytes_on_disk: int
    seconds_to_generate: float


def run_id(fmt: str, big: bool) -> str:
    """The folder name of a tail run."""
    return f"tail_{fmt}_{'big' if big else 'small'}"


def prepare(root: Path, sizes: Sizes) -> BigRuns:
    """Write the tail runs (and filler for the memory reading) under `root`."""
    runs = root / "big" / "live_runs"
    started = time.perf_counter()
    total = 0
    writers = {
        "jsonl": data.write_jsonl_events,
        "csv": data.write_csv_events,
        "parquet": data.write_parquet_events,
    }
    for fmt in FORMATS:
        for big, count in ((True, sizes.tail_big), (False, sizes.tail_small)):
            run_dir = runs / run_id(fmt, big)
            data.write_meta(run_dir, run_id(fmt, big), ended=True)
            total += writers[fmt](run_dir / f"events.{fmt}", count)
    generated = time.perf_counter() - started
    if sizes.disk_bytes > total:
        block = data.jsonl_block(FILLER_BLOCK)
        index = 0
        while total < sizes.disk_bytes:
            run_dir = runs / f"archive_{index:03d}"
            data.write_meta(run_dir, run_dir.name, ended=True)
            size = min(sizes.disk_bytes - total, 4 * 10**9)
            total += data.fill_file(run_dir / "events.jsonl", max(size, len(block)), block)
            index += 1
    os.sync()  # written back now, not while the first runs are being timed
    roots = {"runs_dir": runs, "sessions_dir": root / "big" / "sessions"}
    return BigRuns(runs, roots, total, generated)


def run(server: Server, big: BigRuns, sizes: Sizes, report: Report) -> dict[str, bytes]:
    """Median tail latency per format and size, served from cache and after a change.

    "changed" bumps the events file's mtime before every request, so each one reads and
    renders the tail again (what a live run costs); returns the big runs' response bodies.
    """
    report.add(
        "tail",
        "data generated",
        f"{sizes.tail_big:.0e} + {sizes.tail_small:.0e} per format",
        note=f"{big.seconds_to_generate:.0f} s to write the tail runs",
    )
    bodies: dict[str, bytes] = {}
    with httpx.Client(base_url=server.base, timeout=120) as client:
        for fmt in FORMATS:
            urls = {is_big: f"/runs/{run_id(fmt, is_big)}/tail?limit={LIMIT}" for is_big in SIDES}
            rows = {is_big: len(client.get(url).json()) for is_big, url in urls.items()}
            bodies[fmt] = client.get(urls[True]).content
            touches = {
                is_big: _touch(big.root / run_id(fmt, is_big) / f"events.{fmt}") for is_big in SIDES
            }
            medians: dict[tuple[str, bool], float] = {}
            for state, before in (("unchanged", None), ("changed", touches)):
                times = _alternating(client, urls, sizes.requests, before)
                for is_big in SIDES:
                    medians[state, is_big] = median(times[is_big])
            for state in ("unchanged", "changed"):
                large, small = medians[state, True], medians[state, False]
                ratio = large / small
                report.add(
                    "tail",
                    f"{fmt}, file {state}: {sizes.tail_big:.0e} vs {sizes.tail_small:.0e} events",
                    f"{ms(large)} vs {ms(small)} = {ratio:.2f}x",
                    f"<= {TARGET_RATIO}x",
                    verdict(ratio <= TARGET_RATIO),
                    f"rows {rows[True]} vs {rows[False]}",
                )
    report.add("tail", "artifacts on disk", human_bytes(big.bytes_on_disk))
    return bodies


def _alternating(
    client: httpx.Client,
    urls: dict[bool, str],
    n: int,
    before: dict[bool, Callable[[], None]] | None,
) -> dict[bool, list[float]]:
    """Up to `n` timed requests per side, big and small in turn, so that whatever else the
    machine does at the time weighs on both alike; at most BUDGET_SECONDS."""
    for url in urls.values():
        for _ in range(3):
            client.get(url).raise_for_status()
    times: dict[bool, list[float]] = {side: [] for side in urls}
    deadline = time.monotonic() + BUDGET_SECONDS
    for _ in range(n):
        if len(times[True]) >= 5 and time.monotonic() > deadline:
            break
        for side, url in urls.items():
            if before:
                before[side]()
            start = time.perf_counter()
            response = client.get(url)
            times[side].append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return times


def _touch(path: Path) -> Callable[[], None]:
    """A callable that moves the file's mtime forward by 1 ms on each call."""
    stamp = [path.stat().st_mtime_ns]

    def touch() -> None:
        stamp[0] += 1_000_000
        os.utime(path, ns=(stamp[0], stamp[0]))

    return touch
