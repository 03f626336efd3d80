"""Alerts have a lifecycle: one per rule and subject, counted, firing until their condition
clears or a quiet time passes, then resolved; severities follow thresholds; the snapshot and
the alerts API say the same status. Figures below are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, iso, native_event, write_jsonl, write_meta
from peakwatch.demo.alert_rules import drawdown_alert
from peakwatch.settings import load_settings
from peakwatch.web import create_app

RUN = "r1"


def client_for(base: Path, **settings: Any) -> TestClient:
    values = {"index_max_age_seconds": 0.0, **settings}
    app = create_app(load_settings(values, environ={}, cwd=base))
    return TestClient(app, base_url="http://localhost")


def snapshot_alerts(client: TestClient, as_of: str) -> dict[str, Any]:
    body = client.get("/api/live/status/snapshot.json", params={"as_of": as_of}).json()
    panel = next(p for p in body["panels"] if p["id"] == "alerts")
    return {**panel["details"], "status": panel["status"], "meta": body["meta"]}


def run_line(ts: str, message: str, severity: str = "warning", **extra: Any) -> dict[str, Any]:
    line = {"rule_id": "drawdown", "severity": severity, "message": message, "run_id": RUN}
    return {**line, "timestamp": ts, **extra}


def store_line(ts: str, title: str, severity: str = "WARN", **context: Any) -> dict[str, Any]:
    return {
        "id": f"a-{ts}",
        "title": title,
        "body": f"{title}. Run {RUN}.",
        "severity": severity,
        "category": "RISK",
        "source": "demo",
        "session_id": "s1",
        "timestamp": ts,
        "context": {"runbooks": [], "rule_id": "drawdown", "run_id": RUN, **context},
    }


def write_both(base: Path, moments: list[str]) -> None:
    """Each moment: one drawdown alert in the run's file and in the store (10 µs apart)."""
    write_meta(base / "live_runs" / RUN, RUN, ended_at=iso(T0 + timedelta(hours=1)))
    run_lines = [
        run_line(ts, f"Drawdown -1.2{n}% (warning level -1.2%)") for n, ts in enumerate(moments)
    ]
    write_jsonl(base / "live_runs" / RUN / "alerts.jsonl", run_lines)
    stored = [store_line(ts.replace("Z", "1Z"), "Drawdown on BTC/EUR") for ts in moments]
    write_jsonl(base / "live_runs" / "alerts" / "alerts_2026-01-01.jsonl", stored)


def test_one_alert_in_the_store_and_in_the_runs_file_is_one_alert_with_both_sources(
    tmp_path: Path,
) -> None:
    # three repeats 30 s apart, each written twice: 6 lines, 3 occurrences, 1 alert
    write_both(
        tmp_path,
        ["2026-01-01T12:00:00.0000Z", "2026-01-01T12:00:30.0000Z", "2026-01-01T12:01:00.0000Z"],
    )
    with client_for(tmp_path) as client:
        details = snapshot_alerts(client, "2026-01-01T12:02:00Z")
    assert details["total"] == 1
    (alert,) = details["latest"]
    assert alert["key"] == f"drawdown/run:{RUN}"
    assert alert["count"] == 3
    assert alert["sources"] == ["alert_store", "run"]
    assert alert["first_seen"] == "2026-01-01T12:00:00Z"
    assert alert["timestamp"] == "2026-01-01T12:01:00.000010Z"  # the last line seen
    assert alert["state"] == "firing"


def test_a_stored_alert_resolves_after_the_quiet_time_without_a_repeat(tmp_path: Path) -> None:
    write_both(tmp_path, ["2026-01-01T12:00:00.0000Z"])
    with client_for(tmp_path, alert_quiet_seconds=120.0) as client:
        before = snapshot_alerts(client, "2026-01-01T12:01:59Z")["latest"][0]
        after = snapshot_alerts(client, "2026-01-01T12:02:01Z")["latest"][0]
    assert (before["state"], before["resolved_at"]) == ("firing", None)
    # last seen 12:00:00.00001 (the store line, 10 µs after the run line), quiet 120 s:
    # resolved at 12:02:00.00001
    assert (after["state"], after["resolved_at"]) == ("resolved", "2026-01-01T12:02:00.000010Z")


def bars(first_seq: int, seconds: list[int], equities: list[float]) -> list[dict[str, Any]]:
    return [
        native_event(first_seq + n, "position", T0 + timedelta(seconds=s), equity=e, cash=e)
        for n, (s, e) in enumerate(zip(seconds, equities, strict=True))
    ]


def test_run_went_silent_fires_and_resolves_when_the_run_writes_again(tmp_path: Path) -> None:
    run_dir = tmp_path / "live_runs" / RUN
    write_meta(run_dir, RUN, started_at=iso(T0))
    write_jsonl(run_dir / "events.jsonl", bars(1, [0, 5, 10], [1000.0] * 3))
    with client_for(tmp_path, run_stale_seconds=30.0) as client:
        silent = snapshot_alerts(client, iso(T0 + timedelta(seconds=60)))
        write_jsonl(run_dir / "events.jsonl", bars(4, [100, 105], [1000.0] * 2), mode="a")
        back = snapshot_alerts(client, iso(T0 + timedelta(seconds=110)))
        write_jsonl(run_dir / "events.jsonl", bars(6, [200], [1000.0]), mode="a")
        twice = snapshot_alerts(client, iso(T0 + timedelta(seconds=210)))
    stale = next(a for a in silent["latest"] if a["key"] == f"stale_run/run:{RUN}")
    # last event 12:00:10, 30 s allowed: silent since 12:00:40, still firing at 12:01:00
    assert (stale["state"], stale["first_seen"], stale["count"]) == (
        "firing",
        "2026-01-01T12:00:40Z",
        1,
    )
    assert stale["threshold"] == 30.0
    assert silent["status"] == "warn"
    resolved = next(a for a in back["latest"] if a["key"] == f"stale_run/run:{RUN}")
    # it wrote again at 12:01:40: resolved then, one silence counted
    assert resolved["state"] == "resolved"
    assert resolved["resolved_at"] == "2026-01-01T12:01:40Z"
    assert (resolved["first_seen"], resolved["count"]) == ("2026-01-01T12:00:40Z", 1)
    assert back["status"] == "ok" and back["meta"]["headline"] == "No alert firing"
    again = next(a for a in twice["latest"] if a["key"] == f"stale_run/run:{RUN}")
    # silent again from 12:01:45 to 12:03:20: two silences, the first from 12:00:40
    assert (again["count"], again["first_seen"], again["resolved_at"]) == (
        2,
        "2026-01-01T12:00:40Z",
        "2026-01-01T12:03:20Z",
    )


@pytest.mark.parametrize(
    ("low", "severity", "threshold", "stated"),
    [
        # peak 1000, low 930: -7 %, past the -5 % warning level (half the threshold)
        (930.0, "warning", -0.05, "Drawdown reached -7.00%, beyond the warning level -5.0%"),
        # low 880: -12 %, past the -10 % threshold
        (880.0, "critical", -0.1, "Drawdown reached -12.00%, beyond the critical threshold -10.0%"),
    ],
)
def test_derived_drawdown_severity_follows_its_levels_and_it_resolves_when_it_recovers(
    tmp_path: Path, low: float, severity: str, threshold: float, stated: str
) -> None:
    run_dir = tmp_path / "live_runs" / RUN
    write_meta(run_dir, RUN, started_at=iso(T0))
    # then 980 (-2 %): back within the warning level at 12:00:02
    write_jsonl(run_dir / "events.jsonl", bars(1, [0, 1, 2], [1000.0, low, 980.0]))
    with client_for(tmp_path) as client:
        details = snapshot_alerts(client, iso(T0 + timedelta(seconds=5)))
    alert = next(a for a in details["latest"] if a["key"] == f"drawdown/run:{RUN}")
    assert (alert["severity"], alert["threshold"]) == (severity, threshold)
    assert alert["message"] == f"{stated}; back within -5.0%."
    assert (alert["state"], alert["first_seen"], alert["resolved_at"]) == (
        "resolved",
        "2026-01-01T12:00:01Z",
        "2026-01-01T12:00:02Z",
    )


@pytest.mark.parametrize(
    ("drawdown", "severity", "threshold", "stated"),
    [
        (-0.0126, "warning", -0.012, "passed the warning level -1.2% (limit -2.0%)"),
        (-0.0210, "critical", -0.02, "is beyond the limit -2.0%"),
    ],
)
def test_the_demo_severity_follows_the_level_its_text_names(
    drawdown: float, severity: str, threshold: float, stated: str
) -> None:
    alert = drawdown_alert(drawdown, 0.02, "BTC/EUR")
    assert (alert.severity, alert.threshold) == (severity, pytest.approx(threshold))
    assert stated in alert.message and f"{drawdown:.2%}" in alert.message


def test_the_alerts_status_and_the_snapshot_headline_come_from_the_same_function(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    run_dir = tmp_path / "live_runs" / RUN
    write_meta(run_dir, RUN, ended_at=iso(now))
    lines = [
        run_line(
            iso(now - timedelta(seconds=20)), "Drawdown -2.1% beyond the limit -2.0%", "critical"
        ),
        {
            **run_line(iso(now - timedelta(seconds=10)), "Order rejected"),
            "rule_id": "order_rejected",
        },
        {**run_line(iso(now - timedelta(hours=2)), "Old block"), "rule_id": "risk_blocked"},
    ]
    write_jsonl(run_dir / "alerts.jsonl", lines)
    with client_for(tmp_path) as client:
        api = client.get("/api/alerts").json()
        snap = snapshot_alerts(client, iso(now))
        risk = next(
            p
            for p in client.get(
                "/api/live/status/snapshot.json", params={"as_of": iso(now)}
            ).json()["panels"]
            if p["id"] == "risk"
        )
    assert api["summary"]["headline"] == "2 alerts firing: 1 critical, 1 warning"
    assert api["summary"]["status"] == snap["status"] == "error"
    assert snap["meta"]["headline"] == api["summary"]["headline"]
    assert snap["meta"]["overall_status"] == "error"
    assert risk["status"] == "error"  # the firing drawdown alert, not "Risk OK"
    assert [a["state"] for a in api["alerts"]] == ["firing", "firing", "resolved"]
    assert [a["rule"] for a in api["alerts"]] == ["drawdown", "order_rejected", "risk_blocked"]


def test_api_and_page_filter_by_state_and_severity_and_reject_unknown_values(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    run_dir = tmp_path / "live_runs" / RUN
    write_meta(run_dir, RUN, ended_at=iso(now))
    lines = [
        run_line(iso(now - timedelta(seconds=20)), "Drawdown beyond -2.0%", "critical"),
        {
            **run_line(iso(now - timedelta(seconds=10)), "Order rejected"),
            "rule_id": "order_rejected",
        },
        {**run_line(iso(now - timedelta(hours=2)), "Old block"), "rule_id": "risk_blocked"},
    ]
    write_jsonl(run_dir / "alerts.jsonl", lines)
    with client_for(tmp_path) as client:

        def rules(query: str) -> list[str]:
            return [a["rule"] for a in client.get(f"/api/alerts?{query}").json()["alerts"]]

        assert rules("state=firing") == ["drawdown", "order_rejected"]
        assert rules("state=resolved") == ["risk_blocked"]
        assert rules("severity=critical") == ["drawdown"]
        assert rules("state=firing&severity=warning") == ["order_rejected"]
        assert client.get("/api/alerts?state=resolved").json()["states"] == {
            "firing": 0,
            "resolved": 1,
        }
        bad_state = client.get("/api/alerts?state=open")
        bad_severity = client.get("/api/alerts?severity=loud")
        page = client.get("/alerts?state=open")
    assert (bad_state.status_code, bad_state.json()) == (
        400,
        {"detail": "state must be firing or resolved"},
    )
    assert (bad_severity.status_code, bad_severity.json()) == (
        400,
        {"detail": "severity must be critical, warning or info"},
    )
    assert page.status_code == 400 and "state must be firing or resolved" in page.text
    assert "open" not in page.text.split("<main", 1)[-1].split("state must")[0][-40:]
