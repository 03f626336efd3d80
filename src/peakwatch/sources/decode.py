"""Raw lines to records: JSON Lines objects and CSV rows, with a problem per bad line."""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from collections.abc import Iterable
from typing import Any

import orjson

from peakwatch.contract.values import INT64_MAX, MAX_JSON_NESTING, json_limit_violation
from peakwatch.sources.lines import RawLine
from peakwatch.sources.problems import Problem

BOM = b"\xef\xbb\xbf"
_NINETEEN_DIGITS = re.compile(rb"[0-9]{19}")  # an integer this long may be beyond 64 bits
_BEYOND_ORJSON_INTS = re.compile(rb"-[0-9]{19}|[0-9]{20}")  # orjson may read these as floats


def decode_jsonl(
    lines: Iterable[RawLine], label: str, *, first_line_number: int | None = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Each line as a JSON object; NaN and Infinity become None.

    With `first_line_number`, the lines are taken as consecutive and problems carry line numbers.
    """
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        number = None if first_line_number is None else first_line_number + index
        data = line.data.removeprefix(BOM) if line.offset == 0 else line.data
        value, reason = parse_json(data)
        if reason is None and not isinstance(value, dict):
            reason = "is JSON but not an object"
        if reason is None:
            records.append(value)
        else:
            problems.append(Problem(label, f"line {reason}", line=number, offset=line.offset))
    return records, problems


def parse_json(data: bytes) -> tuple[Any, str | None]:
    """The JSON value of `data` within the contract's limits, or None and why not.

    The reason reads after "line" or "document": "is not valid JSON", "is nested deeper...".
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _parse_lenient(data)
    if _BEYOND_ORJSON_INTS.search(data):  # read integers exactly, to refuse those beyond 64 bits
        return _parse_lenient(data)
    if _NINETEEN_DIGITS.search(data) or data.count(b"[") + data.count(b"{") > MAX_JSON_NESTING:
        return _within_limits(value)
    return value, None


def _parse_lenient(data: bytes) -> tuple[Any, str | None]:
    """Parse with the stdlib: NaN and Infinity as None, integers exact; then check limits."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "is not valid UTF-8"
    try:  # the stdlib accepts NaN and Infinity, which some writers emit
        value = json.loads(
            text, parse_constant=_constant, parse_float=_finite_float, parse_int=_exact_int
        )
    except (ValueError, RecursionError):
        return None, "is not valid JSON"
    value, reason = _within_limits(value)
    if reason is not None:
        return None, reason
    try:  # refuse what the stdlib accepts but cannot be served (lone surrogates)
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None, "is not valid JSON"
    return value, None


def _within_limits(value: Any) -> tuple[Any, str | None]:
    """The value, or None and the limit it breaks (nesting depth, 64-bit integers)."""
    reason = json_limit_violation(value)
    return (value, None) if reason is None else (None, reason)


def _constant(name: str) -> None:
    """NaN, Infinity and -Infinity have no JSON value: None."""
    return None


def _finite_float(text: str) -> float | None:
    """A float literal, or None when it overflows to infinity."""
    value = float(text)
    return value if math.isfinite(value) else None


def _exact_int(text: str) -> int:
    """An integer literal; a longer one than 64 bits can hold stands in as INT64_MAX + 1."""
    return int(text) if len(text) <= 21 else INT64_MAX + 1


def decode_csv_rows(
    header: RawLine, lines: Iterable[RawLine], label: str
) -> tuple[list[dict[str, str | None]], list[Problem]]:
    """Each line as a dict keyed by the header's columns; empty strings become None.

    Extra fields go under `_extra_1`, `_extra_2`...; a row with fewer fields than the header
    is a problem and not read (its values would sit under the wrong names).
    """
    problems: list[Problem] = []
    columns = _header_fields(header.data.removeprefix(BOM))
    if columns is None:
        return [], [Problem(label, "header is not valid UTF-8 CSV", line=1, offset=header.offset)]
    rows: list[dict[str, str | None]] = []
    for line in lines:
        fields = _csv_fields(line.data)
        if fields is None:
            problems.append(Problem(label, "line is not valid UTF-8 CSV", offset=line.offset))
            continue
        if not fields:
            continue
        if len(fields) < len(columns):  # its values would land in the wrong columns: not read
            reason = f"row has {len(fields)} fields, the header names {len(columns)}: not read"
            problems.append(Problem(label, reason, offset=line.offset))
            continue
        row: dict[str, str | None] = {name: None for name in columns}
        for name, value in zip(columns, fields, strict=False):
            row[name] = value or None
        for extra, value in enumerate(fields[len(columns) :], start=1):
            row[f"_extra_{extra}"] = value or None
        rows.append(row)
    return rows, problems


@functools.lru_cache(maxsize=64)
def _header_fields(data: bytes) -> tuple[str, ...] | None:
    """A header line's column names (cached: followers decode line by line against one header)."""
    fields = _csv_fields(data)
    return None if fields is None else tuple(fields)


def _csv_fields(data: bytes) -> list[str] | None:
    """The fields of one CSV line, or None when it is not UTF-8 or not CSV."""
    try:
        return next(csv.reader([data.decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error):
        return None
