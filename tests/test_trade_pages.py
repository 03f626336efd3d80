"""The scorecard, trades and compare pages, and the runs tables' PnL, hit rate and sparkline,
over a small world written with the producer SDK (figures by hand in tests/trade_world.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from html_audit import audit_html
from peakwatch.settings import load_settings
from peakwatch.web import create_app
from trade_world import build_trade_world


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    roots = tmp_path_factory.mktemp("trades") / "data"
    build_trade_world(roots / "live_runs")
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    app = create_app(settings)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        yield c


def text_of(html: str) -> str:
    """The visible text of a page's main part, tags dropped, whitespace collapsed."""
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", main).replace("&#39;", "'").split())


def row(html: str, attribute: str, value: str) -> str:
    """The text of the table row carrying `attribute="value"`."""
    match = re.search(rf'<tr {attribute}="{re.escape(value)}".*?</tr>', html, flags=re.S)
    assert match, (attribute, value)
    return text_of(f"<main>{match.group(0)}</main>")


def assert_clean(html: str) -> None:
    """No inline script, no handler, nothing injected; scripts only from /static/."""
    audit = audit_html(html)
    assert not audit.inline_scripts and not audit.handlers and not audit.injected
    assert all(src.startswith("/static/") for src in audit.script_srcs)


def get(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_scorecard_by_component_shows_each_group_with_its_runs(client: TestClient) -> None:
    html = get(client, "/scorecard")
    assert row(html, "data-group", "gpt-a") == (
        "gpt-a 1 run: alpha 50.0 % (1/2) +5.00 4 3 +10.00 -5.00 40.0 ms 80.0 ms 0.185"
    )
    assert row(html, "data-group", "gpt-b").startswith("gpt-b 1 run: beta – – 1 0")
    assert 'href="/dashboard/runs/alpha"' in html
    assert "Decisions 6 Closed 3 Hit rate 50.0 % Outcome PnL +5.00 Brier 0.185" in text_of(html)
    assert '<option value="component" selected>' in html
    assert_clean(html)


@pytest.mark.parametrize(
    ("group_by", "group", "expected"),
    [
        ("strategy", "trend", "trend 1 run: alpha 50.0 % (1/2) +5.00 4 3"),
        ("strategy", "meanrev", "meanrev 1 run: beta – – 1 0"),
        ("symbol", "BTC/EUR", "BTC/EUR 1 run: alpha 50.0 % (1/2) +5.00 EUR 4 3 +10.00 EUR"),
        ("symbol", "ETH/USD", "ETH/USD 1 run: beta – – 1 0"),
        ("run", "alpha", "alpha trades 50.0 % (1/2) +5.00 4 3 +10.00 -5.00 40.0 ms 80.0 ms"),
        ("run", "orphan", "orphan trades – – 1 0"),
    ],
)
def test_scorecard_grouped_by_each_key(
    client: TestClient, group_by: str, group: str, expected: str
) -> None:
    html = get(client, f"/scorecard?group_by={group_by}")
    assert row(html, "data-group", group).startswith(expected)
    assert f'<option value="{group_by}" selected>' in html
    assert f'href="/api/ai/scorecard?group_by={group_by}"' in html


def test_scorecard_per_run_ticks_runs_for_the_comparison(client: TestClient) -> None:
    html = get(client, "/scorecard?group_by=run")
    assert '<form id="compare-form" class="compare-form" method="get" action="/compare"' in html
    assert 'name="run" value="alpha" form="compare-form"' in html
    assert 'href="/runs/alpha/trades"' in html
    assert "quiet" not in re.findall(r'data-group="([^"]+)"', html)  # no decisions, no row


def test_scorecard_pages_its_groups(client: TestClient) -> None:
    html = get(client, "/scorecard?group_by=run&limit=2")
    assert len(re.findall(r'<tr data-group="', html)) == 2
    assert "Showing 1–2 of 3 groups" in html
    assert 'href="/scorecard?group_by=run&amp;offset=2&amp;limit=2" rel="next"' in html


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/scorecard?group_by=model", "group_by must be component, strategy, symbol or run."),
        ("/scorecard?limit=0", "limit one from 1 to 500"),
        ("/trades?state=pending", "state must be open or closed"),
        ("/trades?offset=-3", "limit one from 1 to 500"),
        ("/trades?offset=6000", "for older trades pick a run"),
        ("/runs/alpha/trades?state=half", "state must be open or closed"),
        ("/runs/alpha/trades?cursor=t-x", "cursor must be the one"),
    ],
)
def test_bad_parameters_answer_the_400_page(client: TestClient, path: str, sentence: str) -> None:
    html = get(client, path, 400)
    assert "<h1>Bad request</h1>" in html and sentence in html
    value = path.rpartition("=")[2]
    assert f">{value}<" not in html  # the value is not echoed


@pytest.mark.parametrize("path", ["/runs/nope/trades", "/trades?run_id=nope"])
def test_an_unknown_run_is_the_404_page(client: TestClient, path: str) -> None:
    html = get(client, path, 404)
    assert "<h1>Run not found</h1>" in html and "nope" in html


def test_run_trades_closed_with_prices_fees_durations_and_decision_links(
    client: TestClient,
) -> None:
    html = get(client, "/runs/alpha/trades")
    assert "2 trades, 0 open, 2 closed" in text_of(html)
    assert row(html, "data-trade-id", "t-1") == (
        "t-1 +9.00 EUR closed BTC/EUR long 2026-03-01 21:00:04 UTC 100.0000 "
        "2026-03-01 23:00:04 UTC 110.0000 1.0000 1.00 2 h 00 min opened · closed"
    )
    assert row(html, "data-trade-id", "t-2").startswith("t-2 -6.00 EUR closed BTC/EUR long")
    assert 'href="/dashboard/runs/alpha/decisions/a">opened</a>' in html
    assert 'href="/dashboard/runs/alpha/decisions/b">closed</a>' in html
    assert row(html, "data-symbol", "BTC/EUR") == "BTC/EUR +3.00 EUR 2 1 1 2.00 0 –"
    assert row(html, "data-day", "2026-03-02") == "2026-03-02 -6.00 EUR 1 0 1 1.00"
    assert row(html, "data-day", "2026-03-01") == "2026-03-01 +9.00 EUR 1 1 0 1.00"
    assert html.index('data-day="2026-03-02"') < html.index('data-day="2026-03-01"')
    assert 'href="/api/runs/alpha/trades"' in html
    assert_clean(html)


def test_run_trades_open_only_and_an_open_trade_marked_at_the_last_price(
    client: TestClient,
) -> None:
    assert "t-1" not in get(client, "/runs/alpha/trades?state=open").split("<main")[1]
    html = get(client, "/runs/beta/trades?state=open")
    assert row(html, "data-trade-id", "t-1").startswith(
        "t-1 +10.00 USD open ETH/USD long 2026-03-01 21:00:03 UTC 50.0000 open 2.0000 0.00"
    )
    assert row(html, "data-symbol", "ETH/USD") == "ETH/USD 0.00 USD 0 0 0 0.00 1 +10.00 USD"


def test_run_trades_are_paged_with_a_cursor(client: TestClient) -> None:
    html = get(client, "/runs/alpha/trades?cursor=t-2")
    assert len(re.findall(r'<tr data-trade-id="', html)) == 1
    assert 'data-trade-id="t-1"' in html
    assert 'href="/runs/alpha/trades">Newest</a>' in html


def test_trades_across_runs_filtered_by_state_symbol_and_run(client: TestClient) -> None:
    html = get(client, "/trades")
    ids = re.findall(r'<tr data-trade-id="(t-\d+)" data-state="(\w+)"', html)
    assert len(ids) == 4  # alpha 2, beta 1, orphan 1 (a fill without its order still trades)
    assert row(html, "data-symbol", "BTC/EUR") == "BTC/EUR +3.00 EUR 2 1 1 2.00"
    assert row(html, "data-day", "2026-03-02") == "2026-03-02 -6.00 1 0 1 1.00"
    closed = get(client, "/trades?state=closed")
    assert {
        state for _, state in re.findall(r'data-trade-id="(t-\d+)" data-state="(\w+)"', closed)
    } == {"closed"}
    opened = get(client, "/trades?state=open&symbol=ETH/USD")
    assert re.findall(r'data-trade-id="(t-\d+)" data-state="(\w+)"', opened) == [("t-1", "open")]
    assert "Per day is counted over all symbols" in opened
    one_run = get(client, "/trades?run_id=alpha&state=")
    assert len(re.findall(r'<tr data-trade-id="', one_run)) == 2
    assert 'href="/api/trades?run_id=alpha"' in one_run


def test_trades_across_runs_are_paged_by_offset(client: TestClient) -> None:
    html = get(client, "/trades?limit=3")
    assert len(re.findall(r'<tr data-trade-id="', html)) == 3
    assert 'href="/trades?limit=3&amp;offset=3" rel="next"' in html
    second = get(client, "/trades?limit=3&offset=3")
    assert len(re.findall(r'<tr data-trade-id="', second)) == 1
    assert 'href="/trades?limit=3" rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_runs_tables_show_pnl_hit_rate_and_a_sparkline(client: TestClient, path: str) -> None:
    html = get(client, path)
    alpha = row(html, "data-run-id", "alpha")
    assert alpha.startswith("alpha +3.00 EUR 50.0 % trend BTC/EUR paper")
    assert row(html, "data-run-id", "beta").startswith("beta +10.00 USD – meanrev")
    assert row(html, "data-run-id", "quiet").startswith("quiet – – – idle")
    spark = re.search(r'<tr data-run-id="alpha".*?<svg class="spark (spark-\w+)"', html, re.S)
    assert spark and spark.group(1) == "spark-up"  # 100 -> 105
    assert 'aria-label="Equity from 100.00 to 105.00"' in html
    assert "<script>" not in html.split("</head>")[1]


def test_dashboard_ticks_runs_for_the_comparison(client: TestClient) -> None:
    html = get(client, "/dashboard")
    assert 'action="/compare"' in html
    assert 'name="run" value="beta" form="compare-form"' in html


def test_compare_normalises_to_the_start_and_lists_what_is_missing(client: TestClient) -> None:
    html = get(client, "/compare?run=beta&run=alpha&run=zzz&run=beta")
    legend = re.findall(r'<li data-compare-run="(\w+)">.*?data-change>(.*?)</span>', html, re.S)
    assert legend == [("beta", "+10.00 %"), ("alpha", "+5.00 %")]
    assert "Not found in" in html and ">zzz<" in html
    assert len(re.findall(r'<polyline class="series series-\d"', html)) == 2
    assert row(html, "data-run-id", "alpha").startswith("alpha trades 50.0 % (1/2) +5.00 EUR 4 3")
    assert 'href="/api/runs/beta/scorecard"' in html
    assert_clean(html)


def test_compare_draws_the_percent_change_on_one_scale(client: TestClient) -> None:
    html = get(client, "/compare?run=beta&run=alpha")
    lines = dict(re.findall(r'class="series series-(\d)" points="([^"]+)"', html))
    beta = [tuple(map(float, p.split(","))) for p in lines["0"].split()]
    alpha = [tuple(map(float, p.split(","))) for p in lines["1"].split()]
    assert beta[0][1] == alpha[0][1] == 295.0  # both start at 0 %, the bottom of the box
    assert beta[-1][1] == 5.0  # +10 %, the top
    assert alpha[-1][1] == 150.0  # +5 %, half way
    assert beta[-1][0] == 333.3 and alpha[-1][0] == 1000.0  # 2 h of 6 h


def test_compare_caps_the_number_of_runs(client: TestClient) -> None:
    query = "&".join(f"run=r{i}" for i in range(10))
    html = get(client, f"/compare?{query}")
    assert "10 runs were picked; at most 8 are compared" in html
    assert ">r8<" in html and ">r9<" in html


def test_compare_without_runs_says_how_to_pick_them(client: TestClient) -> None:
    html = get(client, "/compare")
    assert "Pick the runs to compare" in html and 'href="/dashboard"' in html


def test_nav_links_the_scorecard_and_the_trades(client: TestClient) -> None:
    html = get(client, "/trades")
    assert '<a href="/scorecard">Scorecard</a>' in html
    assert '<a href="/trades" aria-current="page">Trades</a>' in html


def test_orphan_data_never_answers_500(client: TestClient) -> None:
    for path in (
        "/runs/orphan/trades",
        "/runs/quiet/trades",
        "/trades?run_id=orphan",
        "/compare?run=orphan&run=quiet",
        "/scorecard?group_by=symbol",
    ):
        assert client.get(path).status_code == 200, path
    html = get(client, "/compare?run=quiet")
    assert "no curve" in html


def test_a_meta_only_run_has_no_trades(tmp_path: Path) -> None:
    roots = tmp_path / "data"
    build_trade_world(roots / "live_runs")
    settings = load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)
    with TestClient(create_app(settings), base_url="http://localhost") as c:
        html = c.get("/runs/quiet/trades").text
    assert "0 trades, 0 open, 0 closed" in html and "No trades" in html
