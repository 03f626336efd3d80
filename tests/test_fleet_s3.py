"""A fleet of three roots, one local and two in buckets of a real S3 endpoint (moto's
server), served while the runners keep writing and syncing, and while the store goes away
and comes back."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import running_server
from peakwatch.producer.run_writer import RunWriter
from peakwatch.settings import load_settings
from s3_server import DUMMY_KEY_ID, DUMMY_SECRET, S3Server, upload_tree, writer_fs

BUCKET = "fleet"
POLL = 0.2


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_run(runs_dir: Path, run_id: str) -> RunWriter:
    run = RunWriter(
        runs_dir, run_id, mode="paper", strategy_name="fleet", symbol="BTC/EUR", timeframe="1m"
    ).start()
    run.decision("buy", rationale="first look", confidence=0.6)
    run.position(1.0, 10_000.0)
    return run


def feed_ids(base: str, root: str) -> list[str]:
    body = httpx.get(f"{base}/api/activity", params={"root": root, "limit": 500}).json()
    return [item["id"] for item in body["items"]]


def rows(base: str) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in httpx.get(f"{base}/api/roots").json()["roots"]}


@pytest.fixture
def fleet_roots(s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # mirror folders under tmp_path
    fs = writer_fs(s3_env)
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    stage = tmp_path / "stage"  # the remote runners' own disks, synced to the bucket
    writers = {name: start_run(stage / name / "live_runs", f"{name}_run") for name in ("b", "c")}
    for name in writers:
        upload_tree(fs, stage / name, f"s3://{BUCKET}/host-{name}")
    local = start_run(tmp_path / "lab" / "live_runs", "lab_run")
    roots = [
        {"name": "lab", "location": "lab"},
        {"name": "host-b", "location": f"s3://{BUCKET}/host-b", "poll_seconds": POLL},
        {"name": "host-c", "location": f"s3://{BUCKET}/host-c", "poll_seconds": POLL},
    ]
    settings = load_settings(
        {"roots": roots, "index_max_age_seconds": 0.0, "poll_interval_seconds": 0.1},
        environ={},
        cwd=tmp_path,
    )
    return settings, fs, stage, writers, local


def test_a_fleet_on_s3_is_listed_followed_and_survives_the_store_going_away(
    fleet_roots: Any, s3_env: S3Server, caplog: pytest.LogCaptureFixture
) -> None:
    settings, fs, stage, writers, local = fleet_roots
    with running_server(settings) as base:
        found = wait_for(
            "both buckets mirrored",
            lambda: (
                (r := rows(base))["host-b"]["runs"]["active"] == 1
                and r["host-c"]["runs"]["active"] == 1
                and r
            ),
        )
        assert found["lab"]["runs"]["active"] == 1 and found["lab"]["poll"] is None
        assert found["host-b"]["remote"] and found["host-b"]["reachable"] is True
        assert found["host-b"]["poll"]["reason"] is None
        assert found["host-b"]["active_equity"] == 10_000.0
        runs = httpx.get(f"{base}/runs").json()
        assert sorted((r["root"], r["run_id"]) for r in runs) == [
            ("host-b", "b_run"),
            ("host-c", "c_run"),
            ("lab", "lab_run"),
        ]
        tail = httpx.get(f"{base}/roots/host-b/runs/b_run/tail").json()
        assert tail and tail[-1]["equity"] == 10_000.0

        # The runner writes on and syncs: the append shows in the tail, the feed and the stream.
        before = feed_ids(base, "host-b")
        stream_url = f"{base}/roots/host-b/api/stream"
        with httpx.stream("GET", stream_url, timeout=10) as stream:
            lines = stream.iter_lines()
            writers["b"].position(1.0, 10_400.0, realized_pnl=400.0)
            upload_tree(fs, stage / "b", f"s3://{BUCKET}/host-b")
            seen: list[str] = []

            def next_line() -> bool:
                seen.append(next(lines))
                return "10400" in seen[-1] or "10,400" in seen[-1]

            wait_for("the appended step on the stream", next_line, 10)
        wait_for(
            "the appended step in the tail",
            lambda: (
                httpx.get(f"{base}/roots/host-b/runs/b_run/tail").json()[-1]["equity"] == 10_400.0
            ),
        )
        after = wait_for("the feed item", lambda: (f := feed_ids(base, "host-b")) != before and f)
        assert len(after) == len(before) + 1 and after[1:] == before

        # The store goes away: the roots turn unreachable and say why; lab is untouched.
        s3_env.stop()
        down = wait_for(
            "host-b unreachable", lambda: (r := rows(base))["host-b"]["reachable"] is False and r
        )
        assert down["host-b"]["poll"]["reason"] == "unreachable"
        assert down["host-b"]["runs"]["active"] == 1  # the last good copy is still shown
        assert down["lab"]["reachable"] is True
        remote_health = httpx.get(f"{base}/roots/host-b/api/health/details").json()["remote"]
        assert remote_health["reachable"] is False and remote_health["reason"] == "unreachable"
        assert remote_health["location"] == f"s3://{BUCKET}/host-b"
        assert "unreachable" in httpx.get(f"{base}/roots/host-b/status/health").text
        page = httpx.get(f"{base}/").text
        assert "unreachable" in page

        # It comes back (its sync puts the data back): recovered, nothing lost or doubled.
        s3_env.start()
        if not fs.exists(BUCKET):
            fs.invalidate_cache()
            fs.mkdir(BUCKET)
        for name in writers:
            upload_tree(fs, stage / name, f"s3://{BUCKET}/host-{name}")
        wait_for("host-b reachable again", lambda: rows(base)["host-b"]["reachable"], 30)
        writers["b"].position(1.0, 10_500.0, realized_pnl=500.0)
        upload_tree(fs, stage / "b", f"s3://{BUCKET}/host-b")
        final = wait_for(
            "the step after the outage",
            lambda: (f := feed_ids(base, "host-b")) and len(f) == len(after) + 1 and f,
        )
        assert final[1:] == after and len(set(final)) == len(final)

        details = httpx.get(f"{base}/roots/host-b/api/health/details").json()
        assert details["roots"]["runs_dir"]["path"] == f"s3://{BUCKET}/host-b/live_runs"
        assert "peakwatch-mirror-" not in str(details)  # the private copy is not shown

        # No credential anywhere a user can see.
        paths = ("/", "/api/roots", "/metrics", "/roots/host-b/", "/roots/host-b/status/health")
        for path in (*paths, "/roots/host-b/api/health/details", "/roots/host-b/metrics"):
            text = httpx.get(base + path).text
            assert DUMMY_SECRET not in text and DUMMY_KEY_ID not in text, path
    assert DUMMY_SECRET not in caplog.text and DUMMY_KEY_ID not in caplog.text
