"""Hostile load: /health p99 while big pages, idle sockets, SSE crowds and big-file searches run.

Each attack runs for a fixed time beside a sampler that GETs /health one request after another;
the row is the sampler's p99. The last row is the server's peak RSS (VmHWM) over all of them.
"""

from __future__ import annotations

import json
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, Sizes, ms, verdict

HEALTH_P99_TARGET_MS = 100.0
PEAK_RSS_TARGET_MB = 600.0
BIG_RUN = "run_big"
BIG_SESSION = "sess_big"


@dataclass
class Tally:
    """What the attacking side saw, for the row's note."""

    kind: str
    statuses: list[int] = field(default_factory=list)
    opened: int = 0
    closed_by_server: int = 0

    def describe(self) -> str:
        """One short phrase: status counts of repeated GETs, or sockets opened and closed."""
        if self.kind == "requests":
            counts = Counter(self.statuses)
            return "attack answers " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        if self.kind == "sockets":
            answered = ", ".join(f"{k}: {v}" for k, v in sorted(Counter(self.statuses).items()))
            return f"{self.opened} sockets opened, {self.closed_by_server} closed by the server" + (
                f"; answers {answered}" if answered else ""
            )
        return self.kind


@dataclass(frozen=True)
class HostileData:
    """The roots the server reads and the size of the big events file."""

    roots: dict[str, Path]
    big_bytes: int


def prepare(work: Path, sizes: Sizes) -> HostileData:
    """Many small runs, one run with a big events file, and a session that points at it."""
    now = datetime.now(UTC)
    runs = work / "hostile" / "live_runs"
    data.write_many_runs(runs, sizes.hostile_runs, active=5, now=now)
    big_dir = runs / BIG_RUN
    data.write_meta(big_dir, BIG_RUN, ended=True)
    block = data.jsonl_block(1 << 20)
    block = block[: block.index(b"\n", 1 << 20) + 1]  # whole lines, about 1 MiB
    big_bytes = data.fill_file(big_dir / "events.jsonl", sizes.hostile_big_bytes, block)
    registry = work / "hostile" / "sessions"
    registry.mkdir(parents=True)
    record = data.session_record(1, now) | {"session_id": BIG_SESSION, "run_id": BIG_RUN}
    (registry / f"0000001_live_session_paper_{BIG_SESSION}.json").write_text(json.dumps(record))
    return HostileData({"runs_dir": runs, "sessions_dir": registry}, big_bytes)


def health_p99(server: Server, seconds: float) -> tuple[float, int, int]:
    """p99 of sequential /health GETs for `seconds`: (ms, samples, failures)."""
    times: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=server.base, timeout=10) as client:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                ok = client.get("/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append((time.perf_counter() - start) * 1000)
            failures += not ok
            time.sleep(0.01)
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], len(times), failures


@contextmanager
def repeating(server: Server, path: str, workers: int = 2) -> Iterator[Tally]:
    """`workers` threads GET `path` over and over until the block ends."""
    stop = threading.Event()
    tally = Tally("requests")
    statuses = tally.statuses

    def loop() -> None:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            while not stop.is_set():
                try:
                    statuses.append(client.get(path).status_code)
                except httpx.HTTPError:
                    statuses.append(0)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        yield tally
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)


@contextmanager
def open_sockets(server: Server, count: int, request: bytes) -> Iterator[Tally]:
    """`count` sockets that send `request` (maybe empty) and then only read.

    A reader thread drains what the server sends so SSE streams never back up.
    """
    host, port = server.base.removeprefix("http://").split(":")
    selector = selectors.DefaultSelector()
    sockets: list[socket.socket] = []
    tally = Tally("sockets")
    for _ in range(count):
        try:
            sock = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            break
        if request:
            sock.sendall(request)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        sockets.append(sock)
    tally.opened = len(sockets)
    stop = threading.Event()
    seen: set[int] = set()

    def note_status(sock: socket.socket, chunk: bytes) -> None:
        if sock.fileno() not in seen and chunk.startswith(b"HTTP/1.1 "):
            seen.add(sock.fileno())
            tally.statuses.append(int(chunk[9:12]))

    def drain() -> None:
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    chunk = b""
                note_status(sock, chunk)
                if not chunk:
                    selector.unregister(sock)
                    tally.closed_by_server += 1

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield tally
    finally:
        stop.set()
        reader.join(timeout=5)
        for sock in sockets:
            sock.close()
        selector.close()


def peak_rss_mb(server: Server) -> float:
    """The server's peak resident set size in MiB (VmHWM)."""
    for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(server: Server, hostile: HostileData, sizes: Sizes, report: Report) -> None:
    """One row per attack (health p99 beside it), then peak RSS."""
    seconds = sizes.hostile_seconds
    stream_request = (
        b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    big = data_label(hostile.big_bytes)
    attacks: list[tuple[str, Callable[[], AbstractContextManager[Tally]]]] = [
        ("no attack", _nothing),
        (f"/dashboard over {sizes.hostile_runs:,} runs", lambda: repeating(server, "/dashboard")),
        (
            f"{sizes.idle_connections:,} idle connections",
            lambda: open_sockets(server, sizes.idle_connections, b""),
        ),
        (
            f"{sizes.sse_crowd:,} SSE clients",
            lambda: open_sockets(server, sizes.sse_crowd, stream_request),
        ),
        (
            f"activity search over {big}",
            lambda: repeating(server, f"/activity?run={BIG_RUN}&q=no-such-text"),
        ),
        (f"session page over {big}", lambda: repeating(server, f"/sessions/{BIG_SESSION}")),
    ]
    for name, attack in attacks:
        with attack() as tally:
            time.sleep(0.5)  # let the attack get going
            p99, samples, failures = health_p99(server, seconds)
        report.add(
            "hostile",
            f"/health p99 during {name}",
            ms(p99),
            target=f"< {HEALTH_P99_TARGET_MS:.0f} ms",
            verdict=verdict(p99 < HEALTH_P99_TARGET_MS and failures == 0),
            note=f"{samples} samples, {failures} failed; {tally.describe()}",
        )
    peak = peak_rss_mb(server)
    report.add(
        "hostile",
        "server peak RSS under the attacks",
        f"{peak:.0f} MiB",
        target=f"< {PEAK_RSS_TARGET_MB:.0f} MiB",
        verdict=verdict(peak < PEAK_RSS_TARGET_MB),
        note="VmHWM after all attacks",
    )


@contextmanager
def _nothing() -> Iterator[Tally]:
    yield Tally("baseline")


def data_label(size: int) -> str:
    """A file size in MB for a row name."""
    return f"a {size / 1e6:.0f} MB events file"
