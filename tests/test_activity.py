"""The AI activity feed: merged, newest first, filterable, paged exactly once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from artifacts import T0, iso, native_bar_events, native_event, write_jsonl, write_meta
from peakwatch.contract.values import parse_utc


def build(roots: Path) -> None:
    runs = roots / "live_runs"
    for index, name in enumerate(("alpha", "beta")):
        write_meta(runs / name, name)
        write_jsonl(
            runs / name / "events.jsonl",
            native_bar_events(15, start=T0 + timedelta(milliseconds=index)),
        )
    write_jsonl(
        roots / "logs" / "ai" / "ai_events.jsonl",
        [
            {
                "v": 1,
                "ts_utc": iso(T0 + timedelta(seconds=i, milliseconds=500)),
                "component": "ai",
                "run_id": "alpha",
                "event": "decision",
                "decision": "reject" if i % 3 else "accept",
                "reason": "risk_limit",
                "latency_ms": 9.5,
                "action": "none",
                "rationale": f"AI note {i}",
            }
            for i in range(10)
        ],
    )
    write_jsonl(
        roots / "logs" / "execution" / "sess1.jsonl",
        [
            {
                "ts": iso(T0 + timedelta(seconds=i, milliseconds=700)),
                "session_id": "sess1",
                "symbol": "BTC/EUR",
                "mode": "paper",
                "kind": "fill" if i % 2 else "error",
                "payload": {"side": "buy", "qty": 0.1, "price": 100.0, "error": "timeout"},
            }
            for i in range(6)
        ],
    )


def page_all(client: TestClient, url: str, between=None) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    items: list[dict] = []  # type: ignore[type-arg]
    cursor = None
    pages = 0
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(url + (f"{sep}before={cursor}" if cursor else ""))
        assert response.status_code == 200
        body = response.json()
        items.extend(body["items"])
        pages += 1
        if between is not None:
            between(pages)
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_feed_merges_sources_newest_first(client: TestClient, roots: Path) -> None:
    build(roots)
    body = client.get("/api/activity?limit=200").json()
    times = [parse_utc(item["ts"]) for item in body["items"]]
    assert times == sorted(times, reverse=True)
    assert {item["source"] for item in body["items"]} == {"run", "ai", "execution"}
    decision = client.get("/api/activity?kind=decision&limit=1").json()["items"][0]
    assert decision["summary"].startswith("Decision BUY BTC/EUR (confidence 0.70): Momentum")
    assert decision["payload"]["data"]["rationale"].startswith("Momentum positive")


def test_paging_returns_every_item_exactly_once_while_events_arrive(
    client: TestClient, roots: Path
) -> None:
    build(roots)
    expected = len(page_all(client, "/api/activity?limit=500"))
    assert expected == 2 * (15 * 6 - 3) + 10 + 6  # 3 blocked bars per run have no fill
    alpha = roots / "live_runs" / "alpha" / "events.jsonl"

    def append_newer(page: int) -> None:
        newer = T0 + timedelta(minutes=10, seconds=page)
        write_jsonl(
            alpha, [native_event(1000 + page, "signal", newer, msg=f"late {page}")], mode="a"
        )

    items = page_all(client, "/api/activity?limit=7", between=append_newer)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "an item was repeated"
    assert len(ids) == expected, "an item was skipped"
    assert all(not item["summary"].startswith("late") for item in items)


def test_filters(client: TestClient, roots: Path) -> None:
    build(roots)
    errors = page_all(client, "/api/activity?level=error&limit=50")
    assert errors and all(item["level"] == "error" for item in errors)
    assert {item["source"] for item in errors} == {"execution"}
    beta = page_all(client, "/api/activity?run_id=beta&limit=50")
    assert beta and all(item["run_id"] == "beta" for item in beta)
    text = page_all(client, "/api/activity?q=ai%20note%203")
    assert [item["summary"] for item in text] == ["AI accept (risk_limit), action none: AI note 3"]
    sessions = page_all(client, "/api/activity?session_id=sess1")
    assert len(sessions) == 6


def test_bad_cursor_is_422(client: TestClient) -> None:
    response = client.get("/api/activity?before=not-a-cursor")
    assert response.status_code == 422
    assert "next_cursor" in response.json()["detail"]


def test_secret_flags_in_messages_are_redacted(client: TestClient, roots: Path) -> None:
    run_dir = roots / "live_runs" / "leaky"
    write_meta(run_dir, "leaky")
    write_jsonl(
        run_dir / "events.jsonl",
        [native_event(1, "error", T0, msg="runner started with --api-key=SEKRET123")],
    )
    write_jsonl(
        run_dir / "alerts.jsonl",
        [
            {
                "rule_id": "x",
                "severity": "warning",
                "message": "bad --secret=SEKRET123",
                "run_id": "leaky",
                "timestamp": iso(T0),
            }
        ],
    )
    for url in ("/api/activity", "/api/alerts", "/runs/leaky/alerts", "/activity", "/alerts"):
        response = client.get(url)
        assert response.status_code == 200
        assert "SEKRET123" not in response.text, url
    assert "--api-key=[redacted]" in client.get("/api/activity").text


def test_bad_lines_in_side_files_are_on_health_until_fixed(client: TestClient, roots: Path) -> None:
    """AI events, execution telemetry and the alert store: which file, which line, what is wrong."""
    good_ai = {"v": 1, "ts_utc": "2026-01-01T12:00:00Z", "event": "decision", "decision": "buy"}
    ai = write_jsonl(roots / "logs" / "ai" / "ai_events.jsonl", [good_ai])
    with ai.open("a") as handle:
        handle.write("{not json\n")
    execution = roots / "logs" / "execution" / "orders.jsonl"
    write_jsonl(execution, [{"ts": "yesterday", "event": "fill"}])
    store = roots / "live_runs" / "alerts" / "alerts_2026-01-01.jsonl"
    write_jsonl(store, [["not", "an", "object"]])

    def unreadable() -> dict[str, str]:
        body = client.get("/api/health/details").json()
        return {p["file"]: p["reason"] for p in body["unreadable"]}

    found = unreadable()
    assert found["ai_events.jsonl"] == "line is not valid JSON"
    assert found["execution/orders.jsonl"].startswith("field 'ts'")
    assert found["alerts/alerts_2026-01-01.jsonl"] == "line is JSON but not an object"
    assert client.get("/api/activity?limit=10").status_code == 200  # still served
    write_jsonl(ai, [good_ai])  # fixed
    assert "ai_events.jsonl" not in unreadable()
