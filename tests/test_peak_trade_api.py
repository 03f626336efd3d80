"""Peak_Trade's `/api/v0/...` run API: the field names and types its clients read.

Runs in Peak_Trade's own formats (CSV and Parquet step rows, a meta-only run) and native
JSONL are asked every v0 endpoint; the event poll resumes by row position, survives bad
lines, appends and rewrites, and its SSE form streams `pt_event`s through the live feed.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from artifacts import (
    T0,
    iso,
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
from html_audit import audit_html
from live_server import running_server
from peakwatch.settings import Settings
from web_helpers import sse_messages, wait_until

TEXT = ("mode", "strategy_name", "symbol", "timeframe")


@pytest.fixture
def runs_root(roots: Path) -> Path:
    root = roots / "live_runs"
    write_meta(root / "csv_run", "csv_run", config_snapshot={"tags": ["a", 1], "api_key": "k"})
    write_csv_events(root / "csv_run", step_rows(6, blocked_every=3))
    write_meta(root / "pq_run", "pq_run")
    write_parquet_events(root / "pq_run", step_rows(9), group=4)
    write_meta(root / "native_run", "native_run")
    write_jsonl(root / "native_run" / "events.jsonl", native_bar_events(4))
    write_meta(root / "meta_only", "meta_only", mode=None, strategy_name=None, notes=None)
    return root


def is_utc_text(value: Any) -> bool:
    return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None


def test_health_names_the_contract_and_the_server_clock(client: TestClient) -> None:
    body = client.get("/api/v0/health").json()
    assert body["status"] == "ok"
    assert body["contract_version"] == "v0.1B"
    assert is_utc_text(body["server_time"])


def test_runs_list_types_text_fields_as_strings(client: TestClient, runs_root: Path) -> None:
    runs = {run["run_id"]: run for run in client.get("/api/v0/runs").json()}
    assert set(runs) == {"csv_run", "pq_run", "native_run", "meta_only"}
    for run in runs.values():
        assert all(isinstance(run[name], str) for name in TEXT)
        assert isinstance(run["is_active"], bool)
    assert runs["meta_only"]["mode"] == "" and runs["meta_only"]["strategy_name"] == ""
    assert runs["csv_run"]["last_event_time"] == "2026-01-01T12:05:00Z"
    assert len(client.get("/api/v0/runs?limit=2").json()) == 2


def test_run_detail_is_meta_plus_snapshot(client: TestClient, runs_root: Path) -> None:
    body = client.get("/api/v0/runs/csv_run").json()
    meta, snapshot = body["meta"], body["snapshot"]
    assert meta["run_id"] == snapshot["run_id"] == "csv_run"
    assert meta["config_snapshot"]["tags"] == ["a", 1]
    assert meta["config_snapshot"]["api_key"] != "k"  # redacted
    assert meta["notes"] == "" and meta["started_at"] == "2026-01-01T12:00:00Z"
    assert snapshot["total_steps"] == 6 and snapshot["total_blocked_orders"] == 2
    assert "meta" not in snapshot
    empty = client.get("/api/v0/runs/meta_only").json()
    assert empty["meta"]["notes"] == "" and empty["snapshot"]["total_steps"] == 0
    assert all(isinstance(empty["meta"][name], str) for name in TEXT)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v0/runs/nope",
        "/api/v0/runs/nope/metrics",
        "/api/v0/runs/nope/equity",
        "/api/v0/runs/nope/signals",
        "/api/v0/runs/nope/positions",
        "/api/v0/runs/nope/orders",
        "/api/v0/runs/nope/detail_v02",
        "/api/v0/runs/nope/events",
        "/api/v0/runs/nope/events?sse=1",
        "/api/v0/runs/%2E%2E/metrics",
        "/api/v0/runs/.hidden/events",
    ],
)
def test_unknown_or_invalid_runs_are_404(client: TestClient, runs_root: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "run not found"}


def test_metrics_are_the_totals_of_the_snapshot(client: TestClient, runs_root: Path) -> None:
    metrics = client.get("/api/v0/runs/native_run/metrics").json()
    assert set(metrics) == {
        "equity",
        "realized_pnl",
        "unrealized_pnl",
        "drawdown",
        "total_steps",
        "total_orders",
        "total_blocked_orders",
    }
    assert metrics["total_steps"] == 4 and metrics["total_orders"] == 4
    assert metrics["total_blocked_orders"] == 1
    assert isinstance(metrics["equity"], float)


def test_equity_series_is_the_last_steps_oldest_first(client: TestClient, runs_root: Path) -> None:
    points = client.get("/api/v0/runs/pq_run/equity?limit=3").json()
    assert [p["ts"] for p in points] == [f"2026-01-01T12:0{m}:00Z" for m in (6, 7, 8)]
    assert set(points[0]) == {"ts", "equity", "realized_pnl", "unrealized_pnl", "drawdown"}
    assert all(p["drawdown"] is None or p["drawdown"] <= 0 for p in points)
    native = client.get("/api/v0/runs/native_run/equity").json()
    assert len(native) == 4 and native[0]["drawdown"] == 0.0
    assert client.get("/api/v0/runs/meta_only/equity").json() == []
    assert client.get("/api/v0/runs/pq_run/equity?limit=5001").status_code == 422


def test_signals_positions_orders_envelopes(client: TestClient, runs_root: Path) -> None:
    signals = client.get("/api/v0/runs/csv_run/signals?limit=50").json()
    assert signals["run_id"] == "csv_run" and is_utc_text(signals["asof"])
    assert signals["count"] == len(signals["items"]) == 6
    assert signals["items"][0] == {
        "ts": "2026-01-01T12:00:00Z",
        "step": 0,
        "signal": 1,
        "signal_changed": True,
    }
    positions = client.get("/api/v0/runs/pq_run/positions?limit=2").json()
    assert [p["step"] for p in positions["items"]] == [7, 8]
    assert positions["items"][0]["position_size"] == 1.0 and positions["items"][0]["cash"] == 1000.0
    orders = client.get("/api/v0/runs/csv_run/orders?only_nonzero=true").json()
    first = orders["items"][0]
    assert first["orders_blocked"] == 1 and first["risk_allowed"] is False
    assert first["risk_reasons"] == "max_position"
    assert set(first) == {
        "ts",
        "step",
        "orders_generated",
        "orders_filled",
        "orders_rejected",
        "orders_blocked",
        "risk_allowed",
        "risk_reasons",
    }


def test_only_nonzero_leaves_out_steps_without_orders(client: TestClient, roots: Path) -> None:
    rows = step_rows(4)
    for row in rows[:2]:
        row.update(orders_generated=0, orders_filled=0, orders_blocked=0)
    write_meta(roots / "live_runs" / "quiet", "quiet")
    write_csv_events(roots / "live_runs" / "quiet", rows)
    nonzero = client.get("/api/v0/runs/quiet/orders").json()
    assert [item["step"] for item in nonzero["items"]] == [2, 3]
    every = client.get("/api/v0/runs/quiet/orders?only_nonzero=false").json()
    assert every["count"] == 4


def test_native_steps_carry_counters_risk_and_signal(client: TestClient, roots: Path) -> None:
    events = native_bar_events(4)
    events.insert(0, native_event(0, "signal", T0, signal=-1, changed=True))
    write_meta(roots / "live_runs" / "n", "n")
    write_jsonl(roots / "live_runs" / "n" / "events.jsonl", events)
    orders = client.get("/api/v0/runs/n/orders?only_nonzero=false").json()["items"]
    assert [o["orders_blocked"] for o in orders] == [0, 0, 0, 1]
    assert [o["orders_filled"] for o in orders] == [1, 1, 1, 0]
    assert orders[3]["risk_allowed"] is False and orders[3]["risk_reasons"] == "max_position"
    signals = client.get("/api/v0/runs/n/signals").json()["items"]
    assert signals[0]["signal"] == -1 and signals[0]["signal_changed"] is True
    assert signals[1]["signal"] == -1 and signals[1]["signal_changed"] is None
    positions = client.get("/api/v0/runs/n/positions").json()["items"]
    assert positions[0]["cash"] == 5000.0


def test_runs_v02_and_detail_v02(client: TestClient, runs_root: Path) -> None:
    rows = {row["run_id"]: row for row in client.get("/api/v0/runs_v02?limit=10").json()}
    csv_row = rows["csv_run"]
    assert set(csv_row) == {
        "run_id",
        "status",
        "started_at",
        "last_heartbeat",
        "strategy_id",
        "tags",
        "base_dir",
    }
    assert csv_row["status"] == "inactive"  # events, not ended, not recent
    assert csv_row["last_heartbeat"] == "2026-01-01T12:05:00Z"
    assert csv_row["tags"] == ["a", "1"] and csv_row["base_dir"] == "runs_dir"
    assert rows["meta_only"]["status"] == "unknown"
    detail = client.get("/api/v0/runs/csv_run/detail_v02").json()
    assert detail["summary"]["run_id"] == "csv_run"
    assert detail["pointers"]["events"] == "/api/v0/runs/csv_run/events"
    assert detail["pointers"]["alerts"] == "/runs/csv_run/alerts"
    assert detail["alerts_summary"] == {"count": 0}
    assert detail["config_snapshot"]["tags"] == ["a", 1]


def test_completed_run_is_completed_in_v02(client: TestClient, roots: Path) -> None:
    write_meta(roots / "live_runs" / "done", "done", ended_at="2026-01-01T13:00:00Z")
    write_jsonl(
        roots / "live_runs" / "done" / "alerts.jsonl",
        [{"rule_id": "drawdown", "severity": "critical", "message": "m", "timestamp": iso(T0)}],
    )
    detail = client.get("/api/v0/runs/done/detail_v02").json()
    assert detail["summary"]["status"] == "completed"
    assert detail["alerts_summary"] == {"count": 1, "last_severity": "critical"}


# -- the event poll -------------------------------------------------------------------------


def test_poll_pages_by_row_position(client: TestClient, runs_root: Path) -> None:
    first = client.get("/api/v0/runs/csv_run/events?since_seq=0&limit=4").json()
    assert first["run_id"] == "csv_run" and first["count"] == 4 and first["next_seq"] == 4
    item = first["items"][0]
    assert item == {
        "seq": 0,
        "ts": "2026-01-01T12:00:00Z",
        "level": "warning",  # blocked
        "component": "run",
        "msg": "step=0 signal=1 position_size=0.0 orders_generated=1 orders_filled=0 "
        "orders_blocked=1",
        "run_id": "csv_run",
        "kind": "step",
        "event_seq": None,
    }
    rest = client.get(f"/api/v0/runs/csv_run/events?since_seq={first['next_seq']}").json()
    assert [i["seq"] for i in rest["items"]] == [4, 5] and rest["next_seq"] == 6
    past = client.get("/api/v0/runs/csv_run/events?since_seq=99").json()
    assert past["count"] == 0 and past["next_seq"] == 99
    parquet = client.get("/api/v0/runs/pq_run/events?since_seq=3&limit=3").json()
    assert [i["seq"] for i in parquet["items"]] == [3, 4, 5]
    assert parquet["items"][0]["msg"].startswith("step=3 ")


def test_native_events_keep_their_kind_level_and_message(client: TestClient, roots: Path) -> None:
    run = roots / "live_runs" / "n"
    write_meta(run, "n")
    events = [
        native_event(1, "run_started", datetime(2026, 1, 1, tzinfo=UTC), msg="Run n started"),
        native_event(2, "error", datetime(2026, 1, 1, tzinfo=UTC), level="error", msg="Feed\nlost"),
    ]
    write_jsonl(run / "events.jsonl", events)
    items = client.get("/api/v0/runs/n/events").json()["items"]
    assert [(i["seq"], i["event_seq"], i["kind"], i["level"]) for i in items] == [
        (0, 1, "run_started", "info"),
        (1, 2, "error", "error"),
    ]
    assert items[1]["msg"] == "Feed lost"


def test_bad_lines_leave_gaps_and_appends_are_picked_up(client: TestClient, roots: Path) -> None:
    run = roots / "live_runs" / "n"
    write_meta(run, "n")
    write_jsonl(run / "events.jsonl", native_bar_events(1))  # 6 events, rows 0..5
    with (run / "events.jsonl").open("ab") as handle:
        handle.write(b"{not json\n\n\xff\xfe\n")  # rows 6 and 7 (the blank line is no row)
    write_jsonl(run / "events.jsonl", native_bar_events(1, first_seq=7), mode="a")
    body = client.get("/api/v0/runs/n/events?since_seq=5&limit=4").json()
    assert [i["seq"] for i in body["items"]] == [5, 8]
    assert body["next_seq"] == 9 and body["total_rows"] == 14
    write_jsonl(run / "events.jsonl", native_bar_events(1, first_seq=13), mode="a")
    more = client.get("/api/v0/runs/n/events?since_seq=14").json()
    assert [i["seq"] for i in more["items"]] == list(range(14, 20))
    assert more["items"][0]["event_seq"] == 13


def test_a_rewritten_file_is_indexed_afresh(client: TestClient, roots: Path) -> None:
    run = roots / "live_runs" / "n"
    write_meta(run, "n")
    write_jsonl(run / "events.jsonl", native_bar_events(3))
    assert client.get("/api/v0/runs/n/events?since_seq=0&limit=1").json()["total_rows"] == 18
    write_jsonl(run / "events.jsonl", native_bar_events(1, first_seq=50))  # replaced, shorter
    body = client.get("/api/v0/runs/n/events?since_seq=0&limit=100").json()
    assert body["total_rows"] == 6
    assert [i["event_seq"] for i in body["items"]] == list(range(50, 56))


def test_positions_hold_across_the_index_stride(client: TestClient, roots: Path) -> None:
    """Rows far beyond one kept offset are found by seeking, not renumbered."""
    run = roots / "live_runs" / "n"
    write_meta(run, "n")
    write_jsonl(run / "events.jsonl", native_bar_events(200))  # 1200 rows
    body = client.get("/api/v0/runs/n/events?since_seq=1021&limit=3").json()
    assert [i["seq"] for i in body["items"]] == [1021, 1022, 1023]
    assert [i["event_seq"] for i in body["items"]] == [1022, 1023, 1024]


# -- the SSE form ---------------------------------------------------------------------------


def test_sse_without_follow_sends_the_batch_and_ends(client: TestClient, runs_root: Path) -> None:
    with client.stream("GET", "/api/v0/runs/csv_run/events?sse=1&since_seq=1&limit=2") as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert reply.headers["cache-control"] == "no-store"
        messages = [m for m in sse_messages(reply) if "event" in m]
    assert [m["event"] for m in messages] == ["pt_event", "pt_event"]
    assert [m["id"] for m in messages] == ["1", "2"]
    assert '"run_id":"csv_run"' in messages[0]["data"]


def test_accept_header_asks_for_the_stream(client: TestClient, runs_root: Path) -> None:
    headers = {"accept": "text/event-stream"}
    with client.stream("GET", "/api/v0/runs/csv_run/events?limit=1", headers=headers) as reply:
        text = "".join(reply.iter_text())
    assert "event: pt_event" in text and "id: 0" in text


def test_last_event_id_resumes_after_it(client: TestClient, runs_root: Path) -> None:
    headers = {"last-event-id": "3"}
    with client.stream("GET", "/api/v0/runs/csv_run/events?sse=1", headers=headers) as reply:
        ids = [m["id"] for m in sse_messages(reply) if "id" in m]
    assert ids == ["4", "5"]


def test_head_on_the_stream_ends_at_once(client: TestClient, runs_root: Path) -> None:
    response = client.head("/api/v0/runs/csv_run/events?sse=1&follow=1")
    assert response.status_code == 200 and response.content == b""


@pytest.fixture
def live_run(settings: Settings, roots: Path) -> tuple[str, Path]:
    run = roots / "live_runs" / "live"
    write_meta(run, "live")
    now = datetime.now(UTC)
    write_jsonl(run / "events.jsonl", [native_event(1, "run_started", now)])
    return "live", run / "events.jsonl"


def test_follow_streams_appended_rows_through_the_live_feed(
    settings: Settings, live_run: tuple[str, Path]
) -> None:
    run_id, events = live_run
    seen: list[dict[str, str]] = []
    with running_server(settings) as base:
        url = f"{base}/api/v0/runs/{run_id}/events?sse=1&follow=1&max_seconds=20"

        def read() -> None:
            with httpx.stream("GET", url, timeout=30) as reply:
                for message in sse_messages(reply):
                    seen.append(message)
                    if message.get("id") == "3":
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        wait_until(lambda: any(m.get("id") == "0" for m in seen), what="the first batch")
        now = datetime.now(UTC)
        write_jsonl(
            events, [native_event(s, "signal", now, msg=f"e{s}") for s in (2, 3, 4)], mode="a"
        )
        reader.join(15)
    ids = [m["id"] for m in seen if m.get("event") == "pt_event"]
    assert ids == ["0", "1", "2", "3"]
    assert '"msg":"e2"' in seen[-3]["data"]


def test_follow_ends_after_max_seconds(settings: Settings, live_run: tuple[str, Path]) -> None:
    run_id, _ = live_run
    with running_server(settings) as base:
        started = time.monotonic()
        url = f"{base}/api/v0/runs/{run_id}/events?sse=1&follow=1&max_seconds=1"
        with httpx.stream("GET", url, timeout=10) as reply:
            body = b"".join(reply.iter_raw())
        assert time.monotonic() - started < 8
    assert body.count(b"event: pt_event") == 1


def test_streams_share_the_live_stream_caps(settings: Settings, live_run: tuple[str, Path]) -> None:
    run_id, _ = live_run
    capped = settings.with_overrides(max_streams_per_client=1)
    with running_server(capped) as base:
        url = f"{base}/api/v0/runs/{run_id}/events?sse=1&follow=1&max_seconds=10"
        with httpx.stream("GET", url, timeout=15) as first:
            assert first.status_code == 200
            second = httpx.get(url, timeout=5)
            assert second.status_code == 429
            assert second.headers["retry-after"]
            assert httpx.get(f"{base}/api/stream", timeout=5).status_code == 429


# -- the sessions registry, the snapshot and the home page's sessions filter ----------------


@pytest.fixture
def registry(roots: Path) -> Path:
    folder = roots / "reports" / "experiments" / "live_sessions"
    write_session(
        folder,
        session_record(
            "s_failed",
            status="failed",
            mode="shadow",
            error="Connection timeout\nat exchange (api_key=SHOULD_NOT_LEAK)",
            metrics={"realized_pnl": -30.0, "max_drawdown": -0.04},
        ),
    )
    write_session(
        folder,
        session_record(
            "s_done",
            started=T0 + timedelta(hours=1),
            metrics={"realized_pnl": 100.0, "max_drawdown": -0.02},
        ),
    )
    write_session(
        folder,
        session_record(
            "s_other", started=T0 + timedelta(hours=2), mode="testnet", metrics={"x": 1}
        ),
    )
    return folder


def test_failed_sessions_carry_their_error_as_notes(client: TestClient, registry: Path) -> None:
    sessions = {s["session_id"]: s for s in client.get("/api/live_sessions").json()}
    failed = sessions["s_failed"]
    assert failed["notes"] == failed["error"]
    assert failed["notes"].startswith("Connection timeout at exchange")
    assert "SHOULD_NOT_LEAK" not in failed["notes"] and "\n" not in failed["notes"]
    assert sessions["s_done"]["error"] is None and sessions["s_done"]["notes"] == "note"


def test_stats_add_total_pnl_and_average_drawdown(client: TestClient, registry: Path) -> None:
    stats = client.get("/api/live_sessions/stats").json()
    assert stats["total_sessions"] == 3
    assert stats["total_pnl"] == 70.0 == stats["total_realized_pnl"]
    assert stats["avg_drawdown"] == pytest.approx(-0.03)  # of the two that report one
    assert stats["by_mode"] == {"paper": 1, "shadow": 1, "testnet": 1}


def test_empty_registry_stats(client: TestClient) -> None:
    stats = client.get("/api/live_sessions/stats").json()
    assert stats["total_pnl"] == 0.0 and stats["avg_drawdown"] == 0.0


def test_session_detail_has_peak_trades_top_level_fields(
    client: TestClient, registry: Path
) -> None:
    detail = client.get("/api/live_sessions/s_failed").json()
    assert detail["run_type"] == "live_session_shadow"
    assert detail["env_name"] == "kraken_testnet" and detail["symbol"] == "BTC/EUR"
    assert detail["config"]["strategy_name"] == "ma_crossover"
    assert detail["metrics"] == {"realized_pnl": -30.0, "max_drawdown": -0.04}
    assert detail["cli_args"][:2] == ["--mode", "shadow"]
    assert "SHOULD_NOT_LEAK" not in str(detail["cli_args"])
    assert detail["created_at"] == "2026-01-01T12:00:00Z"
    assert detail["record"]["session_id"] == "s_failed"  # the whole record is still there
    assert detail["notes"].startswith("Connection timeout")


@pytest.mark.parametrize("kind", ["json", "html"])
def test_snapshots_are_never_cached(client: TestClient, kind: str) -> None:
    response = client.get(f"/api/live/status/snapshot.{kind}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def session_ids_on_home(text: str) -> list[str]:
    links = audit_html(text).links
    return [link.removeprefix("/sessions/") for link in links if link.startswith("/sessions/")]


def test_home_filters_its_sessions_server_side(client: TestClient, registry: Path) -> None:
    every = client.get("/")
    assert every.status_code == 200
    assert set(session_ids_on_home(every.text)) == {"s_failed", "s_done", "s_other"}
    failed = client.get("/?status=failed")
    page = audit_html(failed.text)
    assert not page.inline_scripts and not page.handlers
    assert set(session_ids_on_home(failed.text)) == {"s_failed"}
    assert '<option value="failed" selected>' in failed.text
    assert "/api/live_sessions?limit=50&amp;status=failed" in failed.text
    paper = client.get("/?mode=testnet&status=completed")
    assert set(session_ids_on_home(paper.text)) == {"s_other"}
    assert "Clear the filter" in paper.text
    none = client.get("/?mode=live")
    assert session_ids_on_home(none.text) == [] and "No session matches" in none.text
    ignored = client.get("/?mode=%3Cscript%3E&status=exploded")
    assert ignored.status_code == 200 and "<script>" not in ignored.text.split("</head>")[1]
    assert set(session_ids_on_home(ignored.text)) == {"s_failed", "s_done", "s_other"}
