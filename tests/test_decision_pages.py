"""The run page's AI scorecard and decisions table, and the decision page, as HTML: figures
computed by hand from a small world written with the producer SDK, filters, paging, 404s,
400s, and no 500 on orphan data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from peakwatch.producer import RunWriter
from peakwatch.settings import Settings
from peakwatch.web.views_decisions import FILTER_RULE

T0 = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
RUN = "scored_run"
LONG_RATIONALE = (
    "Momentum and volume agree over twenty bars, spreads are tight and the book is deep; " * 3
)
XSS = "<img src=x onerror=alert(1)><script>alert(1)</script>"
FIRST = "dec/1 a"  # a given id with a slash and a space: percent-encoded in every link


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def writer(settings: Settings, run_id: str) -> RunWriter:
    return RunWriter(
        settings.runs_dir,
        run_id,
        mode="paper",
        strategy_name="probe_ai",
        symbol="BTC/EUR",
        timeframe="10s",
        started_at=T0,
    ).start(ts=T0)


def write_scored_run(settings: Settings) -> dict[str, str]:
    """Five decisions; by hand: +10 win, -6 loss, 0 flat, +15 win, then -3 while open.

    Hit rate 2 / 3, outcome PnL 19 over 4 scored decisions, Brier (0.04 + 0.49 + 0.01) / 3.
    """
    ids: dict[str, str] = {}
    with writer(settings, RUN) as run:
        run.position(0.0, 1000.0, ts=at(0))
        d1 = run.decision(
            "buy",
            confidence=0.8,
            rationale=LONG_RATIONALE,
            decision_id=FIRST,
            latency_ms=12.0,
            ts=at(10),
        )
        run.risk(True, [], decision_id=d1, ts=at(10.1))
        run.order("o1", "buy", 0.01, 50_000.0, decision_id=d1, ts=at(10.1))
        run.fill("o1", "buy", 0.01, 50_000.0, 0.5, decision_id=d1, ts=at(10.25))
        run.position(0.01, 1010.0, decision_id=d1, ts=at(11))
        d2 = run.decision("sell", confidence=0.7, rationale="Reversal", latency_ms=20.0, ts=at(20))
        run.risk(False, ["max_position"], decision_id=d2, ts=at(20.1))
        run.position(0.01, 1004.0, decision_id=d2, ts=at(21))
        d3 = run.decision("hold", confidence=0.3, rationale="Wait", latency_ms=30.0, ts=at(30))
        run.risk(True, [], ts=at(30.05))  # no decision_id: linked by time (inferred)
        run.position(0.01, 1004.0, ts=at(31))
        d4 = run.decision("buy", confidence=0.9, rationale=XSS, latency_ms=40.0, ts=at(40))
        run.order("o4", "buy", 0.01, 50_100.0, status="rejected", decision_id=d4, ts=at(40.1))
        run.position(0.01, 1019.0, decision_id=d4, ts=at(41))
        d5 = run.decision(
            "close", confidence=0.6, rationale="Take profit", latency_ms=50.0, ts=at(50)
        )
        run.position(0.0, 1016.0, decision_id=d5, ts=at(51))
    ids.update(d1=d1, d2=d2, d3=d3, d4=d4, d5=d5)
    return ids


def run_url(run_id: str = RUN) -> str:
    return f"/dashboard/runs/{quote(run_id, safe='')}"


def decision_url(decision_id: str, run_id: str = RUN) -> str:
    return f"{run_url(run_id)}/decisions/{quote(decision_id, safe='')}"


def html_of(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def row_ids(html: str) -> list[str]:
    """The decision ids of the decisions table, top to bottom."""
    table = html[html.index('id="decisions"') :]
    table = table[: table.index("</table>")]
    return [unescape(found) for found in re.findall(r'<tr data-decision-id="([^"]*)"', table)]


def unescape(text: str) -> str:
    return (
        text.replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def score(html: str, name: str) -> str:
    found = re.search(rf'data-score="{name}"[^>]*>([^<]*)<', html)
    assert found is not None, name
    return found.group(1)


@pytest.fixture
def ids(settings: Settings) -> dict[str, str]:
    return write_scored_run(settings)


# -- the run page's scorecard panel -------------------------------------------------------


def test_the_panel_shows_the_hand_computed_scorecard(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = html_of(client, run_url())
    assert 'id="scorecard"' in html and f'data-run-id="{RUN}"' in html
    assert score(html, "hit_rate") == "66.7 %"  # 2 wins / (2 wins + 1 loss)
    assert score(html, "decisions") == "5"
    assert score(html, "closed") == "4 / 1"
    assert score(html, "pnl_total") == "+19.00 EUR"  # 10 - 6 + 0 + 15; the open -3 not yet
    assert "+4.75 EUR per decision" in html
    assert score(html, "avg_win_loss") == "+12.50 / -6.00"
    assert "profit factor 4.17" in html  # 25 / 6
    assert score(html, "latency") == "30.0 / 50.0 ms"  # nearest rank of 12 20 30 40 50
    assert score(html, "first_fill") == "250.0 / 250.0 ms"
    assert score(html, "brier") == "0.180"  # (0.2^2 + 0.7^2 + 0.1^2) / 3
    assert score(html, "blocked_share") == "25.0 %"  # d2 of four checked (d1-d3; d4 by its order)
    assert score(html, "rejected_share") == "50.0 %"  # o4 of o1 and o4


def test_the_reliability_diagram_draws_each_bin_against_the_diagonal(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = html_of(client, run_url())
    svg = html[html.index('class="reliability-svg"') :]
    svg = svg[: svg.index("</svg>")]
    assert 'class="rel-diagonal" x1="34.0" y1="210.0" x2="234.0" y2="10.0"' in svg
    counts = re.findall(r'class="rel-count"[^>]*>n=(\d+)<', svg)
    assert counts == ["0", "0", "0", "1", "2"]  # 0.7 (loss) | 0.8 and 0.9 (both wins)
    bars = re.findall(r'<rect class="rel-bar" x="([\d.]+)" y="([\d.]+)"[^>]*data-bin="(\d)"', svg)
    assert bars == [("156.0", "210.0", "3"), ("196.0", "10.0", "4")]  # hit 0 % and 100 %
    dots = re.findall(r'<circle class="rel-dot" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert dots == [("174.0", "210.0"), ("204.0", "10.0")]  # mean confidence 0.7, 0.85
    assert '<td class="num">0.85</td><td class="num">100 %</td>' in html


# -- the decisions table ------------------------------------------------------------------


def test_the_table_lists_decisions_newest_first_with_outcome_and_link(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = html_of(client, run_url())
    assert row_ids(html) == [ids["d5"], ids["d4"], ids["d3"], ids["d2"], FIRST]
    rows = dict(
        zip(row_ids(html), re.findall(r"<tr data-decision-id=.*?</tr>", html, re.S), strict=True)
    )
    assert "-3.00" in rows[ids["d5"]] and "outcome-open" in rows[ids["d5"]]
    assert "+15.00" in rows[ids["d4"]] and "1 rejected" in rows[ids["d4"]]
    assert "-6.00" in rows[ids["d2"]] and ">blocked<" in rows[ids["d2"]]
    assert "0.00" in rows[ids["d3"]] and ">inferred<" in rows[ids["d3"]]
    first = rows[FIRST]
    assert f'href="{decision_url(FIRST)}"' in first and "dec%2F1%20a" in first
    assert ">allowed<" in first and '<td class="num" data-cell="fills">1</td>' in first
    assert ">id<" in first and "0.80" in first
    table = html[
        html.index('id="decisions"') : html.index("</table>", html.index('id="decisions"'))
    ]
    assert LONG_RATIONALE not in table and LONG_RATIONALE[:60] in first and "…" in first
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rows[ids["d4"]]
    assert '<th scope="col">Time (UTC)</th>' in html and "PnL in EUR" in html


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("action=buy", ["d4", "d1"]),
        ("outcome=loss", ["d2"]),
        ("outcome=open", ["d5"]),
        ("outcome=flat", ["d3"]),
        ("action=buy&outcome=win", ["d4", "d1"]),
        ("action=sell&outcome=win", []),
        ("action=never_seen", []),
        ("action=&outcome=", ["d5", "d4", "d3", "d2", "d1"]),  # an empty form field is no filter
    ],
)
def test_filters_by_action_and_outcome_from_the_query(
    client: TestClient, ids: dict[str, str], query: str, wanted: list[str]
) -> None:
    html = html_of(client, f"{run_url()}?{query}")
    if wanted:
        assert row_ids(html) == [ids[name] for name in wanted]
    else:
        assert 'id="decisions"' not in html and "No decisions match this filter" in html
    action = re.search(r"action=(\w+)", query)
    if action and action.group(1) in ("buy", "sell"):
        assert f'<option value="{action.group(1)}" selected>' in html
    assert 'method="get"' in html and 'name="action"' in html and 'name="outcome"' in html
    assert '<option value="buy">buy (2)</option>' in html or "buy (2)" in html
    assert '<option value="loss"' in html and "loss (1)" in html


def test_paging_walks_every_decision_once_with_older_links(
    client: TestClient, settings: Settings
) -> None:
    with writer(settings, "long_run") as run:
        run.position(0.0, 1000.0, ts=at(0))
        for number in range(123):
            action = "buy" if number % 3 == 0 else "hold"
            run.decision(action, confidence=0.5, rationale=f"bar {number}", ts=at(10 + number))
            run.position(0.0, 1000.0 + number % 7, ts=at(10.5 + number))
    seen: list[str] = []
    url: str | None = run_url("long_run")
    pages = 0
    while url is not None:
        html = html_of(client, url)
        seen.extend(row_ids(html))
        pages += 1
        older = re.search(r'href="([^"]+)" rel="next" data-older>Older<', html)
        url = unescape(older.group(1)) if older else None
        if pages > 1:
            assert "Newest</a>" in html
    assert pages == 3  # 50 + 50 + 23
    assert len(seen) == 123 and len(set(seen)) == 123
    assert seen == [f"d-{3 + 2 * number}" for number in reversed(range(123))]
    # a filter is kept while paging: 82 holds are 50 + 32
    html = html_of(client, f"{run_url('long_run')}?action=hold")
    older = re.search(r'href="([^"]+)" rel="next" data-older', html)
    assert older is not None and "action=hold" in older.group(1)
    second = html_of(client, unescape(older.group(1)))
    assert 'rel="next" data-older' not in second
    holds = row_ids(html) + row_ids(second)
    assert (len(row_ids(html)), len(holds), len(set(holds))) == (50, 82, 82)


@pytest.mark.parametrize(
    "query",
    [
        "outcome=bogus",
        "outcome=WIN",
        "cursor=not-a-cursor",
        "cursor=1-2-3",
        "cursor=%3Cscript%3E",
        "action=%3Cscript%3Ealert(1)%3C/script%3E",
        "action=" + "x" * 41,
        "action=" + "x" * 5000,
        "cursor=" + "1" * 300,
    ],
)
def test_a_bad_filter_or_cursor_is_the_400_page_with_one_sentence(
    client: TestClient, ids: dict[str, str], query: str
) -> None:
    html = html_of(client, f"{run_url()}?{query}", 400)
    assert "<h1>Bad request</h1>" in html
    assert "outcome one of win, loss, flat or open" in html
    assert FILTER_RULE.split(",")[0] in html.replace("&#39;", "'")
    main = html[html.index("<main") : html.index("</main>")]
    assert "<script>alert" not in html and "not-a-cursor" not in main and "xxxx" not in main
    assert f'href="{run_url()}">First page</a>' in html


# -- the decision page --------------------------------------------------------------------


def test_the_decision_page_lists_the_trace_in_order_with_link_types(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = html_of(client, decision_url(FIRST))
    assert '<h1>Decision <span class="id">dec/1 a</span>' in html
    steps = re.findall(r'data-kind="(\w+)" data-link="(\w+)" data-delay-ms="([\d.]+)"', html)
    assert steps == [
        ("risk", "id", "100.0"),
        ("order", "id", "100.0"),
        ("fill", "id", "250.0"),
        ("position", "id", "1000.0"),
    ]
    # each bar runs from the step before to its own delay, on a 0..1000 ms scale
    bars = re.findall(
        r'<li class="wf-row wf-\w+ wf-\w+".*?<rect x="([\d.]+)"[^>]*width="([\d.]+)"', html, re.S
    )
    assert bars == [("0.0", "100.0"), ("100.0", "6.0"), ("100.0", "150.0"), ("250.0", "750.0")]
    assert "+250 ms" in html and "0.0 ms" in html and "1.00 s" in html
    assert LONG_RATIONALE.strip() in html  # in full
    assert "1,000.00 EUR" in html and "1,010.00 EUR" in html and "+10.00 EUR" in html
    orders = html[html.index('class="data executions-table"') :]
    assert "50,000.00" in orders and "0.5000" in orders and "0.0100" in orders
    assert "<code>o1</code>" in orders


def test_inferred_links_risk_reasons_and_rejections_are_shown(
    client: TestClient, ids: dict[str, str]
) -> None:
    hold = html_of(client, decision_url(ids["d3"]))
    assert re.findall(r'data-kind="(\w+)" data-link="(\w+)"', hold) == [
        ("risk", "inferred"),
        ("position", "inferred"),
    ]
    sell = html_of(client, decision_url(ids["d2"]))
    assert "<li>max_position</li>" in sell and ">blocked<" in sell
    assert "wf-warn" in sell and "No order or fill followed this decision." in sell
    buy = html_of(client, decision_url(ids["d4"]))
    assert "order-rejected" in buy and "wf-bad" in buy
    assert XSS not in buy and "&lt;script&gt;alert(1)&lt;/script&gt;" in buy


def test_previous_and_next_links_walk_the_run_in_time_order(
    client: TestClient, ids: dict[str, str]
) -> None:
    order = [FIRST, ids["d2"], ids["d3"], ids["d4"], ids["d5"]]
    for index, decision_id in enumerate(order):
        html = html_of(client, decision_url(decision_id))
        previous = re.search(r'href="([^"]+)" rel="prev"', html)
        following = re.search(r'href="([^"]+)" rel="next"', html)
        if index == 0:
            assert previous is None and "No earlier decision" in html
        else:
            assert previous is not None and previous.group(1) == decision_url(order[index - 1])
        if index == len(order) - 1:
            assert following is None and "Newest decision" in html
        else:
            assert following is not None and following.group(1) == decision_url(order[index + 1])
        assert f'href="{run_url()}" data-run-link' in html


def test_unknown_runs_and_decisions_are_404_pages(client: TestClient, ids: dict[str, str]) -> None:
    html = html_of(client, decision_url("d-1", "no_such_run"), 404)
    assert "Run not found" in html and "no_such_run" in html
    html = html_of(client, decision_url("nope"), 404)
    assert "Decision not found" in html and f'href="{run_url()}#decisions-panel"' in html
    html = html_of(client, "/dashboard/runs/..%2F..%2Fetc/decisions/d-1", 404)
    assert "Run not found" in html
    html_of(client, f"{run_url()}/decisions/", 404)
    # the run page itself still answers under the same prefix
    assert "AI scorecard" in html_of(client, run_url())


def test_orphan_data_is_shown_never_a_500(
    settings: Settings, roots: Path, client: TestClient
) -> None:
    with writer(settings, "orphans") as run:
        run.position(0.0, 1000.0, ts=at(0))
        run.fill("ghost", "buy", 1.0, 10.0, 0.1, ts=at(1))  # a fill before any decision or order
        first = run.decision("buy", confidence=1.5, rationale="over-confident", ts=at(5))
        run.order("dup", "buy", 1.0, 10.0, decision_id=first, ts=at(5.1))
        run.order("dup", "buy", 1.0, 10.0, decision_id=first, ts=at(5.2))  # the id seen twice
        run.fill("dup", "buy", 1.0, 10.0, decision_id="no-such-decision", ts=at(5.3))
        run.position(1.0, 1001.0, ts=at(6))
        run.decision("sell", rationale="no confidence at all", decision_id=first, ts=at(8))
        run.decision("hold", confidence=0.5, rationale="the clock went back", ts=at(3))
        run.event("decision", "", data={"action": 7, "confidence": "high"}, ts=at(9))
        run.position(0.0, 999.0, ts=at(2))  # time going back
    html = html_of(client, run_url("orphans"))
    found = row_ids(html)
    assert len(found) == 4 and len(set(found)) == 4  # the reused id got an id of its own
    for decision_id in found:
        page = html_of(client, decision_url(decision_id, "orphans"))
        assert "<h1>Decision" in page
    over = html_of(client, decision_url(first, "orphans"))
    assert "not scored" in over  # 1.5 is outside 0..1
    assert "AI scorecard" in html


def test_the_json_twins_answer_with_the_same_decisions(
    client: TestClient, ids: dict[str, str]
) -> None:
    html = html_of(client, f"{run_url()}?action=buy")
    footer = html[html.index('<footer class="site-footer">') :]
    links = [unescape(link) for link in re.findall(r'href="([^"]+)"', footer)]
    listed = [link for link in links if "/decisions?" in link]
    assert listed == [f"/api/runs/{RUN}/decisions?limit=50&action=buy"]
    answer = client.get(listed[0]).json()
    assert [row["decision_id"] for row in answer["decisions"]] == [ids["d4"], FIRST]
    card = client.get(f"/api/runs/{RUN}/scorecard")
    assert f"/api/runs/{RUN}/scorecard" in links and card.json()["hit_rate"] == pytest.approx(2 / 3)
    page = html_of(client, decision_url(FIRST))
    footer = page[page.index('<footer class="site-footer">') :]
    twin = re.search(r'href="(/api/runs/[^"]+)"', footer)
    assert twin is not None and twin.group(1) == f"/api/runs/{RUN}/decisions/dec%2F1%20a"
    assert client.get(twin.group(1)).json()["decision_id"] == FIRST
