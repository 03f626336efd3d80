"""deploy/grafana/peakwatch.json is a valid dashboard whose every query names a metric that
`/metrics` exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

DASHBOARD = Path(__file__).parents[1] / "deploy/grafana/peakwatch.json"


def test_the_dashboard_is_valid_grafana_json() -> None:
    board = json.loads(DASHBOARD.read_text())
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 30
    assert board["title"] and board["uid"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in board["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}"


def test_every_metric_the_dashboard_queries_is_exported(client: TestClient) -> None:
    """Every family is declared on /metrics even before it has samples."""
    exported = {
        line.split()[2]
        for line in client.get("/metrics").text.splitlines()
        if line.startswith("# TYPE ")
    }
    board = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    queries += [v["definition"] for v in board["templating"]["list"] if "definition" in v]
    queried = {name for q in queries for name in re.findall(r"\bpeakwatch_[a-z_]+\b", q)}
    assert queried, "the dashboard queries peakwatch's series"
    assert queried <= exported, f"not on /metrics: {sorted(queried - exported)}"
    assert len(queried) >= 12  # fleet, equity, drawdown, PnL, scorecard, orders, decisions
