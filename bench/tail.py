"""`GET /runs/{id}/tail?limit=200`: a huge run against a small one, per events format."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, Sizes, human_bytes, median, ms, timed_ms, verdict

FORMATS = ("jsonl", "csv", "parquet")
LIMIT = 200
TARGET_RATIO = 1.5
FILLER_BLOCK = 64 << 20


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
    roots = {"runs_dir": runs, "sessions_dir": root / "big" / "sessions"}
    return BigRuns(runs, roots, total, generated)


def run(server: Server, big: BigRuns, sizes: Sizes, report: Report) -> dict[str, bytes]:
    """Median tail latency per format and size; returns the big runs' response bodies."""
    report.add(
        "tail",
        "data generated",
        f"{sizes.tail_big:.0e} + {sizes.tail_small:.0e} per format",
        note=f"{big.seconds_to_generate:.0f} s to write the tail runs",
    )
    bodies: dict[str, bytes] = {}
    with httpx.Client(base_url=server.base, timeout=120) as client:
        for fmt in FORMATS:
            medians = {}
            for is_big in (True, False):
                url = f"/runs/{run_id(fmt, is_big)}/tail?limit={LIMIT}"
                times = timed_ms(client, url, sizes.requests, budget_seconds=20)
                medians[is_big] = median(times)
                if is_big:
                    response = client.get(url)
                    bodies[fmt] = response.content
                    rows = len(response.json())
                else:
                    small_rows = len(client.get(url).json())
            ratio = medians[True] / medians[False]
            report.add(
                "tail",
                f"{fmt}: {sizes.tail_big:.0e} vs {sizes.tail_small:.0e} events",
                f"{ms(medians[True])} vs {ms(medians[False])} = {ratio:.2f}x",
                f"<= {TARGET_RATIO}x",
                verdict(ratio <= TARGET_RATIO),
                f"rows {rows} vs {small_rows}",
            )
    report.add("tail", "artifacts on disk", human_bytes(big.bytes_on_disk))
    return bodies
