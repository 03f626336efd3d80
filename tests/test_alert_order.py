"""A run's alerts are newest first by their time, file position only breaking ties (the
alert list folds them into one alert that shows the newest); the
portfolio panel counts an active run that has only meta.json, as the runs panel does."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import write_jsonl, write_meta
from peakwatch.settings import load_settings
from peakwatch.web import create_app

AS_OF = "2026-01-01T12:05:00Z"

# (message, timestamp) in file order: the file is not in time order
LINES = [
    ("late", "2026-01-01T12:03:00Z"),
    ("early", "2026-01-01T12:01:00+00:00"),
    ("tie-first-line", "2026-01-01T12:02:00Z"),
    ("fraction", "2026-01-01T12:02:00.500Z"),
    ("tie-second-line", "2026-01-01T12:02:00"),  # naive is UTC: the same instant
    ("offset", "2026-01-01T13:04:00+01:00"),  # 12:04 UTC, the newest
    ("untimed", None),
]
NEWEST_FIRST = [
    "offset",
    "late",
    "fraction",
    "tie-second-line",
    "tie-first-line",
    "early",
    "untimed",
]


def _alert(message: str, ts: str | None) -> dict[str, object]:
    severity = "critical" if message == "offset" else "warning"
    return {
        "rule_id": "risk_blocked",
        "severity": severity,
        "message": message,
        "run_id": "r1",
        "timestamp": ts,
    }


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    runs = tmp_path / "live_runs"
    write_meta(runs / "r1", "r1")
    write_jsonl(runs / "r1" / "alerts.jsonl", [_alert(m, ts) for m, ts in LINES])
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=tmp_path)
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


def test_v0_alerts_endpoint_is_newest_first_by_timestamp(client: TestClient) -> None:
    body = client.get("/runs/r1/alerts?limit=100").json()
    assert [a["message"] for a in body] == NEWEST_FIRST
    assert body[0]["timestamp"] == "2026-01-01T12:04:00Z"


def test_limit_takes_the_newest_by_time_not_the_last_lines(client: TestClient) -> None:
    body = client.get("/runs/r1/alerts?limit=2").json()
    assert [a["message"] for a in body] == ["offset", "late"]


def test_the_alert_list_and_the_run_detail_agree_on_the_newest(client: TestClient) -> None:
    listed = client.get("/api/alerts?run_id=r1&source=run&limit=100").json()["alerts"]
    assert [(a["message"], a["count"]) for a in listed] == [("offset", 7)]  # one rule, one run
    assert listed[0]["last_seen"] == "2026-01-01T12:04:00Z"
    assert listed[0]["first_seen"] == "2026-01-01T12:01:00Z"
    detail = client.get("/api/v0/runs/r1/detail_v02").json()
    assert detail["alerts_summary"]["last_severity"] == "critical"


def test_snapshot_alerts_panel_leads_with_the_newest(client: TestClient) -> None:
    body = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").json()
    panel = next(p for p in body["panels"] if p["id"] == "alerts")
    run_alerts = [a for a in panel["details"]["latest"] if a["source"] == "run"]
    assert run_alerts[0]["timestamp"] == "2026-01-01T12:04:00Z"
    assert run_alerts[0]["severity"] == "critical"


def test_portfolio_counts_an_active_run_with_meta_only(tmp_path: Path) -> None:
    runs = tmp_path / "live_runs"
    write_meta(runs / "fresh", "fresh", started_at="2026-01-01T12:04:00Z")
    write_meta(runs / "done", "done", ended_at="2026-01-01T12:01:00Z")
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=tmp_path)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        body = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").json()
    panels = {p["id"]: p for p in body["panels"]}
    assert panels["runs"]["details"]["by_status"]["active"] == 1
    assert panels["portfolio"]["details"]["active_runs"] == 1
    assert panels["portfolio"]["status"] == "ok"
    assert panels["portfolio"]["details"]["equity"] == 0
