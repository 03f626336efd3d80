"""The sessions index keeps a compact summary per record; the detail reads the file again."""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, iso, session_record, write_session
from peakwatch.domain.session_queries import Sessions
from peakwatch.domain.sessions import DETAIL_FIELDS
from peakwatch.settings import Settings
from peakwatch.sources.sessions_index import SessionsIndex

LIST_ONLY = ("record", "file", *DETAIL_FIELDS)


@pytest.fixture
def registry(roots: Path) -> Path:
    path = roots / "reports" / "experiments" / "live_sessions"
    path.mkdir(parents=True)
    return path


def every_kind(registry: Path) -> None:
    """Records with every field kind the list view reads, and one unreadable file."""
    now = datetime.now(UTC)
    write_session(
        registry,
        session_record(
            "failed",
            started=T0,
            status="failed",
            error="boom\n  api_key=SHOULD_NOT_LEAK\tat line 3",
            config={"notes": "not shown: the error wins"},
        ),
    )
    write_session(
        registry,
        session_record(
            "risky",
            started=T0 + timedelta(hours=1),
            metrics={
                "risk_check": {"severity": "WARNING"},
                "realized_pnl": " 3.25 ",
                "max_drawdown": "NaN",
                "num_orders": "7",
            },
            config={"notes": ""},
        ),
    )
    write_session(
        registry,
        session_record(
            "red",
            started=T0 + timedelta(hours=2),
            mode="shadow",
            metrics={
                "risk_severity": "breach",
                "risk_status": "GREEN",
                "realized_pnl": -1.5,
                "max_drawdown": -0.25,
                "num_orders": "many",
            },
        ),
    )
    write_session(
        registry,
        session_record(
            "live",
            started=now - timedelta(minutes=5),
            status="started",
            mode="LIVE",
            env_name=None,
            symbol="ETH/EUR",
            run_id="run_7",
            heartbeat_at=iso(now),
            config={"notes": "hello", "token": "SHOULD_NOT_LEAK"},
        ),
    )
    write_session(
        registry,
        session_record(
            "silent", started=T0 + timedelta(hours=3), status="started", heartbeat_at=iso(T0)
        ),
    )
    (registry / "20260301T000000_live_session_paper_broken.json").write_text('{"session_id": ')


def test_list_stats_and_detail_answer_from_the_summary_as_from_the_whole_record(
    client: TestClient, registry: Path
) -> None:
    every_kind(registry)
    listed = {s["session_id"]: s for s in client.get("/api/live_sessions").json()}
    assert list(listed) == ["live", "silent", "red", "risky", "failed"]
    assert listed["failed"] == {
        "session_id": "failed",
        "run_id": None,
        "started_at": "2026-01-01T12:00:00Z",
        "ended_at": "2026-01-01T13:00:00Z",
        "mode": "paper",
        "environment": "kraken_testnet / BTC/EUR",
        "status": "failed",
        "registry_status": "failed",
        "realized_pnl": 12.5,
        "max_drawdown": -0.02,
        "num_orders": 4,
        "duration_seconds": 3600.0,
        "is_live_warning": False,
        "risk_status": "green",
        "risk_severity": "ok",
        "notes": "boom api_key=[redacted] at line 3",
        "error": "boom api_key=[redacted] at line 3",
        "last_seen_at": listed["failed"]["last_seen_at"],  # the file's mtime
        "last_seen_source": "file_mtime",
    }
    risky = listed["risky"]
    assert (risky["risk_severity"], risky["risk_status"], risky["notes"]) == (
        "warning",
        "yellow",
        None,
    )
    assert (risky["realized_pnl"], risky["max_drawdown"], risky["num_orders"]) == (3.25, None, 7)
    red = listed["red"]
    assert (red["risk_severity"], red["risk_status"], red["num_orders"]) == (
        "breach",
        "green",
        None,
    )
    live = listed["live"]
    assert (live["status"], live["is_live_warning"], live["environment"]) == (
        "started",
        True,
        "ETH/EUR",
    )
    assert (live["notes"], live["last_seen_source"], live["run_id"]) == (
        "hello",
        "heartbeat",
        "run_7",
    )
    assert listed["silent"]["status"] == "stale"

    stats = client.get("/api/live_sessions/stats").json()
    assert stats["by_status"] == {"completed": 2, "failed": 1, "stale": 1, "started": 1}
    assert stats["by_mode"] == {"live": 1, "paper": 3, "shadow": 1}
    assert (stats["total_sessions"], stats["unreadable_files"]) == (5, 1)
    assert stats["total_realized_pnl"] == round(12.5 + 3.25 - 1.5 + 12.5 + 12.5, 10)
    assert stats["avg_drawdown"] == round((-0.02 - 0.25 - 0.02 - 0.02) / 4, 10)

    for session_id, view in listed.items():
        detail = client.get(f"/api/live_sessions/{session_id}").json()
        if view["ended_at"] is None:  # a running session's duration counts up to now
            del detail["duration_seconds"], view["duration_seconds"]
        assert {k: v for k, v in detail.items() if k not in LIST_ONLY} == view
        assert detail["record"]["session_id"] == session_id
        assert "SHOULD_NOT_LEAK" not in json.dumps(detail)
    assert client.get("/api/live_sessions/live").json()["config"]["notes"] == "hello"
    assert client.get("/api/live_sessions/risky").json()["metrics"]["num_orders"] == "7"


def sessions_over(settings: Settings, registry: Path) -> tuple[SessionsIndex, Sessions]:
    """The domain's sessions over an index that is refreshed only when the test says so."""
    index = SessionsIndex(registry, "live_sessions")
    index.refresh()
    return index, Sessions(settings, index, lambda: None, lambda _: None)


def test_a_detail_reads_its_file_again_and_is_404_once_it_is_gone(
    settings: Settings, registry: Path, client: TestClient
) -> None:
    path = write_session(registry, session_record("one", config={"notes": "first"}))
    index, sessions = sessions_over(settings, registry)
    as_of = datetime.now(UTC)
    record = session_record("one", config={"notes": "second"}, metrics={"num_orders": 9})
    path.write_text(json.dumps(record))  # rewritten after the index read it
    found = sessions.find("one", as_of)
    assert found is not None
    assert (found["notes"], found["num_orders"], found["config"]["notes"]) == (
        "second",
        9,
        "second",
    )
    path.write_text(json.dumps(session_record("other")))  # now another session's file
    assert sessions.find("one", as_of) is None
    path.write_text('{"session_id": "one", ')  # torn
    assert sessions.find("one", as_of) is None
    path.unlink()
    assert sessions.find("one", as_of) is None
    assert len(index.files()) == 1  # the index itself changes only on its refresh
    write_session(registry, session_record("two"))
    assert client.get("/api/live_sessions/two").status_code == 200
    next(registry.glob("*_two.json")).write_text("{")
    gone = client.get("/api/live_sessions/two")
    assert gone.status_code == 404 and gone.json() == {"detail": "session not found"}


def test_the_index_keeps_a_summary_not_the_whole_record(registry: Path) -> None:
    write_session(registry, session_record("one"))
    index = SessionsIndex(registry, "live_sessions")
    index.refresh()
    summary = index.files()[0].record
    assert summary is not None and summary.session_id == "one"
    for whole in ("config", "metrics", "cli_args", "created_at", "run_type", "strategy_tier"):
        assert not hasattr(summary, whole)
    assert not hasattr(summary, "__dict__")  # slots: no room for more


def test_the_index_holds_less_than_1_kb_per_record(tmp_path: Path) -> None:
    registry = tmp_path / "live_sessions"
    count = 5_000
    for i in range(count):
        started = T0 + timedelta(seconds=30 * i)
        record = session_record(f"session_{i:07d}", started=started, run_id=f"run_{i % 50}")
        record["config"] = {**record["config"], "params": {"fast": 10 + i % 7, "slow": 50}}
        write_session(registry, record)
    index = SessionsIndex(registry, "live_sessions")
    gc.collect()
    tracemalloc.start()
    try:
        index.refresh()
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(index) == count
    assert held / count < 1024, f"{held / count:.0f} bytes per record"
