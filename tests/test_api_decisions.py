"""The decisions API over HTTP: figures by hand on runs written with the producer SDK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from peakwatch.producer import AiEventWriter, RunWriter
from peakwatch.settings import Settings

T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)
ROUTES = (
    "/api/runs/{run_id}/decisions",
    "/api/runs/{run_id}/decisions/{decision_id}",
    "/api/runs/{run_id}/scorecard",
    "/api/ai/scorecard",
    "/api/runs/{run_id}/trades",
    "/api/trades",
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def writer(settings: Settings, run_id: str, strategy: str, symbol: str) -> RunWriter:
    """A started run writer whose `run_started` is at T0."""
    run = RunWriter(
        settings.runs_dir,
        run_id,
        mode="paper",
        strategy_name=strategy,
        symbol=symbol,
        timeframe="1m",
        started_at=T0,
    )
    return run.start(ts=T0)


def write_momo(settings: Settings) -> None:
    """r1 (momo on BTC/EUR), equity 1000 -> 1010 -> 1004 -> 1019 around four decisions:

    a buy 0.8 (filled 1 @ 100, fee 1), b sell 0.3 (blocked), c sell 0.6 (filled 1 @ 110,
    fee 1), d hold 0.5 (the newest, open).
    """
    run = writer(settings, "r1", "momo", "BTC/EUR")
    run.position(0.0, 1000.0, ts=at(0))
    run.decision("buy", confidence=0.8, decision_id="a", latency_ms=10.0, ts=at(1))
    run.risk(True, decision_id="a", ts=at(1.05))
    run.order("o1", "buy", 1.0, 100.0, decision_id="a", ts=at(1.1))
    run.fill("o1", "buy", 1.0, 100.0, fee=1.0, decision_id="a", ts=at(1.25))
    run.position(1.0, 1010.0, ts=at(2))
    run.decision("sell", confidence=0.3, decision_id="b", latency_ms=30.0, ts=at(3))
    run.risk(False, ["max_position"], decision_id="b", ts=at(3.05))
    run.order("o2", "sell", 1.0, 105.0, status="blocked", decision_id="b", ts=at(3.1))
    run.position(1.0, 1004.0, ts=at(4))
    run.decision("sell", confidence=0.6, decision_id="c", latency_ms=20.0, ts=at(5))
    run.risk(True, decision_id="c", ts=at(5.05))
    run.order("o3", "sell", 1.0, 110.0, decision_id="c", ts=at(5.1))
    run.fill("o3", "sell", 1.0, 110.0, fee=1.0, ts=at(5.5))  # linked by its order id
    run.position(0.0, 1019.0, ts=at(6))
    run.decision("hold", confidence=0.5, decision_id="d", ts=at(7))
    run.position(0.0, 1019.0, ts=at(8))


def write_gpt(settings: Settings) -> None:
    """r2 (beta on ETH/EUR): decision x by component gpt buys 2 @ 50 (fee 0.5), marked at 55."""
    run = writer(settings, "r2", "beta", "ETH/EUR")
    run.position(0.0, 500.0, ts=at(0))
    run.decision("buy", confidence=0.9, decision_id="x", ts=at(1))
    run.order("ox", "buy", 2.0, 50.0, decision_id="x", ts=at(1.1))
    run.fill("ox", "buy", 2.0, 50.0, fee=0.5, decision_id="x", ts=at(1.2))
    run.position(2.0, 500.0, ts=at(2))
    run.event("market", "price", data={"close": 55.0, "symbol": "ETH/EUR"}, ts=at(3))
    run.position(2.0, 510.0, ts=at(4))
    AiEventWriter(settings.ai_events_path).decision(
        component="gpt",
        run_id="r2",
        decision="accept",
        reason="trend",
        latency_ms=40.0,
        action="submit",
        decision_id="x",
        ts=at(1),
    )


def write_orphans(settings: Settings) -> None:
    """r3: a fill without its order, an order id twice, a reused decision id, confidence 1.7."""
    run = writer(settings, "r3", "odd", "SOL/EUR")
    run.position(0.0, 100.0, ts=at(0))
    run.decision("buy", confidence=1.7, decision_id="dup", ts=at(1))
    run.fill("ghost", "buy", 1.0, 10.0, ts=at(1.1))
    run.position(0.0, 90.0, ts=at(2))
    run.decision("sell", confidence=0.4, decision_id="dup", ts=at(3))
    run.order("o1", "sell", 1.0, 9.0, ts=at(3.1))
    run.order("o1", "sell", 1.0, 9.0, ts=at(3.2))
    run.position(0.0, 95.0, ts=at(4))


@pytest.fixture
def world(settings: Settings, client: TestClient) -> TestClient:
    write_momo(settings)
    write_gpt(settings)
    write_orphans(settings)
    return client


def ok(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [row["decision_id"] for row in page["decisions"]]


# -- each route, by hand ---------------------------------------------------------------------


def test_decisions_newest_first_with_outcomes_by_hand(world: TestClient) -> None:
    page = ok(world, "/api/runs/r1/decisions")
    assert page["run_id"] == "r1" and ids(page) == ["d", "c", "b", "a"]
    assert page["next_cursor"] is None and page["scan_stopped"] is False
    outcome = [
        (r["equity_before"], r["equity_after"], r["outcome_pnl"], r["state"], r["result"])
        for r in page["decisions"]
    ]
    assert outcome == [
        (1019.0, 1019.0, 0.0, "open", None),
        (1004.0, 1019.0, 15.0, "closed", "win"),
        (1010.0, 1004.0, -6.0, "closed", "loss"),
        (1000.0, 1010.0, 10.0, "closed", "win"),
    ]
    d, c, b, a = page["decisions"]
    assert (a["action"], a["confidence"], a["latency_ms"], a["link"]) == ("buy", 0.8, 10.0, "mixed")
    assert (a["risk"], a["orders"], a["fills"]) == ("allowed", 1, 1)
    assert a["first_fill_delay_ms"] == pytest.approx(250.0)
    assert (b["risk"], b["risk_reasons"], b["fills"]) == ("blocked", ["max_position"], 0)
    assert c["first_fill_delay_ms"] == pytest.approx(500.0)
    assert d["link"] is not None and d["risk"] is None and d["orders"] == 0
    assert (a["component"], a["symbol"]) == ("momo", "BTC/EUR")  # the run's, named by none
    assert page["counts"] == {
        "decisions": 4,
        "by_action": {"buy": 1, "hold": 1, "sell": 2},
        "by_outcome": {"win": 2, "loss": 1, "flat": 0, "open": 1},
    }
    assert page["problems"] == []


def test_one_decision_with_its_trace_and_neighbours(world: TestClient) -> None:
    a = ok(world, "/api/runs/r1/decisions/a")
    assert (a["run_id"], a["decision_id"], a["previous_id"], a["next_id"]) == ("r1", "a", None, "b")
    assert (a["equity_before"], a["equity_after"], a["outcome_pnl"]) == (1000.0, 1010.0, 10.0)
    trace = [(item["kind"], item["link"], round(item["delay_ms"])) for item in a["trace"]]
    assert trace == [("risk", "id", 50), ("order", "id", 100), ("fill", "id", 250)] + [
        ("position", "inferred", 1000)
    ]
    fill = a["trace"][2]
    assert (fill["qty"], fill["price"], fill["fee"], fill["order_id"]) == (1.0, 100.0, 1.0, "o1")
    assert a["trace"][3]["equity"] == 1010.0 and a["trace_dropped"] == 0
    c = ok(world, "/api/runs/r1/decisions/c")
    assert (c["previous_id"], c["next_id"]) == ("b", "d")
    assert [(i["kind"], i["link"]) for i in c["trace"]][2] == ("fill", "id")  # by order o3
    b = ok(world, "/api/runs/r1/decisions/b")
    assert b["trace"][0]["allowed"] is False and b["trace"][0]["reasons"] == ["max_position"]
    assert b["trace"][1]["status"] == "blocked"
    assert ok(world, "/api/runs/r1/decisions/d")["next_id"] is None


def test_run_scorecard_by_hand(world: TestClient) -> None:
    card = ok(world, "/api/runs/r1/scorecard")
    assert (card["run_id"], card["strategy"], card["symbol"]) == ("r1", "momo", "BTC/EUR")
    counts = ("decisions", "open", "closed", "scored", "wins", "losses", "flats")
    assert [card[name] for name in counts] == [4, 1, 3, 3, 2, 1, 0]
    assert card["by_action"] == {"buy": 1, "hold": 1, "sell": 2}
    assert (card["risk_checked"], card["blocked"]) == (3, 1)  # a, b, c; b blocked
    assert card["blocked_share"] == pytest.approx(1 / 3)
    assert (card["orders_sent"], card["orders_rejected"], card["rejected_share"]) == (2, 0, 0.0)
    assert card["hit_rate"] == pytest.approx(2 / 3)
    assert (card["avg_win"], card["avg_loss"]) == (12.5, -6.0)
    assert card["profit_factor"] == pytest.approx(25 / 6)
    assert card["pnl_total"] == 19.0 and card["pnl_per_decision"] == pytest.approx(19 / 3)
    assert card["latency_ms"] == {"count": 3, "p50": 20.0, "p95": 30.0}
    assert card["first_fill_delay_ms"] == {"count": 2, "p50": 250.0, "p95": 500.0}
    bins = [
        (b["lo"], b["hi"], b["count"], b["mean_confidence"], b["hit_rate"])
        for b in card["calibration"]
    ]
    assert bins == [
        (0.0, 0.2, 0, None, None),
        (0.2, 0.4, 1, 0.3, 0.0),  # b: a loss
        (0.4, 0.6, 0, None, None),
        (0.6, 0.8, 1, 0.6, 1.0),  # c: a win
        (0.8, 1.0, 1, 0.8, 1.0),  # a: a win
    ]
    assert card["calibrated"] == 3
    assert card["brier"] == pytest.approx((0.2**2 + 0.3**2 + 0.4**2) / 3)


def test_scorecard_across_runs_grouped_four_ways(world: TestClient) -> None:
    groups = {
        group_by: {
            row["group"]: (row["runs"], row["decisions"], row["hit_rate"])
            for row in ok(world, f"/api/ai/scorecard?group_by={group_by}")["groups"]
        }
        for group_by in ("component", "strategy", "symbol", "run")
    }
    # r3: dup (a loss, 100 -> 90) then the reused id, open
    assert groups["run"] == {"r1": (1, 4, pytest.approx(2 / 3)), "r2": (1, 1, None)} | {
        "r3": (1, 2, 0.0)
    }
    assert groups["component"] == {"gpt": (1, 1, None), "momo": groups["run"]["r1"]} | {
        "odd": (1, 2, 0.0)
    }
    assert set(groups["strategy"]) == {"momo", "beta", "odd"}
    assert set(groups["symbol"]) == {"BTC/EUR", "ETH/EUR", "SOL/EUR"}
    body = ok(world, "/api/ai/scorecard")
    assert body["group_by"] == "component"
    total = body["total"]
    assert (total["decisions"], total["wins"], total["losses"]) == (7, 2, 2)
    assert total["hit_rate"] == 0.5 and total["pnl_total"] == 9.0  # 19 - 10


def test_run_trades_by_hand(world: TestClient) -> None:
    body = ok(world, "/api/runs/r1/trades")
    assert body["run_id"] == "r1" and body["next_cursor"] is None
    (trade,) = body["trades"]
    assert {k: trade[k] for k in ("trade_id", "symbol", "side", "state", "qty")} == {
        "trade_id": "t-1",
        "symbol": "BTC/EUR",
        "side": "long",
        "state": "closed",
        "qty": 1.0,
    }
    assert (trade["entry_price"], trade["exit_price"], trade["fees"]) == (100.0, 110.0, 2.0)
    assert trade["pnl"] == 8.0 and trade["duration_s"] == pytest.approx(4.25)  # 10 - fees
    assert (trade["open_decision_id"], trade["close_decision_id"]) == ("a", "c")
    assert (body["trades_total"], body["trades_open"], body["trades_closed"]) == (1, 0, 1)
    assert body["by_symbol"]["BTC/EUR"] == {
        "trades": 1,
        "wins": 1,
        "losses": 0,
        "pnl": 8.0,
        "fees": 2.0,
        "open": 0,
        "open_pnl": 0.0,
    }
    assert list(body["by_day"]) == ["2026-02-01"]
    assert ok(world, "/api/runs/r1/trades?state=open")["trades"] == []
    opened = ok(world, "/api/runs/r2/trades?state=open")["trades"]
    assert [(t["trade_id"], t["state"], t["open_qty"]) for t in opened] == [("t-1", "open", 2.0)]
    assert opened[0]["pnl"] == pytest.approx(9.5)  # 2 x (55 - 50) less the 0.5 fee


def test_trades_across_runs_filtered(world: TestClient) -> None:
    every = ok(world, "/api/trades")
    rows = [(t["run_id"], t["state"], t["entry_time"], t["pnl"]) for t in every["trades"]]
    assert rows == [  # newest entry first
        ("r1", "closed", "2026-02-01T09:00:01.250000Z", 8.0),
        ("r2", "open", "2026-02-01T09:00:01.200000Z", 9.5),
        # r3's fill without an order, closed by a flat position at the last price (10)
        ("r3", "closed", "2026-02-01T09:00:01.100000Z", 0.0),
    ]
    assert {name: (s["trades"], s["wins"], s["pnl"]) for name, s in every["by_symbol"].items()} == {
        "BTC/EUR": (1, 1, 8.0),
        "SOL/EUR": (1, 0, 0.0),
    }  # closed trades only
    assert every["by_day"]["2026-02-01"]["trades"] == 2
    closed = ok(world, "/api/trades?state=closed")["trades"]
    assert [t["run_id"] for t in closed] == ["r1", "r3"]
    assert [t["run_id"] for t in ok(world, "/api/trades?state=open")["trades"]] == ["r2"]
    mine = ok(world, "/api/trades?run_id=r2&symbol=ETH%2FEUR")
    assert [t["run_id"] for t in mine["trades"]] == ["r2"] and mine["by_day"] == {}
    assert len(ok(world, "/api/trades?limit=1")["trades"]) == 1
    assert ok(world, "/api/trades?symbol=DOGE")["trades"] == []
    assert ok(world, "/api/trades?run_id=nope")["trades"] == []  # a filter, not a lookup


# -- paging and filters ----------------------------------------------------------------------


def bar(run: RunWriter, second: int) -> None:
    """One decision (buy on odd seconds, else sell) and the step that closes it."""
    action = "buy" if second % 2 else "sell"
    run.decision(action, confidence=0.5, decision_id=f"p{second}", ts=at(second))
    run.position(0.0, 1000.0 + second % 3, ts=at(second + 0.5))


def test_cursor_pages_have_no_duplicates_and_no_gaps_while_the_run_grows(
    settings: Settings, client: TestClient
) -> None:
    run = writer(settings, "long", "momo", "BTC/EUR")
    for second in range(1, 24):
        bar(run, second)
    expected = [f"p{second}" for second in range(23, 0, -1)]
    seen: list[str] = []
    cursor = ""
    pages = 0
    while cursor is not None:
        page = ok(client, f"/api/runs/long/decisions?limit=5{cursor and f'&cursor={cursor}'}")
        assert len(page["decisions"]) <= 5
        seen += ids(page)
        pages += 1
        if pages == 1:  # newer decisions arrive while the operator pages back
            for second in range(24, 27):
                bar(run, second)
        cursor = page["next_cursor"]
    assert seen == expected and pages == 5
    assert ids(ok(client, "/api/runs/long/decisions?limit=4")) == ["p26", "p25", "p24", "p23"]
    assert ok(client, "/api/runs/long/decisions?limit=500")["counts"]["decisions"] == 26


@pytest.mark.parametrize(
    "first",
    [datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC), T0],
)
def test_cursor_pages_through_times_before_1970_and_equal_times(
    settings: Settings, client: TestClient, first: datetime
) -> None:
    """Three decisions at one time, then one a second later: one per page, newest first, each
    once; the time's sign or a tie never makes a cursor that its own API refuses."""
    run = RunWriter(
        settings.runs_dir,
        "old",
        mode="paper",
        strategy_name="momo",
        symbol="BTC/EUR",
        timeframe="1m",
        started_at=first,
    ).start(ts=first)
    for decision_id in ("a", "b", "c"):
        run.decision("buy", confidence=0.5, decision_id=decision_id, ts=first)
    run.decision("sell", confidence=0.5, decision_id="d", ts=first + timedelta(seconds=1))
    seen: list[str] = []
    cursor = ""
    while cursor is not None:
        page = ok(client, f"/api/runs/old/decisions?limit=1{cursor and f'&cursor={cursor}'}")
        seen += ids(page)
        cursor = page["next_cursor"]
    assert seen == ["d", "c", "b", "a"]


def test_filters_by_action_and_outcome(world: TestClient) -> None:
    base = "/api/runs/r1/decisions"
    assert ids(ok(world, f"{base}?action=sell")) == ["c", "b"]
    assert ids(ok(world, f"{base}?outcome=win")) == ["c", "a"]
    assert ids(ok(world, f"{base}?outcome=loss")) == ["b"]
    assert ids(ok(world, f"{base}?outcome=open")) == ["d"]
    assert ids(ok(world, f"{base}?outcome=flat")) == []
    assert ids(ok(world, f"{base}?action=sell&outcome=win")) == ["c"]
    assert ids(ok(world, f"{base}?action=close")) == []  # no such decisions: an empty page
    first = ok(world, f"{base}?action=sell&limit=1")
    assert ids(first) == ["c"] and first["next_cursor"]
    rest = ok(world, f"{base}?action=sell&limit=1&cursor={first['next_cursor']}")
    assert ids(rest) == ["b"]
    assert first["counts"]["decisions"] == 4  # counts are the run's, not the filter's


# -- what is not there, and what is asked wrongly --------------------------------------------


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/runs/nope/decisions", "run not found"),
        ("/api/runs/nope/decisions/a", "run not found"),
        ("/api/runs/nope/scorecard", "run not found"),
        ("/api/runs/nope/trades", "run not found"),
        ("/api/runs/..%2Fr1/scorecard", "not found"),
        ("/api/runs/.hidden/decisions", "run not found"),
        ("/api/runs/r1/decisions/zz", "decision not found"),
        ("/api/runs/r2/decisions/a", "decision not found"),  # r1's, not r2's
    ],
)
def test_unknown_runs_and_decisions_are_404(world: TestClient, url: str, detail: str) -> None:
    response = world.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/api/runs/r1/decisions?cursor=x", "cursor must be the next_cursor"),
        ("/api/runs/r1/decisions?cursor=1-2-3", "cursor must be the next_cursor"),
        ("/api/runs/r1/decisions?cursor=t-1", "cursor must be the next_cursor"),
        ("/api/runs/r1/decisions?cursor=--1-2", "cursor must be the next_cursor"),
        ("/api/runs/r1/decisions?action=%20", "action must be a decision action"),
        ("/api/runs/r1/trades?cursor=1-2", "cursor must be the next_cursor"),
        ("/api/runs/r1/trades?cursor=t-x", "cursor must be the next_cursor"),
    ],
)
def test_a_malformed_value_is_422_with_a_sentence(world: TestClient, url: str, words: str) -> None:
    response = world.get(url)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith(words) and len(detail) < 120


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/runs/r1/decisions?limit=0", "limit"),
        ("/api/runs/r1/decisions?limit=501", "limit"),
        ("/api/runs/r1/decisions?limit=ten", "limit"),
        ("/api/runs/r1/decisions?outcome=lost", "outcome"),
        ("/api/runs/r1/decisions?action=" + "b" * 65, "action"),
        ("/api/runs/r1/decisions?cursor=" + "1" * 65, "cursor"),
        ("/api/ai/scorecard?group_by=model", "group_by"),
        ("/api/runs/r1/trades?state=pending", "state"),
        ("/api/runs/r1/trades?limit=0", "limit"),
        ("/api/trades?state=half", "state"),
        ("/api/trades?limit=1001", "limit"),
        ("/api/runs/r1/decisions/" + "d" * 201, "decision_id"),
    ],
)
def test_a_value_outside_its_bounds_is_422_naming_it(
    world: TestClient, url: str, name: str
) -> None:
    response = world.get(url)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == name and problem["msg"]
    assert "b" * 65 not in response.text and "d" * 201 not in response.text  # never echoed


def test_the_routes_are_in_the_openapi_document_get_only(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ROUTES:
        assert set(paths[route]) == {"get"}, route
        operation = paths[route]["get"]
        assert operation["tags"] == ["decisions"] and {"200", "422"} <= set(operation["responses"])
    decisions = paths["/api/runs/{run_id}/decisions"]["get"]
    params = {p["name"]: p for p in decisions["parameters"]}
    assert set(params) == {"run_id", "limit", "cursor", "action", "outcome"}
    assert params["limit"]["schema"]["maximum"] == 500
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"equity_before", "equity_after", "outcome_pnl", "state", "link"} <= set(
        schemas["DecisionRow"]["properties"]
    )
    assert {"hit_rate", "calibration", "brier"} <= set(schemas["Scorecard"]["properties"])
    assert set(schemas["CalibrationBin"]["properties"]) == {
        "lo",
        "hi",
        "count",
        "mean_confidence",
        "hit_rate",
    }
    assert client.post("/api/runs/r1/scorecard").status_code == 405


# -- orphans ---------------------------------------------------------------------------------


def test_orphans_answer_200_unlinked_and_reported_and_the_rest_is_scored(
    world: TestClient,
) -> None:
    page = ok(world, "/api/runs/r3/decisions")
    assert ids(page) == ["d-6", "dup"]  # the reused id: shown with an id of its own (its seq)
    reused, first = page["decisions"]
    assert (reused["id_given"], first["id_given"]) == (False, True)
    assert first["confidence"] == 1.7 and first["result"] == "loss"  # 100 -> 90
    reasons = {problem["reason"] for problem in page["problems"]}
    assert reasons == {
        "decision confidence outside 0..1; not scored",
        "fill without its order; linked by time instead",
        "decision_id reused by another decision; shown with an id of its own",
        "order id seen twice",
    }
    assert {problem["file"] for problem in page["problems"]} == {"live_runs/r3/events.jsonl"}
    assert all(problem["offset"] is not None for problem in page["problems"])
    detail = ok(world, "/api/runs/r3/decisions/dup")
    fill = next(item for item in detail["trace"] if item["kind"] == "fill")
    assert (fill["link"], fill["order_id"]) == ("inferred", "ghost")  # not linked by an id
    assert detail["link"] == "inferred" and detail["next_id"] == "d-6"
    assert ok(world, "/api/runs/r3/decisions/d-6")["previous_id"] == "dup"
    card = ok(world, "/api/runs/r3/scorecard")
    assert (card["decisions"], card["closed"], card["losses"], card["hit_rate"]) == (2, 1, 1, 0.0)
    assert (card["calibrated"], card["brier"]) == (0, None)  # 1.7 is not scored
    assert card["orders_sent"] == 2  # o1 twice: both counted, the second reported


def test_errors_never_show_exception_text_or_paths(world: TestClient, roots: Path) -> None:
    for url in (
        "/api/runs/r1/decisions?cursor=99999999999999999999-99999999999999999999",
        "/api/runs/r1/decisions?cursor=0-0",
        "/api/runs/r1/trades?cursor=t-999999999999999999",
        "/api/runs/r1/decisions/%00",
        "/api/runs/r1/decisions/a%2Fb",
        "/api/runs/nope/decisions?cursor=x",
    ):
        response = world.get(url)
        assert response.status_code in (200, 404, 422), url
        assert str(roots) not in response.text and "Traceback" not in response.text
        assert "Error" not in response.text, url


def test_texts_from_the_artifacts_are_shown_redacted(
    settings: Settings, client: TestClient
) -> None:
    leak = "ghp_ApiDecisionsLeak7xk2Lq9Vm4Tz8Nc1Bw6"
    run = writer(settings, "leaky", "momo", "BTC/EUR")
    run.decision("buy", rationale=f"token {leak}", decision_id="k", ts=at(1))
    run.risk(False, [f"auth failed with {leak}"], decision_id="k", ts=at(1.1))
    run.event("error", "x", data={"decision_id": "k", "error": f"api_key={leak}"}, ts=at(1.2))
    for url in ("/api/runs/leaky/decisions", "/api/runs/leaky/decisions/k"):
        response = client.get(url)
        assert response.status_code == 200 and leak not in response.text, url
    (reasons,) = [
        row["risk_reasons"] for row in ok(client, "/api/runs/leaky/decisions")["decisions"]
    ]
    assert reasons and reasons[0].startswith("auth failed with")
