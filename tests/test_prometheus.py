"""The shipped Prometheus rules, unit-tested with promtool, and a real Prometheus scraping a
running peakwatch: the series arrive with the right values and a stale run fires its alert.

`make test` installs Debian's `prometheus` package (prometheus and promtool).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from live_server import free_port, running_server
from peakwatch.producer.run_writer import RunWriter
from peakwatch.settings import load_settings

REPO = Path(__file__).parents[1]
RULES = REPO / "deploy/prometheus/peakwatch.rules.yml"
RULE_TESTS = REPO / "deploy/prometheus/peakwatch.rules.test.yml"
GUIDE = REPO / "docs/PROMETHEUS.md"


def tool(name: str) -> str:
    """The path of a Prometheus tool; a clear failure when it is not installed."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `make prometheus` installs Debian's prometheus")
    return found


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    check = subprocess.run(
        [tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tested = subprocess.run(
        [tool("promtool"), "test", "rules", RULE_TESTS.name],
        capture_output=True,
        text=True,
        cwd=RULE_TESTS.parent,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_rule_has_a_severity_a_unit_test_and_a_runbook_section() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"]}
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    headings = {
        re.sub(r"[^a-z0-9]", "", line.lower())
        for line in GUIDE.read_text().splitlines()
        if line.startswith("#")
    }
    for rule in rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert name in tested and name in fired, f"{name} has no promtool case that fires it"
        anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
        assert anchor in headings, f"{name}: docs/PROMETHEUS.md has no section #{anchor}"


def api(base: str, path: str, **params: str) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{base}{path}?{query}", timeout=5) as response:
        return json.load(response)["data"]


def wait_for(what: str, check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


@contextmanager
def prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    """Prometheus on 127.0.0.1 scraping `target` every second with the shipped rules (their
    `for:` durations cut to 0s so that a test need not wait minutes); yields its base URL."""
    fast_rules = re.sub(r"(?m)^(\s+)for: .*$", r"\1for: 0s", RULES.read_text())
    (tmp_path / "peakwatch.rules.yml").write_text(fast_rules)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["peakwatch.rules.yml"],
        "scrape_configs": [{"job_name": "peakwatch", "static_configs": [{"targets": [target]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("prometheus ready", lambda: urllib.request.urlopen(base + "/-/ready").status)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_prometheus_scrapes_the_series_and_fires_on_a_stale_run(tmp_path: Path) -> None:
    roots = tmp_path / "data"
    roots.mkdir()
    settings = load_settings(
        {"index_max_age_seconds": 0.0, "run_stale_seconds": 8.0}, environ={}, cwd=roots
    )
    with (
        running_server(settings) as base,
        prometheus(tmp_path, base.removeprefix("http://")) as prom,
    ):
        run = RunWriter(
            settings.runs_dir,
            "scraped",
            mode="paper",
            strategy_name="trend",
            symbol="BTC/EUR",
            timeframe="1s",
        ).start()
        run.event("market", "close 100", data={"close": 100.0})
        run.order("o1", "buy", 2.0, 100.0)
        run.fill("o1", "buy", 2.0, 100.0, 0.5)
        run.position(2.0, 1000.0)
        run.event("market", "close 95", data={"close": 95.0})
        run.position(2.0, 990.0)

        def scraped(query: str) -> float | None:
            found = api(prom, "/api/v1/query", query=query)["result"]
            return float(found[0]["value"][1]) if found else None

        wait_for(
            "two scrapes",
            lambda: (scraped('count_over_time(up{job="peakwatch"}[1m])') or 0) >= 2,
        )
        assert scraped('up{job="peakwatch"}') == 1
        wait_for("the run counted", lambda: scraped('peakwatch_run_counted{run_id="scraped"}') == 1)
        assert scraped('peakwatch_run_equity{run_id="scraped"}') == 990.0
        assert scraped('peakwatch_run_max_drawdown_ratio{run_id="scraped"}') == pytest.approx(-0.01)
        assert scraped('peakwatch_run_orders_total{run_id="scraped",state="filled"}') == 1
        assert scraped('peakwatch_run_steps_total{run_id="scraped"}') == 2
        # active while it wrote (the first scrapes), then stale once it stopped
        active = 'max_over_time(peakwatch_run_status{run_id="scraped",status="active"}[1m])'
        assert scraped(active) == 1
        assert scraped('max_over_time(peakwatch_runs{status="active"}[1m])') == 1

        # the runner falls silent: after run_stale_seconds the run is stale and the rule fires
        def firing() -> list[dict[str, Any]]:
            alerts = api(prom, "/api/v1/alerts")["alerts"]
            return [
                a
                for a in alerts
                if a["labels"]["alertname"] == "PeakwatchRunStale" and a["state"] == "firing"
            ]

        fired = wait_for("PeakwatchRunStale firing", firing)
        assert fired[0]["labels"]["run_id"] == "scraped"
        assert fired[0]["annotations"]["summary"] == "Run scraped went silent"
