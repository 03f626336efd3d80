"""`GET /runs` over many runs, `GET /api/live_sessions` over many records; incremental refresh."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, Sizes, median, ms, p95, timed_ms, verdict

TARGET_MS = 20.0


@dataclass
class IndexData:
    """A runs root with many runs and a registry with many records."""

    roots: dict[str, Path]
    one_session: Path
    one_run_events: Path
    seconds_to_generate: float


def prepare(root: Path, sizes: Sizes) -> IndexData:
    """Write the runs and the sessions registry."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    runs = root / "index" / "live_runs"
    sessions = root / "index" / "live_sessions"
    data.write_many_runs(runs, sizes.runs, active=sizes.active_runs, now=now)
    one_session = data.write_sessions(sessions, sizes.sessions, now)
    roots = {"runs_dir": runs, "sessions_dir": sessions}
    last_run = runs / f"run_{sizes.runs - 1:06d}" / "events.jsonl"
    return IndexData(roots, one_session, last_run, time.perf_counter() - started)


def touch_session(path: Path) -> None:
    """Rewrite one registry record in place with a new value (size and mtime change)."""
    record = json.loads(path.read_text())
    record["metrics"]["num_orders"] = record["metrics"]["num_orders"] + 1
    record["notes_bench"] = "x" * (len(path.read_bytes()) % 7 + 1)
    path.write_text(json.dumps(record))


def append_event(path: Path) -> None:
    """Append one event to a run's events file."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = {"v": 1, "seq": 10**6, "ts": stamp, "kind": "heartbeat", "msg": "bench", "data": {}}
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


def run_parse_counts(index: IndexData, sizes: Sizes, report: Report) -> None:
    """In-process: a full refresh, a no-change refresh, and a refresh after one changed file."""
    from peakwatch.settings import load_settings
    from peakwatch.sources.runs_index import RunsIndex
    from peakwatch.sources.sessions_index import SessionsIndex

    settings = load_settings({k: str(v) for k, v in index.roots.items()})
    for label, idx, change in (
        (f"runs ({sizes.runs:,})", RunsIndex(settings.runs_dir, "live_runs"), "run"),
        (
            f"sessions ({sizes.sessions:,})",
            SessionsIndex(settings.sessions_dir, "live_sessions"),
            "session",
        ),
    ):
        start = time.perf_counter()
        idx.refresh()
        cold = (time.perf_counter() - start) * 1000
        first = idx.parse_count
        start = time.perf_counter()
        idx.refresh()
        unchanged = (time.perf_counter() - start) * 1000
        before = idx.parse_count
        if change == "run":
            append_event(index.one_run_events)
        else:
            touch_session(index.one_session)
        start = time.perf_counter()
        idx.refresh()
        changed = (time.perf_counter() - start) * 1000
        parsed = idx.parse_count - before
        report.add(
            "index",
            f"{label}: refresh after 1 changed file",
            f"parsed {parsed} file(s) in {ms(changed)}",
            "parses 1",
            verdict(parsed == 1),
            f"cold {ms(cold)} ({first:,} parses); no change {ms(unchanged)}",
        )


def run(server: Server, index: IndexData, sizes: Sizes, report: Report) -> None:
    """Warm medians over HTTP (the server re-stats the roots at most every 0.5 s)."""
    urls = [
        (f"GET /runs ({sizes.runs:,} runs, all returned)", "/runs"),
        (f"GET /runs?limit=50 ({sizes.runs:,} runs)", "/runs?limit=50"),
        (f"GET /api/live_sessions?limit=50 ({sizes.sessions:,})", "/api/live_sessions?limit=50"),
    ]
    with httpx.Client(base_url=server.base, timeout=120) as client:
        for label, url in urls:
            times = timed_ms(client, url, sizes.requests)
            report.add(
                "index",
                label,
                ms(median(times)),
                f"< {TARGET_MS:.0f} ms",
                verdict(median(times) < TARGET_MS),
                f"p95 {ms(p95(times))}",
            )


def stat_cost(index: IndexData, report: Report) -> None:
    """The physical floor of a refresh: stat of every registry file."""
    folder = index.roots["sessions_dir"]
    start = time.perf_counter()
    names = [entry.path for entry in os.scandir(folder)]
    listed = time.perf_counter() - start
    start = time.perf_counter()
    for name in names:
        os.stat(name)
    stats = time.perf_counter() - start
    report.add(
        "limits",
        f"stat {len(names):,} files",
        ms(stats * 1000),
        note=f"scandir {ms(listed * 1000)}; {stats / len(names) * 1e6:.2f} us per stat",
    )
