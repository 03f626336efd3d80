"""Feed importance: which items are notable and which are the routine beat of a run."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from artifacts import T0, iso, native_event, write_jsonl, write_meta
from peakwatch.contract.models import AiDecisionEvent, ExecutionEvent, RunEvent, StepRow
from peakwatch.domain.activity_items import (
    ai_event_item,
    execution_item,
    run_event_item,
    step_row_item,
)


def run_item(kind: str, level: str = "info", **data: Any) -> str:
    event = RunEvent.model_validate(native_event(1, kind, T0, level=level, **data))
    return run_event_item(event, "run:r", 0, "r").importance


def step_item(**columns: Any) -> str:
    row = StepRow.model_validate({"step": 1, "ts_bar": iso(T0), "close": 100.0, **columns})
    item = step_row_item(row, "run:r", 0, "r")
    assert item is not None
    return item.importance


def ai_item(**fields: Any) -> str:
    event = AiDecisionEvent.model_validate({"v": 1, "ts_utc": iso(T0), **fields})
    return ai_event_item(event, "ai", 0).importance


def execution(kind: str, **payload: Any) -> str:
    event = ExecutionEvent.model_validate({"ts": iso(T0), "kind": kind, "payload": payload})
    return execution_item(event, "exec:s.jsonl", 0).importance


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("market", {"close": 100.0}, "routine"),
        ("signal", {"signal": 0}, "routine"),
        ("position", {"position_size": 0.0, "equity": 10_000.0}, "routine"),
        ("heartbeat", {}, "routine"),
        ("decision", {"action": "hold", "rationale": "flat"}, "routine"),
        ("decision", {"action": "HOLD"}, "routine"),
        ("decision", {"action": "buy", "confidence": 0.7}, "notable"),
        ("decision", {"action": "sell"}, "notable"),
        ("decision", {"action": "close"}, "notable"),
        ("risk", {"allowed": True, "reasons": []}, "routine"),
        ("risk", {"allowed": False, "reasons": ["max_position"]}, "notable"),
        ("order", {"side": "buy", "qty": 0.1, "price": 100.0}, "notable"),
        ("fill", {"side": "buy", "qty": 0.1, "price": 100.0, "fee": 0.01}, "notable"),
        ("error", {"error": "feed down"}, "notable"),
        ("alert", {"rule_id": "drawdown", "severity": "warning"}, "notable"),
        ("run_started", {"strategy": "s"}, "notable"),
        ("run_finished", {"status": "completed"}, "notable"),
        ("something_new", {}, "notable"),
    ],
)
def test_native_events_by_kind(kind: str, data: dict[str, Any], expected: str) -> None:
    assert run_item(kind, **data) == expected


def test_a_warning_or_error_is_notable_whatever_its_kind() -> None:
    assert run_item("market", level="warning", close=1.0) == "notable"
    assert run_item("heartbeat", level="error") == "notable"


def test_peak_trade_step_rows() -> None:
    assert step_item(orders_generated=0, risk_allowed=True) == "routine"
    assert step_item() == "routine"
    assert step_item(orders_generated=1) == "notable"
    assert step_item(orders_filled=1) == "notable"
    assert step_item(orders_blocked=1, risk_reasons="max_position") == "notable"
    assert step_item(risk_allowed=False) == "notable"


def test_ai_decisions() -> None:
    assert ai_item(decision="noop", reason="no_signal", action="none") == "routine"
    assert ai_item(decision="accept", action="submit") == "notable"
    assert ai_item(decision="reject", reason="risk_limit", action="none") == "notable"
    assert ai_item(decision="noop", action="none", level="error") == "notable"


def test_execution_telemetry() -> None:
    assert execution("intent", side="buy", qty=0.1) == "routine"
    assert execution("gate", allowed=True, reasons=[]) == "routine"
    assert execution("gate", allowed=False, reasons=["max_position"]) == "notable"
    assert execution("order", side="buy", status="submitted") == "notable"
    assert execution("fill", side="buy", qty=0.1, price=100.0) == "notable"
    assert execution("error", error="timeout") == "notable"


def build_run(roots: Path) -> None:
    run = roots / "live_runs" / "r1"
    write_meta(run, "r1")
    kinds = [
        ("market", {"close": 100.0}),
        ("signal", {"signal": 1}),
        ("decision", {"action": "hold"}),
        ("decision", {"action": "buy"}),
        ("risk", {"allowed": False, "reasons": ["max_position"]}),
        ("order", {"side": "buy", "qty": 0.1, "price": 100.0, "status": "submitted"}),
        ("fill", {"side": "buy", "qty": 0.1, "price": 100.0, "fee": 0.01}),
        ("position", {"position_size": 0.1, "equity": 10_000.0}),
        ("heartbeat", {}),
    ]
    events = [
        native_event(seq, kind, T0 + timedelta(seconds=seq), **data)
        for seq, (kind, data) in enumerate(kinds, start=1)
    ]
    write_jsonl(run / "events.jsonl", events)


def test_api_items_carry_importance_and_filter_by_it(client: TestClient, roots: Path) -> None:
    build_run(roots)
    every = client.get("/api/activity").json()["items"]
    by_kind = {(i["kind"], i["summary"].split(":")[0]): i["importance"] for i in every}
    assert by_kind[("decision", "Decision HOLD")] == "routine"
    assert by_kind[("decision", "Decision BUY")] == "notable"
    assert {i["kind"] for i in every if i["importance"] == "routine"} == {
        "market",
        "signal",
        "decision",
        "position",
        "heartbeat",
    }
    notable = client.get("/api/activity?importance=notable").json()["items"]
    assert [i["kind"] for i in notable] == ["fill", "order", "risk", "decision"]
    routine = client.get("/api/activity?importance=routine").json()["items"]
    assert [i["kind"] for i in routine] == ["heartbeat", "position", "decision", "signal", "market"]
    run_events = client.get("/api/runs/r1/events").json()
    assert {i["importance"] for i in run_events} == {"notable", "routine"}


def test_api_rejects_other_importance_values(client: TestClient) -> None:
    answer = client.get("/api/activity?importance=loud")
    assert answer.status_code == 400
    assert answer.json() == {"detail": "importance must be notable or routine"}


def test_openapi_documents_the_importance_filter_and_field(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/api/activity"]["get"]["parameters"]
    assert "notable" in next(p for p in params if p["name"] == "importance")["description"]
    assert "400" in spec["paths"]["/api/activity"]["get"]["responses"]
    item = spec["components"]["schemas"]["ActivityItemView"]["properties"]["importance"]
    assert item["enum"] == ["notable", "routine"]


def test_the_folded_activity_page_counts_notable_items_not_routine_ones(
    client: TestClient, roots: Path
) -> None:
    """A busy run's default page holds `limit` notable rows, not `limit` bars and holds."""
    run = roots / "live_runs" / "busy"
    write_meta(run, "busy")
    events, seq = [], 0
    for fill in range(3):
        for _ in range(60):  # a minute of bars between two fills
            seq += 1
            events.append(native_event(seq, "market", T0 + timedelta(seconds=seq), close=100.0))
        seq += 1
        data = {"side": "buy", "qty": 0.1, "price": 100.0, "fee": 0.01, "order_id": f"o{fill}"}
        events.append(native_event(seq, "fill", T0 + timedelta(seconds=seq), **data))
    write_jsonl(run / "events.jsonl", events)

    def rows(url: str) -> tuple[list[str], str]:
        html = client.get(url).text
        return re.findall(r'data-importance="(notable|routine)"', html), html

    first, html = rows("/activity?limit=2")
    assert first.count("notable") == 2  # the two newest fills, with the 60 bars between them
    assert first.count("routine") == 60
    assert "Showing 2 notable items (62 in all), newest first, 2 notable per page" in html
    older = re.search(r'href="(/activity\?[^"]*before=[^"]+)"', html)
    assert older is not None
    second, _ = rows(older[1].replace("&amp;", "&"))
    assert second.count("notable") == 1  # the oldest fill, and every bar before it
    assert second.count("routine") == 120
    every, _ = rows("/activity?limit=2&view=all")
    assert len(every) == 2  # every event: the page counts items of any importance
