"""Peak_Trade's watch pages render from the same data as their JSON twins, without inline script.

`/watch`, `/watch/runs/{id}`, `/watch/execution`, `/execution_watch` and `/live/alerts`
are audited like every page (tests/html_audit.py): no inline script or handler, escaped
artifact text, links to the run pages; bad parameters answer a 400 page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from artifacts import (
    iso,
    native_bar_events,
    session_record,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_session,
)
from html_audit import audit_html

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def data(roots: Path) -> Path:
    runs = roots / "live_runs"
    write_meta(runs / "csv_run", "csv_run", strategy_name=XSS)
    write_csv_events(runs / "csv_run", step_rows(6, blocked_every=3))
    write_meta(runs / "native_run", "native_run")
    write_jsonl(runs / "native_run" / "events.jsonl", native_bar_events(3))
    now = datetime.now(UTC).replace(microsecond=0)
    write_jsonl(
        runs / "alerts" / f"alerts_{now:%Y-%m-%d}.jsonl",
        [
            {"id": "a1", "title": "Drawdown", "body": XSS, "severity": "CRITICAL",
             "category": "RISK", "session_id": "s1", "timestamp": iso(now)},
            {"id": "a2", "title": "Slow fill", "body": "b", "severity": "WARN",
             "category": "EXECUTION", "session_id": "s2", "timestamp": iso(now)},
            {"id": "a3", "title": "Old", "body": "b", "severity": "WARN",
             "category": "RISK", "session_id": "s1", "timestamp": iso(now - timedelta(days=3))},
        ],
    )  # fmt: skip
    pipeline = roots / "logs" / "execution" / "execution_pipeline_events_v0.jsonl"
    write_jsonl(
        pipeline,
        [
            {"schema": "execution_event_v0", "ts": iso(now), "run_id": "exec_1",
             "correlation_id": "corr_1", "event_type": kind, "order_id": "o1",
             "payload": {"note": XSS, "api_key": "SHOULD_NOT_LEAK"}}
            for kind in ("created", "submitted", "filled")
        ],
    )  # fmt: skip
    write_session(roots / "reports" / "experiments" / "live_sessions", session_record("s1"))
    return roots


def clean_page(text: str) -> None:
    page = audit_html(text)
    assert not page.inline_scripts and not page.handlers and not page.injected
    assert XSS not in text and "SHOULD_NOT_LEAK" not in text


def test_watch_lists_runs_with_links_to_their_watch_pages(client: TestClient, data: Path) -> None:
    response = client.get("/watch")
    assert response.status_code == 200
    clean_page(response.text)
    links = audit_html(response.text).links
    assert {"/watch/runs/csv_run", "/watch/runs/native_run"} <= set(links)
    assert "v0.1B" in response.text and "/api/v0/health" in response.text


def test_watch_run_shows_signals_positions_orders_and_events(
    client: TestClient, data: Path
) -> None:
    response = client.get("/watch/runs/csv_run")
    assert response.status_code == 200
    clean_page(response.text)
    text = response.text
    assert "Signals" in text and "Positions" in text and "Orders" in text
    assert "max_position" in text  # a blocked step's risk reason in the orders panel
    assert "step=5 signal=1" in text  # the newest row in the events panel
    assert "&lt;img src=x" in text  # the strategy name, escaped
    native = client.get("/watch/runs/native_run")
    assert native.status_code == 200 and "position" in native.text


def test_watch_run_unknown_is_a_404_page(client: TestClient, data: Path) -> None:
    for run_id in ("nope", quote("../outside", safe="")):
        response = client.get(f"/watch/runs/{run_id}")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("path", ["/watch/execution", "/execution_watch"])
def test_execution_pages_list_runs_and_a_timeline(
    client: TestClient, data: Path, path: str
) -> None:
    overview = client.get(path)
    assert overview.status_code == 200
    clean_page(overview.text)
    assert "exec_1" in overview.text and "success" in overview.text
    timeline = client.get(f"{path}?run_id=exec_1")
    clean_page(timeline.text)
    assert "Timeline" in timeline.text and timeline.text.count("<td>o1</td>") == 3
    assert "&lt;img src=x" in timeline.text and "[redacted]" in timeline.text
    if path == "/execution_watch":
        assert "/sessions/s1" in audit_html(timeline.text).links


def test_watch_execution_takes_only_the_configured_root(
    client: TestClient, data: Path, settings: object
) -> None:
    assert client.get("/watch/execution?root=execution_dir").status_code == 200
    for query in ("root=/etc", "root=logs/execution", "filename=..%2Fx.jsonl"):
        response = client.get(f"/watch/execution?{query}")
        assert response.status_code == 400, query
        assert "/etc" not in response.text.split("<main")[1]


def test_live_alerts_tiles_and_filters(client: TestClient, data: Path) -> None:
    response = client.get("/live/alerts")
    assert response.status_code == 200
    clean_page(response.text)
    page = response.text
    assert "Drawdown" in page and "Slow fill" in page and "Old" not in page  # last 24 h
    tiles = dict(re.findall(r'<h2>(\w+)</h2><p class="count">(\d+)</p>', page))
    assert tiles == {"Total": "2", "Critical": "1", "Warning": "1", "Sessions": "2"}
    week = client.get("/live/alerts?hours=168").text
    assert "Old" in week
    critical = client.get("/live/alerts?severity=CRITICAL").text
    assert "Drawdown" in critical and "Slow fill" not in critical
    execution = client.get("/live/alerts?category=EXECUTION").text
    assert "Slow fill" in execution and "Drawdown" not in execution
    session = client.get("/live/alerts?hours=168&session_id=s1").text
    assert "Drawdown" in session and "Old" in session and "Slow fill" not in session


@pytest.mark.parametrize("query", ["hours=0", "hours=169", "hours=x", "limit=501", "limit=-1"])
def test_live_alerts_bad_numbers_are_a_400_page(client: TestClient, data: Path, query: str) -> None:
    response = client.get(f"/live/alerts?{query}")
    assert response.status_code == 400
    assert "hours must be a whole number from 1 to 168" in response.text
