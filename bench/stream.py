"""Live push: latency of an appended event to many SSE clients, and CPU with idle streams."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench import data
from bench.harness import Report, Server, Sizes, median, ms, p95, verdict

TARGET_P95_MS = 300.0
TARGET_CPU = 0.03
MARK = re.compile(rb"bench-mark-(\d+)")
WAIT_SECONDS = 5.0


@dataclass
class StreamData:
    """A runs root with one live run whose events file the bench appends to."""

    roots: dict[str, Path]
    events: Path


def prepare(root: Path) -> StreamData:
    """One active run (plus nothing else)."""
    runs = root / "stream" / "live_runs"
    run_dir = runs / "live_run"
    data.write_meta(run_dir, "live_run", ended=False, started=datetime.now(UTC))
    events = run_dir / "events.jsonl"
    append(events, "run_started", "started")
    return StreamData({"runs_dir": runs, "sessions_dir": root / "stream" / "sessions"}, events)


def append(path: Path, kind: str, msg: str) -> None:
    """Append one native event line."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    line = {"v": 1, "seq": 1, "ts": stamp, "kind": kind, "level": "info", "msg": msg, "data": {}}
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


@dataclass
class Client:
    """One raw SSE connection that notes when each bench mark arrives."""

    seen: dict[int, float] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.StreamWriter | None = None

    async def follow(self, host: str, port: int) -> None:
        reader, self.writer = await asyncio.open_connection(host, port)
        request = "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        self.writer.write(request.encode())
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            buffer += chunk
            if not self.ready.is_set() and b"event: hello" in buffer:
                self.ready.set()
            for match in MARK.finditer(buffer):
                self.seen.setdefault(int(match.group(1)), now)
            buffer = buffer[-64:]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _measure(server: Server, events: Path | None, sizes: Sizes) -> tuple[list[float], int]:
    url = urlsplit(server.base)
    clients = [Client() for _ in range(sizes.sse_clients)]
    tasks = [asyncio.create_task(c.follow(url.hostname or "", url.port or 80)) for c in clients]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), 30)
        latencies: list[float] = []
        missed = 0
        if events is not None:
            for mark in range(sizes.sse_rounds):
                await asyncio.sleep(random.uniform(0.3, 0.6))
                sent = time.perf_counter()
                append(events, "note", f"bench-mark-{mark}")
                deadline = sent + WAIT_SECONDS
                while time.perf_counter() < deadline and any(mark not in c.seen for c in clients):
                    await asyncio.sleep(0.005)
                for client in clients:
                    if mark in client.seen:
                        latencies.append((client.seen[mark] - sent) * 1000)
                    else:
                        missed += 1
        else:
            cpu_start, wall_start = server.cpu_seconds(), time.perf_counter()
            await asyncio.sleep(sizes.idle_seconds)
            cpu = server.cpu_seconds() - cpu_start
            latencies = [cpu / (time.perf_counter() - wall_start)]
        return latencies, missed
    finally:
        for client in clients:
            client.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run(server: Server, stream: StreamData, sizes: Sizes, report: Report, label: str = "") -> None:
    """Push latency over `sse_rounds` appends, then CPU with the same streams idle."""
    latencies, missed = asyncio.run(_measure(server, stream.events, sizes))
    report.add(
        "stream",
        f"append -> {sizes.sse_clients} SSE clients, p95",
        ms(p95(latencies)),
        f"< {TARGET_P95_MS:.0f} ms",
        verdict(p95(latencies) < TARGET_P95_MS and not missed),
        f"p50 {ms(median(latencies))}, max {ms(max(latencies or [0]))}, "
        f"{sizes.sse_rounds} appends, {missed} missed",
    )
    idle(server, sizes, report, label or "1 run")


def idle(server: Server, sizes: Sizes, report: Report, label: str) -> None:
    """Server CPU (fraction of one core) while `sse_clients` streams are open and nothing moves."""
    (cpu,), _ = asyncio.run(_measure(server, None, sizes))
    report.add(
        "stream",
        f"CPU, {sizes.sse_clients} idle streams, {label}",
        f"{cpu:.1%} of a core",
        f"< {TARGET_CPU:.0%}",
        verdict(cpu < TARGET_CPU),
        f"over {sizes.idle_seconds:.0f} s",
    )
