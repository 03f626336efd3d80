"""Which object names a mirror copies, and how: unsafe names refused, parts told apart."""

from __future__ import annotations

import pytest

from peakwatch.sources.storage_names import Parts, mirrored, safe_name

PARTS = Parts.of(
    {
        "runs": "live_runs",
        "sessions": "./reports/experiments/live_sessions/",
        "alerts": "live_runs/alerts",
        "ai_events": "logs/ai/ai_events.jsonl",
        "execution": "logs/execution",
        "exec_events": "out/ops/execution_events",
    }
)


@pytest.mark.parametrize(
    "name",
    [
        "live_runs/run-a/meta.json",
        "live_runs/läufe/ü.json",
        "a" * 255,
        "/".join(["b" * 200] * 5),
    ],
)
def test_safe_names_pass(name: str) -> None:
    assert safe_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "live_runs/../../escape.json",
        "live_runs/./meta.json",
        "..",
        "live_runs//meta.json",
        "live_runs/",
        "live_runs\\..\\escape.json",
        "live_runs/bell\x07.json",
        "live_runs/nul\x00.json",
        "live_runs/del\x7f.json",
        "live_runs/new\nline.json",
        "a" * 256,
        "/".join(["b" * 200] * 6),
        "live_runs/run-a/meta.json.mirror-tmp",
        "live_runs/\udc80.json",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    assert not safe_name(name)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("live_runs/run-a/events.jsonl", "log"),
        ("live_runs/run-a/events.csv", "log"),
        ("live_runs/run-a/events.parquet", "whole"),
        ("live_runs/run-a/meta.json", "whole"),
        ("live_runs/alerts/alerts-2026-12-01.jsonl", "tail"),
        ("logs/ai/ai_events.jsonl", "tail"),
        ("logs/execution/execution_pipeline_events_v0.jsonl", "tail"),
        ("out/ops/execution_events/day/events.jsonl", "tail"),
        ("reports/experiments/live_sessions/s-1.json", "whole"),
        ("logs/ai/ai_events.jsonl.bak", None),
        ("live_runs_old/run-a/meta.json", None),
        ("config/config.toml", None),
    ],
)
def test_each_part_has_its_kind(name: str, kind: str | None) -> None:
    assert PARTS.kind_of(name) == kind


def test_markers_and_outsiders_are_ignored_unsafe_and_shadowed_names_counted() -> None:
    names = [
        "live_runs/",
        "elsewhere/x.json",
        "live_runs/../x.json",
        "live_runs/run-a",
        "live_runs/run-a/meta.json",
    ]
    kinds, refused = mirrored(names, PARTS)
    assert kinds == {"live_runs/run-a/meta.json": "whole"} and refused == 2
