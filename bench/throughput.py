"""Requests per second with wrk: peakwatch against a bare Starlette app answering the same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.harness import Report, Server, Sizes, peakwatch, serve, wrk_rps
from bench.tail import LIMIT, run_id

TAIL_PATH = f"/runs/{run_id('jsonl', True)}/tail?limit={LIMIT}"


def run(
    server: Server,
    roots: dict[str, Path],
    tail_body: bytes,
    work: Path,
    sizes: Sizes,
    report: Report,
) -> None:
    """`/health` and the big JSONL run's tail as a fraction of the floor app's rate, with one
    server process and then with two (`--workers 2`, the floor likewise)."""
    if shutil.which("wrk") is None:
        report.add("throughput", "wrk", "skipped", note="wrk is not installed")
        return
    body_file = work / "floor_tail_body.json"
    body_file.write_bytes(tail_body)
    floor_env = {"BENCH_FLOOR_BODY": str(body_file)}
    for workers in (1, 2):
        if workers == 1:
            ours = _rates(server.base, TAIL_PATH, sizes)
        else:
            with peakwatch(roots, workers=workers) as several:
                ours = _rates(several.base, TAIL_PATH, sizes)
        with serve("bench.floor_app:create", floor_env, workers=workers) as floor:
            floors = _rates(floor.base, "/tail", sizes)
        _report(ours, floors, workers, len(tail_body), sizes, report)


def _rates(base: str, tail_path: str, sizes: Sizes) -> dict[str, float | None]:
    return {
        "health": wrk_rps(f"{base}/health", sizes.wrk_seconds),
        "tail": wrk_rps(f"{base}{tail_path}", sizes.wrk_seconds),
    }


def _report(
    ours: dict[str, float | None],
    floors: dict[str, float | None],
    workers: int,
    body_bytes: int,
    sizes: Sizes,
    report: Report,
) -> None:
    processes = "" if workers == 1 else f", {workers} workers"
    for name, label in (
        ("health", "/health"),
        ("tail", f"tail?limit={LIMIT} ({sizes.tail_big:.0e} jsonl)"),
    ):
        mine, floor_rps = ours[name], floors[name]
        if not mine or not floor_rps:
            report.add("throughput", f"{label}{processes}", "n/a", note="wrk gave no rate")
            continue
        ratio = mine / floor_rps
        report.add(
            "throughput",
            f"wrk -t2 -c32 {label}{processes}",
            f"{mine:,.0f} vs floor {floor_rps:,.0f} req/s = {ratio:.2f}",
            note=(f"{body_bytes:,} B body; " if name == "tail" else "") + "information, no target",
        )
