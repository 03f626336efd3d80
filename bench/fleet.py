"""A root on object storage against the same data on local disk: what following it costs.

A root of 1,000 runs (written with the producer SDK) and 10,000 session records is
written to disk and uploaded to a bucket on moto's S3 server. Each is served in-process
through `create_served_app` with its lifespan running (the bucket root by its mirror
thread, polling every second). Rows: the first full mirror, warm `/runs?limit=50` and
`/api/live_sessions?limit=50` (local, then bucket, and their ratio), how soon an append
shows in the run's tail, and what an idle poll of the unchanged bucket costs (LIST, HEAD,
GET and bytes, counted by the instrumented filesystem). `python -m bench.fleet
[--size small]` runs these rows alone; they need `moto[server]` (a dev dependency).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient

from bench import data
from bench.harness import (
    FULL,
    SMALL,
    Report,
    Sizes,
    in_scratch,
    median,
    ms,
    p95,
    timed_ms,
    verdict,
)
from bench.s3_server import S3Server
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.producer import RunWriter
from peakwatch.settings import Settings, load_settings
from peakwatch.sources.storage_counting import CallCounts
from peakwatch.web import fleet

BUCKET, PREFIX = "fleet", "host-a"
KEY_ID, SECRET = "AKIAPEAKWATCHBENCH00", "peakwatch-bench-dummy-secret"
SESSIONS = "reports/experiments/live_sessions"  # a root's default sessions part
URLS = ("/runs?limit=50", "/api/live_sessions?limit=50")
TARGET_RATIO = 3.0  # the bucket root's warm latency within 3x of the local root's
ACTIVE_EVERY = 20  # every 20th run is still running, the others finished
APPENDS = 3


@dataclass(frozen=True)
class FleetSize:
    """The root's size and the bench's pace at one bench size."""

    runs: int
    sessions: int
    poll_seconds: float
    idle_polls: int  # polls of the unchanged bucket counted


SIZES = {"full": FleetSize(1_000, 10_000, 1.0, 3), "small": FleetSize(20, 200, 0.2, 2)}


@dataclass
class Stage:
    """The runner's disk: the root's files, and one running run to append to."""

    folder: Path
    objects: int
    follow: RunWriter


class PollCounter:
    """Wraps a follower's `poller.poll`: the counts at the start of every poll, its seconds."""

    def __init__(self, follower: MirrorFollower, counts: CallCounts) -> None:
        self.starts: list[CallCounts] = []
        self.seconds: list[float] = []
        self.ends: list[float] = []  # perf_counter() at the end of each poll
        self._counts = counts
        self._poll = follower.poller.poll
        setattr(follower.poller, "poll", self)  # noqa: B010 - an instance attribute

    def __call__(self) -> Any:
        self.starts.append(self._counts.snapshot())
        start = time.perf_counter()
        try:
            return self._poll()
        finally:
            self.ends.append(time.perf_counter())
            self.seconds.append(self.ends[-1] - start)

    @property
    def polls(self) -> int:
        return len(self.starts)


@dataclass
class Bucket:
    """The served bucket root: its client, follower, counted calls and polls."""

    client: TestClient
    follower: MirrorFollower
    counts: CallCounts
    polls: PollCounter
    writer: Any  # a read-write s3fs, playing the runner's sync
    first_sync: float = 0.0
    first_counts: CallCounts = field(default_factory=CallCounts)


def generate(folder: Path, runs: int, sessions: int) -> Stage:
    """`runs` runs of a few events each (one in ACTIVE_EVERY still running) and the records."""
    now = datetime.now(UTC)
    follow: RunWriter | None = None
    for i in range(runs):
        active = i % ACTIVE_EVERY == 0
        started = now - (timedelta(minutes=5) if active else timedelta(days=2, minutes=runs - i))
        writer = RunWriter(
            folder / "live_runs",
            f"run_{i:05d}",
            mode="paper",
            strategy_name="bench",
            symbol="BTC/EUR",
            timeframe="1m",
            started_at=started,
        ).start(ts=started)
        at = started + timedelta(minutes=1) if not active else now
        writer.decision("buy", rationale="bench", confidence=0.6, ts=at)
        writer.position(1.0, 10_000.0 + i, ts=at)
        writer.heartbeat(ts=at)
        if not active:
            writer.finish(ts=at + timedelta(minutes=1))
        elif follow is None:
            follow = writer
    data.write_sessions(folder / SESSIONS, sessions, now)
    assert follow is not None
    objects = sum(1 for path in folder.rglob("*") if path.is_file())
    return Stage(folder, objects, follow)


def key_of(stage: Stage, path: Path) -> str:
    """The bucket key of a file of the stage."""
    return f"{BUCKET}/{PREFIX}/{path.relative_to(stage.folder).as_posix()}"


def upload(writer: Any, stage: Stage) -> None:
    """Every file of the stage put into the bucket, concurrently (s3fs batches the puts)."""
    files = [path for path in stage.folder.rglob("*") if path.is_file()]
    writer.pipe({key_of(stage, path): path.read_bytes() for path in files})


@contextmanager
def s3_environment(folder: Path, server: S3Server) -> Iterator[None]:
    """Credentials in a file, the endpoint in AWS_ENDPOINT_URL; the old values put back."""
    credentials = folder / "credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    wanted = {
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(folder / "no-config"),
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def settings_for(location: str, poll_seconds: float, cwd: Path) -> Settings:
    """One named root at `location`, served as `peakwatch serve --root` serves it."""
    root = {"name": "bench", "location": location, "poll_seconds": poll_seconds}
    return load_settings({"roots": [root]}, environ={}, cwd=cwd)


def served(settings: Settings, counts: CallCounts | None = None) -> TestClient:
    """The app `peakwatch serve` builds for `settings`; a mirror's calls go to `counts`."""
    follower = partial(MirrorFollower, counts=counts or CallCounts())
    with mock.patch.object(fleet, "MirrorFollower", follower):
        app = fleet.create_served_app(settings)
    return TestClient(app, base_url="http://localhost")


def wait_for(check: Callable[[], bool], timeout: float, pause: float = 0.02) -> bool:
    """True once `check()` holds, False when `timeout` seconds passed first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(pause)
    return False


def last_equity(client: TestClient, url: str) -> float | None:
    """The equity of the last step in a run's tail (None while it has none)."""
    rows = client.get(url).json()
    return rows[-1]["equity"] if rows else None


def calls(d: CallCounts) -> str:
    return f"{d.list} LIST, {d.head} HEAD, {d.get:,} GET, {d.get_bytes:,} B"


def warm(client: TestClient, sizes: Sizes) -> dict[str, list[float]]:
    """Warm wall times (ms) of each URL, after a warm-up of 10 requests."""
    return {url: timed_ms(client, url, sizes.requests, warmup=10) for url in URLS}


def mirror_first(bucket: Bucket, stage: Stage, runs: int, started: float) -> bool:
    """Wait until the whole bucket is copied and every run is listed: False on a timeout."""

    def caught_up() -> bool:
        copy = bucket.follower.health.mirror  # kept at the end of each sync
        if copy.objects < stage.objects or copy.bytes_behind:
            return False
        return len(bucket.client.get("/runs").json()) == runs

    done = wait_for(caught_up, 600, pause=0.2)
    bucket.first_sync = time.perf_counter() - started
    bucket.first_counts = bucket.counts.snapshot()
    return done


def append_rows(bucket: Bucket, stage: Stage, size: FleetSize, report: Report) -> None:
    """An event appended and uploaded: seconds and polls until the run's tail shows it."""
    run = stage.follow
    url = f"/runs/{run.run_id}/tail"
    seconds: list[float] = []
    polls: list[int] = []
    after: list[float] = []  # from the end of the last listing before it showed
    for k in range(APPENDS):
        equity = 20_000.0 + k
        run.position(1.0, equity)
        body = run.events_path.read_bytes()
        before = bucket.polls.polls
        start = time.perf_counter()
        bucket.writer.pipe_file(key_of(stage, run.events_path), body)
        shown = wait_for(lambda e=equity: last_equity(bucket.client, url) == e, 60)
        visible = time.perf_counter()
        seconds.append(visible - start if shown else math.inf)
        polls.append(bucket.polls.polls - before)
        after.append(visible - max(end for end in bucket.polls.ends if end <= visible))
    worst = max(seconds)
    listing = statistics.median(bucket.polls.seconds)
    report.add(
        "fleet",
        f"an append shows in /runs/{{id}}/tail, poll every {size.poll_seconds:g} s",
        f"{statistics.median(seconds):.2f} s",
        f"<= {2 * size.poll_seconds:g} s (2 polls)",
        verdict(worst <= 2 * size.poll_seconds),
        f"max {worst:.2f} s of {APPENDS}; visible after {max(polls)} poll(s) at most, "
        f"{max(after):.2f} s at most after the listing before it; a listing takes {listing:.2f} s",
    )


def idle_rows(bucket: Bucket, stage: Stage, size: FleetSize, report: Report) -> None:
    """The calls of `idle_polls` polls (and their syncs) of the unchanged bucket."""
    first = bucket.polls.polls + 1  # the next poll to start: nothing changes from here on
    wanted = first + size.idle_polls
    timeout = 10 * (size.idle_polls + 2) * size.poll_seconds + 60
    wait_for(lambda: bucket.polls.polls > wanted, timeout)
    n = size.idle_polls
    spent = bucket.polls.starts[first + n - 1] - bucket.polls.starts[first - 1]
    listing = statistics.median(bucket.polls.seconds[first - 1 : first + n - 1])
    start = time.perf_counter()
    bucket.writer.find(f"{BUCKET}/{PREFIX}")
    plain = time.perf_counter() - start
    per_poll = CallCounts(*(round(value / n) for value in vars(spent).values()))
    label = f"{stage.objects:,} objects"
    report.add(
        "fleet",
        f"idle poll of the unchanged bucket ({label})",
        calls(per_poll) + " per poll",
        "0 GET",
        verdict(spent.get == spent.head == 0),
        f"{n} polls: {calls(spent)}",
    )
    pages = math.ceil(stage.objects / 1000)
    report.add(
        "fleet",
        f"LIST calls per poll ({label})",
        f"{spent.list / n:g}",
        note=f"1,000 objects a page: {pages} pages; a poll's listing took {listing:.2f} s "
        f"(one by a plain s3fs client {plain:.2f} s)",
    )


def latency_rows(
    local: dict[str, list[float]], remote: dict[str, list[float]], label: str, report: Report
) -> None:
    """Warm p50/p95 of each URL, local and bucket, and the ratio of the medians."""
    for url in URLS:
        base, here = median(local[url]), median(remote[url])
        ratio = here / base if base else math.inf
        report.add(
            "fleet",
            f"GET {url}, bucket / local ({label})",
            f"{ratio:.2f}x",
            f"<= {TARGET_RATIO:g}x",
            verdict(ratio <= TARGET_RATIO),
            f"bucket {ms(here)} p95 {ms(p95(remote[url]))}; "
            f"local {ms(base)} p95 {ms(p95(local[url]))}",
        )


def run(work: Path, sizes: Sizes, report: Report) -> None:
    """Every fleet row, at `sizes.name`'s fleet size; the data goes under `work`."""
    size = SIZES[sizes.name]
    folder = Path(tempfile.mkdtemp(prefix="fleet-", dir=work))
    server = S3Server()
    server.start()
    try:
        with s3_environment(folder, server):
            _run(folder, server, size, sizes, report)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path, server: S3Server, size: FleetSize, sizes: Sizes, report: Report) -> None:
    from s3fs import S3FileSystem

    label = f"{size.runs:,} runs + {size.sessions:,} sessions"
    start = time.perf_counter()
    stage = generate(folder / "stage", size.runs, size.sessions)
    generated = time.perf_counter() - start
    writer = S3FileSystem(
        key=KEY_ID, secret=SECRET, endpoint_url=server.endpoint, use_listings_cache=False
    )
    writer.mkdir(BUCKET)
    start = time.perf_counter()
    upload(writer, stage)
    uploaded = time.perf_counter() - start
    report.add(
        "fleet",
        "data generated and uploaded",
        f"{stage.objects:,} objects",
        note=f"{label}: written in {generated:.1f} s, uploaded in {uploaded:.1f} s",
    )
    with served(settings_for(str(stage.folder), size.poll_seconds, folder)) as client:
        local = warm(client, sizes)
    counts = CallCounts()
    location = f"s3://{BUCKET}/{PREFIX}"
    client = served(settings_for(location, size.poll_seconds, folder), counts)
    follower = client.app.state.mirror  # type: ignore[attr-defined]
    bucket = Bucket(client, follower, counts, PollCounter(follower, counts), writer)
    start = time.perf_counter()
    with client:
        done = mirror_first(bucket, stage, size.runs, start)
        report.add(
            "fleet",
            f"first full mirror ({label})",
            f"{bucket.first_sync:.1f} s" if done else "timed out",
            note=calls(bucket.first_counts),
        )
        remote = warm(client, sizes)
        latency_rows(local, remote, label, report)
        append_rows(bucket, stage, size, report)
        idle_rows(bucket, stage, size, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--size", choices=("full", "small"), default="full")
    args = parser.parse_args(argv)
    sizes = FULL if args.size == "full" else SMALL
    return in_scratch("peakwatch-bench-fleet-", lambda work, report: run(work, sizes, report))


if __name__ == "__main__":
    raise SystemExit(main())
