"""`GET /api/live/status/snapshot.json` over many runs and sessions."""

from __future__ import annotations

import httpx

from bench.harness import Report, Server, Sizes, has_route, median, ms, p95, timed_ms, verdict

PATH = "/api/live/status/snapshot.json"
TARGET_MS = 100.0


def run(server: Server, sizes: Sizes, report: Report) -> None:
    """Warm median of the status snapshot, or n/a while the endpoint does not exist."""
    label = f"GET {PATH} ({sizes.runs:,} runs, {sizes.sessions:,} sessions)"
    if not has_route(server, PATH):
        report.add("snapshot", label, "n/a (endpoint missing)", f"< {TARGET_MS:.0f} ms")
        return
    with httpx.Client(base_url=server.base, timeout=300) as client:
        times = timed_ms(client, PATH, max(sizes.requests // 4, 10), warmup=1)
    report.add(
        "snapshot",
        label,
        ms(median(times)),
        f"< {TARGET_MS:.0f} ms",
        verdict(median(times) < TARGET_MS),
        f"p95 {ms(p95(times))}",
    )
