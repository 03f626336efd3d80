"""`peakwatch validate`: per-file reports, line numbers and exit codes for runner authors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from artifacts import (
    T0,
    native_bar_events,
    native_event,
    session_record,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
    write_session,
)
from peakwatch import validate
from peakwatch.validate import files as validate_files


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    """Exit code and stdout of `peakwatch validate ARGV`."""
    code = validate.main([str(arg) for arg in argv])
    return code, capsys.readouterr().out


def file_line(out: str, path: str) -> str:
    """The report line of one file."""
    found = [line for line in out.splitlines() if line[7:].split("  ")[0] == path]
    assert len(found) == 1, out
    return found[0]


def problems_of(out: str, path: str) -> list[str]:
    """The indented problem lines under one file's report line."""
    lines = out.splitlines()
    start = lines.index(file_line(out, path)) + 1
    found = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def native_run(runs: Path, run_id: str, events: list[dict[str, Any]]) -> Path:
    """A native run folder with meta.json and events.jsonl."""
    write_meta(runs / run_id, run_id)
    write_jsonl(runs / run_id / "events.jsonl", events)
    return runs / run_id


def append(path: Path, text: str) -> None:
    """Append raw text (no newline translation)."""
    with path.open("a", newline="") as handle:
        handle.write(text)


def test_good_native_run_folder_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = native_run(tmp_path, "run_a", native_bar_events(4))  # 4 bars: 23 events
    code, out = run(capsys, run_dir)
    assert code == 0
    assert file_line(out, "meta.json") == "OK     meta.json  1 record  run meta"
    assert file_line(out, "events.jsonl") == "OK     events.jsonl  23 records  run events (JSONL)"
    assert out.splitlines()[-1] == (
        "run folder: 2 files checked, 2 ok, 0 with warnings, 0 with errors; 24 records"
    )


def test_corrupt_meta_is_an_error_and_good_runs_stay_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    native_run(tmp_path, "good", native_bar_events(1))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "meta.json").write_text('{"run_id": "broken", "mode": ')
    code, out = run(capsys, tmp_path)
    assert code == 1
    assert file_line(out, "broken/meta.json").startswith("ERROR  broken/meta.json  0 records")
    assert problems_of(out, "broken/meta.json") == ["file: not valid JSON (truncated or corrupt)"]
    assert file_line(out, "good/meta.json").startswith("OK ")
    assert out.splitlines()[-1].startswith("runs root: 3 files checked, 2 ok, 0 with warnings, 1")


def test_events_jsonl_bad_line_seq_gap_and_partial_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [native_event(seq, "heartbeat", T0) for seq in (1, 2, 3)]
    run_dir = native_run(tmp_path, "run_b", events)
    path = run_dir / "events.jsonl"
    append(path, '{"v": 1, "seq": 4, "ts": \n')  # line 4: not JSON
    append(path, json.dumps(native_event(6, "heartbeat", T0)) + "\n")  # line 5: 4 and 5 missing
    append(path, '{"v": 1, "seq": 7, "ts": "2026-')  # line 6: still being written
    code, out = run(capsys, run_dir)
    assert code == 1
    assert file_line(out, "events.jsonl") == (
        "ERROR  events.jsonl  4 records  run events (JSONL): 1 error, 2 warnings"
    )
    assert problems_of(out, "events.jsonl") == [
        "line 4: line is not valid JSON",
        "line 5: seq gap: expected 4, got 6",
        "line 6: incomplete last line (no newline at the end)",
    ]


def test_seq_repeats_are_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = [native_event(seq, "heartbeat", T0) for seq in (1, 2, 2, 3, 1)]
    run_dir = native_run(tmp_path, "run_c", events)
    code, out = run(capsys, run_dir)
    assert code == 0
    assert file_line(out, "events.jsonl").startswith("WARN   events.jsonl  5 records")
    assert problems_of(out, "events.jsonl") == [
        "line 3: seq 2 repeated",
        "line 5: seq went back from 3 to 1",
    ]


def test_decision_links_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = [
        native_event(1, "decision", T0, decision_id="d-1", action="buy", confidence=0.6),
        native_event(2, "order", T0, decision_id="d-1", order_id="o1", status="submitted"),
        native_event(3, "fill", T0, decision_id="d-9", order_id="o1"),
        native_event(4, "decision", T0, decision_id="d-1", action="sell", confidence=1.5),
        native_event(5, "risk", T0, decision_id=["d-1"], allowed=True),
        native_event(6, "decision", T0, decision_id=17, action="hold"),
        native_event(7, "position", T0, decision_id="17", equity=1.0),
    ]
    run_dir = native_run(tmp_path, "run_d", events)
    code, out = run(capsys, run_dir)
    assert code == 0
    assert problems_of(out, "events.jsonl") == [
        "line 3: decision_id names no earlier decision event",
        "line 4: decision confidence outside 0..1: not scored",
        "line 4: decision_id reused (first declared on line 1)",
        "line 5: data.decision_id is not text of 1 to 200 characters",
    ]


def test_invalid_event_records_name_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_ts = native_event(2, "heartbeat", T0) | {"ts": "soon"}
    no_kind = {k: v for k, v in native_event(3, "x", T0).items() if k != "kind"}
    run_dir = native_run(tmp_path, "run_d", [native_event(1, "heartbeat", T0), bad_ts, no_kind])
    code, out = run(capsys, run_dir)
    assert code == 1
    assert problems_of(out, "events.jsonl") == [
        "line 2: field 'ts': not an ISO-8601 timestamp",
        "line 3: missing required field 'kind'",
    ]


def test_line_numbers_count_blank_lines_crlf_and_read_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate_files, "READ_BYTES", 7)  # lines straddle many small reads
    run_dir = tmp_path / "run_e"
    write_meta(run_dir, "run_e")
    good = [json.dumps(native_event(seq, "heartbeat", T0)) for seq in (1, 2, 3)]
    text = good[0] + "\r\n\r\n\n" + good[1] + "\r\n" + "[1, 2]\r\n" + "\n" + good[2] + "\n"
    (run_dir / "events.jsonl").write_bytes(text.encode())
    code, out = run(capsys, run_dir)
    assert code == 1
    assert problems_of(out, "events.jsonl") == ["line 5: line is JSON but not an object"]
    assert file_line(out, "events.jsonl").startswith("ERROR  events.jsonl  3 records")


def test_problems_are_capped_at_twenty_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = native_run(tmp_path, "run_f", [])
    (run_dir / "events.jsonl").write_text("nope\n" * 25)
    code, out = run(capsys, run_dir)
    assert code == 1
    shown = problems_of(out, "events.jsonl")
    assert len(shown) == 21
    assert shown[0] == "line 1: line is not valid JSON"
    assert shown[19] == "line 20: line is not valid JSON"
    assert shown[20] == "... and 5 more"
    assert "25 errors" in file_line(out, "events.jsonl")


def test_peak_trade_csv_run_with_nan_and_empty_values_is_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "20251204_180000_paper_ma_crossover_BTC-EUR_1m"
    write_meta(run_dir, run_dir.name)
    write_csv_events(run_dir, step_rows(10))  # NaN equity every 5th row, empty risk_reasons
    code, out = run(capsys, run_dir)
    assert code == 0
    assert file_line(out, "events.csv") == "OK     events.csv  10 records  run steps (CSV)"


def test_csv_rows_with_bad_values_and_extra_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run_g"
    write_meta(run_dir, "run_g")
    path = write_csv_events(run_dir, step_rows(3))
    lines = path.read_text().splitlines()
    fields = lines[2].split(",")
    fields[0] = "two"  # line 3: step is not a number
    lines[2] = ",".join(fields)
    lines.append(lines[3] + ",surplus")  # line 5: one field more than the header
    path.write_text("\n".join(lines) + "\n")
    code, out = run(capsys, run_dir)
    assert code == 1
    assert file_line(out, "events.csv").startswith("ERROR  events.csv  3 records")
    assert problems_of(out, "events.csv") == [
        "line 3: field 'step': not a number",
        "line 5: 1 field more than the header names",
    ]


def test_parquet_run_is_read_row_by_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good_pq"
    write_meta(good, "good_pq")
    write_parquet_events(good, step_rows(120), group=50)
    bad_rows = tmp_path / "bad_rows"
    write_meta(bad_rows, "bad_rows")
    steps = [{"step": "1", "ts_bar": "2026-01-01T00:00:00Z"}, {"step": "x", "ts_bar": "later"}]
    pq.write_table(pa.Table.from_pylist(steps), bad_rows / "events.parquet")
    corrupt = tmp_path / "corrupt"
    write_meta(corrupt, "corrupt")
    data = (good / "events.parquet").read_bytes()
    (corrupt / "events.parquet").write_bytes(data[: len(data) // 2])
    code, out = run(capsys, tmp_path)
    assert code == 1
    assert file_line(out, "good_pq/events.parquet") == (
        "OK     good_pq/events.parquet  120 records  run steps (Parquet)"
    )
    assert problems_of(out, "bad_rows/events.parquet") == ["row 2: field 'step': not a number"]
    assert problems_of(out, "corrupt/events.parquet") == [
        "file: Parquet file is corrupt or was being rewritten"
    ]


def test_secondary_events_file_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = native_run(tmp_path, "run_h", [native_event(1, "heartbeat", T0)])
    write_csv_events(run_dir, step_rows(2))
    code, out = run(capsys, run_dir)
    assert code == 0
    assert file_line(out, "events.jsonl").startswith("OK ")
    assert problems_of(out, "events.csv") == [
        "file: not read by the dashboard: events.jsonl takes precedence"
    ]


def test_registry_with_a_good_and_a_corrupt_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_session(tmp_path, session_record("session_good"))
    (tmp_path / "20260101T000500_live_session_shadow_bad.json").write_text('{"session_id": "b"')
    code, out = run(capsys, tmp_path)
    assert code == 1
    assert file_line(out, good.name) == f"OK     {good.name}  1 record  session record"
    bad = "20260101T000500_live_session_shadow_bad.json"
    assert file_line(out, bad).startswith(f"ERROR  {bad}  0 records")
    assert problems_of(out, bad) == ["file: not valid JSON (truncated or corrupt)"]
    assert out.splitlines()[-1].startswith("sessions registry: 2 files checked, 1 ok")


def test_repository_root_checks_every_artifact_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "live_runs"
    run_dir = native_run(runs, "run_i", native_bar_events(1))
    alert = {"rule_id": "drawdown", "severity": "warning", "message": "m", "run_id": "run_i"}
    write_jsonl(run_dir / "alerts.jsonl", [alert | {"timestamp": "2026-01-01T00:00:00Z"}])
    store = {"id": "a1", "severity": "WARN", "timestamp": "2026-01-01T00:00:00Z"}
    write_jsonl(runs / "alerts" / "alerts_2026-01-01.jsonl", [store])
    write_session(tmp_path / "reports/experiments/live_sessions", session_record("s1"))
    ai = {"v": 1, "ts_utc": "2026-01-01T00:00:00.000Z", "event": "decision", "decision": "noop"}
    write_jsonl(tmp_path / "logs/ai/ai_events.jsonl", [ai, ai | {"ts_utc": "yesterday"}, ai])
    execution = {"ts": "2026-01-01T00:00:00Z", "session_id": "s1", "kind": "fill", "payload": {}}
    write_jsonl(tmp_path / "logs/execution/s1.jsonl", [execution])
    code, out = run(capsys, tmp_path)
    assert code == 1
    assert file_line(out, "logs/ai/ai_events.jsonl") == (
        "ERROR  logs/ai/ai_events.jsonl  2 records  AI events [ts_utc decision]: 1 error"
    )
    assert problems_of(out, "logs/ai/ai_events.jsonl") == [
        "line 2: ts_utc decision: field 'ts_utc': not an ISO-8601 timestamp"
    ]
    for path in (
        "live_runs/run_i/meta.json",
        "live_runs/run_i/events.jsonl",
        "live_runs/run_i/alerts.jsonl",
        "live_runs/alerts/alerts_2026-01-01.jsonl",
        "logs/execution/s1.jsonl",
    ):
        assert file_line(out, path).startswith("OK "), path
    assert out.splitlines()[-1].startswith("repository: 7 files checked, 6 ok")
    assert str(tmp_path) not in out


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = native_run(tmp_path, "run_j", [native_event(1, "heartbeat", T0)])
    append(run_dir / "events.jsonl", "oops\n")
    code, out = run(capsys, run_dir, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["layout"] == "run folder"
    assert report["ok"] is False
    events = {f["path"]: f for f in report["files"]}["events.jsonl"]
    assert events["status"] == "ERROR"
    assert events["records"] == 1
    assert events["problems"] == [
        {
            "line": 2,
            "offset": events["problems"][0]["offset"],
            "reason": "line is not valid JSON",
            "row": None,
            "severity": "error",
        }
    ]
    assert report["summary"] == {"error": 1, "files": 2, "ok": 1, "records": 2, "warn": 0}


def test_bad_path_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "file.txt").write_text("x")
    assert validate.main([str(tmp_path / "file.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("peakwatch validate: PATH is not a folder") and "Traceback" not in err


def test_folder_without_artifacts_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, out = run(capsys, tmp_path)
    assert code == 1
    assert out.startswith("ERROR  no artifacts found")


def test_console_script_in_a_subprocess(tmp_path: Path) -> None:
    native_run(tmp_path / "live_runs", "run_k", [native_event(1, "heartbeat", T0)])
    (tmp_path / "live_runs" / "run_k" / "meta.json").write_text("not json")
    script = Path(sys.executable).parent / "peakwatch"
    done = subprocess.run(
        [str(script), "validate", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "ERROR  live_runs/run_k/meta.json  0 records" in done.stdout
    assert "OK     live_runs/run_k/events.jsonl  1 record" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("layout", ["repository", "runs root"])
def test_a_stray_meta_json_at_the_top_does_not_hide_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    runs = tmp_path / "live_runs" if layout == "repository" else tmp_path
    run_dir = native_run(runs, "run_s", native_bar_events(1))
    (run_dir / "events.jsonl").write_text("not json\n", encoding="utf-8")
    write_meta(tmp_path, "stray")
    code, out = run(capsys, tmp_path)
    assert code == 1  # the broken events file below was checked, not skipped
    assert out.splitlines()[-1].startswith(f"{layout}: ")
    events = "live_runs/run_s/events.jsonl" if layout == "repository" else "run_s/events.jsonl"
    assert file_line(out, events).startswith("ERROR ")
    assert file_line(out, "meta.json").startswith("WARN ")
    assert problems_of(out, "meta.json") == [
        f"file: stray meta.json at the top of a {layout}: not a run, not read"
    ]
