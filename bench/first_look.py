"""The first look at a huge run: whole-run totals per record in-process (columns and, for
comparison, record by record), and through a server the time until a 10^7-event run's
totals are complete while /health is sampled."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from bench import data
from bench.harness import Report, Server, Sizes, human_bytes, ms, verdict
from bench.tail import FORMATS, BigRuns, run_id
from peakwatch.domain.ledger import RunLedger
from peakwatch.sources import run_events
from peakwatch.sources.identity import stat_key
from peakwatch.sources.run_events import EventsFile

TARGETS_US = {"jsonl": 1.5, "csv": 1.5, "parquet": 0.3}
RECORD_BY_RECORD_EVENTS = 100_000  # the per-record path is timed on a smaller copy
FIRST_LOOK_TARGET_S = 20.0
HEALTH_TARGET_MS = 20.0
BOOKS_SAMPLE_S = 10.0  # /health is sampled this long into the decisions' count too


def totals_seconds(path: Path, fmt: str) -> float:
    """Seconds to fold all of the file's totals in this process, from a cold ledger."""
    events = EventsFile(path, fmt, stat_key(path), path.name)  # type: ignore[arg-type]
    started = time.perf_counter()
    RunLedger(events).update(events)
    return time.perf_counter() - started


def record_by_record_us(work: Path, fmt: str, count: int) -> float:
    """Microseconds per record of the per-record path (columns turned off)."""
    path = work / f"record_by_record.{fmt}"
    writer = data.write_jsonl_events if fmt == "jsonl" else data.write_csv_events
    writer(path, count)
    saved = run_events.native_columns, run_events.step_columns
    run_events.native_columns = lambda block, at_start: None  # type: ignore[assignment]
    run_events.step_columns = lambda header, block: None  # type: ignore[assignment]
    try:
        seconds = totals_seconds(path, fmt)
    finally:
        run_events.native_columns, run_events.step_columns = saved
        path.unlink()
    return seconds / count * 1e6


def in_process(big: BigRuns, sizes: Sizes, work: Path, report: Report) -> None:
    """One row per format: microseconds per record over the big run."""
    for fmt in FORMATS:
        path = big.root / run_id(fmt, True) / f"events.{fmt}"
        per_record = totals_seconds(path, fmt) / sizes.tail_big * 1e6
        note = f"{human_bytes(path.stat().st_size)}"
        if fmt != "parquet":
            before = record_by_record_us(work, fmt, min(RECORD_BY_RECORD_EVENTS, sizes.tail_big))
            note += f"; record by record {before:.1f} us ({before / per_record:.0f}x)"
        report.add(
            "first look",
            f"{fmt} totals per record, in-process ({sizes.tail_big:.0e})",
            f"{per_record:.2f} us",
            f"<= {TARGETS_US[fmt]} us",
            verdict(per_record <= TARGETS_US[fmt]),
            note,
        )


def health_times(client: httpx.Client, until: threading.Event, seconds: float) -> list[float]:
    """Sequential /health GETs (ms each, 10 ms apart) until `until` is set or `seconds` pass;
    a failed one counts as infinitely slow."""
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while not until.is_set() and time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            ok = client.get("/health").status_code == 200
        except httpx.HTTPError:
            ok = False
        times.append((time.perf_counter() - start) * 1000 if ok else float("inf"))
        time.sleep(0.01)
    return times


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")


def run(server: Server, sizes: Sizes, report: Report) -> None:
    """The big JSONL run's first snapshot through a fresh server: how soon it answers, how
    long until its totals are complete, /health p99 meanwhile and while its decisions are
    counted after."""
    url = f"/runs/{run_id('jsonl', True)}/snapshot"
    counted = threading.Event()
    finished: list[float] = []
    with httpx.Client(base_url=server.base, timeout=60) as client:
        started = time.perf_counter()
        first = client.get(url).json()
        answered = time.perf_counter() - started

        def poll() -> None:
            with httpx.Client(base_url=server.base, timeout=60) as poller:
                while time.perf_counter() - started < 900:
                    counting = poller.get(url).json().get("counting")
                    if counting is None or counting["part"] != "totals":
                        break
                    time.sleep(0.25)
            finished.append(time.perf_counter() - started)
            counted.set()

        threading.Thread(target=poll, daemon=True).start()
        during_totals = health_times(client, counted, 900)
        counted.wait()
        during_books = health_times(client, threading.Event(), BOOKS_SAMPLE_S)
    done = finished[0]
    name = f"jsonl {sizes.tail_big:.0e} events"
    report.add("first look", f"{name}: first snapshot answers", ms(answered * 1000),
               note=f"counting {(first.get('counting') or {}).get('share')}")  # fmt: skip
    report.add("first look", f"{name}: totals complete, end to end", f"{done:.1f} s",
               f"<= {FIRST_LOOK_TARGET_S:.0f} s", verdict(done <= FIRST_LOOK_TARGET_S))  # fmt: skip
    for phase, times in (("totals", during_totals), ("decisions", during_books)):
        worst = p99(times)
        report.add(
            "first look",
            f"/health p99 while its {phase} are counted",
            ms(worst),
            f"< {HEALTH_TARGET_MS:.0f} ms",
            verdict(worst < HEALTH_TARGET_MS),
            f"{len(times)} samples",
        )
