"""Server RSS with the big artifacts on disk, after tail, runs and snapshot requests."""

from __future__ import annotations

import httpx

from bench import snapshot
from bench.harness import Report, Server, human_bytes
from bench.tail import FORMATS, LIMIT, BigRuns, run_id


def run(server: Server, big: BigRuns, report: Report, snapshot_exists: bool) -> None:
    """Request every tail, /runs and the snapshot, then read VmRSS."""
    before = server.rss_mb()
    with httpx.Client(base_url=server.base, timeout=300) as client:
        for fmt in FORMATS:
            for is_big in (True, False):
                client.get(f"/runs/{run_id(fmt, is_big)}/tail?limit={LIMIT}").raise_for_status()
        client.get("/runs").raise_for_status()
        client.get("/api/live_sessions?limit=50").raise_for_status()
        if snapshot_exists:
            client.get(snapshot.PATH).raise_for_status()
    after = server.rss_mb()
    report.add(
        "memory",
        f"server RSS, {human_bytes(big.bytes_on_disk)} of artifacts",
        f"{after:.0f} MiB",
        note=f"{before:.0f} MiB before the requests; tail x6, /runs, sessions"
        + (", snapshot" if snapshot_exists else ""),
    )
