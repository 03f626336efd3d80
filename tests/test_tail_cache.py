"""Repeated tails come from the rendered cache through normal routing: same bytes, same rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, native_bar_events, write_jsonl, write_meta
from peakwatch.domain.run_queries import Runs
from web_helpers import metric_lines


@pytest.fixture
def run_dir(roots: Path) -> Path:
    folder = roots / "live_runs" / "r1"
    write_meta(folder, "r1")
    write_jsonl(folder / "events.jsonl", native_bar_events(6))
    return folder


def tail_cannot_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on reading a run's tail fails: only the rendered cache can answer."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the tail was read again")

    monkeypatch.setattr(Runs, "tail", refuse)


def test_a_repeated_tail_is_answered_from_the_cache_with_the_same_bytes_and_headers(
    run_dir: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get("/runs/r1/tail?limit=3")
    assert first.status_code == 200 and len(first.json()) == 3
    tail_cannot_be_read(monkeypatch)
    again = client.get("/runs/r1/tail?limit=3")
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers == first.headers  # content type and length, CSP and friends
    head = client.head("/runs/r1/tail?limit=3")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]
    counted = metric_lines(client, "peakwatch_http_requests_total")
    assert counted['peakwatch_http_requests_total{route="/runs/{run_id}/tail",status="200"}'] == 3


def test_the_default_limit_is_the_handlers(client: TestClient, run_dir: Path) -> None:
    write_jsonl(run_dir / "events.jsonl", native_bar_events(60))
    plain = client.get("/runs/r1/tail")
    assert len(plain.json()) == 50
    assert client.get("/runs/r1/tail").content == plain.content
    assert client.get("/runs/r1/tail?limit=50").content == plain.content


def test_a_change_to_the_run_goes_back_to_the_handler(
    client: TestClient, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client.get("/runs/r1/tail?limit=20").json()
    more = native_bar_events(1, start=T0.replace(hour=13), first_seq=100)
    write_jsonl(run_dir / "events.jsonl", more, mode="a")
    after = client.get("/runs/r1/tail?limit=20").json()
    assert len(after) == len(before) + 1
    (run_dir / "meta.json").unlink()
    assert client.get("/runs/r1/tail?limit=20").status_code == 404


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "limit=-1", "limit=1e2"])
def test_bad_limits_are_still_refused_once_the_cache_is_warm(
    client: TestClient, run_dir: Path, query: str
) -> None:
    for limit in (1, 50, 100, 500):
        assert client.get(f"/runs/r1/tail?limit={limit}").status_code == 200
    response = client.get(f"/runs/r1/tail?{query}")
    assert response.status_code == 422
    assert "limit" in response.text


def test_other_runs_and_paths_are_not_served_from_one_runs_cache(
    client: TestClient, run_dir: Path, roots: Path
) -> None:
    assert client.get("/runs/r1/tail?limit=5").status_code == 200
    assert client.get("/runs/r2/tail?limit=5").status_code == 404
    assert client.get("/runs/r1/tail/?limit=5").status_code in (404, 307)
    other = roots / "live_runs" / "r2"
    write_meta(other, "r2")
    write_jsonl(other / "events.jsonl", native_bar_events(2))
    rows = client.get("/runs/r2/tail?limit=5").json()
    assert len(rows) == 2
