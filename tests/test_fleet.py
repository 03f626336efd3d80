"""A fleet of named local roots in one server: the fleet view and each root under its path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from peakwatch.producer.run_writer import RunWriter
from peakwatch.producer.session_recorder import SessionRecorder
from peakwatch.settings import Settings, load_settings
from peakwatch.web.fleet import create_served_app

SHARED_RUN = "shared_run"  # the same run id on two hosts: each root keeps its own


def write_root(top: Path, *, runs: int, finished: int, equity: float) -> None:
    """A runner's folders: `runs` runs (the first `finished` completed) and one session each."""
    runs_dir = top / "live_runs"
    for number in range(runs):
        run_id = SHARED_RUN if number == 0 else f"run_{number}"
        run = RunWriter(
            runs_dir, run_id, mode="paper", strategy_name=top.name, symbol="BTC/EUR", timeframe="1m"
        ).start()
        run.event("market", "close 100", data={"close": 100.0})
        run.position(1.0, equity)
        run.alert("drawdown", "warning", f"drawdown on {top.name}")
        if number < finished:
            run.finish()
        SessionRecorder(
            top / "reports/experiments/live_sessions",
            session_id=f"session_20260101_00000{number}_paper_{top.name}",
            run_id=run_id,
            mode="paper",
            env_name="test",
            symbol="BTC/EUR",
            config={},
            cli_args=[],
        ).start()


@pytest.fixture
def fleet_settings(tmp_path: Path) -> Settings:
    write_root(tmp_path / "lab", runs=3, finished=1, equity=1000.0)
    write_root(tmp_path / "host-b", runs=1, finished=0, equity=500.0)
    (tmp_path / "empty").mkdir()
    roots = ["lab=lab", "host-b=host-b", "empty=empty"]
    return load_settings({"roots": roots, "index_max_age_seconds": 0.0}, environ={}, cwd=tmp_path)


@pytest.fixture
def fleet(fleet_settings: Settings) -> TestClient:
    with TestClient(create_served_app(fleet_settings), base_url="http://localhost") as client:
        yield client


def test_api_roots_has_one_row_per_root_with_its_own_counts(fleet: TestClient) -> None:
    body = fleet.get("/api/roots").json()
    rows = {row["name"]: row for row in body["roots"]}
    assert list(rows) == ["lab", "host-b", "empty"]
    lab, host_b, empty = rows["lab"], rows["host-b"], rows["empty"]
    assert (lab["runs"]["active"], lab["runs"]["completed"], lab["sessions"]) == (2, 1, 3)
    assert (host_b["runs"]["active"], host_b["sessions"]) == (1, 1)
    assert lab["active_equity"] == 2000.0 and host_b["active_equity"] == 500.0
    assert lab["reachable"] and host_b["reachable"] and not empty["remote"]
    assert empty["runs"] == {"active": 0, "stale": 0, "completed": 0, "unknown": 0}
    assert empty["newest_data_at"] is None and lab["newest_data_at"] is not None
    assert lab["href"] == "/roots/lab/"


def test_the_fleet_page_shows_each_root_and_links_into_it(fleet: TestClient) -> None:
    page = fleet.get("/").text
    assert re.search(r'data-root="lab".*?data-root-count="active">2<', page, re.S)
    assert re.search(r'data-root="host-b".*?data-root-count="active">1<', page, re.S)
    assert 'href="/roots/host-b/"' in page and 'href="/api/roots"' in page
    again = fleet.get("/roots/").text  # the way back from a root's pages: the same view
    assert re.findall(r'<tr data-root="([^"]+)"', again) == ["lab", "host-b", "empty"]


def test_same_run_id_in_two_roots_shows_each_roots_own_run(fleet: TestClient) -> None:
    lab = fleet.get(f"/roots/lab/api/v0/runs/{SHARED_RUN}").json()
    host_b = fleet.get(f"/roots/host-b/api/v0/runs/{SHARED_RUN}").json()
    assert (lab["meta"]["strategy_name"], host_b["meta"]["strategy_name"]) == ("lab", "host-b")
    assert fleet.get("/roots/host-b/api/v0/runs/run_1").status_code == 404
    assert fleet.get("/roots/lab/api/v0/runs/run_1").status_code == 200
    page = fleet.get(f"/roots/host-b/dashboard/runs/{SHARED_RUN}")
    assert page.status_code == 200 and "host-b" in page.text


def test_a_roots_pages_link_within_the_root(fleet: TestClient) -> None:
    for path in ("/roots/lab/", "/roots/lab/dashboard", f"/roots/lab/dashboard/runs/{SHARED_RUN}"):
        page = fleet.get(path).text
        links = re.findall(r'\s(?:href|action|data-stream|data-base)="(/[^"]*)"', page)
        assert links, path
        outside = [link for link in links if not link.startswith(("/roots/lab/", "/static/"))]
        assert outside == ["/roots/"], (path, outside)  # only the way back to the fleet
    stream = re.search(r'data-stream="([^"]+)"', fleet.get("/roots/lab/").text)
    assert stream and stream.group(1).startswith("/roots/lab/api/stream")
    moved = fleet.get("/roots/lab/sessions/", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/roots/lab/sessions")


def test_a_fleet_answers_only_reads_and_names_where_pages_are(fleet: TestClient) -> None:
    for path in ("/", "/api/roots", "/roots/lab/api/live_sessions"):
        assert fleet.post(path).status_code == 405
    missing = fleet.get("/dashboard")
    assert missing.status_code == 404 and "/roots/NAME/" in missing.json()["detail"]
    assert fleet.get("/roots/nowhere/").status_code == 404
    assert fleet.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert fleet.get("/health").json() == {"status": "ok", "roots": ["lab", "host-b", "empty"]}


def test_one_root_keeps_todays_urls(tmp_path: Path) -> None:
    write_root(tmp_path / "lab", runs=1, finished=0, equity=1.0)
    settings = load_settings({"roots": ["lab=lab"]}, environ={}, cwd=tmp_path)
    with TestClient(create_served_app(settings), base_url="http://localhost") as client:
        assert client.get(f"/api/v0/runs/{SHARED_RUN}").status_code == 200
        assert client.get("/dashboard").status_code == 200
        assert 'data-base="/"' in client.get("/").text
        assert client.get("/api/roots").status_code == 404


def test_fleet_runs_and_sessions_carry_their_root_and_filter_by_it(fleet: TestClient) -> None:
    runs = fleet.get("/runs").json()
    assert sorted((r["root"], r["run_id"]) for r in runs) == [
        ("host-b", SHARED_RUN),
        ("lab", "run_1"),
        ("lab", "run_2"),
        ("lab", SHARED_RUN),
    ]
    order = [r["last_event_time"] for r in runs]
    assert order == sorted(order, reverse=True)  # newest activity first across roots
    shared = {r["root"]: r["href"] for r in runs if r["run_id"] == SHARED_RUN}
    assert shared == {
        "lab": f"/roots/lab/dashboard/runs/{SHARED_RUN}",
        "host-b": f"/roots/host-b/dashboard/runs/{SHARED_RUN}",
    }
    assert [r["root"] for r in fleet.get("/runs?root=host-b").json()] == ["host-b"]
    assert len(fleet.get("/runs?limit=2").json()) == 2
    assert {r["run_id"] for r in fleet.get("/runs?status=completed").json()} == {SHARED_RUN}
    sessions = fleet.get("/api/live_sessions?limit=100").json()
    assert sorted(s["root"] for s in sessions) == ["host-b", "lab", "lab", "lab"]
    assert all(s["href"] == f"/roots/{s['root']}/sessions/{s['session_id']}" for s in sessions)
    only = fleet.get("/api/live_sessions?root=lab&limit=2").json()
    assert [s["root"] for s in only] == ["lab", "lab"]
    for path in ("/runs?root=nowhere", "/api/live_sessions?root=nowhere"):
        refused = fleet.get(path)
        assert refused.status_code == 422
        assert (
            refused.json()["detail"] == "root must be one of the fleet's roots: lab, host-b, empty"
        )
    assert fleet.get("/runs?limit=0").status_code == 422


def test_the_fleet_page_lists_runs_and_sessions_with_their_root(fleet: TestClient) -> None:
    page = fleet.get("/").text
    assert len(re.findall(r"<tr data-run-id=", page)) == 4
    assert f'href="/roots/host-b/dashboard/runs/{SHARED_RUN}"' in page
    assert len(re.findall(r"<tr data-session-id=", page)) == 4
    one = fleet.get("/?root=host-b").text
    assert re.findall(r'<tr data-run-id="[^"]+" data-root="([^"]+)"', one) == ["host-b"]
    assert '<option value="host-b" selected>' in one


def test_the_fleet_feed_merges_every_root_and_pages_each_item_once(fleet: TestClient) -> None:
    every = fleet.get("/api/activity?limit=500&payload=false").json()["items"]
    assert {item["root"] for item in every} == {"lab", "host-b"}
    by_root = {name: [i for i in every if i["root"] == name] for name in ("lab", "host-b")}
    for name, items in by_root.items():
        alone = fleet.get(f"/roots/{name}/api/activity?limit=500&payload=false").json()["items"]
        assert [i["summary"] for i in items] == [i["summary"] for i in alone]  # nothing lost
    keys = [(i["ts"], i["id"]) for i in every]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    paged, cursor = [], None
    while True:
        query = "limit=3&payload=false" + (f"&before={cursor}" if cursor else "")
        page = fleet.get(f"/api/activity?{query}").json()
        paged += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [item["id"] for item in every]
    shared = fleet.get(f"/api/activity?root=host-b&run_id={SHARED_RUN}&payload=false").json()
    assert shared["items"] and {i["root"] for i in shared["items"]} == {"host-b"}
    assert fleet.get("/api/activity?before=nonsense").status_code == 422
    assert fleet.get("/api/activity?root=nowhere").status_code == 422


def test_the_fleet_page_shows_the_notable_activity_of_every_root(fleet: TestClient) -> None:
    notable = fleet.get("/api/activity?importance=notable&limit=20&payload=false").json()
    page = fleet.get("/").text
    shown = re.findall(r'<li data-root="([^"]+)" data-kind="([^"]+)">', page)
    assert shown == [(i["root"], i["kind"]) for i in notable["items"]]
    assert {root for root, _ in shown} == {"lab", "host-b"}
    assert f'href="/roots/host-b/dashboard/runs/{SHARED_RUN}"' in page


def test_the_fleet_snapshot_holds_every_roots_snapshot_and_is_deterministic(
    fleet: TestClient,
) -> None:
    as_of = "2030-01-01T00:00:00Z"  # long after the runs wrote: every open run is stale
    first = fleet.get(f"/api/live/status/snapshot.json?as_of={as_of}")
    again = fleet.get(f"/api/live/status/snapshot.json?as_of={as_of}")
    assert first.content == again.content and first.headers["cache-control"] == "no-store"
    body = first.json()
    assert [r["name"] for r in body["roots"]] == ["lab", "host-b", "empty"]
    for entry in body["roots"]:
        alone = fleet.get(f"/roots/{entry['name']}/api/live/status/snapshot.json?as_of={as_of}")
        assert entry["snapshot"] == alone.json()  # each root's own snapshot, unchanged
    runs = {r["name"]: r["snapshot"]["panels"] for r in body["roots"]}
    by_id = {name: {p["id"]: p for p in panels} for name, panels in runs.items()}
    assert by_id["lab"]["runs"]["details"]["by_status"]["stale"] == 2
    assert by_id["host-b"]["runs"]["details"]["total"] == 1
    assert body["meta"] == {"as_of": as_of, "root_count": 3, "overall_status": "warn"}
    assert len(body["content_sha256"]) == 64
    assert fleet.get("/api/live/status/snapshot.json?as_of=yesterday").status_code == 422


def test_peakwatch_serve_with_two_roots_serves_the_fleet(tmp_path: Path) -> None:
    import signal
    import subprocess

    import httpx

    from launchers import PEAKWATCH, clean_env, finish, wait_for_health
    from live_server import free_port

    write_root(tmp_path / "lab", runs=1, finished=0, equity=1.0)
    write_root(tmp_path / "host-b", runs=2, finished=1, equity=2.0)
    port = free_port()
    argv = [PEAKWATCH, "serve", "--port", str(port), "--root", "lab=lab", "--root", "host-b=host-b"]
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=clean_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for_health(f"{base}/health", process) == 200
        rows = httpx.get(f"{base}/api/roots").json()["roots"]
        assert [(r["name"], r["runs"]["active"]) for r in rows] == [("lab", 1), ("host-b", 1)]
        assert httpx.get(f"{base}/roots/host-b/dashboard").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, out, _ = finish(process, 15)
    assert f"root lab: {tmp_path / 'lab'}" in out and f"root host-b: {tmp_path / 'host-b'}" in out
    assert f"{base}/api/roots" in out and "/docs" not in out


def test_fleet_alerts_cover_every_root_and_say_whose_they_are(fleet: TestClient) -> None:
    body = fleet.get("/api/alerts?source=run&limit=1000").json()
    mine = sorted((a["root"], a["run_id"]) for a in body["alerts"])
    assert mine == [
        ("host-b", SHARED_RUN),
        ("lab", "run_1"),
        ("lab", "run_2"),
        ("lab", SHARED_RUN),
    ]
    assert all(a["root"] in a["message"] for a in body["alerts"])  # each root's own alert
    assert body["total"] == 4 and body["counts"]["warning"] == 4
    alone = {
        name: fleet.get(f"/roots/{name}/api/alerts?source=run").json()["total"]
        for name in ("lab", "host-b")
    }
    assert alone == {"lab": 3, "host-b": 1}
    only = fleet.get("/api/alerts?source=run&root=host-b").json()
    assert [a["root"] for a in only["alerts"]] == ["host-b"]
    assert fleet.get("/api/alerts?state=bogus").status_code == 400
    assert fleet.get("/api/alerts?root=nowhere").status_code == 422


def test_fleet_metrics_label_every_series_with_its_root(fleet: TestClient) -> None:
    import shutil
    import subprocess

    from prometheus_client.parser import text_string_to_metric_families

    fleet.get("/roots/lab/dashboard")  # a request the lab root counts
    text = fleet.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert len(families) == len(list(text_string_to_metric_families(text)))  # one per name
    runs = families["peakwatch_runs"].samples
    active = {s.labels["root"]: s.value for s in runs if s.labels.get("status") == "active"}
    assert active == {"lab": 2.0, "host-b": 1.0, "empty": 0.0}
    reachable = {s.labels["root"]: s.value for s in families["peakwatch_root_reachable"].samples}
    assert reachable == {"lab": 1.0, "host-b": 1.0, "empty": 0.0}
    requests = families["peakwatch_http_requests"].samples
    assert any(s.labels["root"] == "lab" and s.labels["route"] == "/dashboard" for s in requests)
    if shutil.which("promtool"):
        checked = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
        )
        assert "error" not in (checked.stdout + checked.stderr).lower(), checked.stdout
