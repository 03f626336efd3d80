"""A remote root mirrored into a local folder, against a real S3 endpoint (moto's server).

The runner's side puts objects with boto3 (S3 has no append: a longer object is put);
peakwatch's side lists with a `RootPoller` and applies each listing with `RootMirror`,
every storage call counted. The mirror files must equal the objects.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from peakwatch.sources import storage_mirror
from peakwatch.sources.storage import open_root
from peakwatch.sources.storage_counting import CallCounts
from peakwatch.sources.storage_mirror import RootMirror
from peakwatch.sources.storage_poll import RootPoller
from s3_server import DUMMY_KEY_ID, DUMMY_SECRET, S3Server

BUCKET = "mirror"
PREFIX = "host-a"
PARTS = {
    "runs": "live_runs",
    "sessions": "reports/experiments/live_sessions",
    "alerts": "live_runs/alerts",
    "ai_events": "logs/ai/ai_events.jsonl",
    "execution": "logs/execution",
    "exec_events": "out/ops/execution_events",
}
META = "live_runs/run-a/meta.json"
EVENTS = "live_runs/run-a/events.jsonl"
SESSION = "reports/experiments/live_sessions/session-1.json"
AI = "logs/ai/ai_events.jsonl"


def event(seq: int) -> bytes:
    return b'{"v":1,"seq":%d,"ts":"2026-12-01T09:00:%02dZ","kind":"heartbeat"}\n' % (seq, seq % 60)


def events(first: int, last: int) -> bytes:
    return b"".join(event(seq) for seq in range(first, last + 1))


class Fleet:
    """A bucket written by boto3 (the runner's sync) and peakwatch's mirror of it."""

    def __init__(self, server: S3Server, folder: Path) -> None:
        import boto3

        self.s3: Any = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=DUMMY_KEY_ID,
            aws_secret_access_key=DUMMY_SECRET,
            region_name="us-east-1",
        )
        self.counts = CallCounts()
        self.root = open_root(f"s3://{BUCKET}/{PREFIX}", counts=self.counts)
        self.poller = RootPoller(self.root, 0.0)
        self.folder = folder
        self.mirror = RootMirror(self.root, PARTS, folder)

    def reset_bucket(self) -> None:
        found = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if self._has() else []
        for item in found:
            self.s3.delete_object(Bucket=BUCKET, Key=item["Key"])
        if not self._has():
            self.s3.create_bucket(Bucket=BUCKET)

    def _has(self) -> bool:
        names = [bucket["Name"] for bucket in self.s3.list_buckets().get("Buckets", [])]
        return BUCKET in names

    def put(self, name: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}", Body=body)

    def delete(self, name: str) -> None:
        self.s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")

    def body(self, name: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["Body"].read())

    def sync(self, budget: int = storage_mirror.SYNC_BUDGET_BYTES) -> Any:
        """One poll and the sync of its listing; the mirror's changes."""
        assert self.poller.poll() is not None
        return self.mirror.sync(self.poller.listing, budget)

    def local(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()

    def files(self) -> list[str]:
        found = (p for p in self.folder.rglob("*") if p.is_file())
        return sorted(p.relative_to(self.folder).as_posix() for p in found)


@pytest.fixture
def fleet(s3_env: S3Server, tmp_path: Path) -> Fleet:
    folder = tmp_path / "mirror"
    folder.mkdir()
    made = Fleet(s3_env, folder)
    made.reset_bucket()
    made.put(META, b'{"run_id":"run-a","mode":"paper"}\n')
    made.put(EVENTS, events(1, 3))
    made.put(SESSION, b'{"session_id":"session-1","status":"running"}\n')
    made.put(AI, b'{"run_id":"run-a","action":"buy"}\n')
    return made


def parquet_bytes(rows: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"seq": list(range(rows))}), sink, row_group_size=100)
    return sink.getvalue()


def test_a_sync_copies_every_part_byte_for_byte_with_the_objects_mtimes(fleet: Fleet) -> None:
    csv = b"ts,step,equity\r\n2026-12-01T09:00:00Z,1,100.0\r\n"
    fleet.put("live_runs/run-b/events.csv", csv)
    fleet.put("live_runs/run-b/events.parquet", parquet_bytes(1_000))
    fleet.put("live_runs/", b"")  # a folder marker
    fleet.put("elsewhere/notes.txt", b"not a part")
    changes = fleet.sync()
    listing = fleet.poller.listing
    expected = sorted([META, EVENTS, SESSION, AI, "live_runs/run-b/events.csv"])
    expected = sorted([*expected, "live_runs/run-b/events.parquet"])
    assert fleet.files() == expected and sorted(changes.updated) == expected
    for name in expected:
        assert fleet.local(name) == fleet.body(name), name
        assert (fleet.folder / name).stat().st_mtime == pytest.approx(listing[name].mtime)
    table = pq.read_table(fleet.folder / "live_runs/run-b/events.parquet")
    assert table.num_rows == 1_000
    health = fleet.mirror.health
    assert (health.objects, health.bytes_behind, health.skipped_names, health.reason) == (
        6,
        0,
        0,
        None,
    )


def test_an_idle_sync_of_an_unchanged_bucket_reads_nothing(fleet: Fleet) -> None:
    fleet.put(EVENTS, events(1, 3) + b'{"v":1,"seq":4')  # a partial last line waits too
    fleet.sync()
    before = fleet.counts.snapshot()
    for _ in range(3):
        assert not fleet.sync()
    idle = fleet.counts - before
    assert (idle.list, idle.head, idle.get, idle.get_bytes) == (3, 0, 0, 0)


def test_an_append_fetches_only_the_new_bytes_and_appends_them(fleet: Fleet) -> None:
    fleet.sync()
    inode = (fleet.folder / EVENTS).stat().st_ino
    old = len(events(1, 3))
    fleet.put(EVENTS, events(1, 5))
    before = fleet.counts.snapshot()
    changes = fleet.sync()
    spent = fleet.counts - before
    assert changes.updated == (EVENTS,)
    assert fleet.local(EVENTS) == events(1, 5)
    assert (fleet.folder / EVENTS).stat().st_ino == inode  # appended in place, not replaced
    assert spent.get == 1 and spent.get_bytes <= len(events(4, 5)) + 64
    assert fleet.mirror.health.bytes_behind == 0 and old < len(events(1, 5))


def test_a_partial_last_line_is_held_back_until_its_newline(fleet: Fleet) -> None:
    fleet.put(EVENTS, events(1, 3) + b'{"v":1,"seq":4,')
    fleet.sync()
    assert fleet.local(EVENTS) == events(1, 3)
    assert fleet.mirror.health.bytes_behind == len(b'{"v":1,"seq":4,')
    fleet.put(EVENTS, events(1, 4))
    assert fleet.sync().updated == (EVENTS,)
    assert fleet.local(EVENTS) == events(1, 4)


def test_a_rewritten_shorter_object_replaces_the_mirror_file(fleet: Fleet) -> None:
    fleet.sync()
    fleet.put(EVENTS, events(7, 7))
    fleet.put(META, b'{"run_id":"run-a","mode":"paper","status":"done"}\n')
    fleet.sync()
    assert fleet.local(EVENTS) == events(7, 7)
    assert fleet.local(META) == fleet.body(META)
    assert not list(fleet.folder.rglob("*.mirror-tmp"))


def test_a_removed_object_removes_its_file_and_the_folders_left_empty(fleet: Fleet) -> None:
    fleet.sync()
    fleet.delete(EVENTS)
    fleet.delete(META)
    changes = fleet.sync()
    assert sorted(changes.removed) == [EVENTS, META]
    assert not (fleet.folder / "live_runs").exists()
    assert fleet.files() == sorted([AI, SESSION]) and fleet.folder.is_dir()


def test_unsafe_object_names_are_never_written_and_are_counted(fleet: Fleet) -> None:
    outside = fleet.folder.parent
    names = ["live_runs/../../escape.json", "live_runs/a\\b.json", "live_runs/" + "x" * 1100]
    names += ["live_runs/run-a/bell\x07.json", "live_runs/run-a//twice.json"]
    for name in names:
        fleet.put(name, b"{}\n")
    assert set(names) <= set(fleet.root.list_objects())  # the store keeps them verbatim
    fleet.sync()
    assert fleet.files() == sorted([META, EVENTS, SESSION, AI])
    assert not list(outside.rglob("escape.json"))
    assert fleet.mirror.health.skipped_names == len(names)


def test_a_name_that_is_also_a_folder_is_refused(fleet: Fleet) -> None:
    fleet.put("live_runs/run-a", b"{}\n")
    fleet.sync()
    assert (fleet.folder / "live_runs/run-a").is_dir()
    assert fleet.mirror.health.skipped_names == 1


def test_a_global_log_starts_at_a_line_start_of_its_tail(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_mirror, "TAIL_BYTES", 200)
    body = events(1, 20)
    fleet.put(AI, body)
    fleet.put(EVENTS, body)  # a run's events: from byte 0 whatever its size
    fleet.sync()
    tail = fleet.local(AI)
    assert 0 < len(tail) <= 200 and body.endswith(tail)
    assert tail.startswith(b'{"v":1,') and tail.endswith(b"\n")
    assert fleet.local(EVENTS) == body
    fleet.put(AI, body + events(21, 22))
    fleet.sync()
    assert fleet.local(AI) == tail + events(21, 22)


def test_an_object_over_the_cap_is_skipped_and_counted(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet.sync()
    monkeypatch.setattr(storage_mirror, "MAX_OBJECT_BYTES", 1_000)
    fleet.put(META, b'{"pad":"%s"}\n' % (b"x" * 2_000))
    fleet.sync()
    assert not (fleet.folder / META).exists()  # no stale copy shown as current
    assert fleet.mirror.health.too_large == 1 and fleet.local(EVENTS) == events(1, 3)


def test_a_backlog_over_the_budget_comes_over_several_syncs(fleet: Fleet) -> None:
    body = events(1, 2_000)
    fleet.put(EVENTS, body)
    changes = fleet.sync(budget=1)  # one object per sync: the meta first, the log waits
    assert fleet.files() == [META] and changes.pending
    assert fleet.mirror.health.bytes_behind > len(body)
    for _ in range(3):
        changes = fleet.mirror.sync(fleet.poller.listing, budget=1)
    assert fleet.local(EVENTS) == body and not changes.pending
    assert fleet.mirror.health.bytes_behind == 0


def test_an_object_gone_since_the_listing_fails_alone_and_is_removed_next(fleet: Fleet) -> None:
    fleet.sync()
    fleet.put(META, b'{"run_id":"run-a","mode":"paper","status":"done"}\n')
    fleet.put(EVENTS, events(1, 4))
    assert fleet.poller.poll() is not None
    fleet.delete(META)
    changes = fleet.mirror.sync(fleet.poller.listing)
    assert changes.failed == (META,) and changes.updated == (EVENTS,)
    assert fleet.mirror.health.reason == "not found" and fleet.local(EVENTS) == events(1, 4)
    assert fleet.sync().removed == (META,) and fleet.mirror.health.reason is None


def test_a_store_gone_mid_sync_leaves_the_mirror_as_it_was_and_recovers(
    fleet: Fleet, s3_env: S3Server
) -> None:
    fleet.sync()
    fleet.put(EVENTS, events(1, 5))
    fleet.put(META, b'{"run_id":"run-a","mode":"paper","status":"done"}\n')
    assert fleet.poller.poll() is not None  # the listing saw the change ...
    before = {name: fleet.local(name) for name in fleet.files()}
    s3_env.stop()  # ... and the store went away before the reads
    try:
        changes = fleet.mirror.sync(fleet.poller.listing)
        assert changes.failed and not changes and not changes.pending
        assert fleet.mirror.health.reason == "unreachable"
        assert {name: fleet.local(name) for name in fleet.files()} == before
        assert not list(fleet.folder.rglob("*.mirror-tmp"))
        assert fleet.poller.poll() is None and fleet.poller.health.reason == "unreachable"
    finally:
        s3_env.start()
    fleet.reset_bucket()  # moto starts empty: the runner's sync puts everything back
    for name, body in before.items():
        fleet.put(name, body)
    fleet.put(EVENTS, events(1, 6))
    fleet.put(META, b'{"run_id":"run-a","mode":"paper","status":"done"}\n')
    fleet.sync()
    lines = fleet.local(EVENTS).splitlines()
    assert lines == events(1, 6).splitlines() and len(set(lines)) == len(lines)
    assert fleet.local(META) == fleet.body(META)
    assert fleet.mirror.health.reason is None and fleet.mirror.health.failures >= 1


def test_mirror_files_are_private_to_the_user(fleet: Fleet) -> None:
    fleet.sync()
    assert os.stat(fleet.folder / EVENTS).st_mode & 0o077 == 0
    assert os.stat(fleet.folder / "live_runs/run-a").st_mode & 0o077 == 0
