"""The v0 runs API over native JSONL, Peak_Trade Parquet and CSV runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import (
    T0,
    native_bar_events,
    native_event,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
)


@pytest.fixture
def runs_root(roots: Path) -> Path:
    root = roots / "live_runs"
    root.mkdir()
    return root


def make_native(runs_root: Path, run_id: str = "native_run", bars: int = 10) -> Path:
    run_dir = runs_root / run_id
    write_meta(run_dir, run_id)
    write_jsonl(run_dir / "events.jsonl", native_bar_events(bars))
    return run_dir


def test_health_is_exactly_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_runs_list_is_empty_without_runs_folder(client: TestClient) -> None:
    assert client.get("/runs").json() == []


def test_runs_list_follows_time_and_new_runs_while_its_body_is_reused(
    client: TestClient, runs_root: Path
) -> None:
    """The rendered list is reused only while the runs and their statuses are the same."""
    make_native(runs_root, bars=3)  # last event 12:00:02, not ended

    def statuses(as_of: str) -> dict[str, str]:
        return {r["run_id"]: r["status"] for r in client.get(f"/runs?as_of={as_of}").json()}

    assert statuses("2026-01-01T12:01:00Z") == {"native_run": "active"}
    assert statuses("2026-01-01T13:00:00Z") == {"native_run": "stale"}
    assert statuses("2026-01-01T12:01:00Z") == {"native_run": "active"}
    write_meta(runs_root / "done", "done", ended_at="2026-01-01T12:30:00Z")
    assert statuses("2026-01-01T12:01:00Z") == {"native_run": "active", "done": "completed"}
    limited = client.get("/runs?as_of=2026-01-01T12:01:00Z&limit=1").json()
    assert len(limited) == 1


def test_native_run_snapshot_totals_over_whole_run(client: TestClient, runs_root: Path) -> None:
    make_native(runs_root, bars=12)
    snap = client.get("/runs/native_run/snapshot").json()
    assert snap["total_steps"] == 12
    assert snap["total_orders"] == 12
    assert snap["total_blocked_orders"] == 3  # bars 3, 7, 11
    assert snap["strategy_name"] == "ma_crossover"
    assert snap["last_event_time"] == "2026-01-01T12:00:11Z"
    assert snap["realized_pnl"] == 11.0
    assert snap["equity"] is not None and snap["drawdown"] <= 0


def test_snapshot_totals_grow_incrementally(client: TestClient, runs_root: Path) -> None:
    run_dir = make_native(runs_root, bars=4)
    assert client.get("/runs/native_run/snapshot").json()["total_steps"] == 4
    more = native_bar_events(3, start=T0 + timedelta(seconds=4), first_seq=100)
    write_jsonl(run_dir / "events.jsonl", more, mode="a")
    assert client.get("/runs/native_run/snapshot").json()["total_steps"] == 7


def test_native_tail_is_oldest_first_with_v0_fields(client: TestClient, runs_root: Path) -> None:
    make_native(runs_root, bars=10)
    rows = client.get("/runs/native_run/tail?limit=3").json()
    assert [r["ts_bar"] for r in rows] == [
        "2026-01-01T12:00:07Z",
        "2026-01-01T12:00:08Z",
        "2026-01-01T12:00:09Z",
    ]
    assert set(rows[0]) >= {
        "ts_bar",
        "equity",
        "realized_pnl",
        "unrealized_pnl",
        "position_size",
        "orders_count",
        "risk_allowed",
        "risk_reasons",
    }
    assert rows[0]["risk_allowed"] is False and rows[0]["risk_reasons"] == "max_position"
    assert rows[1]["risk_allowed"] is True and rows[1]["orders_count"] == 1


def test_meta_only_run_answers_with_zeros(client: TestClient, runs_root: Path) -> None:
    write_meta(runs_root / "meta_only", "meta_only")
    snap = client.get("/runs/meta_only/snapshot")
    assert snap.status_code == 200
    body = snap.json()
    assert (body["total_steps"], body["total_orders"], body["total_blocked_orders"]) == (0, 0, 0)
    assert body["equity"] is None and body["last_event_time"] is None
    assert client.get("/runs/meta_only/tail").json() == []
    assert client.get("/runs/meta_only/alerts").json() == []
    listed = client.get("/runs").json()
    assert [r["run_id"] for r in listed] == ["meta_only"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_peak_trade_runs_with_nan_and_naive_times(
    client: TestClient, runs_root: Path, fmt: str
) -> None:
    run_dir = runs_root / f"{fmt}_run"
    write_meta(run_dir, f"{fmt}_run", started_at="2026-01-01T12:00:00")
    rows = step_rows(120, blocked_every=10)
    (write_csv_events if fmt == "csv" else write_parquet_events)(run_dir, rows)
    snap = client.get(f"/runs/{fmt}_run/snapshot")
    assert snap.status_code == 200
    body = snap.json()
    assert body["total_steps"] == 120
    assert body["total_orders"] == 120
    assert body["total_blocked_orders"] == 12
    assert body["last_event_time"] == "2026-01-01T13:59:00Z"
    tail = client.get(f"/runs/{fmt}_run/tail?limit=5").json()
    assert [r["step"] for r in tail] == [115, 116, 117, 118, 119]
    assert tail[4]["equity"] is None  # NaN became null
    assert tail[0]["risk_reasons"] == ""  # empty string, not NaN
    assert tail[0]["ts_bar"] == "2026-01-01T13:55:00Z"  # naive read as UTC
    assert client.get(f"/runs/{fmt}_run/tail?limit=500").status_code == 200


def test_runs_are_newest_activity_first_with_status(client: TestClient, runs_root: Path) -> None:
    now = datetime.now(UTC)
    old = runs_root / "old_done"
    write_meta(old, "old_done", ended_at="2026-01-01T13:00:00Z")
    write_jsonl(old / "events.jsonl", native_bar_events(2))
    live = runs_root / "live_one"
    write_meta(live, "live_one", started_at=now.isoformat())
    write_jsonl(live / "events.jsonl", native_bar_events(2, start=now - timedelta(seconds=5)))
    silent = runs_root / "silent"
    write_meta(silent, "silent", started_at=(now - timedelta(hours=2)).isoformat())
    write_jsonl(silent / "events.jsonl", native_bar_events(2, start=now - timedelta(hours=2)))
    listed = client.get("/runs").json()
    assert [(r["run_id"], r["status"], r["is_active"]) for r in listed] == [
        ("live_one", "active", True),
        ("silent", "stale", False),
        ("old_done", "completed", False),
    ]
    assert [r["run_id"] for r in client.get("/runs?status=stale").json()] == ["silent"]
    assert [r["run_id"] for r in client.get("/runs?limit=1").json()] == ["live_one"]


def test_run_alerts_newest_first(client: TestClient, runs_root: Path) -> None:
    run_dir = make_native(runs_root)
    alerts = [
        {
            "rule_id": f"r{i}",
            "severity": "warning",
            "message": f"m{i}",
            "run_id": "native_run",
            "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
        }
        for i in range(30)
    ]
    write_jsonl(run_dir / "alerts.jsonl", alerts)
    found = client.get("/runs/native_run/alerts").json()
    assert len(found) == 20
    assert found[0]["rule_id"] == "r29" and found[-1]["rule_id"] == "r10"
    assert len(client.get("/runs/native_run/alerts?limit=100").json()) == 30


@pytest.mark.parametrize(
    "url",
    [
        "/runs/native_run/tail?limit=0",
        "/runs/native_run/tail?limit=501",
        "/runs/native_run/tail?limit=abc",
        "/runs/native_run/alerts?limit=0",
        "/runs/native_run/alerts?limit=101",
    ],
)
def test_out_of_range_limits_are_422(client: TestClient, runs_root: Path, url: str) -> None:
    make_native(runs_root)
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize(
    "run_id", ["nope", "%2E%2E", ".hidden", "a%2Fb", "%2Fetc%2Fpasswd", "a%5Cb"]
)
@pytest.mark.parametrize("endpoint", ["snapshot", "tail", "alerts"])
def test_unknown_or_malformed_ids_are_404(
    client: TestClient, runs_root: Path, run_id: str, endpoint: str
) -> None:
    make_native(runs_root)
    (runs_root.parent / "meta.json").write_text(json.dumps({"run_id": "parent"}))
    response = client.get(f"/runs/{run_id}/{endpoint}")
    assert response.status_code == 404
    assert response.json() == {"detail": "run not found"}


def test_symlink_leaving_the_root_is_not_a_run(
    client: TestClient, runs_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside_run"
    write_meta(outside, "outside_run")
    (runs_root / "escape").symlink_to(outside, target_is_directory=True)
    assert client.get("/runs/escape/snapshot").status_code == 404
    assert client.get("/runs").json() == []


def test_corrupt_meta_is_reported_and_others_still_served(
    client: TestClient, runs_root: Path
) -> None:
    make_native(runs_root)
    bad = runs_root / "broken"
    bad.mkdir()
    (bad / "meta.json").write_text('{"run_id": "broken", "started_at": ')
    listed = {r["run_id"]: r for r in client.get("/runs").json()}
    assert listed["native_run"]["status"] == "completed" or listed["native_run"]["status"]
    assert listed["broken"]["status"] == "unknown"
    assert listed["broken"]["problems"][0]["file"] == "live_runs/broken/meta.json"
    assert "JSON" in listed["broken"]["problems"][0]["reason"]


def test_tail_shows_an_append_right_after_a_served_tail(
    client: TestClient, runs_root: Path
) -> None:
    """A tail body is reused only while the events file is unchanged."""
    run_dir = make_native(runs_root, bars=3)
    first = client.get("/runs/native_run/tail?limit=10").json()
    assert len(first) == 3
    assert client.get("/runs/native_run/tail?limit=10").json() == first
    more = native_bar_events(2, start=T0 + timedelta(seconds=3), first_seq=19)
    write_jsonl(run_dir / "events.jsonl", more, mode="a")
    after = client.get("/runs/native_run/tail?limit=10").json()
    assert len(after) == 5 and after[:3] == first
    assert after[-1]["ts_bar"] == "2026-01-01T12:00:04Z"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tail_shows_a_rewritten_peak_trade_file(
    client: TestClient, runs_root: Path, fmt: str
) -> None:
    run_dir = runs_root / f"{fmt}_run"
    write_meta(run_dir, f"{fmt}_run")
    writer = write_csv_events if fmt == "csv" else write_parquet_events
    writer(run_dir, step_rows(5))
    assert len(client.get(f"/runs/{fmt}_run/tail?limit=50").json()) == 5
    writer(run_dir, step_rows(8))
    assert [r["step"] for r in client.get(f"/runs/{fmt}_run/tail?limit=50").json()] == list(
        range(8)
    )


def test_tail_finds_its_steps_among_many_events_per_step(
    client: TestClient, runs_root: Path
) -> None:
    """Steps with far more events than usual: the tail reads further back until it has them."""
    events = []
    for index, event in enumerate(native_bar_events(40)):
        events.append({**event, "seq": index * 30})
        for extra in range(1, 25):  # chatter between the bar's events
            chatter = native_event(index * 30 + extra, "note", T0, msg="thinking")
            events.append(chatter)
    run_dir = runs_root / "chatty"
    write_meta(run_dir, "chatty")
    write_jsonl(run_dir / "events.jsonl", events)
    rows = client.get("/runs/chatty/tail?limit=30").json()
    assert len(rows) == 30
    assert rows[0]["ts_bar"] == "2026-01-01T12:00:10Z"
    assert rows[-1]["ts_bar"] == "2026-01-01T12:00:39Z"


def test_tail_of_a_removed_run_is_not_served_from_cache(
    client: TestClient, runs_root: Path
) -> None:
    run_dir = make_native(runs_root, bars=2)
    assert client.get("/runs/native_run/tail").status_code == 200
    for child in run_dir.iterdir():
        child.unlink()
    run_dir.rmdir()
    response = client.get("/runs/native_run/tail")
    assert response.status_code == 404
    assert response.json() == {"detail": "run not found"}


def test_tail_of_a_run_whose_meta_went_is_not_served_from_cache(
    client: TestClient, runs_root: Path
) -> None:
    """Without meta.json a folder is no run, even though its events file is unchanged."""
    run_dir = make_native(runs_root, bars=2)
    assert client.get("/runs/native_run/tail").status_code == 200
    (run_dir / "meta.json").unlink()
    assert client.get("/runs/native_run/tail").status_code == 404


def test_whole_run_totals_are_the_same_when_read_in_small_chunks(
    client: TestClient, runs_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger reads a big backlog in bounded chunks; the totals must not depend on it."""
    from peakwatch.domain import ledger

    monkeypatch.setattr(ledger, "CHUNK_BYTES", 300)  # a few lines per chunk
    make_native(runs_root, bars=12)
    snap = client.get("/runs/native_run/snapshot").json()
    assert (snap["total_steps"], snap["total_orders"], snap["total_blocked_orders"]) == (12, 12, 3)
    assert snap["realized_pnl"] == 11.0
    assert snap["last_event_time"] == "2026-01-01T12:00:11Z"
