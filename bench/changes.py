"""Change latency: from rewriting one registry record or one run's meta.json to the API showing it.

Measured with the kernel's change notifications (the server as it starts) and without them
(the same server with the watch refused, so only the paced scan can see the change).
`python -m bench.changes [--size small]` runs these rows alone.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import indexes
from bench.harness import (
    FULL,
    SMALL,
    Report,
    Server,
    Sizes,
    in_scratch,
    median,
    ms,
    peakwatch,
    verdict,
)
from peakwatch.domain.notified import GAP_SECONDS

TARGET_SECONDS = 1.0
GIVE_UP_SECONDS = 180.0  # a change the scan has not shown by then counts as this long


def write_atomically(path: Path, record: dict[str, Any]) -> None:
    """Write a JSON file the way the producer does: a hidden temporary file renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def wait_until(client: httpx.Client, url: str, shown: Any) -> float:
    """Seconds until `shown(body)` is true for GET `url` (GIVE_UP_SECONDS at most)."""
    started = time.perf_counter()
    while time.perf_counter() - started < GIVE_UP_SECONDS:
        if shown(client.get(url).json()):
            return time.perf_counter() - started
        time.sleep(0.01)
    return GIVE_UP_SECONDS


def session_latency(client: httpx.Client, path: Path, marker: int, *, in_place: bool) -> float:
    """Rewrite one record as the newest with `marker` orders; seconds until the list shows it."""
    record = json.loads(path.read_text())
    record["started_at"] = datetime.now(UTC).isoformat()
    record["metrics"]["num_orders"] = marker
    if in_place:
        path.write_text(json.dumps(record))
    else:
        write_atomically(path, record)
    session_id = record["session_id"]

    def shown(body: Any) -> bool:
        return bool(body) and body[0]["session_id"] == session_id and marker_in(body[0], marker)

    return wait_until(client, "/api/live_sessions?limit=1", shown)


def marker_in(row: dict[str, Any], marker: int) -> bool:
    """True when a session row carries `marker` as its order count."""
    metrics = row.get("metrics") or {}
    return bool(metrics.get("num_orders") == marker or row.get("num_orders") == marker)


def run_latency(client: httpx.Client, meta: Path, marker: int) -> float:
    """Rewrite one run's meta.json with a new strategy name; seconds until /runs shows it."""
    record = json.loads(meta.read_text())
    record["strategy_name"] = f"bench_{marker}"
    write_atomically(meta, record)
    run_id = record["run_id"]

    def shown(body: Any) -> bool:
        return any(r["run_id"] == run_id and r["strategy_name"] == f"bench_{marker}" for r in body)

    return wait_until(client, "/runs?limit=50", shown)


def measure(server: Server, index: indexes.IndexData, samples: int) -> dict[str, list[float]]:
    """Latencies of `samples` atomic record and meta rewrites, and one in-place record rewrite."""
    session = index.one_session
    meta = index.roots["runs_dir"] / "run_000000" / "meta.json"
    found: dict[str, list[float]] = {"session": [], "run": [], "in place": []}
    with httpx.Client(base_url=server.base, timeout=120) as client:
        client.get("/api/live_sessions?limit=1")
        client.get("/runs?limit=50")
        time.sleep(2.0)  # past the first full pass after the watch started
        marker = int(time.time())
        for i in range(samples):
            time.sleep(GAP_SECONDS)  # one change at a time: a file is refreshed twice a second
            found["session"].append(session_latency(client, session, marker + i, in_place=False))
            found["run"].append(run_latency(client, meta, marker + i))
        time.sleep(GAP_SECONDS)
        found["in place"].append(session_latency(client, session, marker - 1, in_place=True))
    return found


def run(index: indexes.IndexData, sizes: Sizes, report: Report, samples: int = 3) -> None:
    """The latency rows, with and without notifications, over the index data."""
    size = f"{sizes.runs:,} runs, {sizes.sessions:,} sessions"
    for label, notifications in (("with notifications", True), ("scan only", False)):
        with peakwatch(index.roots, notifications=notifications) as server:
            found = measure(server, index, samples)
        for kind, what in (
            ("session", "a rewritten record"),
            ("run", "a rewritten meta.json"),
            ("in place", "a record rewritten in place"),
        ):
            times = found[kind]
            worst = max(times)
            report.add(
                "changes",
                f"{what} shows, {label} ({size})",
                f"{median(times) * 1000:,.0f} ms" if len(times) > 1 else ms(worst * 1000),
                f"< {TARGET_SECONDS:.0f} s" if notifications else "",
                verdict(worst < TARGET_SECONDS) if notifications else "",
                f"max {ms(worst * 1000)} of {len(times)}",
            )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.changes", description=__doc__)
    parser.add_argument("--size", choices=("full", "small"), default="full")
    args = parser.parse_args()
    sizes = FULL if args.size == "full" else SMALL
    return in_scratch(
        "peakwatch-bench-", lambda work, report: run(indexes.prepare(work, sizes), sizes, report)
    )


if __name__ == "__main__":
    raise SystemExit(main())
