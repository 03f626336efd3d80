"""Changes seen at once: kernel notifications bring a written run or record to the API,
the paced scan takes over when they cannot, and health says which mode each root is in."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from artifacts import append_events, session_record, write_meta, write_session
from peakwatch.domain.notified import GAP_SECONDS
from peakwatch.settings import Settings, load_settings
from peakwatch.sources import changes
from peakwatch.sources.changes import ChangeWatcher, filesystem_type
from peakwatch.sources.sessions_index import SessionsIndex
from peakwatch.web import create_app

REAL_NOTIFY = changes.RustNotify
DEADLINE = 5.0  # seconds a test waits for what should show within 1 s


def eventually(check: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """The first truthy result of `check`, polled until the deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not seen within {deadline} s: {what}")


def roots_of(client: TestClient) -> dict[str, Any]:
    roots: dict[str, Any] = client.get("/api/health/details").json()["roots"]
    return roots


def wait_for_notify(client: TestClient, *names: str) -> None:
    """Until health says the roots are watched, then past the one full pass that follows."""
    eventually(
        lambda: all(roots_of(client)[n]["changes"] == "notify" for n in names), "notify mode"
    )
    client.get("/runs")
    client.get("/api/live_sessions")


@pytest.fixture
def slow_scan(roots: Path) -> Settings:
    """Settings whose paced scan waits 30 s: only a notification shows a change in time."""
    found = load_settings({"index_max_age_seconds": 30.0}, environ={}, cwd=roots)
    found.runs_dir.mkdir(parents=True)
    found.sessions_dir.mkdir(parents=True)
    return found


@pytest.fixture
def served(slow_scan: Settings) -> Iterator[TestClient]:
    """The app with its lifespan running (so the watcher runs)."""
    with TestClient(create_app(slow_scan), base_url="http://localhost") as client:
        yield client


def session_status(client: TestClient, session_id: str) -> str | None:
    for row in client.get("/api/live_sessions?limit=100").json():
        if row["session_id"] == session_id:
            return str(row["status"])
    return None


def run_strategy(client: TestClient, run_id: str) -> str | None:
    for row in client.get("/runs").json():
        if row["run_id"] == run_id:
            return str(row["strategy_name"])
    return None


def test_a_new_and_a_rewritten_run_show_through_notifications(
    served: TestClient, slow_scan: Settings
) -> None:
    wait_for_notify(served, "runs_dir")
    write_meta(slow_scan.runs_dir / "r1", "r1", strategy_name="first")
    eventually(lambda: run_strategy(served, "r1") == "first", "the new run")
    time.sleep(GAP_SECONDS)
    meta = slow_scan.runs_dir / "r1" / "meta.json"
    record = json.loads(meta.read_text())
    tmp = meta.with_name(".meta.json.tmp")
    tmp.write_text(json.dumps({**record, "strategy_name": "second"}))
    os.replace(tmp, meta)  # an atomic rewrite, as the producer does
    eventually(lambda: run_strategy(served, "r1") == "second", "the rewritten meta")


def test_a_new_and_a_rewritten_session_record_show_through_notifications(
    served: TestClient, slow_scan: Settings
) -> None:
    wait_for_notify(served, "sessions_dir")
    path = write_session(slow_scan.sessions_dir, session_record("s1", status="started"))
    eventually(lambda: session_status(served, "s1") is not None, "the new record")
    time.sleep(GAP_SECONDS)
    path.write_text(json.dumps(session_record("s1", status="completed")))
    eventually(lambda: session_status(served, "s1") == "completed", "the rewritten record")
    path.unlink()
    eventually(lambda: session_status(served, "s1") is None, "the deleted record")


def test_health_says_each_root_is_watched(served: TestClient) -> None:
    wait_for_notify(served, "runs_dir", "sessions_dir")
    roots = roots_of(served)
    assert roots["runs_dir"]["changes_reason"] is None
    assert roots["config_path"] == {**roots["config_path"], "changes": "scan"}
    page = served.get("/status/health").text
    assert page.count('data-root-changes="notify"') == 2


def test_without_the_lifespan_roots_are_scanned_and_say_why(slow_scan: Settings) -> None:
    client = TestClient(create_app(slow_scan), base_url="http://localhost")
    roots = roots_of(client)
    assert roots["runs_dir"]["changes"] == "scan"
    assert roots["runs_dir"]["changes_reason"] == changes.NOT_WATCHED


def test_a_missing_root_is_scanned_until_it_appears(roots: Path) -> None:
    settings = load_settings({"index_max_age_seconds": 0.2}, environ={}, cwd=roots)
    settings.runs_dir.mkdir(parents=True)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        wait_for_notify(client, "runs_dir")
        sessions = roots_of(client)["sessions_dir"]
        assert (sessions["changes"], sessions["changes_reason"]) == ("scan", changes.MISSING)
        write_session(settings.sessions_dir, session_record("s1"))
        eventually(lambda: session_status(client, "s1"), "a record in a folder made later")
        wait_for_notify(client, "sessions_dir")


class RefusingNotify:
    """A notifier the kernel refuses (as when the inotify limits are reached)."""

    def __init__(self, *args: Any) -> None:
        raise OSError("inotify watch limit reached")


def test_a_refused_watch_falls_back_to_the_paced_scan(
    roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "RustNotify", RefusingNotify)
    settings = load_settings({"index_max_age_seconds": 0.2}, environ={}, cwd=roots)
    settings.sessions_dir.mkdir(parents=True)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        eventually(
            lambda: roots_of(client)["sessions_dir"]["changes_reason"] == changes.REFUSED,
            "the refused watch on health",
        )
        assert roots_of(client)["sessions_dir"]["changes"] == "scan"
        write_session(settings.sessions_dir, session_record("s1"))
        eventually(lambda: session_status(client, "s1"), "a record seen by the scan")
        page = client.get("/status/health").text
        assert changes.REFUSED.replace("(", "") in page.replace("(", "")


def test_a_network_filesystem_is_scanned(
    served: TestClient, slow_scan: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        f"40 22 0:50 / {slow_scan.runs_dir} rw - nfs4 server:/runs rw\n"
    )
    assert filesystem_type(slow_scan.runs_dir, mountinfo) == "nfs4"
    assert filesystem_type(slow_scan.sessions_dir, mountinfo) == "ext4"
    monkeypatch.setattr(changes, "filesystem_type", lambda path: filesystem_type(path, mountinfo))
    watcher = ChangeWatcher([slow_scan.runs_dir], lambda paths: None, print, print)
    watcher.start()
    try:
        eventually(lambda: watcher.mode(slow_scan.runs_dir)[1] == changes.NETWORK_FS, "nfs")
    finally:
        watcher.stop()


class DyingNotify:
    """A real notifier whose first instance stops with an error on its first watch."""

    made = 0

    def __init__(self, *args: Any) -> None:
        DyingNotify.made += 1
        self.first = DyingNotify.made == 1
        self.real = REAL_NOTIFY(*args)

    def watch(self, *args: Any) -> Any:
        if self.first:
            raise RuntimeError("error in underlying watcher")
        return self.real.watch(*args)

    def close(self) -> None:
        self.real.close()


def test_a_watcher_that_dies_restarts_and_scan_covers_the_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(changes, "RustNotify", DyingNotify)
    DyingNotify.made = 0
    stopped: list[str | None] = []
    seen: set[Path] = set()
    watcher: ChangeWatcher

    def on_stopped(folders: list[Path]) -> None:
        stopped.append(watcher.mode(tmp_path)[1])

    watcher = ChangeWatcher([tmp_path], seen.update, lambda folders: None, on_stopped)
    watcher.start()
    try:
        eventually(lambda: stopped, "the stop reported")
        assert stopped[0] == changes.STOPPED
        eventually(
            lambda: DyingNotify.made >= 2 and watcher.mode(tmp_path)[0] == "notify", "restart"
        )
        (tmp_path / "new.json").write_text("{}")
        eventually(lambda: tmp_path / "new.json" in seen, "a change after the restart")
    finally:
        watcher.stop()
    assert watcher.mode(tmp_path) == ("scan", changes.NOT_WATCHED)


def test_a_flood_of_appends_refreshes_its_run_a_few_times_only(
    served: TestClient, slow_scan: Settings
) -> None:
    run_dir = slow_scan.runs_dir / "busy"
    write_meta(run_dir, "busy")
    wait_for_notify(served, "runs_dir")
    eventually(lambda: run_strategy(served, "busy"), "the busy run")
    workspace = served.app.state.workspace  # type: ignore[attr-defined]
    calls: list[str] = []
    real = workspace.run_index.refresh_run
    workspace.run_index.refresh_run = lambda name: calls.append(name) or real(name)
    stop = threading.Event()

    def runner() -> None:
        first = 0
        while not stop.is_set():
            append_events(run_dir / "events.jsonl", first, 10)
            first += 10
            time.sleep(0.01)

    writer = threading.Thread(target=runner)
    started = time.monotonic()
    writer.start()
    time.sleep(2.0)
    stop.set()
    writer.join()
    time.sleep(2 * GAP_SECONDS)
    elapsed = time.monotonic() - started
    assert len((run_dir / "events.jsonl").read_text().splitlines()) > 1000
    assert 1 <= calls.count("busy") <= elapsed / GAP_SECONDS + 2


def test_refresh_file_follows_one_record(tmp_path: Path) -> None:
    index = SessionsIndex(tmp_path, "live_sessions")
    path = write_session(tmp_path, session_record("s1", status="started"))
    index.refresh_file(path.name)
    assert [f.record.status for f in index.files() if f.record] == ["started"]
    parsed = index.parse_count
    index.refresh_file(path.name)
    assert index.parse_count == parsed, "an unchanged file is not parsed again"
    path.write_text(json.dumps(session_record("s1", status="completed")))
    index.refresh_file(path.name)
    assert [f.record.status for f in index.files() if f.record] == ["completed"]
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere.json")
    index.refresh_file(path.name)
    assert index.files() == []
    index.refresh_file("../outside.json")
    index.refresh_file(".hidden.json")
    assert index.files() == []


def test_a_link_inside_the_runs_root_is_not_watched_through(tmp_path: Path) -> None:
    root, outside = tmp_path / "runs", tmp_path / "outside"
    (root / "r1").mkdir(parents=True)
    outside.mkdir()
    (root / "link").symlink_to(outside)
    seen: set[Path] = set()
    watcher = ChangeWatcher([root], seen.update, lambda f: None, lambda f: None, nested=[root])
    watcher.start()
    try:
        eventually(lambda: watcher.mode(root)[0] == "notify", "notify mode")
        (outside / "meta.json").write_text("{}")
        (root / "r1" / "meta.json").write_text("{}")
        eventually(lambda: root / "r1" / "meta.json" in seen, "a change in a run folder")
        (root / "r2").mkdir()
        eventually(lambda: root / "r2" in seen, "a new run folder")  # watched from then on
        (root / "r2" / "meta.json").write_text("{}")
        eventually(lambda: root / "r2" / "meta.json" in seen, "a change in a new run folder")
    finally:
        watcher.stop()
    assert not any("outside" in str(p) or p.parent.name == "link" for p in seen)


def test_a_run_folder_made_again_under_its_name_is_watched_again(
    served: TestClient, slow_scan: Settings
) -> None:
    wait_for_notify(served, "runs_dir")
    write_meta(slow_scan.runs_dir / "r1", "r1", strategy_name="first")
    eventually(lambda: run_strategy(served, "r1") == "first", "the new run")
    shutil.rmtree(slow_scan.runs_dir / "r1")
    eventually(lambda: run_strategy(served, "r1") is None, "the removed run")
    write_meta(slow_scan.runs_dir / "r1", "r1", strategy_name="again")
    eventually(lambda: run_strategy(served, "r1") == "again", "the run made again")
    time.sleep(GAP_SECONDS)
    write_meta(slow_scan.runs_dir / "r1", "r1", strategy_name="rewritten")
    eventually(lambda: run_strategy(served, "r1") == "rewritten", "a change in the new folder")
