"""The data worlds the guarantee tests run against, and the requests that sweep them.

`build_world` lays out a rich data folder (every artifact kind peakwatch reads, plus broken
files that force error paths), files outside it that hold `MARKER`, and symlinks inside
the roots that lead out. `build_xss_world` puts an XSS payload in every text field a page
can show. `sweep_paths` lists every request worth making over the rich world.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.routing import Mount

from artifacts import (
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
from peakwatch.settings import Settings, load_settings
from web_helpers import flat_routes

MARKER = "OUTSIDE-ROOT-MARKER-9c41e7"  # only ever written outside the data roots
RUN_ID = "native_run"
SESSION_ID = "session_20260101_000500_paper_a1b2c3"
SAMPLE_IDS = {
    "run_id": RUN_ID,
    "session_id": SESSION_ID,
    "decision_id": "d-2",  # native_run's first decision (its seq)
    "anything": RUN_ID,
}
XSS = "<img src=x onerror=alert(1)><script>alert(1)</script>\"'"
XSS_RUN_DIR = "xss-run_1"  # a valid run folder name; the payload goes into meta.run_id
ID_ROUTES = (
    "/runs/{id}/snapshot",
    "/runs/{id}/tail",
    "/runs/{id}/alerts",
    "/api/runs/{id}/events",
    "/api/live_sessions/{id}",
    "/dashboard/runs/{id}",
    "/sessions/{id}",
    "/api/v0/runs/{id}",
    "/api/v0/runs/{id}/equity",
    "/api/v0/runs/{id}/events",
    "/watch/runs/{id}",
)


# -- the rich world ------------------------------------------------------------------------


def settings_for(base: Path, **overrides: Any) -> Settings:
    """Default roots under `base`, no index caching, a fast stream."""
    values = {"index_max_age_seconds": 0.0, "poll_interval_seconds": 0.05, **overrides}
    return load_settings(values, environ={}, cwd=base)


def plant_outside(outside: Path) -> dict[str, Path]:
    """Files outside every root that would leak MARKER if anything escaped a root."""
    outside.mkdir(parents=True, exist_ok=True)
    secret = outside / "secret.txt"
    secret.write_text(f"{MARKER}\n")
    json_secret = outside / "secret.jsonl"
    write_jsonl(json_secret, [native_event(1, "signal", datetime.now(UTC), msg=MARKER)])
    foreign_run = outside / "live_runs" / "foreign"
    write_meta(foreign_run, MARKER, strategy_name=MARKER, notes=MARKER)
    write_jsonl(foreign_run / "events.jsonl", [native_event(1, "signal", datetime.now(UTC))])
    write_jsonl(
        foreign_run / "alerts.jsonl",
        [{"rule_id": MARKER, "severity": "critical", "message": MARKER, "run_id": MARKER}],
    )
    foreign_sessions = outside / "sessions"
    write_session(foreign_sessions, session_record(MARKER, notes=MARKER))
    return {
        "dir": outside,
        "secret": secret,
        "json_secret": json_secret,
        "foreign_run": foreign_run,
        "foreign_sessions": foreign_sessions,
    }


def build_rich(base: Path) -> None:
    """Every artifact kind peakwatch reads, plus broken ones that force error paths."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=30)
    runs = base / "live_runs"
    # native JSONL run with run alerts
    native = runs / RUN_ID
    write_meta(native, RUN_ID, started_at=start.isoformat(), mode="paper")
    write_jsonl(native / "events.jsonl", native_bar_events(6, start=now - timedelta(minutes=1)))
    write_jsonl(
        native / "alerts.jsonl",
        [
            {
                "rule_id": "risk_blocked",
                "severity": "warning",
                "message": "order blocked by max_position",
                "run_id": RUN_ID,
                "timestamp": now.isoformat(),
            }
        ],
    )
    # Peak_Trade CSV and Parquet runs, a meta-only run
    write_meta(runs / "csv_run", "csv_run")
    write_csv_events(runs / "csv_run", step_rows(12, blocked_every=4))
    write_meta(runs / "pq_run", "pq_run")
    write_parquet_events(runs / "pq_run", step_rows(30, blocked_every=5), group=10)
    write_meta(runs / "meta_only", "meta_only", ended_at=None)
    # broken runs: corrupt meta, a directory where meta/events are expected, invalid UTF-8
    (runs / "corrupt_meta").mkdir(parents=True)
    (runs / "corrupt_meta" / "meta.json").write_text('{"run_id": "corrupt_meta", "mode": ')
    (runs / "dir_meta" / "meta.json").mkdir(parents=True)
    write_meta(runs / "dir_events", "dir_events")
    (runs / "dir_events" / "events.jsonl").mkdir()
    write_meta(runs / "bad_utf8", "bad_utf8")
    good = json.dumps(native_event(2, "signal", now)).encode()
    (runs / "bad_utf8" / "events.jsonl").write_bytes(
        json.dumps(native_event(1, "signal", now)).encode()
        + b"\n\xff\xfe\x80 not utf-8 \xc3\x28\n{broken json\n"
        + good
        + b"\n"
    )
    (runs / "bad_utf8" / "alerts.jsonl").write_bytes(b"\xff\xfe{\n[1, 2]\nnull\n")
    write_meta(runs / "bad_parquet", "bad_parquet")
    (runs / "bad_parquet" / "events.parquet").write_bytes(b"PAR1 this is not parquet")
    write_meta(runs / "bad_csv", "bad_csv")
    (runs / "bad_csv" / "events.csv").write_bytes(b"step,ts_bar,equity\n1,\xff\xfe,abc\n2,2026")
    # the daily alert store
    write_jsonl(
        runs / "alerts" / f"alerts_{now:%Y-%m-%d}.jsonl",
        [
            {
                "id": "a1",
                "title": "Drawdown",
                "body": "drawdown beyond limit",
                "severity": "WARN",
                "category": "RISK",
                "source": "risk",
                "session_id": SESSION_ID,
                "timestamp": now.isoformat(),
                "context": {"runbooks": ["rb1"]},
                "stored_at": now.isoformat(),
            }
        ],
    )
    (runs / "alerts" / f"alerts_{now - timedelta(days=1):%Y-%m-%d}.jsonl").write_bytes(
        b"{not json\n\xff\n"
    )
    # the sessions registry, one broken record, one that is a directory
    sessions = base / "reports" / "experiments" / "live_sessions"
    write_session(sessions, session_record(SESSION_ID, started=start, run_id=RUN_ID))
    write_session(
        sessions,
        session_record("session_started_1", started=start, status="started", mode="shadow"),
    )
    (sessions / "20260101T000000_live_session_paper_broken.json").write_text("{ nope")
    (sessions / "20260101T000001_live_session_paper_isdir.json").mkdir()
    (sessions / "20260101T000002_live_session_paper_utf8.json").write_bytes(b'{"a": "\xff"}')
    # AI decision events and execution telemetry
    write_jsonl(
        base / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": (now - timedelta(seconds=5)).isoformat().replace("+00:00", "Z"),
                "component": "policy",
                "run_id": RUN_ID,
                "event": "decision",
                "decision": "accept",
                "reason": "none",
                "latency_ms": 12.5,
                "action": "submit",
            }
        ],
    )
    with (base / "logs" / "ai" / "ai_events.jsonl").open("ab") as handle:
        handle.write(b"\xff\xfe garbage\n")
    write_jsonl(
        base / "logs" / "execution" / f"{SESSION_ID}.jsonl",
        [
            {
                "ts": (now - timedelta(seconds=3)).isoformat(),
                "session_id": SESSION_ID,
                "symbol": "BTC/EUR",
                "mode": "paper",
                "kind": kind,
                "payload": {"order_id": "o1", "qty": 0.1, "api_key": "SHOULD_NOT_LEAK"},
            }
            for kind in ("gate", "intent", "order", "fill", "error")
        ],
    )
    (base / "logs" / "execution" / "broken.jsonl").write_bytes(b"{\n\xff\n")
    # safety config
    (base / "config").mkdir()
    (base / "config" / "config.toml").write_text(
        '[environment]\nmode = "paper"\nenable_live_trading = false\n'
        'confirm_token = "SHOULD_NOT_LEAK"\n'
    )


def plant_escapes(base: Path, outside: dict[str, Path]) -> None:
    """Symlinks inside the roots that lead outside them."""
    runs = base / "live_runs"
    (runs / "linked_run").symlink_to(outside["foreign_run"], target_is_directory=True)
    sessions = base / "reports" / "experiments" / "live_sessions"
    (sessions / "linked_sessions").symlink_to(outside["foreign_sessions"])


def build_world(top: Path) -> dict[str, Any]:
    """A rich data folder under `top`, files outside it holding MARKER, escaping symlinks."""
    base = top / "data"
    base.mkdir()
    outside = plant_outside(top / "outside")
    build_rich(base)
    plant_escapes(base, outside)
    return {"top": top, "base": base, "outside": outside, "settings": settings_for(base)}


# -- the XSS world -------------------------------------------------------------------------


def build_xss_world(base: Path, payload: str = XSS) -> dict[str, str]:
    """Artifacts with `payload` in every text field a page can show."""
    now = datetime.now(UTC).replace(microsecond=0)
    runs = base / "live_runs"
    run_dir = runs / XSS_RUN_DIR
    write_meta(
        run_dir,
        payload,
        strategy_name=payload,
        symbol=payload,
        timeframe=payload,
        mode=payload,
        notes=payload,
        started_at=(now - timedelta(minutes=5)).isoformat(),
        config_snapshot={"tags": [payload], payload: payload},
    )
    events = []
    seq = 1
    for kind, data in (
        ("run_started", {"strategy": payload}),
        ("decision", {"action": payload, "symbol": payload, "rationale": payload}),
        ("risk", {"allowed": False, "reasons": [payload], "level": "warning"}),
        ("order", {"order_id": payload, "side": payload, "status": payload}),
        ("fill", {"order_id": payload, "side": "buy", "qty": 0.1, "price": 1.0}),
        ("error", {"error": payload, "level": "error"}),
        (payload, {"note": payload}),
    ):
        events.append(
            native_event(seq, kind, now - timedelta(seconds=30 - seq), msg=payload, **data)
        )
        seq += 1
    write_jsonl(run_dir / "events.jsonl", events)
    write_jsonl(
        run_dir / "alerts.jsonl",
        [
            {
                "rule_id": payload,
                "severity": "critical",
                "message": payload,
                "run_id": payload,
                "timestamp": now.isoformat(),
            }
        ],
    )
    csv_dir = runs / "xss-csv"
    write_meta(csv_dir, payload, strategy_name=payload, symbol=payload)
    rows = step_rows(3, start=now - timedelta(minutes=3), blocked_every=1)
    for row in rows:
        row["risk_reasons"] = payload
        row["extra_order_side"] = payload
    write_csv_events(csv_dir, rows)
    write_jsonl(
        runs / "alerts" / f"alerts_{now:%Y-%m-%d}.jsonl",
        [
            {
                "id": payload,
                "title": payload,
                "body": payload,
                "severity": "CRITICAL",
                "category": payload,
                "source": payload,
                "session_id": payload,
                "timestamp": now.isoformat(),
                "context": {"runbooks": [payload]},
                "stored_at": now.isoformat(),
            }
        ],
    )
    registry = base / "reports" / "experiments" / "live_sessions"
    record = session_record(
        payload,
        started=now - timedelta(minutes=10),
        status="failed",
        mode="paper",
        run_id=XSS_RUN_DIR,
        env_name=payload,
        symbol=payload,
        error=payload,
        strategy_tier=payload,
        config={"strategy_name": payload, "notes": payload, "tags": [payload]},
        metrics={"risk_status": payload, "realized_pnl": 1.0},
        cli_args=["--strategy", payload],
    )
    registry.mkdir(parents=True, exist_ok=True)
    (registry / "20260101T000000_live_session_paper_xss.json").write_text(json.dumps(record))
    write_jsonl(
        base / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": (now - timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
                "component": payload,
                "run_id": payload,
                "event": "decision",
                "decision": payload,
                "reason": payload,
                "action": payload,
                "rationale": payload,
            }
        ],
    )
    write_jsonl(
        base / "logs" / "execution" / "xss-session.jsonl",
        [
            {
                "ts": (now - timedelta(seconds=1)).isoformat(),
                "session_id": payload,
                "symbol": payload,
                "mode": payload,
                "kind": kind,
                "payload": {"error": payload, "reason": payload, payload: payload},
            }
            for kind in ("intent", "error", payload)
        ],
    )
    # a broken file whose name carries the payload-safe part shows up on the health page
    (runs / "xss-broken").mkdir()
    (runs / "xss-broken" / "meta.json").write_text(json.dumps({"run_id": payload, "mode": 3}))
    return {"run": XSS_RUN_DIR, "session": payload}


def xss_pages(ids: dict[str, str]) -> list[str]:
    session = quote(ids["session"], safe="")
    run = quote(ids["run"], safe="")
    return [
        "/",
        "/dashboard",
        f"/dashboard?run={run}",
        "/dashboard?run=xss-csv",
        f"/dashboard/runs/{run}",
        "/dashboard/runs/xss-csv",
        f"/sessions/{session}",
        "/activity",
        f"/activity?session={session}",
        f"/activity?q={quote(XSS)}",
        "/alerts",
        "/status/health",
        "/api/live/status/snapshot.html",
        f"/runs/{run}/report.html",
        f"/dashboard/runs/{quote(XSS, safe='')}",
        f"/sessions/{quote(XSS + 'missing', safe='')}",
        "/watch",
        f"/watch/runs/{run}",
        "/watch/runs/xss-csv",
        "/watch/execution",
        "/execution_watch",
        "/live/alerts",
        f"/live/alerts?session_id={session}",
        f"/?status=failed&mode={quote(XSS, safe='')}",
    ]


# -- requests over the rich world ----------------------------------------------------------


def route_paths(app: FastAPI) -> list[str]:
    """Every routed path of the app with path parameters filled with sample ids."""
    paths = []
    for route, path, _ in flat_routes(app):
        if isinstance(route, Mount):
            paths.append(f"{path}/app.css")
            continue
        paths.append(expand(path))
    return sorted(set(paths))


def expand(template: str) -> str:
    def sample(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return quote(SAMPLE_IDS[name], safe="")

    return re.sub(r"\{([^}]+)\}", sample, template)


def get_paths(app: FastAPI) -> list[str]:
    """Paths a GET sweep can fetch (the SSE stream never ends: exercised separately)."""
    return [p for p in route_paths(app) if p != "/api/stream"]


def sweep_paths(app: FastAPI) -> list[str]:
    extra = [
        "/?run=native_run",
        "/dashboard?run=native_run",
        "/dashboard?run=csv_run",
        "/dashboard?run=bad_utf8",
        "/activity?run=bad_utf8",
        "/activity?session=" + SESSION_ID,
        "/activity?before=not-a-cursor",
        "/alerts?severity=critical",
        "/api/activity?limit=500",
        "/api/activity?before=garbage",
        "/api/alerts?since=yesterday",
        "/runs?as_of=not-a-time",
        "/runs/native_run/tail?limit=0",
        "/runs/native_run/tail?limit=%2Fetc%2Fpasswd",
        "/runs/native_run/alerts?limit=abc",
        "/api/live_sessions?limit=1000",
        "/api/live_sessions?status=exploded",
        "/api/execution/runs?root=/etc",
        "/api/execution/runs?root=execution_dir&filename=broken.jsonl",
        f"/api/execution/runs?filename={SESSION_ID}.jsonl",
        f"/api/v0/execution/runs/{RUN_ID}?filename=..%2F..%2Foutside%2Fsecret.jsonl",
        "/api/execution/runs/x/events?cursor=%2Fetc%2Fpasswd",
        "/api/live/sessions?base_dir=..%2Foutside%2Fsessions",
        "/api/live/sessions?base_dir=sessions_dir&limit=500",
    ]
    for run in ("csv_run", "pq_run", "meta_only", "bad_utf8", "bad_parquet", "bad_csv"):
        extra += [
            f"/runs/{run}/snapshot",
            f"/runs/{run}/tail?limit=500",
            f"/runs/{run}/alerts",
            f"/api/runs/{run}/events",
            f"/dashboard/runs/{run}",
            f"/api/v0/runs/{run}",
            f"/api/v0/runs/{run}/equity",
            f"/api/v0/runs/{run}/orders?only_nonzero=false",
            f"/api/v0/runs/{run}/events?since_seq=1&limit=2000",
            f"/api/v0/runs/{run}/events?sse=1",
            f"/api/v0/runs/{run}/detail_v02",
        ]
    extra += [f"/runs/{run}/snapshot" for run in ("corrupt_meta", "dir_meta", "dir_events")]
    extra += ["/sessions/session_started_1", "/api/live_sessions/session_started_1"]
    return get_paths(app) + extra
