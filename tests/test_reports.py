"""The status snapshot and the run report as files people keep: what they show, byte-identical
bytes, nothing fetched from elsewhere, bounded charts, and a bad run that does not sink them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from artifacts import native_bar_events, write_jsonl, write_meta
from peakwatch.domain.run_queries import Runs
from peakwatch.domain.run_report import curve_of, drawdowns, extremes
from peakwatch.export import main as export_main
from peakwatch.web import report_html
from peakwatch.web.report_chart import report_chart
from test_snapshot import AS_OF, build_data, client_for

STATUS = f"/api/live/status/snapshot.html?as_of={AS_OF}"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    base = tmp_path / "one"
    base.mkdir()
    build_data(base)
    return base


def export_roots(data: Path) -> list[str]:
    """The export flags naming the test data's roots."""
    return [
        *("--runs-dir", str(data / "live_runs")),
        *("--sessions-dir", str(data / "reports/experiments/live_sessions")),
        *("--ai-events", str(data / "logs/ai/ai_events.jsonl")),
        *("--execution-dir", str(data / "logs/execution")),
        *("--alerts-dir", str(data / "live_runs/alerts")),
        *("--config", str(data / "config/config.toml")),
    ]


class Links(HTMLParser):
    """Every URL a document would load or link, its script tags and its style text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.styles = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.urls += [value or "" for key, value in attrs if key in ("src", "href", "srcset")]
        if tag == "script":
            self.scripts.append(named)
        self._in_style = tag == "style"
        if named.get("style"):
            self.styles += named["style"] or ""

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles += data


def parsed(document: str) -> Links:
    links = Links()
    links.feed(document)
    return links


def embedded_json(document: str, block_id: str) -> object:
    found = re.search(
        rf'<script type="application/json" id="{block_id}">(.*?)</script>', document, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def test_status_report_shows_what_an_operator_reads(data: Path) -> None:
    with client_for(data) as client:
        response = client.get(STATUS)
        twin = client.get(f"/api/live/status/snapshot.json?as_of={AS_OF}").json()
    assert response.status_code == 200
    page = response.text
    assert "LIVE LOCKED" in page and twin["content_sha256"] in page
    safety = next(p for p in twin["panels"] if p["id"] == "safety")["details"]
    assert safety["config_sha256"] and safety["config_sha256"] in page
    assert "2026-01-01 12:00:30 UTC" in page  # as_of, with its zone written out
    assert "<code>runs_dir</code> present" in page
    # one section per run, newest first, with its tiles, chart, scorecard and decisions
    sections = re.findall(r'aria-label="Run ([^"]+)"', page)
    assert sections == [run["run_id"] for run in client_for(data).get("/runs").json()]
    native = page.split('aria-label="Run native"')[1].split("</section>")[0]
    assert "10,0" in native and " EUR" in native  # thousands separator, quote currency
    assert 'class="eq-line"' in native and 'class="dd-area"' in native
    assert "AI scorecard" in native and "Brier score" in native and "0.8–1.0" in native
    assert native.count("Momentum positive on bar") == 10  # the last 10 decisions' rationale
    assert "Momentum positive on bar 19" in native and "on bar 9<" not in native
    assert "risk_blocked" in native  # the run's alerts
    meta_only = page.split('aria-label="Run meta_only"')[1].split("</section>")[0]
    assert "AI scorecard" not in meta_only and "No chart" in meta_only
    # sessions, alerts and health; the JSON the page was drawn from is in it, and linked
    assert "running" in page.split('id="sessions"')[1]
    alerts = page.split('id="alerts"')[1].split("</section>")[0]
    assert "Run or session" in alerts and "<code>native</code>" in alerts
    assert "20260101T000000_live_session_paper_broken.json" in page.split('id="health"')[1]
    assert embedded_json(page, "snapshot-data") == twin
    assert f'href="/api/live/status/snapshot.json?as_of={AS_OF}"' in page


def test_reports_are_byte_identical_for_the_same_data_and_as_of(data: Path, tmp_path: Path) -> None:
    """Twice in one process, and from two `peakwatch export` processes."""
    urls = [STATUS, f"/runs/native/report.html?as_of={AS_OF}"]
    with client_for(data) as client:
        first = [client.get(url).content for url in urls]
        again = [client.get(url).content for url in urls]
    assert first == again
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        flags = ["--out", str(out), "--as-of", AS_OF, "--run", "native", *export_roots(data)]
        program = f"from peakwatch.export import main; raise SystemExit(main({flags!r}))"
        subprocess.run([sys.executable, "-c", program], check=True, cwd=data, timeout=120)
        outputs.append(
            [(out / "status_snapshot.html").read_bytes(), (out / "run_native.html").read_bytes()]
        )
    assert outputs[0] == outputs[1] == first


def test_reports_load_nothing_from_elsewhere_and_run_no_script(data: Path) -> None:
    with client_for(data) as client:
        documents = [client.get(STATUS).text, client.get("/runs/native/report.html").text]
    for document in documents:
        links = parsed(document)
        assert links.urls, "the reports link the JSON twin and the dashboard"
        for url in links.urls:  # in-page anchors, or paths back to the dashboard
            assert url.startswith("#") or (url.startswith("/") and not url.startswith("//"))
        assert [script.get("type") for script in links.scripts] == ["application/json"]
        assert "<link" not in document and "<style>" in document
        assert "url(" not in links.styles and "@import" not in links.styles
        assert "prefers-color-scheme: dark" in links.styles and "@media print" in links.styles


def test_json_block_cannot_be_closed_by_artifact_text() -> None:
    block = str(report_html.json_block({"rationale": "</script><script>alert(1)</script>&"}))
    assert "</script" not in block and "<" not in block and "&" not in block
    assert json.loads(block) == {"rationale": "</script><script>alert(1)</script>&"}


def test_downsampling_keeps_spikes_and_the_worst_drawdown() -> None:
    values = [100.0 + (i % 7) * 0.01 for i in range(100_000)]
    values[31_337] = 500.0  # one spike up
    values[77_777] = 1.0  # one crash: the worst drawdown
    kept = extremes(values)
    assert len(kept) <= 1000 and kept == sorted(set(kept))
    assert {0, 31_337, 77_777, 99_999} <= set(kept)
    curve = curve_of(list(range(100_000)), values, 1000)
    assert curve is not None
    assert len(curve.equity) <= 1000 and len(curve.drawdown) <= 1000
    assert (curve.high, curve.low) == (500.0, 1.0)
    assert curve.worst_drawdown == min(drawdowns(values)) == pytest.approx(1.0 / 500.0 - 1.0)
    assert (77_777, 77_777, curve.worst_drawdown) in curve.drawdown
    chart = report_chart(curve)
    assert chart is not None
    ys = [float(point.split(",")[1]) for point in chart.equity_points.split()]
    assert len(ys) <= 1000 and min(ys) == pytest.approx(5.0)  # the spike reaches the top
    short = [1.0, 2.0, 3.0]
    assert extremes(short) == [0, 1, 2]


def test_a_big_run_draws_at_most_a_thousand_points(data: Path) -> None:
    write_jsonl(data / "live_runs" / "native" / "events.jsonl", native_bar_events(1500))
    with client_for(data) as client:
        page = client.get(f"/runs/native/report.html?as_of={AS_OF}").text
    points = re.search(r'class="eq-line" points="([^"]+)"', page)
    assert points is not None
    assert 500 < len(points.group(1).split()) <= 1000
    assert "all 1,500 steps" in page


def test_a_run_that_cannot_be_read_keeps_its_section(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Runs.followed

    def broken(self: Runs, run_id: str, *, catch_up: bool = True):  # type: ignore[no-untyped-def]
        if run_id == "native":
            raise OSError("disk on fire at /secret/path")
        return real(self, run_id, catch_up=catch_up)

    monkeypatch.setattr(Runs, "followed", broken)
    with client_for(data) as client:
        response = client.get(STATUS)
        alone = client.get(f"/runs/native/report.html?as_of={AS_OF}")
    assert response.status_code == alone.status_code == 200
    native = response.text.split('aria-label="Run native"')[1].split("</section>")[0]
    assert "The equity curve and trades of this run could not be read." in native
    assert "The AI scorecard of this run could not be read." in native
    assert "risk_blocked" in native  # what could be read is still there
    assert "could not be read" in alone.text
    assert 'class="eq-line"' in response.text.split('aria-label="Run csv_run"')[1]
    for text in (response.text, alone.text):
        assert "fire" not in text and "secret" not in text


def test_a_run_whose_report_fails_whole_is_a_section_saying_so(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise ValueError("bad bytes in /secret/path")

    monkeypatch.setattr(report_html, "run_report", failing)
    with client_for(data) as client:
        response = client.get(STATUS)
    assert response.status_code == 200
    assert response.text.count("This run&#39;s files could not be read") == 4
    assert "secret" not in response.text


def test_bad_lines_of_a_run_are_named_in_its_section(data: Path) -> None:
    with (data / "live_runs" / "native" / "events.jsonl").open("a") as events:
        events.write("{not json\n")
    with client_for(data) as client:
        page = client.get(STATUS).text
    native = page.split('aria-label="Run native"')[1].split("</section>")[0]
    assert "could not be read:" in native and "line is not valid JSON" in native
    assert 'class="eq-line"' in native


def test_above_fifty_runs_the_older_ones_are_a_table(data: Path) -> None:
    for i in range(50):
        write_meta(data / "live_runs" / f"extra_{i:02d}", f"extra_{i:02d}")
    with client_for(data) as client:
        page = client.get(STATUS).text
    assert len(re.findall(r'aria-label="Run ([^"]+)"', page)) == 50
    assert "4 older runs" in page
    table = page.split("4 older runs")[1]
    assert len(re.findall(r'href="/runs/[^"]+/report.html"', table)) == 4


def test_run_report_route_link_and_export(data: Path, tmp_path: Path) -> None:
    with client_for(data) as client:
        report = client.get(f"/runs/native/report.html?as_of={AS_OF}")
        run_page = client.get("/dashboard/runs/native").text
        missing = client.get("/runs/nothing-here/report.html")
        odd = client.get("/runs/..%2Fetc/report.html")
        bad_time = client.get("/runs/native/report.html?as_of=soon")
        twin = client.get(f"/runs/native/snapshot?as_of={AS_OF}").json()
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "script-src 'none'" in report.headers["content-security-policy"]
    assert "peakwatch run report" in report.text and "LIVE LOCKED" in report.text
    assert report.text.count('aria-label="Run ') == 1 and "Brier score" in report.text
    assert embedded_json(report.text, "run-data") == twin
    assert 'href="/runs/native/report.html"' in run_page
    assert missing.status_code == 404 and "Run not found" in missing.text
    assert odd.status_code == 404
    assert bad_time.status_code == 422
    out = tmp_path / "out"
    flags = ["--out", str(out), "--as-of", AS_OF, "--run", "native", *export_roots(data)]
    assert export_main(flags) == 0
    assert (out / "run_native.html").read_bytes() == report.content
    assert not (out / "run_csv_run.html").exists()


def test_overview_counts_firing_alerts_when_the_panel_tells_them_apart() -> None:
    counts = {"critical": 1, "warning": 12, "info": 0}
    firing = {"critical": 1, "warning": 2, "info": 0}
    tracked = {"counts": counts, "firing": firing, "headline": "3 alerts firing", "total": 13}
    card = report_html.alert_overview(tracked)
    assert (card["title"], card["count"], card["total"]) == ("Firing alerts", 3, 13)
    plain = report_html.alert_overview({"counts": counts, "total": 13})
    assert (plain["title"], plain["count"]) == ("Alerts", 13)
    assert plain["by_severity"] == [("critical", 1), ("warning", 12), ("info", 0)]
