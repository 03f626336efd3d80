"""Parquet tails read only the last row groups they need and survive corrupt files."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakwatch.sources.parquet_tail import ParquetTail, sum_parquet_columns, tail_parquet
from peakwatch.sources.problems import Problem
from peakwatch.sources.steady import REWRITING

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
COUNTER = itertools.count()
UNREADABLE = "Parquet file is corrupt or was being rewritten"


def write_events(path: Path, rows: int, group_size: int) -> None:
    table = pa.table(
        {
            "step": pa.array(range(rows), pa.int64()),
            "equity": pa.array([1000.0 + i for i in range(rows)], pa.float64()),
            "risk_reasons": pa.array([f"r{i}" for i in range(rows)], pa.string()),
        }
    )
    pq.write_table(table, path, row_group_size=group_size)


@pytest.fixture
def spied_groups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, list[str] | None]]:
    """Every read_row_group call as (index, columns)."""
    calls: list[tuple[int, list[str] | None]] = []
    original = pq.ParquetFile.read_row_group

    def spy(self: pq.ParquetFile, i: int, columns: list[str] | None = None, **kw: Any) -> Any:
        calls.append((i, None if columns is None else list(columns)))
        return original(self, i, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    return calls


@SETTINGS
@given(rows=st.integers(0, 60), group_size=st.integers(1, 10), limit=st.integers(0, 70))
def test_tail_reads_only_the_last_needed_row_groups(
    tmp_path: Path,
    spied_groups: list[tuple[int, list[str] | None]],
    rows: int,
    group_size: int,
    limit: int,
) -> None:
    path = tmp_path / f"events{next(COUNTER)}.parquet"
    write_events(path, rows, group_size)
    spied_groups.clear()
    result = tail_parquet(path, limit, "run/events.parquet")
    wanted = list(range(rows))[-limit:] if limit else []
    assert [row["step"] for row in result.rows] == wanted
    assert [row["equity"] for row in result.rows] == [1000.0 + i for i in wanted]
    assert [row["risk_reasons"] for row in result.rows] == [f"r{i}" for i in wanted]
    assert result.total_rows == rows and result.problems == []
    metadata = pq.ParquetFile(path).metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sum(sizes) == rows and all(size <= group_size for size in sizes)
    expected_reads: list[int] = []
    for index in reversed(range(len(sizes))):  # newest group first, until `limit` rows
        if sum(sizes[i] for i in expected_reads) >= limit:
            break
        expected_reads.append(index)
    assert [i for i, _ in spied_groups] == expected_reads


def test_tail_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    utc = pa.timestamp("ns", tz="UTC")
    table = pa.table(
        {
            "ts_event": pa.array([1_700_000_000_123_456_789, None], utc),
            "ts_bar": pa.array([dt.datetime(2025, 1, 2, 3, 4, 5), None], pa.timestamp("us")),
            "price": pa.array([math.nan, math.inf], pa.float64()),
            "signal_changed": pa.array([True, False]),
            "extra_tags": pa.array([["a"], []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path)
    result = tail_parquet(path, 5, "r/events.parquet")
    assert result == ParquetTail(
        rows=[
            {
                "ts_event": "2023-11-14T22:13:20.123456Z",
                "ts_bar": "2025-01-02T03:04:05",
                "price": None,
                "signal_changed": True,
                "extra_tags": ["a"],
            },
            {
                "ts_event": None,
                "ts_bar": None,
                "price": None,
                "signal_changed": False,
                "extra_tags": [],
            },
        ],
        total_rows=2,
        problems=[],
    )


@pytest.mark.parametrize("keep", [0, 4, 100, -8, -1])
def test_truncated_or_garbage_file_is_a_problem(tmp_path: Path, keep: int) -> None:
    good = tmp_path / "good.parquet"
    write_events(good, 50, 10)
    path = tmp_path / "events.parquet"
    path.write_bytes(good.read_bytes()[:keep] if keep else b"not parquet at all")
    problem = Problem("r/events.parquet", UNREADABLE)
    assert tail_parquet(path, 5, "r/events.parquet") == ParquetTail([], 0, [problem])
    assert sum_parquet_columns(path, ["equity"], "r/events.parquet") == (
        {"equity": 0.0},
        0,
        [problem],
    )


def test_corrupt_row_group_is_a_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    write_events(good, 50, 10)
    data = bytearray(good.read_bytes())
    footer_start = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    data[4:footer_start] = b"\x00" * (footer_start - 4)  # pages zeroed, footer intact
    path = tmp_path / "events.parquet"
    path.write_bytes(bytes(data))
    result = tail_parquet(path, 5, "r/events.parquet")
    assert result == ParquetTail([], 0, [Problem("r/events.parquet", UNREADABLE)])


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    assert tail_parquet(path, 5, "r") == ParquetTail(missing=True)
    assert sum_parquet_columns(path, ["pnl"], "r") == ({"pnl": 0.0}, 0, [])


def test_sum_reads_only_requested_columns(
    tmp_path: Path, spied_groups: list[tuple[int, list[str] | None]]
) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "orders_filled": pa.array([1, 2, None, 4], pa.int64()),
            "realized_pnl": pa.array([0.5, math.nan, -2.25, math.inf], pa.float64()),
            "risk_allowed": pa.array([True, False, True, None]),
            "risk_reasons": pa.array(["", "x", "", ""]),
            "unused": pa.array([9.0, 9.0, 9.0, 9.0]),
        }
    )
    pq.write_table(table, path, row_group_size=3)
    sums, rows, problems = sum_parquet_columns(
        path, ["orders_filled", "realized_pnl", "risk_allowed", "drawdown", "risk_reasons"], "r/e"
    )
    assert sums == {
        "orders_filled": 7.0,
        "realized_pnl": -1.75,
        "risk_allowed": 2.0,
        "drawdown": 0.0,
        "risk_reasons": 0.0,
    }
    assert rows == 4
    assert problems == [Problem("r/e", "column 'risk_reasons' is not numeric")]
    cols = ["orders_filled", "realized_pnl", "risk_allowed"]
    assert spied_groups == [(0, cols), (1, cols)]


def test_a_big_footer_is_parsed_once_and_a_new_footer_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of row groups make a big footer; the same bytes give the same metadata."""
    from peakwatch.sources import parquet_tail

    path = tmp_path / "events.parquet"
    write_events(path, 4000, 2)
    assert pq.read_metadata(path).serialized_size >= parquet_tail.BIG_FOOTER
    parses = []
    real = pq.read_metadata
    monkeypatch.setattr(pq, "read_metadata", lambda *a, **k: parses.append(1) or real(*a, **k))
    first = tail_parquet(path, 3, "e.parquet")
    assert [row["step"] for row in first.rows] == [3997, 3998, 3999]
    assert tail_parquet(path, 3, "e.parquet") == first
    assert sum_parquet_columns(path, ["step"], "e.parquet")[1] == 4000
    assert len(parses) == 1
    write_events(path, 4002, 2)  # rewritten: a new footer
    assert [row["step"] for row in tail_parquet(path, 2, "e.parquet").rows] == [4000, 4001]
    assert len(parses) == 2
    with path.open("r+b") as f:  # a damaged footer: the last whole rows, marked, not parsed
        f.seek(-200, 2)
        f.write(b"\xff" * 100)
    damaged = tail_parquet(path, 2, "e.parquet")
    assert damaged.problems == [Problem("e.parquet", REWRITING)]
    assert [row["step"] for row in damaged.rows] == [4000, 4001] and damaged.rewriting
    assert tail_parquet(path, 5, "e.parquet").problems == [Problem("e.parquet", UNREADABLE)]
