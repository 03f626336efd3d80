"""Peak_Trade's execution watch API (v0, v0.2) and `/api/live/sessions`, in its field names.

The pipeline events file is Peak_Trade's `execution_event_v0` JSONL; runs are grouped,
ordered and paged as its clients expect. `?root=`, `?filename=` and `?base_dir=` can only
name what the settings configure: anything else is a 400 in one sentence that echoes
nothing, and no file outside the roots is read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, iso, session_record, write_jsonl, write_session
from peakwatch.settings import Settings

PIPELINE = "execution_pipeline_events_v0.jsonl"


def event(second: int, run_id: str, event_type: str, **fields: Any) -> dict[str, Any]:
    """One Peak_Trade execution-pipeline event."""
    return {
        "schema": "execution_event_v0",
        "ts": iso(T0 + timedelta(seconds=second)),
        "run_id": run_id,
        "correlation_id": f"corr_{run_id}",
        "event_type": event_type,
        "order_id": fields.pop("order_id", None),
        "idempotency_key": f"idem_{run_id}_{second}",
        "payload": fields,
    }


@pytest.fixture
def pipeline(roots: Path) -> Path:
    path = roots / "logs" / "execution" / PIPELINE
    write_jsonl(
        path,
        [
            event(1, "run_new", "created", n_orders=1),
            event(0, "run_old", "created"),
            event(3, "run_new", "filled", order_id="ord_1", fill={"quantity": 1}),
            event(2, "run_new", "submitted", order_id="ord_1", api_key="SHOULD_NOT_LEAK"),
            event(1, "run_old", "failed", order_id="ord_x", final=True),
            {"schema": "something_else", "run_id": "other", "ts": iso(T0)},
            {"schema": "execution_event_v0", "ts": iso(T0)},  # no run id: not a run
        ],
    )
    with path.open("ab") as handle:
        handle.write(b"{not json\n")
    return path


def test_health_says_whether_the_file_is_there(client: TestClient, pipeline: Path) -> None:
    body = client.get("/api/v0/execution/health").json()
    assert body == {
        "status": "ok",
        "watch_only": True,
        "schema": "execution_event_v0",
        "root": "execution_dir",
        "filename": PIPELINE,
        "exists": True,
    }


def test_health_without_the_file(client: TestClient) -> None:
    assert client.get("/api/v0/execution/health").json()["exists"] is False
    assert client.get("/api/execution/runs").json()["runs"] == []


def test_v0_runs_grouped_with_status_newest_first(client: TestClient, pipeline: Path) -> None:
    body = client.get("/api/v0/execution/runs").json()
    assert body["count"] == 2
    assert [run["run_id"] for run in body["runs"]] == ["run_new", "run_old"]
    new, old = body["runs"]
    assert new == {
        "run_id": "run_new",
        "correlation_id": "corr_run_new",
        "started_at": "2026-01-01T12:00:01Z",
        "last_event_at": "2026-01-01T12:00:03Z",
        "status": "success",
        "counts": {"created": 1, "filled": 1, "submitted": 1},
    }
    assert old["status"] == "failed"
    assert client.get("/api/v0/execution/runs?limit=1").json()["count"] == 1


def test_v0_run_detail_orders_events_by_time(client: TestClient, pipeline: Path) -> None:
    body = client.get("/api/v0/execution/runs/run_new").json()
    assert body["run_id"] == "run_new" and body["count"] == len(body["events"]) == 3
    assert [e["event_type"] for e in body["events"]] == ["created", "submitted", "filled"]
    assert body["summary"]["status"] == "success"
    assert body["events"][1]["order_id"] == "ord_1"
    assert body["events"][1]["payload"]["api_key"] != "SHOULD_NOT_LEAK"
    assert body["events"][2]["payload"] == {"fill": {"quantity": 1}}
    limited = client.get("/api/v0/execution/runs/run_new?limit=1").json()
    assert limited["count"] == 1
    assert client.get("/api/v0/execution/runs/nope").status_code == 404


def test_healthz_envelope(client: TestClient) -> None:
    body = client.get("/api/healthz").json()
    assert body["api_version"] == "v0.2"
    assert body["status"] == "ok" and body["watch_only"] is True
    assert body["generated_at_utc"].endswith("Z")
    assert body["meta"]["api_version"] == "v0.3" and body["meta"]["source"] == "local"


def test_v02_runs_and_detail(client: TestClient, pipeline: Path) -> None:
    runs = client.get("/api/execution/runs?limit=10").json()
    assert runs["api_version"] == "v0.2" and runs["count"] == 2
    assert [run["run_id"] for run in runs["runs"]] == ["run_new", "run_old"]
    assert runs["runs"][0]["last_event_at_utc"] == "2026-01-01T12:00:03Z"
    assert runs["meta"]["read_errors"] == 1  # the line that is not JSON
    detail = client.get("/api/execution/runs/run_new").json()
    assert detail["run"]["run_id"] == "run_new"
    assert detail["run"]["status"] == "success" and detail["run"]["total_events"] == 3
    assert client.get("/api/execution/runs/nope").status_code == 404
    assert client.get("/api/execution/runs/..").status_code == 404


def test_v02_events_page_with_a_stable_cursor(client: TestClient, pipeline: Path) -> None:
    first = client.get("/api/execution/runs/run_new/events?limit=2").json()
    assert first["run_id"] == "run_new" and first["count"] == 2
    assert [item["seq"] for item in first["items"]] == [0, 1]
    assert first["events"] == first["items"]
    assert first["has_more"] is True and first["next_cursor"] == "2"
    assert first["meta"]["next_cursor"] == "2"
    second = client.get(f"/api/execution/runs/run_new/events?limit=2&cursor={first['next_cursor']}")
    page = second.json()
    assert [item["seq"] for item in page["items"]] == [2]
    assert page["items"][0]["event_type"] == "filled"
    assert page["has_more"] is False and page["next_cursor"] is None
    assert client.get("/api/execution/runs/nope/events").status_code == 404


def test_v02_events_tail_mode(client: TestClient, pipeline: Path) -> None:
    tail = client.get("/api/execution/runs/run_new/events?since_cursor=0").json()
    assert [item["seq"] for item in tail["items"]] == [1, 2]
    assert tail["next_cursor"] == "2"
    idle = client.get("/api/execution/runs/run_new/events?since_cursor=2").json()
    assert idle["count"] == 0 and idle["next_cursor"] == "2"


@pytest.mark.parametrize(
    "query", ["cursor=not_an_int", "cursor=-1", "since_cursor=x", "cursor=1&since_cursor=1"]
)
def test_a_bad_cursor_is_400(client: TestClient, pipeline: Path, query: str) -> None:
    response = client.get(f"/api/execution/runs/run_new/events?{query}")
    assert response.status_code == 400
    assert "not_an_int" not in response.text
    assert response.json() == {
        "detail": "cursor and since_cursor must be a next_cursor from a previous page, not both"
    }


def test_appended_events_are_indexed(client: TestClient, pipeline: Path) -> None:
    assert client.get("/api/execution/runs/run_old").json()["run"]["total_events"] == 2
    write_jsonl(pipeline, [event(9, "run_old", "canceled")], mode="a")
    run = client.get("/api/execution/runs/run_old").json()["run"]
    assert run["total_events"] == 3 and run["last_event_at_utc"] == "2026-01-01T12:00:09Z"
    write_jsonl(pipeline, [event(1, "run_z", "created")])  # rewritten from scratch
    assert [r["run_id"] for r in client.get("/api/execution/runs").json()["runs"]] == ["run_z"]


# -- roots chosen by the query --------------------------------------------------------------


def test_root_may_name_the_configured_root(
    client: TestClient, settings: Settings, pipeline: Path
) -> None:
    for root in ("execution_dir", str(settings.execution_dir)):
        response = client.get(f"/api/execution/runs?root={quote(root)}&filename={PIPELINE}")
        assert response.status_code == 200, root
        assert response.json()["count"] == 2


def test_filename_may_name_another_jsonl_file_of_the_root(
    client: TestClient, pipeline: Path
) -> None:
    other = pipeline.with_name("fixture_v0.jsonl")
    write_jsonl(other, [event(5, "run_fx", "created")])
    body = client.get("/api/execution/runs?filename=fixture_v0.jsonl").json()
    assert [run["run_id"] for run in body["runs"]] == ["run_fx"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v0/execution/health?root={outside}",
        "/api/v0/execution/runs?root={outside}",
        "/api/v0/execution/runs/run_new?root={outside}",
        "/api/execution/runs?root={outside}",
        "/api/execution/runs/run_new?root=logs/execution",
        "/api/execution/runs/run_new/events?root={outside}",
        "/api/execution/runs?root=runs_dir",
        "/api/execution/runs?filename=../../outside/secret.jsonl",
        "/api/execution/runs?filename={outside}/secret.jsonl",
        "/api/execution/runs?filename=missing.jsonl",
        "/api/execution/runs?filename=.hidden.jsonl",
        "/api/v0/execution/health?filename=notes.txt",
        "/api/live/sessions?base_dir={outside}",
        "/api/live/sessions?base_dir=reports/experiments/live_sessions",
    ],
)
def test_a_query_can_not_choose_what_the_server_reads(
    client: TestClient, roots: Path, pipeline: Path, path: str
) -> None:
    outside = roots.parent / "outside"
    write_jsonl(outside / PIPELINE, [event(1, "SECRET_RUN", "created")])
    write_jsonl(outside / "secret.jsonl", [event(1, "SECRET_RUN", "created")])
    (pipeline.parent / "notes.txt").write_text("x")
    response = client.get(path.replace("{outside}", quote(str(outside))))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.endswith(".") and "\n" not in detail
    assert "SECRET_RUN" not in response.text and str(outside) not in response.text


# -- /api/live/sessions ---------------------------------------------------------------------


def test_live_sessions_v02_summaries(client: TestClient, roots: Path, settings: Settings) -> None:
    registry = roots / "reports" / "experiments" / "live_sessions"
    write_session(registry, session_record("session_aaa", status="completed"))
    write_session(
        registry,
        session_record("session_bbb", started=T0 + timedelta(hours=2), status="started"),
    )
    body = client.get("/api/live/sessions?limit=50").json()
    assert body["api_version"] == "v0.2" and body["count"] == 2
    assert [s["session_id"] for s in body["sessions"]] == ["session_bbb", "session_aaa"]
    newest, oldest = body["sessions"]
    assert newest["status"] == "started" and newest["ended_at_utc"] is None
    assert newest["last_update_utc"] == newest["started_at_utc"] == "2026-01-01T14:00:00Z"
    assert newest["is_stale"] is False  # its record was just written: a sign of life
    assert oldest["environment"] == "kraken_testnet / BTC/EUR" and oldest["mode"] == "paper"
    assert oldest["last_update_utc"] == oldest["ended_at_utc"]
    for base_dir in ("sessions_dir", str(settings.sessions_dir)):
        named = client.get(f"/api/live/sessions?base_dir={quote(base_dir)}")
        assert named.status_code == 200 and named.json()["count"] == 2


def test_live_sessions_empty_registry(client: TestClient) -> None:
    body = client.get("/api/live/sessions").json()
    assert body["count"] == 0 and body["sessions"] == []
