"""`peakwatch demo` writes a meaningful, seed-determined dataset through the producer SDK."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from peakwatch.demo import main, run_demo

NATIVE_KINDS = {
    "run_started",
    "market",
    "signal",
    "decision",
    "risk",
    "order",
    "fill",
    "position",
    "alert",
    "heartbeat",
    "error",
    "run_finished",
}


def lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), path
    return [json.loads(line) for line in raw.splitlines()]


def sessions(out: Path) -> dict[str, dict]:
    folder = out / "reports" / "experiments" / "live_sessions"
    return {path.name: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def run_number(path: Path) -> str:
    """The demo's run number: the run id's last part (run ids start with the wall clock)."""
    return path.name.rsplit("_", 1)[1]


def native_events(out: Path) -> dict[str, list[dict]]:
    runs = sorted((out / "live_runs").glob("*/events.jsonl"), key=lambda p: run_number(p.parent))
    return {path.parent.name: lines(path) for path in runs}


def fingerprint(out: Path) -> list[tuple[str, str, str, object]]:
    """Run number, kind, level and action of every native event, in run and seq order."""
    result = []
    for run_id, events in native_events(out).items():
        number = run_id.rsplit("_", 1)[1]
        for event in events:
            action = event["data"].get("action") or event["data"].get("status")
            result.append((number, event["kind"], event["level"], action))
    return result


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["--out", str(out), "--duration", "3", "--speed", "20"])
    assert code == 0
    return out, printed.getvalue()


def test_demo_writes_the_peak_trade_layout(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    assert sorted(path.name for path in out.iterdir()) == ["live_runs", "logs", "reports"]
    runs = sorted(
        (path for path in (out / "live_runs").iterdir() if (path / "meta.json").exists()),
        key=run_number,
    )
    assert [run_number(run) for run in runs] == ["01", "02", "03", "04", "05", "06", "07"]
    assert len(list((out / "live_runs" / "alerts").glob("alerts_*.jsonl"))) == 1
    assert (out / "logs" / "ai" / "ai_events.jsonl").is_file()
    assert len(list((out / "logs" / "execution").glob("session_*.jsonl"))) == 5
    for run in runs:
        meta = json.loads((run / "meta.json").read_text())
        assert meta["run_id"] == run.name
        assert (meta["mode"], meta["timeframe"]) == ("paper", "1s")


def test_demo_prints_one_line_per_started_and_finished_run(demo_out: tuple[Path, str]) -> None:
    _, printed = demo_out
    verbs = [line.split(" ", 1)[0] for line in printed.splitlines()[1:]]
    assert Counter(verbs) == {"started": 7, "finished": 6, "run": 1}
    assert re.search(r"^run \S+_05 went silent after \d+ bars", printed, re.MULTILINE)


def test_native_events_are_complete_and_typed(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    events = native_events(out)
    assert len(events) == 5
    every = [event for run in events.values() for event in run]
    assert {event["kind"] for event in every} == NATIVE_KINDS
    for run in events.values():
        assert [event["seq"] for event in run] == list(range(1, len(run) + 1))
        assert run[0]["kind"] == "run_started"
        stamps = [event["ts"] for event in run]
        assert stamps == sorted(stamps)
    decisions = [event["data"] for event in every if event["kind"] == "decision"]
    assert {d["action"] for d in decisions} >= {"buy", "hold", "close"}
    for decision in decisions:
        assert isinstance(decision["rationale"], str) and decision["rationale"].strip()
        assert "\n" not in decision["rationale"]
        assert 0.0 <= decision["confidence"] <= 1.0
        assert decision["signal"] in (-1, 0, 1)
    entries = [d["rationale"] for d in decisions if d["action"] in ("buy", "sell")]
    assert all(re.match(r"Momentum [+-]\d+\.\dσ over \d+ bars and volatility", r) for r in entries)
    blocked = [e for e in every if e["kind"] == "risk" and not e["data"]["allowed"]]
    assert blocked and all(e["level"] == "warning" and e["data"]["reasons"] for e in blocked)
    statuses = Counter(e["data"]["status"] for e in every if e["kind"] == "order")
    assert statuses["blocked"] == len(blocked) and statuses["submitted"] > 0
    fills = [e["data"] for e in every if e["kind"] == "fill"]
    assert len(fills) == statuses["submitted"]
    fill_keys = {"order_id", "side", "qty", "price", "fee", "decision_id"}
    assert all(set(fill) == fill_keys for fill in fills)
    assert all(fill["fee"] > 0 for fill in fills)
    positions = [e["data"] for e in every if e["kind"] == "position"]
    assert len(positions) == 3 * 60  # one end-of-bar mark per bar for three slots
    assert set(positions[0]) == {
        "symbol",
        "position_size",
        "cash",
        "equity",
        "realized_pnl",
        "unrealized_pnl",
        "decision_id",
    }


def test_every_decision_has_an_id_that_the_events_after_it_carry(
    demo_out: tuple[Path, str],
) -> None:
    out, _ = demo_out
    ai = lines(out / "logs" / "ai" / "ai_events.jsonl")
    ai_ids = {(event["run_id"], event["decision_id"]) for event in ai}
    for run_id, events in native_events(out).items():
        current = None
        for event in events:
            if event["kind"] == "decision":
                current = event["data"]["decision_id"]
                assert current == f"d-{event['seq']}" and (run_id, current) in ai_ids
            elif event["kind"] in ("risk", "order", "fill", "position"):
                assert event["data"]["decision_id"] == current


def test_one_run_goes_stale_and_the_others_finish(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    records = sessions(out)
    assert Counter(record["status"] for record in records.values()) == {
        "completed": 4,
        "started": 1,
    }
    (stale,) = [record for record in records.values() if record["status"] == "started"]
    assert stale["finished_at"] is None and stale["metrics"]["steps"] == 15
    stale_events = native_events(out)[stale["run_id"]]
    assert stale_events[-1]["kind"] != "run_finished"
    meta = json.loads((out / "live_runs" / stale["run_id"] / "meta.json").read_text())
    assert meta["ended_at"] is None
    for run_id, events in native_events(out).items():
        if run_id != stale["run_id"]:
            assert events[-1]["kind"] == "run_finished"
            assert events[-1]["data"] == {"status": "completed"}


def test_alerts_ai_events_and_telemetry(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    run_alerts = [a for path in (out / "live_runs").glob("*/alerts.jsonl") for a in lines(path)]
    assert {alert["rule_id"] for alert in run_alerts} >= {"risk_blocked", "large_loss_abs"}
    assert all(alert["severity"] in ("info", "warning", "critical") for alert in run_alerts)
    (store_file,) = (out / "live_runs" / "alerts").glob("alerts_*.jsonl")
    store = lines(store_file)
    assert store and {a["category"] for a in store} <= {"RISK", "EXECUTION", "SYSTEM"}
    assert all(a["severity"] in ("INFO", "WARN", "CRITICAL") for a in store)
    ai = lines(out / "logs" / "ai" / "ai_events.jsonl")
    assert len(ai) == 3 * 60
    assert {event["decision"] for event in ai} == {"accept", "reject", "noop"}
    for event in ai:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["ts_utc"])
        assert (event["action"] == "submit") == (event["decision"] == "accept")
        assert event["rationale"] and 0.0 <= event["confidence"] <= 1.0
    kinds = {
        line["kind"]
        for path in (out / "logs" / "execution").glob("*.jsonl")
        for line in lines(path)
    }
    assert kinds == {"gate", "intent", "order", "fill", "error"}


def test_peak_trade_format_runs(demo_out: tuple[Path, str]) -> None:
    out, _ = demo_out
    (csv_file,) = (out / "live_runs").glob("*/events.csv")
    rows = csv_file.read_text().splitlines()
    assert len(rows) == 61 and rows[0].startswith("step,ts_bar,ts_event,price,")
    assert [row.split(",", 1)[0] for row in rows[1:]] == [str(n) for n in range(1, 61)]
    (parquet_file,) = (out / "live_runs").glob("*/events.parquet")
    metadata = pq.ParquetFile(parquet_file).metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (60, 2)
    for path in (csv_file, parquet_file):
        meta = json.loads((path.parent / "meta.json").read_text())
        assert meta["ended_at"] is not None and meta["strategy_name"] == "legacy_momentum"


def test_same_seed_same_story_other_seed_other_story(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        run_demo(tmp_path / name, seed=seed, speed=400, duration=0.1)
    first, second, other = (fingerprint(tmp_path / name) for name in "abc")
    assert len(first) > 40 * 4 * 3
    assert first == second
    assert first != other


def test_ctrl_c_aborts_every_session(tmp_path: Path) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    run_demo(tmp_path, seed=7, speed=100, on_start=interrupt)
    records = sessions(tmp_path)
    assert len(records) == 3
    for record in records.values():
        assert (record["status"], record["error"]) == (
            "aborted",
            "stopped by the operator (Ctrl-C)",
        )
    for events in native_events(tmp_path).values():
        assert events[-1]["data"] == {"status": "aborted"}


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--speed", "0", "--duration", "1"]) == 2
    assert list(tmp_path.iterdir()) == []


def test_stop_event_ends_a_demo_running_in_a_thread(tmp_path: Path) -> None:
    stop, started = threading.Event(), threading.Event()
    worker = threading.Thread(
        target=run_demo,
        args=(tmp_path,),
        kwargs={"speed": 50, "on_start": started.set, "stop": stop},
    )
    worker.start()
    assert started.wait(10)
    stop.set()
    worker.join(10)
    assert not worker.is_alive()
    assert {record["status"] for record in sessions(tmp_path).values()} == {"aborted"}
