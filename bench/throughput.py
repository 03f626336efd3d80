"""Requests per second with wrk: peakwatch against a bare Starlette app answering the same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.harness import Report, Server, Sizes, serve, verdict, wrk_rps
from bench.tail import LIMIT, run_id

TARGET_TAIL = 0.7


def run(server: Server, tail_body: bytes, work: Path, sizes: Sizes, report: Report) -> None:
    """`/health` and the big JSONL run's tail, each as a fraction of the floor app's rate."""
    if shutil.which("wrk") is None:
        report.add("throughput", "wrk", "skipped", note="wrk is not installed")
        return
    body_file = work / "floor_tail_body.json"
    body_file.write_bytes(tail_body)
    tail_url = f"{server.base}/runs/{run_id('jsonl', True)}/tail?limit={LIMIT}"
    ours = {
        "health": wrk_rps(f"{server.base}/health", sizes.wrk_seconds),
        "tail": wrk_rps(tail_url, sizes.wrk_seconds),
    }
    with serve("bench.floor_app:create", {"BENCH_FLOOR_BODY": str(body_file)}) as floor:
        floors = {
            "health": wrk_rps(f"{floor.base}/health", sizes.wrk_seconds),
            "tail": wrk_rps(f"{floor.base}/tail", sizes.wrk_seconds),
        }
    for name, label in (
        ("health", "/health"),
        ("tail", f"tail?limit={LIMIT} ({sizes.tail_big:.0e} jsonl)"),
    ):
        mine, floor_rps = ours[name], floors[name]
        if not mine or not floor_rps:
            report.add("throughput", label, "n/a", note="wrk gave no rate")
            continue
        ratio = mine / floor_rps
        report.add(
            "throughput",
            f"wrk -t2 -c32 {label}",
            f"{mine:,.0f} vs floor {floor_rps:,.0f} req/s = {ratio:.2f}",
            f">= {TARGET_TAIL}" if name == "tail" else "",
            verdict(ratio >= TARGET_TAIL) if name == "tail" else "",
            f"{len(tail_body):,} B body" if name == "tail" else "",
        )
