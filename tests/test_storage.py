"""The storage layer against a real S3 endpoint (moto's server): listings, changes, ranged
reads, Parquet tails, an unreachable store and its recovery, with every call counted.

A runner writes with the producer SDK to a local folder; the test plays its sync and
uploads with a read-write s3fs. peakwatch's side only lists and reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from peakwatch.producer import RunWriter
from peakwatch.sources.storage import StorageRoot, compare, open_root
from peakwatch.sources.storage_counting import CallCounts
from peakwatch.sources.storage_poll import RootPoller
from peakwatch.sources.storage_reads import FollowState, read_appended, read_parquet_tail
from s3_server import DUMMY_KEY_ID, DUMMY_SECRET, S3Server, upload_tree, writer_fs

BUCKET = "fleet"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EVENTS = "live_runs/run-a/events.jsonl"


def write_run(runs: Path, events: int) -> RunWriter:
    """A started run with `events` heartbeats after run_started, left open."""
    writer = RunWriter(
        runs, "run-a", mode="paper", strategy_name="ma", symbol="BTCUSDT", timeframe="1m"
    )
    writer.start(ts=START)
    for n in range(events):
        writer.heartbeat(ts=START + timedelta(seconds=n + 1))
    return writer


@pytest.fixture
def fleet(s3_env: S3Server, tmp_path: Path) -> dict[str, Any]:
    """One runner's folder synced to s3://fleet/host-a, and a counted read-only root on it."""
    fs = writer_fs(s3_env)
    if fs.exists(BUCKET):
        fs.rm(BUCKET, recursive=True)
    fs.mkdir(BUCKET)
    local = tmp_path / "host-a"
    writer = write_run(local / "live_runs", 3)
    upload_tree(fs, local, f"s3://{BUCKET}/host-a")
    counts = CallCounts()
    root = open_root(f"s3://{BUCKET}/host-a", counts=counts)
    return {"fs": fs, "local": local, "writer": writer, "root": root, "counts": counts}


def sync(fleet: dict[str, Any]) -> None:
    upload_tree(fleet["fs"], fleet["local"], f"s3://{BUCKET}/host-a")


def test_a_listing_gives_size_mtime_and_etag_in_one_list_call(fleet: dict[str, Any]) -> None:
    root, counts = fleet["root"], fleet["counts"]
    listing = root.list_objects()
    local = fleet["local"]
    assert sorted(listing) == ["live_runs/run-a/events.jsonl", "live_runs/run-a/meta.json"]
    events = listing[EVENTS]
    assert events.size == (local / EVENTS).stat().st_size
    assert events.etag and events.mtime > 0
    assert (counts.list, counts.head, counts.get) == (1, 0, 0)


def test_an_idle_poll_of_an_unchanged_bucket_reads_no_object_body(fleet: dict[str, Any]) -> None:
    root, counts = fleet["root"], fleet["counts"]
    poller = RootPoller(root, 5.0)
    assert poller.poll() is not None
    state = FollowState()
    read_appended(root, poller.listing[EVENTS], state)
    before = counts.snapshot()
    for _ in range(3):
        changes = poller.poll()
        assert changes is not None and not changes
        assert read_appended(root, poller.listing[EVENTS], state).lines == []
    idle = counts - before
    assert (idle.list, idle.head, idle.get, idle.get_bytes) == (3, 0, 0, 0)


def test_an_append_is_a_change_and_only_the_new_lines_are_read(fleet: dict[str, Any]) -> None:
    root, counts, writer = fleet["root"], fleet["counts"], fleet["writer"]
    before = root.list_objects()
    state = FollowState()
    first = read_appended(root, before[EVENTS], state)
    assert [line.offset for line in first.lines][0] == 0 and len(first.lines) == 4
    size = before[EVENTS].size
    writer.heartbeat(ts=START + timedelta(minutes=5))
    sync(fleet)
    after = root.list_objects()
    changes = compare(before, after)
    assert EVENTS in changes.changed and not changes.added and not changes.removed
    reads = counts.snapshot()
    appended = read_appended(root, after[EVENTS], state)
    assert [line.offset for line in appended.lines] == [size]
    assert b'"seq":5' in appended.lines[0].data and not appended.reset
    spent = counts - reads
    assert spent.get == 1 and spent.get_bytes <= after[EVENTS].size - size + 64


def test_a_partial_last_line_is_held_back_until_its_newline(fleet: dict[str, Any]) -> None:
    root, fs = fleet["root"], fleet["fs"]
    key = f"{BUCKET}/host-a/{EVENTS}"
    whole = (fleet["local"] / EVENTS).read_bytes()
    fs.pipe_file(key, whole + b'{"v":1,"seq":5,"ts":')
    state = FollowState()
    seen = read_appended(root, root.list_objects()[EVENTS], state)
    assert len(seen.lines) == 4 and state.offset == len(whole)
    fs.pipe_file(key, whole + b'{"v":1,"seq":5,"ts":"x"}\n')
    rest = read_appended(root, root.list_objects()[EVENTS], state)
    assert [line.data for line in rest.lines] == [b'{"v":1,"seq":5,"ts":"x"}']
    assert rest.lines[0].offset == len(whole)


def test_a_rewritten_object_is_read_again_from_its_start(fleet: dict[str, Any]) -> None:
    root, fs = fleet["root"], fleet["fs"]
    key = f"{BUCKET}/host-a/{EVENTS}"
    fs.pipe_file(key, b'{"a":1}\n{"a":2}\n')
    state = FollowState()
    read_appended(root, root.list_objects()[EVENTS], state)
    fs.pipe_file(key, b'{"b":1}\n{"b":2}\n{"b":3}\n')
    again = read_appended(root, root.list_objects()[EVENTS], state)
    assert again.reset and [line.data for line in again.lines][0] == b'{"b":1}'
    fs.pipe_file(key, b'{"c":1}\n')  # shorter: replaced
    shorter = read_appended(root, root.list_objects()[EVENTS], state)
    assert shorter.reset and [line.data for line in shorter.lines] == [b'{"c":1}']


def test_the_end_of_an_object_is_one_ranged_read(fleet: dict[str, Any]) -> None:
    root, counts = fleet["root"], fleet["counts"]
    info = root.list_objects()[EVENTS]
    before = counts.snapshot()
    tail = root.read_last(EVENTS, 40, info.size)
    assert tail == (fleet["local"] / EVENTS).read_bytes()[-40:]
    spent = counts - before
    assert (spent.get, spent.head, spent.get_bytes) == (1, 0, 40)
    assert root.read_range(EVENTS, 0, 0) == b""


def test_a_parquet_tail_reads_the_footer_and_last_row_group_only(fleet: dict[str, Any]) -> None:
    root, counts, fs = fleet["root"], fleet["counts"], fleet["fs"]
    path = fleet["local"] / "events.parquet"
    rows = 40_000
    table = pa.table({"seq": list(range(rows)), "note": [f"row {n:08d} " * 4 for n in range(rows)]})
    pq.write_table(table, path, row_group_size=2_000)
    fs.pipe_file(f"{BUCKET}/host-a/events.parquet", path.read_bytes())
    info = root.list_objects()["events.parquet"]
    before = counts.snapshot()
    tail = read_parquet_tail(root, info, 3)
    assert tail.total_rows == rows
    assert tail.table.column("seq").to_pylist() == [rows - 3, rows - 2, rows - 1]
    spent = counts - before
    assert spent.head == 0 and spent.get <= 4
    assert spent.get_bytes < info.size / 4  # the footer and one of 20 row groups, not the file


def test_an_unreachable_store_backs_off_says_why_and_recovers_without_loss(
    fleet: dict[str, Any], s3_env: S3Server
) -> None:
    root, writer = fleet["root"], fleet["writer"]
    clock = [1000.0]
    poller = RootPoller(root, 5.0, clock=lambda: clock[0])
    assert poller.poll() is not None
    state = FollowState()
    seen = [line.data for line in read_appended(root, poller.listing[EVENTS], state).lines]
    ok_at = poller.health.last_success
    s3_env.stop()
    try:
        clock[0] += 5
        assert poller.poll() is None
        health = poller.health
        assert (health.reachable, health.reason, health.failures) == (False, "unreachable", 1)
        assert health.last_success == ok_at and health.objects == 2
        for hidden in (DUMMY_SECRET, DUMMY_KEY_ID, "127.0.0.1", "Signature", BUCKET):
            assert hidden not in repr(health)
        clock[0] += 5
        assert not poller.due()  # backing off: twice the interval after one failure
        clock[0] += 5
        assert poller.due()
        writer.heartbeat(ts=START + timedelta(minutes=9))  # the runner goes on meanwhile
    finally:
        s3_env.start()
    fs = writer_fs(s3_env)  # moto starts empty: the runner's sync puts everything back
    fs.mkdir(BUCKET)
    sync(fleet)
    changes = poller.poll()
    assert changes is not None and poller.health.reachable and poller.health.reason is None
    assert EVENTS in changes.changed and not changes.added and not changes.removed
    new = [line.data for line in read_appended(root, poller.listing[EVENTS], state).lines]
    assert len(new) == 1 and b'"seq":5' in new[0]
    assert (fleet["local"] / EVENTS).read_bytes().splitlines() == seen + new


def test_a_missing_bucket_is_not_found(s3_env: S3Server) -> None:
    poller = RootPoller(open_root("s3://no-such-bucket/prefix"), 5.0)
    assert poller.poll() is None
    assert poller.health.reason == "not found" and poller.health.reachable is False


def test_a_local_root_answers_the_same_calls(tmp_path: Path) -> None:
    writer = write_run(tmp_path / "live_runs", 2)
    counts = CallCounts()
    root = open_root(str(tmp_path), counts=counts)
    assert isinstance(root, StorageRoot) and not root.remote
    before = root.list_objects()
    assert sorted(before) == ["live_runs/run-a/events.jsonl", "live_runs/run-a/meta.json"]
    state = FollowState()
    assert len(read_appended(root, before[EVENTS], state).lines) == 3
    reads = counts.snapshot()
    assert not compare(before, root.list_objects())
    assert read_appended(root, root.list_objects()[EVENTS], state).lines == []
    assert (counts - reads).get == 0
    writer.heartbeat(ts=START + timedelta(minutes=1))
    after = root.list_objects()
    assert compare(before, after).changed == (EVENTS,)
    assert len(read_appended(root, after[EVENTS], state).lines) == 1
    file_url = open_root(f"file://{tmp_path}")
    assert sorted(file_url.list_objects()) == sorted(after)
    pq.write_table(pa.table({"seq": range(100)}), tmp_path / "x.parquet", row_group_size=10)
    tail = read_parquet_tail(root, root.list_objects()["x.parquet"], 2)
    assert (tail.total_rows, tail.table.column("seq").to_pylist()) == (100, [98, 99])


def test_the_storage_bench_reports_calls_per_poll() -> None:
    from bench.harness import Report
    from bench.storage import run

    report = Report()
    run(20, report)
    idle, appended, parquet, first, mirror_idle, mirror_append = report.rows
    assert idle.value == "1 LIST, 0 HEAD, 0 GET, 0 B" and idle.verdict == "yes"
    assert appended.value.startswith("1 LIST, 0 HEAD, 1 GET")
    assert parquet.value.startswith("0 LIST, 0 HEAD")
    assert first.value.startswith("1 LIST, 0 HEAD, 20 GET") and first.note == "20 files"
    assert mirror_idle.value == "1 LIST, 0 HEAD, 0 GET, 0 B" and mirror_idle.verdict == "yes"
    assert mirror_append.value.startswith("1 LIST, 0 HEAD, 1 GET")
