"""Bounded work per request: list pages are paged, and searches through big events files stop
at their byte and time budget and say so (page and JSON)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench import data as bench_data
from fastapi.testclient import TestClient

from artifacts import native_bar_events, session_record, write_jsonl, write_meta, write_session
from peakwatch.domain import activity as activity_domain
from peakwatch.settings import Settings, load_settings
from peakwatch.sources import slices
from peakwatch.web import create_app

BIG_RUN = "big_run"
BIG_SESSION = "big-session"
BIG_BYTES = 100 * 1024 * 1024
MANY_RUNS = 20_000


def runs_root(roots: Path) -> Path:
    return roots / "live_runs"


def registry(roots: Path) -> Path:
    return roots / "reports" / "experiments" / "live_sessions"


def table_rows(html: str) -> int:
    """Rows of the runs table (one `<tr data-run-id=...>` each)."""
    return len(re.findall(r'<tr data-run-id="', html))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def many_runs_roots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 tiny runs (meta and four events each), written once for the module."""
    roots = tmp_path_factory.mktemp("many") / "data"
    now = datetime.now(UTC)
    bench_data.write_many_runs(runs_root(roots), MANY_RUNS, active=5, now=now)
    return roots


@pytest.fixture(scope="module")
def big_roots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with a ~100 MiB events file (a 1 MiB block of real events, repeated) and a
    session that points at it; no event names the session, so its search finds nothing."""
    roots = tmp_path_factory.mktemp("big") / "data"
    run_dir = runs_root(roots) / BIG_RUN
    bench_data.write_meta(run_dir, BIG_RUN, ended=True)
    block = bench_data.jsonl_block(1 << 20)
    block = block[: block.index(b"\n", 1 << 20) + 1]
    bench_data.fill_file(run_dir / "events.jsonl", BIG_BYTES, block)
    write_session(registry(roots), session_record(BIG_SESSION, run_id=BIG_RUN))
    return roots


def client_over(roots: Path) -> TestClient:
    """A client over `roots` (use it in a `with` block)."""
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    return TestClient(create_app(settings), base_url="http://localhost")


@pytest.fixture(scope="module")
def many_client(many_runs_roots: Path) -> Iterator[TestClient]:
    """A client over the 20,000 runs, their index complete."""
    with client_over(many_runs_roots) as test_client:
        index_everything(test_client)
        yield test_client


@pytest.fixture
def big_client(big_roots: Path) -> Iterator[TestClient]:
    """A client over the run with the big events file."""
    with client_over(big_roots) as test_client:
        yield test_client


def index_everything(client: TestClient) -> None:
    """Bring the run and session indexes up to date now (big roots refresh in the background)."""
    client.app.state.workspace.refresh(force=True)  # type: ignore[attr-defined]


@pytest.fixture
def byte_counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every byte the activity search reads, one entry per slice."""
    counted: list[int] = []
    original = slices.read_slice_before

    def counting(path: Path, end: int | None, max_bytes: int, *, floor: int = 0) -> slices.Slice:
        piece = original(path, end, max_bytes, floor=floor)
        counted.append(piece.read_bytes)
        return piece

    monkeypatch.setattr("peakwatch.domain.activity_feed.read_slice_before", counting)
    return counted


def test_dashboard_with_20000_runs_renders_one_small_page(many_client: TestClient) -> None:
    client = many_client
    response = client.get("/dashboard")
    assert response.status_code == 200
    html = response.text
    assert len(response.content) < 1_000_000
    assert table_rows(html) == 100
    assert "Showing 1–100 of 20,000 runs" in html
    assert 'href="/dashboard?offset=100" rel="next"' in html
    assert 'rel="prev"' not in html
    assert "run_000000" in html  # the most recently active come first, as before
    second = client.get("/dashboard?offset=100")
    assert second.status_code == 200
    assert table_rows(second.text) == 100
    assert "Showing 101–200 of 20,000 runs" in second.text
    assert 'href="/dashboard" rel="prev"' in second.text
    assert 'data-live="off"' in second.text  # only the first page grows live
    first_ids = set(re.findall(r'<tr data-run-id="([^"]+)"', html))
    second_ids = set(re.findall(r'<tr data-run-id="([^"]+)"', second.text))
    assert not first_ids & second_ids


def test_dashboard_page_size_and_last_page(many_client: TestClient) -> None:
    big = many_client.get("/dashboard?limit=500&offset=19900")
    assert table_rows(big.text) == 100
    assert "Showing 19,901–20,000 of 20,000 runs" in big.text
    assert 'rel="next"' not in big.text
    assert 'href="/dashboard?offset=19400&amp;limit=500" rel="prev"' in big.text


def test_home_lists_a_bounded_number_of_runs(many_client: TestClient) -> None:
    html = many_client.get("/").text
    assert table_rows(html) == 50
    assert "Newest activity 50 of 20,000" in html


@pytest.mark.parametrize(
    "query", ["offset=-1", "offset=abc", "limit=0", "limit=501", "limit=1e3", "offset=99999999999"]
)
@pytest.mark.parametrize("path", ["/dashboard", "/alerts", "/sessions", "/status/health"])
def test_bad_paging_answers_a_400_page(client: TestClient, path: str, query: str) -> None:
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "limit one from 1 to 500" in response.text
    value = query.partition("=")[2]
    assert f"{value}</" not in response.text  # the value is not echoed


def test_activity_page_limit_is_checked(client: TestClient) -> None:
    assert client.get("/activity?limit=0").status_code == 400
    assert client.get("/activity?limit=20").status_code == 200


def test_sessions_page_is_paged(client: TestClient, roots: Path) -> None:
    for i in range(130):
        write_session(registry(roots), session_record(f"s-{i:03d}"))
    first = client.get("/sessions")
    assert first.status_code == 200
    assert first.text.count('<a href="/sessions/s-') == 100
    assert "Showing 1–100 of 130 sessions" in first.text
    second = client.get("/sessions?offset=100")
    assert second.text.count('<a href="/sessions/s-') == 30
    assert "Showing 101–130 of 130 sessions" in second.text


def test_alerts_page_is_paged(client: TestClient, roots: Path) -> None:
    run_dir = runs_root(roots) / "r1"
    write_meta(run_dir, "r1")
    write_jsonl(run_dir / "events.jsonl", native_bar_events(2))
    alerts = [
        {
            "rule_id": f"rule_{i}",
            "severity": "WARN",
            "message": f"alert {i}",
            "run_id": "r1",
            "timestamp": f"2026-01-01T12:{i // 60:02d}:{i % 60:02d}Z",
        }
        for i in range(150)
    ]
    write_jsonl(run_dir / "alerts.jsonl", alerts)
    html = client.get("/alerts?source=run&limit=60").text
    assert html.count('class="alert-row') == 60
    assert "Showing 1–60 of 150 alerts" in html
    assert 'href="/alerts?source=run&amp;offset=60&amp;limit=60" rel="next"' in html


def test_activity_search_over_a_100_mib_file_stops_at_its_budget(
    big_client: TestClient, byte_counter: list[int]
) -> None:
    started = time.monotonic()
    response = big_client.get("/api/activity", params={"q": "no such text anywhere"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == []
    assert body["truncated"] is True
    assert body["stop_reason"] in ("bytes", "time")
    assert body["scanned_bytes"] == sum(byte_counter)
    assert sum(byte_counter) <= activity_domain.SEARCH_MAX_BYTES + len(byte_counter)
    assert body["reached_bytes"] >= BIG_BYTES * 0.98
    assert body["next_cursor"]  # resumes where the scan stopped
    assert elapsed < activity_domain.SEARCH_MAX_SECONDS + 3
    resumed = big_client.get(
        "/api/activity", params={"q": "no such text anywhere", "before": body["next_cursor"]}
    ).json()
    assert resumed["truncated"] is True
    assert resumed["next_cursor"] != body["next_cursor"]  # a step further back


def test_activity_page_says_the_search_stopped_early(
    big_client: TestClient, byte_counter: list[int]
) -> None:
    html = big_client.get("/activity", params={"q": "no such text anywhere"}).text
    assert "Stopped early after scanning" in html
    assert re.search(r"of (9\d|10\d) MiB", html)
    assert "Narrow the search or page further" in html
    assert "Search further back" in html
    assert sum(byte_counter) <= activity_domain.SEARCH_MAX_BYTES + len(byte_counter)


def test_session_page_scan_of_a_100_mib_file_is_bounded(
    big_client: TestClient, byte_counter: list[int]
) -> None:
    response = big_client.get(f"/sessions/{BIG_SESSION}")
    assert response.status_code == 200
    assert "Stopped early after scanning" in response.text
    assert sum(byte_counter) <= activity_domain.SEARCH_MAX_BYTES + len(byte_counter)


def test_search_stops_at_its_time_budget(big_client: TestClient, byte_counter: list[int]) -> None:
    ticks = iter(range(1000))
    budget = activity_domain.ScanBudget(max_seconds=3.0, clock=lambda: float(next(ticks)))
    assert budget.allowance(10) == 10
    assert budget.allowance(10) == 10
    assert budget.allowance(10) == 0
    assert budget.stopped == activity_domain.STOPPED_TIME
    page = big_client.app.state.workspace.activity.page(  # type: ignore[attr-defined]
        activity_domain.ActivityFilter(text="no such text"),
        limit=10,
        before=None,
        budget=activity_domain.ScanBudget(clock=lambda: float(next(ticks))),
    )
    assert page.truncated and page.stop_reason == activity_domain.STOPPED_TIME
    assert len(byte_counter) == 1  # one slice, then the (fake) clock said 2 s had passed


def test_a_search_that_finds_enough_reads_little(
    big_client: TestClient, byte_counter: list[int]
) -> None:
    body = big_client.get("/api/activity", params={"kind": "decision", "limit": 5}).json()
    assert len(body["items"]) == 5
    assert body["truncated"] is False
    assert sum(byte_counter) <= activity_domain.FIRST_SLICE_BYTES + 1
