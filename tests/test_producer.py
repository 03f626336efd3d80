"""The producer SDK writes what readers expect: whole files, whole lines, monotonic seq."""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from peakwatch.producer import (
    STEP_COLUMNS,
    AiEventWriter,
    AlertStoreWriter,
    ExecutionTelemetryWriter,
    PeakTradeCsvEventsWriter,
    PeakTradeParquetEventsWriter,
    RunWriter,
    SessionRecorder,
    scan_events_tail,
    write_json_atomic,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
TS_PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
META_KEYS = {
    "run_id",
    "mode",
    "strategy_name",
    "symbol",
    "timeframe",
    "started_at",
    "ended_at",
    "config_snapshot",
    "notes",
}
RECORD_KEYS = {
    "session_id",
    "run_id",
    "run_type",
    "mode",
    "env_name",
    "symbol",
    "status",
    "started_at",
    "finished_at",
    "config",
    "metrics",
    "cli_args",
    "error",
    "created_at",
    "strategy_tier",
    "heartbeat_at",
}


def read_lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def make_writer(root: Path, run_id: str = "run_a") -> RunWriter:
    return RunWriter(
        root,
        run_id,
        mode="paper",
        strategy_name="ai_momentum",
        symbol="BTC/EUR",
        timeframe="1m",
        config_snapshot={"tags": ["t"]},
        notes="first\nsecond",
        started_at=T0,
    )


# --- atomic writes -----------------------------------------------------------------------


def test_write_json_atomic_sorts_indents_and_nulls_non_finite(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    write_json_atomic(target, {"b": float("nan"), "a": [float("inf"), 1.5], "c": T0})
    assert target.read_text() == (
        '{\n  "a": [\n    null,\n    1.5\n  ],\n  "b": null,\n'
        '  "c": "2026-01-02T03:04:05.678901Z"\n}\n'
    )
    assert os.listdir(tmp_path) == ["doc.json"]


def test_crash_at_rename_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "meta.json"
    write_json_atomic(target, {"version": 1})
    before = target.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        write_json_atomic(target, {"version": 2, "padding": "x" * 10_000})
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["meta.json"]


def test_unserializable_object_never_touches_the_file(tmp_path: Path) -> None:
    target = tmp_path / "meta.json"
    write_json_atomic(target, {"version": 1})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"version": 2, "bad": object()})
    assert json.loads(target.read_text()) == {"version": 1}
    assert os.listdir(tmp_path) == ["meta.json"]


# --- RunWriter ---------------------------------------------------------------------------


def test_run_writer_meta_events_and_finish(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        meta = json.loads((tmp_path / "run_a" / "meta.json").read_text())
        assert set(meta) == META_KEYS
        assert meta["ended_at"] is None
        assert meta["started_at"] == "2026-01-02T03:04:05.678901Z"
        assert meta["notes"] == "first second"
        seq = writer.event("decision", "buy\nnow", data={"action": "buy"}, ts=T0)
        assert seq == 2
        assert writer.heartbeat(ts=T0) == 3
    lines = read_lines(tmp_path / "run_a" / "events.jsonl")
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert [line["kind"] for line in lines] == [
        "run_started",
        "decision",
        "heartbeat",
        "run_finished",
    ]
    assert list(lines[1]) == ["v", "seq", "ts", "kind", "level", "msg", "data"]
    assert lines[1] == {
        "v": 1,
        "seq": 2,
        "ts": "2026-01-02T03:04:05.678901Z",
        "kind": "decision",
        "level": "info",
        "msg": "buy now",
        "data": {"action": "buy"},
    }
    assert lines[0]["data"] == {
        "strategy": "ai_momentum",
        "symbol": "BTC/EUR",
        "timeframe": "1m",
        "mode": "paper",
    }
    assert lines[-1]["data"] == {"status": "completed"}
    assert all(TS_PATTERN.fullmatch(line["ts"]) for line in lines)
    meta = json.loads((tmp_path / "run_a" / "meta.json").read_text())
    assert TS_PATTERN.fullmatch(meta["ended_at"])
    assert writer.status == "completed"


def test_decision_ids_link_the_events_that_follow_a_decision(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        derived = writer.decision("buy", confidence=0.7, rationale="up", ts=T0, latency_ms=12.0)
        assert derived == "d-2"  # the seq of the decision event itself
        assert writer.risk(True, decision_id=derived, ts=T0) == 3
        writer.order("o1", "buy", 0.5, 100.0, decision_id=derived, ts=T0)
        writer.fill("o1", "buy", 0.5, 100.5, 0.05, decision_id=derived, ts=T0)
        writer.position(0.5, 10_000.0, cash=9_949.7, decision_id=derived, ts=T0)
        given = writer.decision("close", decision_id="dec-7", ts=T0)
        writer.risk(False, ["max_position"], decision_id=given, ts=T0)
        writer.order("o2", "sell", 0.5, None, status="rejected", reason="rate limit", ts=T0)
        with pytest.raises(ValueError):
            writer.order("o3", "sell", 0.5, 1.0, status="lost")
        with pytest.raises(ValueError):
            writer.risk(True, decision_id="  ")
    lines = read_lines(tmp_path / "run_a" / "events.jsonl")[1:-1]
    assert [line["kind"] for line in lines] == [
        "decision",
        "risk",
        "order",
        "fill",
        "position",
        "decision",
        "risk",
        "order",
    ]
    assert lines[0]["data"] == {
        "decision_id": "d-2",
        "action": "buy",
        "confidence": 0.7,
        "rationale": "up",
        "latency_ms": 12.0,
    }
    assert [line["data"].get("decision_id") for line in lines] == ["d-2"] * 5 + ["dec-7"] * 2 + [
        None
    ]
    assert lines[3]["data"] == {
        "order_id": "o1",
        "side": "buy",
        "qty": 0.5,
        "price": 100.5,
        "fee": 0.05,
        "decision_id": "d-2",
    }
    assert lines[4]["data"]["symbol"] == "BTC/EUR" and lines[4]["data"]["equity"] == 10_000.0
    assert lines[6]["level"] == "warning" and lines[6]["data"]["allowed"] is False
    assert lines[7]["data"]["status"] == "rejected" and lines[7]["data"]["reason"] == "rate limit"
    assert lines[7]["level"] == "warning"


def test_seq_continues_after_reopen_and_torn_tail_is_cut(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        for index in range(5):
            writer.event("market", f"bar {index}", ts=T0)
    events = tmp_path / "run_a" / "events.jsonl"
    with events.open("ab") as handle:
        handle.write(b'{"v":1,"seq":99,"kind":"tor')  # a crash mid-line
    with make_writer(tmp_path) as again:
        assert again.seq == 8  # 7 lines before + run_started of the reopen
        again.event("market", "after", ts=T0)
    lines = read_lines(events)
    assert [line["seq"] for line in lines] == list(range(1, 11))
    assert lines[7]["msg"].endswith("resumed after seq 7: ai_momentum on BTC/EUR")
    meta = json.loads((tmp_path / "run_a" / "meta.json").read_text())
    assert meta["started_at"] == "2026-01-02T03:04:05.678901Z"


def test_scan_events_tail_reads_back_across_blocks(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    body = b"".join(b'{"seq": %d, "pad": "%s"}\n' % (n, b"x" * 900) for n in range(1, 201))
    path.write_bytes(body + b"not json\n" + b"x" * 70_000 + b"\n" + b'{"seq": 7')
    assert scan_events_tail(path) == (200, len(body) + 9 + 70_001)
    path.write_bytes(b"")
    assert scan_events_tail(path) == (0, 0)


def test_exception_in_context_fails_the_run_with_an_error_event(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="boom"), make_writer(tmp_path):
        raise ValueError("boom\nsecond line")
    lines = read_lines(tmp_path / "run_a" / "events.jsonl")
    assert [(line["kind"], line["level"]) for line in lines] == [
        ("run_started", "info"),
        ("error", "error"),
        ("run_finished", "error"),
    ]
    assert lines[1]["data"] == {"error": "ValueError: boom second line"}
    assert lines[2]["data"] == {"status": "failed"}
    assert json.loads((tmp_path / "run_a" / "meta.json").read_text())["ended_at"] is not None


def test_keyboard_interrupt_aborts_the_run(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), make_writer(tmp_path):
        raise KeyboardInterrupt
    lines = read_lines(tmp_path / "run_a" / "events.jsonl")
    assert lines[-1]["data"] == {"status": "aborted"}
    assert lines[-1]["level"] == "warning"


@pytest.mark.parametrize("run_id", ["", "  ", "..", "../up", "a/b", "a\\b", ".hidden", "a\nb"])
def test_unsafe_run_ids_are_refused(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ValueError):
        make_writer(tmp_path, run_id)
    assert os.listdir(tmp_path) == []


def test_alert_writes_peak_trade_line_and_event(tmp_path: Path) -> None:
    with make_writer(tmp_path) as writer:
        writer.alert("drawdown", "critical", "Drawdown -3%\n", ts=T0)
        with pytest.raises(ValueError):
            writer.alert("x", "fatal", "no such severity")
    assert read_lines(tmp_path / "run_a" / "alerts.jsonl") == [
        {
            "rule_id": "drawdown",
            "severity": "critical",
            "message": "Drawdown -3%",
            "run_id": "run_a",
            "timestamp": "2026-01-02T03:04:05.678901Z",
        }
    ]
    event = read_lines(tmp_path / "run_a" / "events.jsonl")[1]
    assert (event["kind"], event["level"], event["msg"]) == ("alert", "error", "Drawdown -3%")
    assert event["data"] == {"rule_id": "drawdown", "severity": "critical"}


def test_misuse_raises_and_bad_payload_does_not_burn_a_seq(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    with pytest.raises(RuntimeError):
        writer.event("market", "before start")
    writer.start(ts=T0)
    with pytest.raises(TypeError):
        writer.event("market", "bad", data={"x": object()})
    with pytest.raises(ValueError):
        writer.event("market", "bad level", level="debug")
    with pytest.raises(ValueError):
        writer.event("two words", "bad kind")
    assert writer.event("market", "good") == 2
    writer.finish("completed")
    with pytest.raises(RuntimeError):
        writer.event("market", "after finish")
    with pytest.raises(RuntimeError):
        writer.finish("completed")
    assert [line["seq"] for line in read_lines(writer.events_path)] == [1, 2, 3]


def test_threads_never_interleave_lines_and_seq_is_unique(tmp_path: Path) -> None:
    writer = make_writer(tmp_path).start()

    def work(name: str) -> None:
        for index in range(200):
            writer.event("market", f"{name} {index}", data={"pad": "y" * 300})

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = read_lines(writer.events_path)
    assert [line["seq"] for line in lines] == list(range(1, 802))


# --- SessionRecorder ---------------------------------------------------------------------


def make_session(root: Path) -> SessionRecorder:
    return SessionRecorder(
        root,
        session_id="session_20260102_030405_paper_abc123",
        run_id="run_a",
        mode="paper",
        env_name="demo_paper",
        symbol="BTC/EUR",
        config={"strategy_name": "ai_momentum", "start_balance": 10_000.0},
        cli_args=["peakwatch", "demo"],
        strategy_tier="r_and_d",
        started_at=T0,
    )


def test_session_record_lifecycle(tmp_path: Path) -> None:
    with make_session(tmp_path) as session:
        name = "20260102T030405_live_session_paper_session_20260102_030405_paper_abc123.json"
        assert os.listdir(tmp_path) == [name]
        record = json.loads(session.path.read_text())
        assert set(record) == RECORD_KEYS
        assert record["status"] == "started"
        assert record["run_type"] == "live_session_paper"
        assert (record["finished_at"], record["error"], record["metrics"]) == (None, None, {})
        assert record["created_at"] == record["started_at"] == "2026-01-02T03:04:05.678901Z"
        session.heartbeat({"steps": 5, "num_orders": 1}, ts=T0 + timedelta(seconds=5))
        session.heartbeat({"steps": 10}, ts=T0 + timedelta(seconds=10))
        record = json.loads(session.path.read_text())
        assert record["metrics"] == {"steps": 10, "num_orders": 1}
        assert record["heartbeat_at"] == "2026-01-02T03:04:15.678901Z"
    record = json.loads(session.path.read_text())
    assert record["status"] == "completed"
    assert TS_PATTERN.fullmatch(record["finished_at"])
    with pytest.raises(RuntimeError):
        session.heartbeat()
    assert os.listdir(tmp_path) == [session.path.name]


def test_session_failure_records_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), make_session(tmp_path) as session:
        raise RuntimeError("exchange down\n  traceback noise")
    record = json.loads(session.path.read_text())
    assert (record["status"], record["error"]) == (
        "failed",
        "RuntimeError: exchange down traceback noise",
    )


def test_session_validation(tmp_path: Path) -> None:
    session = make_session(tmp_path).start()
    with pytest.raises(ValueError):
        session.finish("crashed")
    session.finish("aborted", "stopped", ts=T0)
    record = json.loads(session.path.read_text())
    assert (record["status"], record["error"], record["finished_at"]) == (
        "aborted",
        "stopped",
        "2026-01-02T03:04:05.678901Z",
    )
    with pytest.raises(ValueError):
        SessionRecorder(
            tmp_path, session_id="../x", run_id=None, mode="paper", env_name="e", symbol="s",
            config={}, cli_args=[],
        )  # fmt: skip


# --- side files --------------------------------------------------------------------------


def test_alert_store_uses_the_utc_day_of_the_alert(tmp_path: Path) -> None:
    store = AlertStoreWriter(tmp_path)
    local = datetime(2026, 1, 3, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # 2 Jan in UTC
    record = store.write(
        "Risk blocked",
        "details",
        severity="CRITICAL",
        category="RISK",
        source="test",
        session_id="s1",
        runbooks=["risk_limit_breach"],
        timestamp=local,
    )
    assert os.listdir(tmp_path) == ["alerts_2026-01-02.jsonl"]
    (line,) = read_lines(tmp_path / "alerts_2026-01-02.jsonl")
    assert line == record
    assert list(line) == [
        "id",
        "title",
        "body",
        "severity",
        "category",
        "source",
        "session_id",
        "timestamp",
        "context",
        "stored_at",
    ]
    assert line["timestamp"] == "2026-01-02T22:30:00.000000Z"
    assert line["context"] == {"runbooks": ["risk_limit_breach"]}
    with pytest.raises(ValueError):
        store.write("x", "y", severity="warning")


def test_ai_event_line(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "ai" / "ai_events.jsonl"
    AiEventWriter(path).decision(
        component="ai_momentum",
        run_id="run_a",
        decision="accept",
        reason="none",
        latency_ms=12.5,
        action="submit",
        confidence=0.8,
        rationale="Momentum +1.8σ\nentering",
        ts=T0,
    )
    assert read_lines(path) == [
        {
            "v": 1,
            "ts_utc": "2026-01-02T03:04:05.678Z",
            "component": "ai_momentum",
            "run_id": "run_a",
            "event": "decision",
            "decision": "accept",
            "reason": "none",
            "latency_ms": 12.5,
            "action": "submit",
            "confidence": 0.8,
            "rationale": "Momentum +1.8σ entering",
        }
    ]
    record = AiEventWriter(path).decision(
        component="c",
        run_id="run_a",
        decision="noop",
        reason="none",
        latency_ms=1.0,
        action="none",
        decision_id="d-9",
    )
    assert record["decision_id"] == "d-9" and read_lines(path)[-1]["decision_id"] == "d-9"


def test_execution_telemetry_line(tmp_path: Path) -> None:
    writer = ExecutionTelemetryWriter(tmp_path, "session_1")
    writer.write("fill", {"qty": 1.0}, symbol="BTC/EUR", mode="paper", ts=T0)
    assert read_lines(tmp_path / "session_1.jsonl") == [
        {
            "ts": "2026-01-02T03:04:05.678901Z",
            "session_id": "session_1",
            "symbol": "BTC/EUR",
            "mode": "paper",
            "kind": "fill",
            "payload": {"qty": 1.0},
        }
    ]
    with pytest.raises(ValueError):
        writer.write("trade", {}, symbol="BTC/EUR", mode="paper")


def test_csv_writer_writes_header_once(tmp_path: Path) -> None:
    extras = ["extra_order_side"]
    first = PeakTradeCsvEventsWriter(tmp_path, extra_columns=extras)
    first.append({"step": 1, "price": float("nan"), "risk_allowed": True, "risk_reasons": ""})
    second = PeakTradeCsvEventsWriter(tmp_path, extra_columns=extras)
    second.append({"step": 2, "signal": -1, "extra_order_side": "sell", "ts_bar": T0})
    with pytest.raises(ValueError):
        second.append({"step": 3, "extra_new": 1})
    lines = (tmp_path / "events.csv").read_text().splitlines()
    assert lines[0] == ",".join([*STEP_COLUMNS, "extra_order_side"])
    assert len(lines) == 3
    assert lines[1] == "1" + "," * 20 + "True,,"
    assert lines[2].startswith("2,2026-01-02T03:04:05.678901Z,")
    assert lines[2].endswith(",-1,,,,,,,,sell")


def test_parquet_writer_rewrites_every_flush_in_row_groups(tmp_path: Path) -> None:
    writer = PeakTradeParquetEventsWriter(tmp_path, flush_every=50)
    for step in range(1, 50):
        writer.append({"step": step, "price": 100.0 + step, "risk_allowed": True})
    assert not (tmp_path / "events.parquet").exists()
    writer.append({"step": 50, "price": 150.0})
    meta = pq.ParquetFile(tmp_path / "events.parquet").metadata
    assert (meta.num_rows, meta.num_row_groups) == (50, 1)
    for step in range(51, 121):
        writer.append({"step": step, "price": float("inf")})
    writer.flush()
    table = pq.read_table(tmp_path / "events.parquet")
    assert pq.ParquetFile(tmp_path / "events.parquet").metadata.num_row_groups == 3
    assert table.column_names == list(STEP_COLUMNS)
    assert table.column("step").to_pylist() == list(range(1, 121))
    assert table.column("price").to_pylist()[-1] is None
    assert os.listdir(tmp_path) == ["events.parquet"]
