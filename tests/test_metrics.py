"""`/metrics`: requests by route template, unreadable artifacts, runs by status."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from artifacts import native_bar_events, write_jsonl, write_meta
from web_helpers import metric_lines


def test_metrics_count_requests_problems_and_runs(client: TestClient, roots: Path) -> None:
    runs = roots / "live_runs"
    write_meta(runs / "done", "done", ended_at="2026-01-01T13:00:00Z")
    write_jsonl(runs / "done" / "events.jsonl", native_bar_events(2))
    (runs / "broken").mkdir()
    (runs / "broken" / "meta.json").write_text("{not json")
    client.get("/runs/done/tail")
    client.get("/runs/secret-id-123/tail")
    requests = metric_lines(client, "peakwatch_http_requests_total")
    assert requests['peakwatch_http_requests_total{route="/runs/{run_id}/tail",status="200"}'] == 1
    assert requests['peakwatch_http_requests_total{route="/runs/{run_id}/tail",status="404"}'] == 1
    assert not any("secret-id-123" in key for key in requests)
    runs_by_status = metric_lines(client, "peakwatch_runs")
    assert runs_by_status['peakwatch_runs{status="completed"}'] == 1
    assert runs_by_status['peakwatch_runs{status="unknown"}'] == 1
    errors = metric_lines(client, "peakwatch_artifact_read_errors")
    assert errors['peakwatch_artifact_read_errors{kind="meta"}'] == 1
    age = metric_lines(client, "peakwatch_newest_event_age_seconds")
    assert age["peakwatch_newest_event_age_seconds"] > 0
