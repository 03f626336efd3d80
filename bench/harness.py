"""Shared bench machinery: sizes, servers in subprocesses, /proc readings, timing, the table."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark's data is: `full` for the numbers, `small` for a CI smoke run."""

    name: str
    tail_big: int  # events (JSONL) or rows (CSV, Parquet) of the big run
    tail_small: int
    runs: int
    active_runs: int
    sessions: int
    huge_sessions: int  # registry files for the second RSS row (written fast, then deleted)
    sse_clients: int
    sse_rounds: int
    idle_seconds: float
    disk_bytes: int  # artifacts on disk for the RSS reading
    wrk_seconds: int
    page_cache_bytes: int
    requests: int  # timed requests per latency median
    hostile_runs: int  # small runs behind the big /dashboard
    hostile_big_bytes: int  # the events file searched by the activity and session pages
    idle_connections: int
    sse_crowd: int  # SSE clients from one address
    hostile_seconds: float  # /health sampling per attack


FULL = Sizes(
    name="full",
    tail_big=10**7,
    tail_small=10**3,
    runs=10_000,
    active_runs=50,
    sessions=100_000,
    huge_sessions=1_000_000,
    sse_clients=100,
    sse_rounds=20,
    idle_seconds=10.0,
    disk_bytes=10 * 10**9,
    wrk_seconds=5,
    page_cache_bytes=1 << 30,
    requests=200,
    hostile_runs=20_000,
    hostile_big_bytes=101 * 10**6,
    idle_connections=2_000,
    sse_crowd=500,
    hostile_seconds=8.0,
)
SMALL = Sizes(
    name="small",
    tail_big=10**4,
    tail_small=10**3,
    runs=200,
    active_runs=5,
    sessions=2_000,
    huge_sessions=5_000,
    sse_clients=10,
    sse_rounds=3,
    idle_seconds=1.0,
    disk_bytes=0,  # whatever the tail runs hold
    wrk_seconds=1,
    page_cache_bytes=64 << 20,
    requests=10,
    hostile_runs=500,
    hostile_big_bytes=4 * 10**6,
    idle_connections=100,
    sse_crowd=40,
    hostile_seconds=1.0,
)


@dataclass
class Row:
    """One line of the result table."""

    group: str
    name: str
    value: str
    target: str = ""
    verdict: str = ""
    note: str = ""


@dataclass
class Report:
    """Rows collected by all benchmarks, printed once at the end."""

    rows: list[Row] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> None:
        """Add a row and echo it, so a long run shows progress."""
        row = Row(*args, **kwargs)
        self.rows.append(row)
        print(f"  .. {row.group}: {row.name} = {row.value} {row.note}", file=sys.stderr, flush=True)

    def table(self) -> str:
        """A Markdown table (readable in a terminal, pasteable into docs)."""
        head = ("group", "benchmark", "measured", "target", "ok", "note")
        lines = [[r.group, r.name, r.value, r.target, r.verdict, r.note] for r in self.rows]
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]

        def fmt(cells: Any) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        out = [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out.extend(fmt(line) for line in lines)
        return "\n".join(out)


def verdict(ok: bool) -> str:
    """The `ok` column: informational, never an assertion."""
    return "yes" if ok else "NO"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server process on 127.0.0.1 and its /proc readings."""

    proc: subprocess.Popen[bytes]
    base: str

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (from /proc/<pid>/stat)."""
        raw = Path(f"/proc/{self.pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> float:
        """Resident set size in MiB (VmRSS from /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextmanager
def serve(
    app: str, env: dict[str, str] | None = None, *, factory: bool = True, workers: int = 1
) -> Iterator[Server]:
    """Run `uvicorn <app>` in a subprocess until the block ends (SIGINT, then kill)."""
    port = free_port()
    cmd = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning", "--no-access-log", "--workers", str(workers)]
    if factory:
        cmd.append("--factory")
    with _running(cmd, env, port) as server:
        yield server


# The product's own launcher (`peakwatch serve`): its connection bounds and stream caps apply.
LAUNCH = (
    "import json, sys; from peakwatch.server import serve; "
    "sys.exit(serve(json.loads(sys.argv[1]), workers=int(sys.argv[2])))"
)
# The same server with the kernel refusing every watch: only the paced scan sees changes.
LAUNCH_SCAN_ONLY = (
    "import peakwatch.sources.changes as changes; "
    "changes.RustNotify = lambda *args: (_ for _ in ()).throw(OSError('refused')); " + LAUNCH
)


@contextmanager
def peakwatch(
    roots: dict[str, Path],
    *,
    workers: int = 1,
    notifications: bool = True,
    start_seconds: float = START_TIMEOUT,
    **settings: Any,
) -> Iterator[Server]:
    """The peakwatch app over `roots`, started the way `peakwatch serve` starts it.

    `notifications=False` refuses every change watch, as a network filesystem would;
    `start_seconds` is how long it may take to answer (it indexes the roots first)."""
    port = free_port()
    overrides = {name: str(path) for name, path in roots.items()}
    overrides.update(settings, host="127.0.0.1", port=port)
    launch = LAUNCH if notifications else LAUNCH_SCAN_ONLY
    cmd = [PYTHON, "-c", launch, json.dumps(overrides), str(workers)]
    with _running(cmd, {}, port, quiet=True, start_seconds=start_seconds) as server:
        yield server


@contextmanager
def _running(
    cmd: list[str],
    env: dict[str, str] | None,
    port: int,
    *,
    quiet: bool = False,
    start_seconds: float = START_TIMEOUT,
) -> Iterator[Server]:
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
    output = subprocess.DEVNULL if quiet else None  # the launcher logs every request
    proc = subprocess.Popen(cmd, env=full_env, cwd=REPO, stdout=output)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(proc, base, start_seconds)
        yield Server(proc, base)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_up(proc: subprocess.Popen[bytes], base: str, seconds: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start in time")


def has_route(server: Server, path: str) -> bool:
    """True when the app lists `path` in its OpenAPI document."""
    spec = httpx.get(f"{server.base}/openapi.json", timeout=30).json()
    return path in spec.get("paths", {})


def timed_ms(
    client: httpx.Client,
    url: str,
    n: int,
    warmup: int = 3,
    check: Callable[..., Any] | None = None,
    budget_seconds: float = 30.0,
    before: Callable[[], None] | None = None,
) -> list[float]:
    """Wall times in ms of up to `n` sequential GETs over one keep-alive connection.

    Stops early once `budget_seconds` are spent (with at least 5 samples): runs stay bounded.
    `before` runs ahead of every timed request, outside the timing.
    """
    for _ in range(warmup):
        response = client.get(url)
        response.raise_for_status()
        if check:
            check(response)
    times: list[float] = []
    deadline = time.monotonic() + budget_seconds
    for _ in range(n):
        if len(times) >= 5 and time.monotonic() > deadline:
            break
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def median(values: list[float]) -> float:
    """The median (nan for none)."""
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered) + 0.5)) - 1)]


def ms(value: float) -> str:
    """A duration in ms, 3 significant digits."""
    return f"{value:.3g} ms" if value < 1000 else f"{value:,.0f} ms"


def human_bytes(value: float) -> str:
    """Bytes in GB/MB."""
    if value >= 1e9:
        return f"{value / 1e9:.1f} GB"
    return f"{value / 1e6:.0f} MB"


def wrk_rps(url: str, seconds: int, threads: int = 2, connections: int = 32) -> float | None:
    """Requests per second from a bounded `wrk` run, or None when wrk is missing."""
    exe = shutil.which("wrk")
    if exe is None:
        return None
    cmd = [exe, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


def in_scratch(prefix: str, fill: Callable[[Path, Report], None]) -> int:
    """`fill(work, report)` in a temporary folder removed after; print the table (0 = done)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    report = Report()
    try:
        fill(work, report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report.table())
    return 0
