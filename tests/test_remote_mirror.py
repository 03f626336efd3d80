"""A remote root followed into a private folder by `MirrorFollower`, against moto's S3 server:
the folder is the user's alone, holds each part where `paths` says, follows changes on its
thread (which outlives a failing callback) and is gone after `stop()`."""

from __future__ import annotations

import stat
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from artifacts import native_bar_events, write_jsonl, write_meta
from peakwatch.domain.remote_mirror import MirrorFollower
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import DEFAULT_ROOTS, RootSpec
from peakwatch.sources import storage_mirror
from peakwatch.sources.storage import LocationError
from peakwatch.sources.storage_counting import CallCounts
from s3_server import DUMMY_KEY_ID, DUMMY_SECRET, S3Server, upload_tree, writer_fs
from worlds import settings_for

BUCKET = "follow"
EVENTS = "live_runs/run-a/events.jsonl"
LINE = b'{"v":1,"seq":%d,"ts":"2026-12-01T09:00:00Z","kind":"heartbeat"}\n'


@pytest.fixture
def store(s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A bucket with one run and one session; mirror folders are made under tmp_path."""
    import boto3

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_env.endpoint,
        aws_access_key_id=DUMMY_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET,
        region_name="us-east-1",
    )
    names = [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])]
    if BUCKET not in names:
        s3.create_bucket(Bucket=BUCKET)
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.put_object(Bucket=BUCKET, Key=f"host-a/{EVENTS}", Body=LINE % 1)
    s3.put_object(Bucket=BUCKET, Key="host-a/live_runs/run-a/meta.json", Body=b"{}\n")
    s3.put_object(
        Bucket=BUCKET, Key="host-a/reports/experiments/live_sessions/s-1.json", Body=b"{}\n"
    )
    return s3


def spec(poll_seconds: float = 0.05) -> RootSpec:
    return RootSpec("host-a", f"s3://{BUCKET}/host-a", poll_seconds=poll_seconds)


def test_a_follower_mirrors_each_part_into_a_private_folder_removed_on_stop(
    store: Any, tmp_path: Path
) -> None:
    follower = MirrorFollower(spec())
    try:
        assert follower.folder.parent == tmp_path
        assert stat.S_IMODE(follower.folder.stat().st_mode) == 0o700
        assert follower.sync_now()
        paths = follower.paths
        assert set(paths) == set(DEFAULT_ROOTS)
        assert (paths["runs_dir"] / "run-a/events.jsonl").read_bytes() == LINE % 1
        assert (paths["sessions_dir"] / "s-1.json").is_file()
        assert paths["alerts_dir"] == paths["runs_dir"] / "alerts"
        assert paths["ai_events_path"] == follower.folder / "logs/ai/ai_events.jsonl"
        assert all(follower.folder in path.parents for path in paths.values())
        health = follower.health
        assert health.root.reachable and health.root.objects == 3
        assert (health.mirror.objects, health.mirror.bytes_behind, health.errors) == (3, 0, 0)
        assert not follower.sync_now()  # nothing changed
    finally:
        follower.stop()
    assert not follower.folder.exists()
    assert not follower.sync_now()


def test_the_thread_follows_changes_and_outlives_a_failing_callback(
    store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    first, second = threading.Event(), threading.Event()

    def on_change() -> None:
        calls.append(1)
        if len(calls) == 1:
            first.set()
            raise RuntimeError("a callback that fails")
        second.set()

    follower = MirrorFollower(spec(), on_change=on_change)
    follower.start()
    try:
        assert first.wait(20)
        store.put_object(Bucket=BUCKET, Key=f"host-a/{EVENTS}", Body=LINE % 1 + LINE % 2)
        assert second.wait(20)
        assert (follower.paths["runs_dir"] / "run-a/events.jsonl").read_bytes() == (
            LINE % 1 + LINE % 2
        )
        assert follower.health.errors == 1
        assert "mirror of root host-a: a sync failed" in caplog.text
        assert "a callback that fails" not in caplog.text  # never the exception's text
    finally:
        follower.stop()
    assert not follower.folder.exists()


def test_a_backlog_over_the_budget_is_caught_up_without_waiting_for_a_poll(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_mirror, "SYNC_BUDGET_BYTES", 1)  # one object per sync
    done = threading.Event()
    counts = CallCounts()
    made: list[MirrorFollower] = []

    def on_change() -> None:
        if made[0].health.mirror.objects == 3:
            done.set()

    follower = MirrorFollower(spec(poll_seconds=3600.0), counts=counts, on_change=on_change)
    made.append(follower)
    follower.start()
    try:
        assert done.wait(20)
        assert counts.list == 1  # one listing, three syncs of it
        assert (follower.paths["runs_dir"] / "run-a/events.jsonl").read_bytes() == LINE % 1
    finally:
        follower.stop()


def test_secret_looking_variables_refuse_before_any_folder_is_made(
    s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    environ = {"AWS_SECRET_ACCESS_KEY": "x" * 40}
    with pytest.raises(LocationError):
        MirrorFollower(spec(), environ=environ)
    assert not list(tmp_path.glob("peakwatch-mirror-*"))
    with pytest.raises(ValueError):
        MirrorFollower(RootSpec("lab", str(tmp_path)))


def test_the_unchanged_local_readers_serve_the_mirror_and_follow_its_appends(
    store: Any, s3_env: S3Server, tmp_path: Path
) -> None:
    runner = tmp_path / "runner"
    events = runner / "live_runs/run-b/events.jsonl"
    write_meta(runner / "live_runs/run-b", "run-b")
    write_jsonl(events, native_bar_events(3))
    fs = writer_fs(s3_env)
    upload_tree(fs, runner, f"s3://{BUCKET}/host-a")
    follower = MirrorFollower(spec())
    try:
        follower.sync_now()
        settings = replace(settings_for(tmp_path / "unused"), **follower.paths)
        workspace = Workspace(settings)
        workspace.refresh(force=True)
        run = workspace.runs.find("run-b")
        assert run is not None and workspace.runs.ledger(run)["total_steps"] == 3
        mirrored = follower.paths["runs_dir"] / "run-b/events.jsonl"
        inode = mirrored.stat().st_ino
        write_jsonl(events, native_bar_events(2, first_seq=100), mode="a")
        upload_tree(fs, runner, f"s3://{BUCKET}/host-a")
        assert follower.sync_now()
        workspace.refresh(force=True)
        run = workspace.runs.find("run-b")
        assert run is not None and workspace.runs.ledger(run)["total_steps"] == 5
        assert mirrored.stat().st_ino == inode and mirrored.read_bytes() == events.read_bytes()
    finally:
        follower.stop()
