"""The physical limits beside the numbers: page-cache reads and an empty HTTP round trip."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Sizes, human_bytes, median, ms, serve, timed_ms

READ_BLOCK = 1 << 20


def page_cache(work: Path, sizes: Sizes, report: Report) -> None:
    """Read a file twice; the second read comes from the page cache."""
    path = work / "page_cache.bin"
    data.page_cache_file(path, sizes.page_cache_bytes)
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            buffer = bytearray(READ_BLOCK)
            while f.readinto(buffer):
                pass
        rates.append(sizes.page_cache_bytes / (time.perf_counter() - start))
    path.unlink()
    report.add(
        "limits",
        f"page-cache read of {human_bytes(sizes.page_cache_bytes)}",
        f"{rates[1] / 1e9:.1f} GB/s",
        note=f"first read {rates[0] / 1e9:.1f} GB/s; 1 MiB readinto",
    )


def round_trip(sizes: Sizes, report: Report) -> None:
    """Median of an empty GET to the bare Starlette app (same client as the other rows)."""
    with serve("bench.floor_app:create") as floor, httpx.Client(base_url=floor.base) as client:
        times = timed_ms(client, "/empty", sizes.requests * 5)
    report.add("limits", "empty HTTP round trip (bare Starlette)", ms(median(times)))
