"""Decoding keeps every good record and reports each bad line where it is."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from peakwatch.sources.decode import decode_csv_rows, decode_jsonl
from peakwatch.sources.lines import RawLine
from peakwatch.sources.problems import Problem
from peakwatch.sources.tail import tail_lines

SETTINGS = settings(max_examples=150, deadline=None)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)
objects = st.dictionaries(st.text(max_size=6), json_values, max_size=3)
bad_lines = st.sampled_from(
    [
        (b'{"a": "\xff"}', "line is not valid UTF-8"),
        (b"\xc3\x28", "line is not valid UTF-8"),
        (b'{"a": 1', "line is not valid JSON"),
        (b"not json", "line is not valid JSON"),
        (b'{"a": NaN, "s": "\\ud800"}', "line is not valid JSON"),
        (b"[1, 2]", "line is JSON but not an object"),
        (b"42", "line is JSON but not an object"),
        (b'"text"', "line is JSON but not an object"),
    ]
)


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(st.tuples(st.booleans(), objects, bad_lines), max_size=12),
    first=st.none() | st.integers(1, 1000),
)
def test_jsonl_keeps_good_objects_and_locates_bad_lines(
    items: list[tuple[bool, dict[str, Any], tuple[bytes, str]]], first: int | None
) -> None:
    lines: list[RawLine] = []
    expected_records: list[dict[str, Any]] = []
    expected_problems: list[Problem] = []
    offset = 0
    for index, (good, obj, (bad, reason)) in enumerate(items):
        data = orjson.dumps(obj) if good else bad
        lines.append(RawLine(offset, data))
        if good:
            expected_records.append(obj)
        else:
            number = None if first is None else first + index
            expected_problems.append(Problem("run/events.jsonl", reason, number, offset))
        offset += len(data) + 1
    records, problems = decode_jsonl(lines, "run/events.jsonl", first_line_number=first)
    assert records == expected_records
    assert problems == expected_problems


def test_jsonl_nan_and_infinity_become_none() -> None:
    lines = [
        RawLine(0, b'{"a": NaN, "b": [Infinity, -Infinity], "c": 1.5, "d": 1e999}'),
        RawLine(70, b'\xef\xbb\xbf{"bom": true}'),
        RawLine(0, b'\xef\xbb\xbf{"bom": true}'),
    ]
    records, problems = decode_jsonl(lines, "x.jsonl")
    assert records == [{"a": None, "b": [None, None], "c": 1.5, "d": None}, {"bom": True}]
    assert problems == [Problem("x.jsonl", "line is not valid JSON", offset=70)]


def test_jsonl_deep_nesting_is_a_problem_not_a_crash() -> None:
    deep = b'{"a": ' * 5000 + b"NaN" + b"}" * 5000
    records, problems = decode_jsonl([RawLine(0, deep)], "deep.jsonl")
    assert records == []
    assert problems == [Problem("deep.jsonl", "line is not valid JSON", offset=0)]


def test_tail_then_decode_survives_an_invalid_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_bytes(b'{"seq": 1}\n{"seq": "\xff"}\r\n{"seq": 3}\n{"seq": 4')
    records, problems = decode_jsonl(tail_lines(path, 10, block_size=4).lines, "r/alerts.jsonl")
    assert records == [{"seq": 1}, {"seq": 3}]
    assert problems == [Problem("r/alerts.jsonl", "line is not valid UTF-8", offset=11)]


csv_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"), max_size=8
)


def csv_line(fields: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue().encode("utf-8")


@SETTINGS
@given(
    columns=st.lists(csv_text.filter(bool), min_size=1, max_size=5, unique=True),
    rows=st.lists(st.lists(csv_text, min_size=1, max_size=8), max_size=10),
    bom=st.booleans(),
)
def test_csv_rows_map_fields_to_header(
    columns: list[str], rows: list[list[str]], bom: bool
) -> None:
    header = RawLine(0, (b"\xef\xbb\xbf" if bom else b"") + csv_line(columns))
    lines = [RawLine(100 + i, csv_line(fields)) for i, fields in enumerate(rows)]
    decoded, problems = decode_csv_rows(header, lines, "run/events.csv")
    expected = []
    short = []
    for line, fields in zip(lines, rows, strict=True):
        if len(fields) < len(columns):  # never read with values under the wrong names
            reason = f"row has {len(fields)} fields, the header names {len(columns)}: not read"
            short.append(Problem("run/events.csv", reason, offset=line.offset))
            continue
        row: dict[str, str | None] = {name: None for name in columns}
        for name, value in zip(columns, fields, strict=False):
            row[name] = value or None
        for i, value in enumerate(fields[len(columns) :], start=1):
            row[f"_extra_{i}"] = value or None
        expected.append(row)
    assert problems == short
    assert decoded == expected


def test_csv_exact_rows_and_bad_line() -> None:
    header = RawLine(0, b'\xef\xbb\xbfstep,equity,"risk, reasons"')
    lines = [
        RawLine(30, b'1,100.5,"a, b"'),
        RawLine(45, b"2,\xff,"),
        RawLine(52, b"3,,,x,y"),
        RawLine(60, b"4"),
    ]
    rows, problems = decode_csv_rows(header, lines, "r/events.csv")
    assert rows == [
        {"step": "1", "equity": "100.5", "risk, reasons": "a, b"},
        {"step": "3", "equity": None, "risk, reasons": None, "_extra_1": "x", "_extra_2": "y"},
    ]
    assert problems == [
        Problem("r/events.csv", "line is not valid UTF-8 CSV", offset=45),
        Problem("r/events.csv", "row has 1 fields, the header names 3: not read", offset=60),
    ]


def test_csv_bad_header_is_one_problem() -> None:
    rows, problems = decode_csv_rows(RawLine(0, b"a,\xff"), [RawLine(5, b"1,2")], "e.csv")
    assert rows == []
    assert problems == [Problem("e.csv", "header is not valid UTF-8 CSV", line=1, offset=0)]
