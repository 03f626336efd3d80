"""Sessions registry API: Peak_Trade shape, staleness, filters before limit, bad files."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, session_record, write_session


@pytest.fixture
def registry(roots: Path) -> Path:
    path = roots / "reports" / "experiments" / "live_sessions"
    path.mkdir(parents=True)
    return path


def test_large_registry_mixed_timestamps_and_corrupt_files(
    client: TestClient, registry: Path
) -> None:
    for i in range(10_000):
        started = T0 + timedelta(minutes=i)
        mode = "live" if i % 1000 == 7 else "paper"
        write_session(
            registry, session_record(f"s{i:05d}", started=started, naive=i % 2 == 0, mode=mode)
        )
    (registry / "20260301T000000_live_session_paper_corrupt.json").write_text('{"session_id": ')
    (registry / "20260301T000001_live_session_paper_badts.json").write_text(
        '{"session_id": "badts", "started_at": "yesterday-ish"}'
    )
    # A registry this large is re-scanned in the background, paced by the scan's cost:
    # the list catches up within a few scan intervals, never blocking a request.
    newest = ["s09999", "s09998", "s09997", "s09996", "s09995"]
    deadline = time.monotonic() + 60
    while True:
        stats = client.get("/api/live_sessions/stats").json()
        listed = client.get("/api/live_sessions?limit=5").json()
        caught_up = [s["session_id"] for s in listed] == newest
        if (caught_up and stats["unreadable_files"] == 2) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [s["session_id"] for s in listed] == newest
    assert listed[0]["started_at"] == "2026-01-08T10:39:00Z"
    assert listed[0]["environment"] == "kraken_testnet / BTC/EUR"
    assert listed[0]["risk_status"] == "green" and listed[0]["duration_seconds"] == 3600.0
    assert stats["total_sessions"] == 10_000
    assert stats["unreadable_files"] == 2
    files = sorted(p["file"] for p in stats["problems"])
    assert files == [
        "live_sessions/20260301T000000_live_session_paper_corrupt.json",
        "live_sessions/20260301T000001_live_session_paper_badts.json",
    ]
    assert "started_at" in next(p for p in stats["problems"] if "badts" in p["file"])["reason"]


def test_filters_apply_before_the_limit(client: TestClient, registry: Path) -> None:
    for i in range(60):
        mode = "live" if i % 20 == 0 else "paper"
        write_session(
            registry, session_record(f"s{i:02d}", started=T0 + timedelta(hours=i), mode=mode)
        )
    live = client.get("/api/live_sessions?mode=live&limit=10").json()
    assert [s["session_id"] for s in live] == ["s40", "s20", "s00"]
    assert all(s["is_live_warning"] for s in live)
    assert len(client.get("/api/live_sessions?status=completed&limit=50").json()) == 50


def test_silent_started_session_is_stale(client: TestClient, registry: Path) -> None:
    now = datetime.now(UTC)
    fresh = session_record("fresh", started=now, status="started", heartbeat_at=now.isoformat())
    silent = session_record(
        "silent",
        started=now - timedelta(hours=3),
        status="started",
        heartbeat_at=(now - timedelta(hours=2)).isoformat(),
    )
    crashed = session_record("crashed", started=now - timedelta(hours=5), status="started")
    write_session(registry, fresh)
    write_session(registry, silent)
    path = write_session(registry, crashed)
    old = time.time() - 4 * 3600
    os.utime(path, (old, old))  # no heartbeat, no run: the file's mtime is the last sign
    by_id = {s["session_id"]: s for s in client.get("/api/live_sessions?limit=100").json()}
    assert by_id["fresh"]["status"] == "started"
    assert by_id["silent"]["status"] == "stale"
    assert by_id["crashed"]["status"] == "stale"
    assert by_id["crashed"]["last_seen_source"] == "file_mtime"
    assert by_id["silent"]["registry_status"] == "started"
    stale = client.get("/api/live_sessions?status=stale").json()
    assert sorted(s["session_id"] for s in stale) == ["crashed", "silent"]
    alerts = client.get("/api/alerts?source=derived").json()["alerts"]
    assert {a["session_id"] for a in alerts if a["rule_id"] == "stale_session"} == {
        "silent",
        "crashed",
    }


def test_session_detail_redacts_secrets(client: TestClient, registry: Path) -> None:
    write_session(registry, session_record("one", config={"api_secret": "hunter2", "notes": ""}))
    response = client.get("/api/live_sessions/one")
    assert response.status_code == 200
    assert "SHOULD_NOT_LEAK" not in response.text and "hunter2" not in response.text
    assert response.json()["record"]["session_id"] == "one"
    missing = client.get("/api/live_sessions/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "session not found"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/live_sessions?limit=0",
        "/api/live_sessions?limit=101",
        "/api/live_sessions?status=running",
    ],
)
def test_bad_session_queries_are_422(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 422


def test_a_session_id_with_a_slash_is_found_by_the_api_and_the_page(
    client: TestClient, registry: Path
) -> None:
    record = session_record("desk/s1")
    (registry / "20260301T000000_live_session_paper_desk_s1.json").write_text(json.dumps(record))
    found = client.get("/api/live_sessions/desk%2Fs1")
    assert found.status_code == 200
    assert found.json()["session_id"] == "desk/s1"
    page = client.get("/sessions/desk%2Fs1")
    assert page.status_code == 200 and "desk/s1" in page.text
    assert client.get("/api/live_sessions/desk%2Fnope").status_code == 404
    assert client.get("/api/live_sessions/stats").json()["total_sessions"] == 1
