"""Status snapshot: wired panels, byte-identical output, error panels, export parity."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from artifacts import (
    T0,
    native_bar_events,
    session_record,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
    write_session,
)
from peakwatch.domain import snapshot as snapshot_module
from peakwatch.domain.activity import ScanBudget
from peakwatch.export import main as export_main
from peakwatch.settings import load_settings
from peakwatch.web import create_app

AS_OF = "2026-01-01T12:00:30Z"
REPO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.toml"


def build_data(base: Path) -> None:
    runs = base / "live_runs"
    write_meta(runs / "native", "native")
    write_jsonl(runs / "native" / "events.jsonl", native_bar_events(20))
    write_jsonl(
        runs / "native" / "alerts.jsonl",
        [
            {
                "rule_id": "risk_blocked",
                "severity": "warning",
                "message": "blocked",
                "run_id": "native",
                "timestamp": (T0 + timedelta(seconds=3)).isoformat(),
            }
        ],
    )
    write_meta(runs / "csv_run", "csv_run")
    write_csv_events(runs / "csv_run", step_rows(30, blocked_every=7))
    write_meta(runs / "pq_run", "pq_run", ended_at="2026-01-01T13:00:00Z")
    write_parquet_events(runs / "pq_run", step_rows(60))
    write_meta(runs / "meta_only", "meta_only")
    registry = base / "reports" / "experiments" / "live_sessions"
    write_session(registry, session_record("done", started=T0 - timedelta(hours=2)))
    write_session(
        registry,
        session_record("running", started=T0, status="started", heartbeat_at=T0.isoformat()),
    )
    (registry / "20260101T000000_live_session_paper_broken.json").write_text("{")
    write_jsonl(
        base / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": "2026-01-01T12:00:05.000Z",
                "component": "ai",
                "run_id": "native",
                "event": "decision",
                "decision": "accept",
                "reason": "none",
                "latency_ms": 12.5,
                "action": "submit",
                "rationale": "trend intact",
            }
        ],
    )
    (base / "config").mkdir()
    shutil.copy(REPO_CONFIG, base / "config" / "config.toml")


def client_for(base: Path) -> TestClient:
    return TestClient(
        create_app(load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=base)),
        base_url="http://localhost",
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    base = tmp_path / "one"
    base.mkdir()
    build_data(base)
    return base


def test_panels_are_wired_to_real_data(data: Path) -> None:
    with client_for(data) as client:
        body = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").json()
    panels = {p["id"]: p for p in body["panels"]}
    assert [p["id"] for p in body["panels"]] == sorted(panels)
    assert set(panels) == {
        "activity",
        "alerts",
        "portfolio",
        "positions",
        "risk",
        "runs",
        "safety",
        "scorecards",
        "sessions",
        "system",
    }
    assert panels["safety"]["details"]["verdict"] == "LIVE LOCKED"
    assert panels["safety"]["status"] == "ok"
    assert panels["runs"]["details"]["total"] == 4
    assert panels["runs"]["details"]["by_status"]["completed"] == 1
    assert panels["sessions"]["details"]["unreadable_files"] == 1
    assert panels["sessions"]["status"] == "warn"
    assert panels["system"]["details"]["unreadable_count"] == 1
    assert panels["alerts"]["details"]["counts"]["warning"] >= 1
    assert panels["activity"]["details"]["latest"][0]["ts"] <= AS_OF
    assert body["generated_at"] == AS_OF
    assert all(p["status"] in ("ok", "warn", "error", "unknown") for p in body["panels"])
    assert panels["portfolio"]["details"]["active_runs"] >= 1


def test_same_data_and_as_of_give_identical_bytes(data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "elsewhere"
    shutil.copytree(data, copy)  # copy2 keeps mtimes
    urls = [
        f"/api/live/status/snapshot.json?as_of={AS_OF}",
        f"/api/live/status/snapshot.html?as_of={AS_OF}",
    ]
    with client_for(data) as first:
        a = [first.get(url).content for url in urls]
        again = [first.get(url).content for url in urls]
    with client_for(copy) as second:
        b = [second.get(url).content for url in urls]
    assert a == again == b
    body = orjson.loads(a[0])
    digest = body.pop("content_sha256")
    assert digest == hashlib.sha256(snapshot_module.canonical_json(body)).hexdigest()
    assert str(data) not in a[0].decode() and str(data) not in a[1].decode()
    cards = next(p for p in body["panels"] if p["id"] == "scorecards")["details"]["runs"]
    assert {card["run_id"]: card["decisions"] for card in cards}["native"] == 20
    assert b'aria-label="Run native"' in a[1] and b"AI scorecard" in a[1]


def test_each_run_carries_its_scorecard_as_the_api_answers_it(data: Path) -> None:
    url = f"/api/live/status/snapshot.json?as_of={AS_OF}"
    with client_for(data) as client:
        body = client.get(url).json()
        api = {r: client.get(f"/api/runs/{r}/scorecard").json() for r in ("native", "csv_run")}
        html = client.get(f"/api/live/status/snapshot.html?as_of={AS_OF}").text
        # the run grows after the snapshot: the next one follows, the same data answers alike
        more = native_bar_events(22)[-12:]
        write_jsonl(data / "live_runs" / "native" / "events.jsonl", more, mode="a")
        grown = client.get(url).content
    with client_for(data) as fresh:
        assert fresh.get(url).content == grown
    panel = next(p for p in body["panels"] if p["id"] == "scorecards")
    assert panel["status"] == "ok" and panel["title"] == "AI scorecards"
    details = panel["details"]
    assert (details["runs_total"], details["runs_shown"]) == (4, 4)
    cards = {card["run_id"]: card for card in details["runs"]}
    assert set(cards) == {"native", "csv_run", "pq_run", "meta_only"}
    assert cards["meta_only"]["decisions"] == 0
    for run_id, answer in api.items():
        assert cards[run_id] == snapshot_module._rounded(answer), run_id
    native = cards["native"]
    assert (native["decisions"], native["closed"], native["wins"], native["losses"]) == (
        20,
        19,
        12,
        6,
    )
    assert native["hit_rate"] == round(12 / 18, 8)
    assert details["decisions"] == sum(card["decisions"] for card in cards.values())
    native = html.split('aria-label="Run native"')[1].split("</section>")[0]
    assert "ma_crossover · BTC/EUR" in native and "0.8–1.0" in native and "Brier score" in native
    grown_cards = next(p for p in orjson.loads(grown)["panels"] if p["id"] == "scorecards")
    assert {c["run_id"]: c["decisions"] for c in grown_cards["details"]["runs"]}["native"] == 22


def test_a_slow_machine_does_not_change_the_activity_panel(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel is bounded by bytes only: a clock that says "out of time" changes nothing."""
    with client_for(data) as client:
        before = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").content
    monkeypatch.setattr(ScanBudget, "__post_init__", lambda self: setattr(self, "started", -1e9))
    with client_for(data) as client:
        after = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").content
        searched = client.get("/api/activity").json()
    assert searched["truncated"] is True  # the clock does stop an ordinary search
    assert after == before


def test_html_snapshot_is_self_contained(data: Path) -> None:
    with client_for(data) as client:
        html = client.get(f"/api/live/status/snapshot.html?as_of={AS_OF}").text
    assert html.count("<script") == 1 and '<script type="application/json"' in html
    assert "<link" not in html and "src=" not in html
    assert "LIVE LOCKED" in html and "<style>" in html


def test_a_failing_panel_does_not_take_the_others_down(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(inputs: object) -> None:
        raise OSError("disk on fire at /secret/path")

    monkeypatch.setattr(snapshot_module, "_alerts", broken)
    with client_for(data) as client:
        response = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}")
    assert response.status_code == 200
    panels = {p["id"]: p for p in response.json()["panels"]}
    assert panels["alerts"]["status"] == "error"
    assert "secret" not in response.text and "fire" not in response.text
    assert panels["safety"]["status"] == "ok" and panels["runs"]["details"]["total"] == 4


def test_missing_config_is_unknown_never_locked(data: Path) -> None:
    (data / "config" / "config.toml").unlink()
    with client_for(data) as client:
        body = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").json()
        page = client.get("/").text
    safety = next(p for p in body["panels"] if p["id"] == "safety")
    assert safety["status"] == "unknown" and safety["details"]["verdict"] == "UNKNOWN"
    assert "LIVE LOCKED" not in page and "UNKNOWN" in page


def test_bad_as_of_is_422(data: Path) -> None:
    with client_for(data) as client:
        response = client.get("/api/live/status/snapshot.json?as_of=soon")
    assert response.status_code == 422
    assert "as_of" in response.json()["detail"]


def test_export_writes_runbook_files_identical_to_endpoints(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    roots = [
        "--runs-dir",
        str(data / "live_runs"),
        "--sessions-dir",
        str(data / "reports/experiments/live_sessions"),
        "--ai-events",
        str(data / "logs/ai/ai_events.jsonl"),
        "--execution-dir",
        str(data / "logs/execution"),
        "--alerts-dir",
        str(data / "live_runs/alerts"),
        "--config",
        str(data / "config/config.toml"),
    ]
    assert export_main(["--out", str(out), "--as-of", AS_OF, *roots]) == 0
    with client_for(data) as client:
        expected = {
            "status_snapshot.json": f"/api/live/status/snapshot.json?as_of={AS_OF}",
            "status_snapshot.html": f"/api/live/status/snapshot.html?as_of={AS_OF}",
            "live_sessions.json": f"/api/live_sessions?limit=50&as_of={AS_OF}",
            "runs.json": f"/runs?as_of={AS_OF}",
            "runs/native/run_snapshot.json": f"/runs/native/snapshot?as_of={AS_OF}",
            "runs/native/run_tail.json": "/runs/native/tail?limit=200",
            "runs/native/run_alerts.json": "/runs/native/alerts?limit=50",
            "runs/meta_only/run_snapshot.json": f"/runs/meta_only/snapshot?as_of={AS_OF}",
        }
        for name, url in expected.items():
            assert (out / name).read_bytes() == client.get(url).content, name
    assert json.loads((out / "runs/native/run_alerts.json").read_text())[0]["rule_id"] == (
        "risk_blocked"
    )
