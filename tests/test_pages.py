"""The HTML pages: they render with and without data, escape every artifact value, carry no
inline script, refresh without JavaScript, and link their JSON twins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from artifacts import (
    T0,
    native_bar_events,
    native_event,
    session_record,
    write_jsonl,
    write_meta,
    write_session,
)
from html_audit import audit_html
from peakwatch.settings import Settings
from peakwatch.web import create_app

XSS = "<img src=x onerror=alert(1)><script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
STATIC_JS = Path(__file__).resolve().parents[1] / "src/peakwatch/web/static/js"
RUN_ID = "run+1@demo=a:b"
SESSION_ID = "sess-1"
PAGES = ["/", "/dashboard", "/activity", "/alerts", "/status/health", "/docs"]


def runs_root(roots: Path) -> Path:
    return roots / "live_runs"


def registry(roots: Path) -> Path:
    return roots / "reports" / "experiments" / "live_sessions"


def write_run(roots: Path, run_id: str = RUN_ID, bars: int = 12, **meta: object) -> Path:
    run_dir = runs_root(roots) / run_id
    write_meta(run_dir, run_id, **meta)
    write_jsonl(run_dir / "events.jsonl", native_bar_events(bars))
    write_jsonl(
        run_dir / "alerts.jsonl",
        [
            {
                "rule_id": "pnl_drop",
                "severity": "CRITICAL",
                "message": "PnL fell by 3 %",
                "run_id": run_id,
                "timestamp": (T0 + timedelta(seconds=5)).isoformat(),
            }
        ],
    )
    return run_dir


@pytest.fixture
def data(roots: Path) -> Path:
    """One run with events and alerts, and a session of that run."""
    write_run(roots)
    write_session(registry(roots), session_record(SESSION_ID, run_id=RUN_ID))
    return roots


@pytest.fixture
def xss(roots: Path) -> Path:
    """Every text field that can carry markup carries the payload."""
    run_dir = write_run(roots, "xss", strategy_name=XSS, symbol=XSS, notes=XSS)
    extra = [
        native_event(
            900,
            "decision",
            T0 + timedelta(minutes=5),
            action="sell",
            confidence=0.9,
            symbol=XSS,
            rationale=XSS,
        ),
        native_event(901, "error", T0 + timedelta(minutes=6), level="error", msg=XSS),
    ]
    write_jsonl(run_dir / "events.jsonl", extra, mode="a")
    alert = {"rule_id": XSS, "severity": "WARN", "message": XSS, "run_id": "xss"}
    write_jsonl(run_dir / "alerts.jsonl", [alert], mode="a")
    record = session_record(XSS, run_id="xss", status="failed", error=XSS)
    record["config"]["notes"] = XSS
    record["session_id"] = XSS
    registry(roots).mkdir(parents=True, exist_ok=True)
    path = registry(roots) / "20260101T120000_live_session_paper_xss.json"
    path.write_text(json.dumps(record))
    return roots


def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client


def html_of(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# -- every page renders ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        *PAGES,
        f"/dashboard/runs/{quote(RUN_ID, safe='')}",
        f"/dashboard?run={quote(RUN_ID, safe='')}",
        f"/sessions/{SESSION_ID}",
        "/activity?kind=decision&level=info&q=momentum",
        "/alerts?severity=critical&source=run",
    ],
)
def test_page_with_data_answers_200(client: TestClient, data: Path, url: str) -> None:
    html = html_of(client, url)
    assert "<h1" in html and "</html>" in html
    if url in ("/", "/dashboard") or url.startswith("/dashboard/runs/"):
        assert "ma_crossover" in html  # the run's strategy is on the page


@pytest.mark.parametrize("url", PAGES)
def test_page_with_empty_roots_answers_200(client: TestClient, url: str) -> None:
    html_of(client, url)


@pytest.mark.parametrize("url", ["/", "/dashboard"])
def test_no_runs_says_where_it_looked_and_what_to_do(
    client: TestClient, settings: Settings, url: str
) -> None:
    html = html_of(client, url)
    assert f"No runs found in <code>{settings.runs_dir}</code>" in html
    assert settings.runs_dir.is_absolute()
    assert "peakwatch creates no runs" in html and "peakwatch demo" in html


def test_unknown_run_is_a_404_page_naming_the_runs_folder(
    client: TestClient, data: Path, settings: Settings
) -> None:
    html = html_of(client, "/dashboard/runs/no-such-run", 404)
    assert "Run not found" in html
    assert str(settings.runs_dir) in html
    assert "--base-runs-dir" in html
    assert "no-such-run" in html


def test_encoded_slash_in_run_id_is_a_404_page(client: TestClient, data: Path) -> None:
    html = html_of(client, "/dashboard/runs/..%2F..%2Fetc", 404)
    assert "Run not found" in html


def test_unknown_session_is_a_404_page_naming_the_sessions_folder(
    client: TestClient, data: Path, settings: Settings
) -> None:
    html = html_of(client, "/sessions/nope", 404)
    assert "Session not found" in html and str(settings.sessions_dir) in html


def test_home_setting_runs_shows_the_runs_dashboard(settings: Settings, data: Path) -> None:
    for client in app_client(settings.with_overrides(home="runs")):
        html = html_of(client, "/")
        assert "<h1>Runs</h1>" in html and "Operator home" not in html
    for client in app_client(settings):
        assert "<h1>Operator home</h1>" in html_of(client, "/")


# -- what the pages show ----------------------------------------------------------------


def test_run_page_shows_meta_tiles_chart_tail_and_alerts(client: TestClient, data: Path) -> None:
    html = html_of(client, f"/dashboard/runs/{quote(RUN_ID, safe='')}")
    assert "<svg" in html and 'class="eq-line"' in html
    for label in ("Equity", "Realized PnL", "Unrealized PnL", "Drawdown", "Steps", "Blocked"):
        assert f"<dt>{label}</dt>" in html
    assert "PnL fell by 3 %" in html
    # a decision reads at a glance: bold action, confidence, rationale
    assert '<strong class="action">BUY</strong>' in html
    assert "confidence 0.70" in html and "Momentum positive on bar 11" in html
    # newest first: bar 11's decision comes before bar 0's
    assert html.index("Momentum positive on bar 11") < html.index("Momentum positive on bar 0<")
    assert '<details class="payload"><summary>payload</summary>' in html


def test_ids_in_urls_are_percent_encoded(client: TestClient, data: Path) -> None:
    encoded = quote(RUN_ID, safe="")
    assert encoded == "run%2B1%40demo%3Da%3Ab"
    for url in ("/", "/dashboard", "/activity"):
        assert f'href="/dashboard/runs/{encoded}"' in html_of(client, url)
    assert f'href="/runs/{encoded}/snapshot"' in html_of(client, f"/dashboard/runs/{encoded}")


def test_home_shows_status_sessions_runs_activity_and_alerts(
    client: TestClient, data: Path
) -> None:
    html = html_of(client, "/")
    for heading in ("Status", "Sessions", "Runs", "AI activity", "Alerts"):
        assert f">{heading}</h2>" in html
    assert f'href="/sessions/{SESSION_ID}"' in html
    assert "PnL fell by 3 %" in html


def test_activity_filters_and_older_link_page_through_everything(
    client: TestClient, roots: Path
) -> None:
    write_run(roots, bars=20)  # 20 bars, about 115 events
    first = html_of(client, "/activity?view=all")  # every event: 50 items of any importance
    ids = re.findall(r'data-id="([^"]+)"', first)
    assert len(ids) == 50
    older = re.search(r'href="(/activity\?view=all&amp;before=[^"]+)"', first)
    assert older is not None
    second = html_of(client, older.group(1).replace("&amp;", "&"))
    more = re.findall(r'data-id="([^"]+)"', second)
    assert more and not set(more) & set(ids)
    assert "this page does not grow live" in second and 'data-live="off"' in second

    warnings = html_of(client, "/activity?level=warning")
    levels = set(re.findall(r'<li class="feed-row level-(\w+) imp-notable"', warnings))
    assert levels == {"warning"}
    assert '<option value="warning" selected>' in warnings
    decisions = html_of(client, "/activity?kind=decision&q=bar+7")
    assert len(re.findall(r"data-id=", decisions)) == 1
    assert set(re.findall(r"Momentum positive on bar \d+", decisions)) == {
        "Momentum positive on bar 7"
    }


def test_activity_payload_is_pretty_printed_and_cut_at_4_kb(
    client: TestClient, roots: Path
) -> None:
    run_dir = runs_root(roots) / "big"
    write_meta(run_dir, "big")
    event = native_event(1, "decision", T0, action="hold", rationale="r", notes="x" * 9000)
    write_jsonl(run_dir / "events.jsonl", [event])
    html = html_of(client, "/activity")
    assert "\n  &#34;data&#34;: {\n    &#34;action&#34;: &#34;hold&#34;," in html  # indented JSON
    assert "Cut at 4 KB of" in html
    assert "x" * 9000 not in html


def test_alerts_page_filters_and_counts(client: TestClient, data: Path) -> None:
    html = html_of(client, "/alerts?severity=critical")
    assert "PnL fell by 3 %" in html
    assert set(re.findall(r'data-severity="(\w+)"', html)) == {"critical"}
    html = html_of(client, "/alerts?severity=info")
    assert "PnL fell by 3 %" not in html


def test_health_page_lists_roots_and_unreadable_artifacts(
    client: TestClient, data: Path, settings: Settings
) -> None:
    (registry(data) / "20260102T000000_live_session_paper_bad.json").write_text('{"session_')
    html = html_of(client, "/status/health")
    for path in settings.roots().values():
        assert f"<code>{path}</code>" in html
    assert "missing" in html  # the AI events file and others do not exist here
    assert "live_sessions/20260102T000000_live_session_paper_bad.json" in html
    assert "degraded" in html


def test_docs_lists_every_get_operation_and_nothing_else(client: TestClient) -> None:
    html = html_of(client, "/docs")
    openapi = client.get("/openapi.json").json()
    methods = re.findall(r'<span class="badge method">(\w+)</span>', html)
    assert set(methods) == {"GET"}
    assert len(methods) == sum(len(ops) for ops in openapi["paths"].values())
    assert '<code class="op-path">/runs/{run_id}/tail</code>' in html
    assert 'href="/openapi.json"' in html
    assert "/dashboard/runs" not in re.findall(r'op-path">([^<]+)<', html)
    assert "swagger" not in html.lower()


# -- safety of the markup -----------------------------------------------------------------


def xss_pages() -> list[str]:
    return [
        *PAGES,
        "/dashboard/runs/xss",
        "/dashboard?run=xss",
        f"/sessions/{quote(XSS, safe='')}",
        "/activity?run=xss",
        "/alerts?source=run",
    ]


def test_artifact_text_is_escaped_on_every_page(client: TestClient, xss: Path) -> None:
    shows_payload = {
        "/",
        "/dashboard",
        "/dashboard/runs/xss",
        "/dashboard?run=xss",
        "/activity",
        "/activity?run=xss",
        "/alerts",
        "/alerts?source=run",
        f"/sessions/{quote(XSS, safe='')}",
    }
    for url in xss_pages():
        html = html_of(client, url)
        assert XSS not in html, url
        assert "<img src=x" not in html and "<script>alert" not in html, url
        if url in shows_payload:
            assert XSS_ESCAPED in html, url
    session_link = f'href="/sessions/{quote(XSS, safe="")}"'
    assert session_link in html_of(client, "/")
    run_page = html_of(client, "/dashboard/runs/xss")
    assert run_page.count(XSS_ESCAPED) >= 4  # strategy, symbol, notes, rationale, error, alert


def test_no_inline_script_handlers_or_styles(client: TestClient, xss: Path) -> None:
    for url in [*xss_pages(), "/dashboard/runs/nope"]:
        html = client.get(url).text
        audit = audit_html(html)
        assert audit.scripts, url
        assert not audit.inline_scripts, url
        assert all(src.startswith("/static/") for src in audit.script_srcs), url
        assert "".join(audit.script_text).strip() == "", url
        assert not audit.handlers, (url, audit.handlers)
        assert not audit.injected, (url, audit.injected)
        assert "style" not in audit.attribute_names and audit.tags["style"] == 0, url
        assert "http://" not in html and "https://" not in html, url  # no CDN, no web fonts


def test_theme_script_runs_early_and_live_script_is_a_module(client: TestClient) -> None:
    html = html_of(client, "/")
    head = html[: html.index("</head>")]
    assert '<script src="/static/theme.js"></script>' in head
    assert '<script type="module" src="/static/js/main.js"></script>' in head  # deferred
    assert head.index("theme.js") < head.index("app.css")
    served = (("js/main.js", "javascript"), ("theme.js", "javascript"), ("app.css", "css"))
    for name, kind in served:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    for path in sorted(STATIC_JS.glob("*.js")):
        assert "innerHTML" not in client.get(f"/static/js/{path.name}").text, path.name
    assert "innerHTML" not in client.get("/static/theme.js").text


# -- refresh, stream, banners, twins ---------------------------------------------------------


def test_no_js_refresh_follows_auto_refresh_seconds(settings: Settings) -> None:
    for client in app_client(settings.with_overrides(auto_refresh_seconds=7)):
        for url in PAGES:
            html = html_of(client, url)
            assert '<noscript><meta http-equiv="refresh" content="7"></noscript>' in html
    for client in app_client(settings.with_overrides(auto_refresh_seconds=0)):
        for url in PAGES:
            assert 'http-equiv="refresh"' not in html_of(client, url)


def test_pages_subscribe_to_the_stream_with_their_filter(client: TestClient, data: Path) -> None:
    run_page = html_of(client, f"/dashboard/runs/{quote(RUN_ID, safe='')}")
    stream = re.search(r'data-stream="([^"]+)"', run_page)
    assert stream is not None
    assert stream.group(1).startswith("/api/stream?run_id=run%2B1%40demo%3Da%3Ab")
    assert 'aria-live="polite"' in run_page
    assert 'data-stream="/api/stream' in html_of(client, "/")
    assert "data-stream" not in html_of(client, "/docs")


def test_non_loopback_bind_shows_a_warning_on_every_page(settings: Settings) -> None:
    remote = settings.with_overrides(host="0.0.0.0", allow_remote=True)
    for client in app_client(remote):
        for url in [*PAGES, "/dashboard/runs/nope"]:
            assert "Reachable from other machines" in client.get(url).text, url
    for client in app_client(settings):
        assert "Reachable from other machines" not in html_of(client, "/")


def test_tz_toggle_keeps_the_query(client: TestClient, data: Path) -> None:
    html = html_of(client, "/alerts?severity=critical")
    assert 'href="/alerts?severity=critical&amp;tz=local"' in html and "Show local time" in html
    html = html_of(client, "/alerts?severity=critical&tz=local")
    assert 'href="/alerts?severity=critical"' in html and "Show UTC" in html
    assert 'data-tz="local"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard",
        f"/dashboard/runs/{quote(RUN_ID, safe='')}",
        f"/sessions/{SESSION_ID}",
        "/activity?kind=decision",
        "/alerts?severity=critical",
        "/status/health",
        "/docs",
    ],
)
def test_every_json_twin_in_the_footer_answers(client: TestClient, data: Path, url: str) -> None:
    html = html_of(client, url)
    footer = html[html.index('<footer class="site-footer">') :]
    links = audit_html(footer).links
    assert links, url
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers["content-type"].startswith("application/json"), link
    if url.startswith("/dashboard/runs/"):
        assert f"/runs/{quote(RUN_ID, safe='')}/snapshot" in links
