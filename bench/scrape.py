"""`GET /metrics` over the index bench's runs: the default bounds, and every run exported.

Before timing, each run's snapshot is requested once, so its ledger is in memory as the
live feed would have it (a scrape reads memory only). Target: a scrape under 50 ms warm.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bench.harness import Report, Sizes, median, ms, p95, peakwatch, timed_ms, verdict

TARGET_MS = 50.0
KEEP = {"metrics_completed_seconds": 1e12}  # completed runs keep their series
CASES = (
    ("default bounds", {}, TARGET_MS),
    ("completed runs kept, the cap of 200", KEEP, TARGET_MS),
    ("every run (no cap; information)", {**KEEP, "metrics_max_runs": 10**7}, None),
)


def run(roots: dict[str, Path], sizes: Sizes, report: Report) -> None:
    """Warm median and p95 of /metrics, by default and with every run's series."""
    for label, overrides, target in CASES:
        with (
            peakwatch(roots, **overrides) as server,
            httpx.Client(base_url=server.base, timeout=300) as client,
        ):
            run_ids = [r["run_id"] for r in client.get("/runs").json()]
            for run_id in run_ids:
                client.get(f"/runs/{run_id}/snapshot")
            series = client.get("/metrics").text.count("\npeakwatch_run_status{")
            times = timed_ms(client, "/metrics", max(sizes.requests // 4, 10), warmup=1)
        report.add(
            "metrics",
            f"GET /metrics, {len(run_ids):,} runs, {label}",
            ms(median(times)),
            f"< {target:.0f} ms" if target else "",
            verdict(median(times) < target) if target else "",
            f"p95 {ms(p95(times))}; {series // 4:,} runs with series",
        )
