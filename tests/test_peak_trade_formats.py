"""Every event format Peak_Trade writes is read, shown in the feed and named by validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import write_jsonl, write_meta
from peakwatch.domain.live import LiveFeed
from peakwatch.domain.workspace import Workspace
from peakwatch.settings import load_settings
from peakwatch.validate import main as validate_main
from peakwatch.web import create_app

EPOCH = 1767268800.0  # 2026-01-01T12:00:00Z
AI_V1 = {
    "schema_version": "ai_event.v1",
    "ts": EPOCH + 1,
    "event_type": "decision",
    "run_id": "r1",
    "layer": "L2",
    "component": "gate",
    "model": "m",
    "decision": "reject",
    "severity": "error",
    "reason": "risk_limit",
    "extra": {"confidence": 0.8},
}
AI_TS_UTC = {
    "v": 1,
    "ts_utc": "2026-01-01T12:00:02.000Z",
    "run_id": "r1",
    "event": "decision",
    "decision": "accept",
    "reason": "none",
    "action": "submit",
}
EXEC_V1 = {
    "schema_version": "execution_event.v1",
    "ts": EPOCH + 3,
    "event_type": "order_submitted",
    "run_id": "r1",
    "order_id": "o1",
    "idempotency_key": "k1",
    "symbol": "BTC/EUR",
    "side": "buy",
    "qty": 0.5,
    "price": 100.0,
    "status": "new",
}
BETA_FILL = {
    "schema_version": "BETA_EXEC_V1",
    "event_id": "e2",
    "run_id": "r1",
    "session_id": "s1",
    "intent_id": "i1",
    "symbol": "BTC/EUR",
    "event_type": "FILL",
    "ts_sim": 2,
    "ts_utc": "2026-01-01T12:00:03.500000+00:00",
    "client_order_id": "c1",
    "payload": {"side": "BUY", "quantity": "0.01000000", "price": "50000.00000000", "fee": "0.5"},
}
BETA_BLOCK = BETA_FILL | {
    "event_id": "e1",
    "intent_id": "i2",
    "event_type": "RISK_REJECT",
    "ts_sim": 1,
    "ts_utc": "2026-01-01T12:00:03.200000+00:00",
    "reason_code": "RISK_REJECT_MAX_POSITION",
    "payload": {},
}
PIPELINE_V0 = {
    "schema": "execution_event_v0",
    "ts": "2026-01-01T12:00:04Z",
    "run_id": "r1",
    "correlation_id": "c1",
    "event_type": "filled",
    "order_id": "o1",
    "payload": {},
}
EXEC_EVENT = {
    "ts": "2026-01-01T12:00:05Z",
    "mode": "shadow",
    "event_type": "order_reject",
    "level": "warn",
    "msg": "notional above cap",
    "symbol": "BTC/EUR",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_meta(tmp_path / "live_runs" / "r1", "r1")
    write_jsonl(tmp_path / "logs/ai/ai_events.jsonl", [AI_TS_UTC, AI_V1])
    write_jsonl(
        tmp_path / "logs/execution/execution_events.jsonl", [EXEC_V1, BETA_BLOCK, BETA_FILL]
    )
    write_jsonl(tmp_path / "logs/execution/execution_pipeline_events_v0.jsonl", [PIPELINE_V0])
    write_jsonl(tmp_path / "out/ops/execution_events/execution_events.jsonl", [EXEC_EVENT])
    return tmp_path


def _report(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict]]:
    code = validate_main([str(repo), "--json"])
    files = json.loads(capsys.readouterr().out)["files"]
    return code, {f["path"]: f for f in files}


def test_validate_accepts_and_names_every_format(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, files = _report(repo, capsys)
    assert code == 0, files
    assert files["logs/ai/ai_events.jsonl"]["kind"] == "AI events [ai_event.v1, ts_utc decision]"
    assert files["logs/execution/execution_events.jsonl"]["kind"] == (
        "execution events [BETA_EXEC_V1, execution_event.v1]"
    )
    assert files["logs/execution/execution_pipeline_events_v0.jsonl"]["kind"] == (
        "execution events [execution_event_v0]"
    )
    assert files["out/ops/execution_events/execution_events.jsonl"]["kind"] == (
        "execution events [ExecEvent]"
    )
    assert all(f["status"] == "OK" for f in files.values())


def test_validate_checks_what_peak_trade_requires(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_layer = {k: v for k, v in AI_V1.items() if k != "layer"}
    write_jsonl(repo / "logs/ai/ai_events.jsonl", [no_layer, AI_V1 | {"ts": -1}])
    code, files = _report(repo, capsys)
    assert code == 1
    reasons = [p["reason"] for p in files["logs/ai/ai_events.jsonl"]["problems"]]
    assert reasons == [
        "ai_event.v1: missing required field 'layer'",
        "ai_event.v1: field 'ts': not epoch seconds (a number, at least 0)",
    ]


def test_a_csv_row_shorter_than_its_header_is_reported_not_shifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "r2"
    write_meta(run_dir, "r2")
    (run_dir / "events.csv").write_text(
        "step,ts_bar,equity,extra_fill_price\n1,2026-01-01T12:00:00Z,1000,10\n2,99.5\n"
    )
    code, files = _report(run_dir, capsys)
    report = files["events.csv"]
    assert code == 1 and report["records"] == 1
    assert report["problems"][0]["line"] == 3
    assert report["problems"][0]["reason"] == ("row has 2 fields, the header names 4: not read")


def test_the_feed_shows_each_format_with_its_kind_level_and_text(repo: Path) -> None:
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=repo)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        items = client.get("/api/activity?limit=50").json()["items"]
    by_kind = {item["kind"]: item for item in items}
    ai = [item for item in items if item["kind"] == "ai_decision"]
    assert {item["level"] for item in ai} == {"info", "error"}  # severity error -> error
    assert any("confidence 0.80" in item["summary"] for item in ai)
    assert by_kind["execution_order"]["summary"].startswith("Execution order: side buy, qty 0.5")
    assert by_kind["execution_order"]["run_id"] == "r1"
    assert by_kind["execution_fill"]["run_id"] == "r1"
    beta = {item["kind"]: item for item in items if item["payload"].get("format") == "BETA_EXEC_V1"}
    assert beta["execution_fill"]["summary"].startswith("Execution fill: side buy, qty 0.01,")
    assert beta["execution_fill"]["ts"].startswith("2026-01-01T12:00:03.5")  # ts_utc, not ts_sim
    assert beta["execution_gate"]["level"] == "warning"
    assert "blocked" in beta["execution_gate"]["summary"]
    assert "RISK_REJECT_MAX_POSITION" in beta["execution_gate"]["summary"]


def test_validate_checks_beta_exec_v1_as_peak_trade_does(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_session = {k: v for k, v in BETA_FILL.items() if k != "session_id"}
    write_jsonl(
        repo / "logs/execution/execution_events.jsonl", [no_session, BETA_FILL | {"ts_sim": -1}]
    )
    code, files = _report(repo, capsys)
    assert code == 1
    reasons = [p["reason"] for p in files["logs/execution/execution_events.jsonl"]["problems"]]
    assert reasons[0] == "BETA_EXEC_V1: missing required field 'session_id'"
    assert reasons[1].startswith("BETA_EXEC_V1: field 'ts_sim'")


def test_the_exec_event_folder_is_a_feed_source_next_to_the_execution_root(repo: Path) -> None:
    """`out/ops/execution_events/` lines are in the feed with their level and message."""
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=repo)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        items = client.get("/api/activity?limit=50").json()["items"]
        (sample,) = [i for i in items if i["id"].startswith("exec:execution_events/")]
        assert sample["level"] == "warning"  # `warn` in the file
        assert "notional above cap" in sample["summary"]
        assert sample["source"] == "execution"
        # the same file name in the execution root is another source, both are listed
        exec_root = [i for i in items if i["id"].startswith("exec:execution_events.jsonl@")]
        assert len(exec_root) == 3  # execution_event.v1 and two BETA_EXEC_V1 lines
        older = client.get(f"/api/activity?limit=50&before={sample['cursor']}")
        assert older.status_code == 200
        assert sample["id"] not in {i["id"] for i in older.json()["items"]}


def test_the_live_feed_follows_the_exec_event_folder(repo: Path) -> None:
    """A line appended to an ExecEvent file reaches the live stream; a bad one reaches health."""
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=repo)
    feed = LiveFeed(Workspace(settings))
    feed.poll(datetime.now(UTC))  # primes: what is there now is not news
    path = repo / "out/ops/execution_events/execution_events.jsonl"
    later = EXEC_EVENT | {"ts": "2026-01-01T12:00:06Z", "msg": "second sample", "level": "error"}
    write_jsonl(path, [later, {"ts": "not a time"}], mode="a")
    fresh = feed.poll(datetime.now(UTC))
    activity = [e.data for e in fresh if e.topic == "activity"]
    assert [(a["level"], "second sample" in a["summary"]) for a in activity] == [("error", True)]
    assert activity[0]["id"].startswith("exec:execution_events/execution_events.jsonl@")
    health = [e.data for e in fresh if e.topic == "health"]
    assert health and any(
        p["file"] == "execution_events/execution_events.jsonl" for p in health[-1]["unreadable"]
    )
