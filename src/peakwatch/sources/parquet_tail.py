"""Bounded-cost reads of a Parquet file: the last rows from the last row groups, column sums."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peakwatch.contract.values import INT64_MAX, INT64_MIN
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import NotRegularFile, open_regular
from peakwatch.sources.steady import STEADY

UNREADABLE = "Parquet file is corrupt or was being rewritten"
MAGIC = b"PAR1"
BIG_FOOTER = 64 << 10  # footers at least this big are parsed once per content (see below)


@dataclass(frozen=True, slots=True)
class ParquetTail:
    """The last rows of a Parquet file (oldest first) and its row count from the footer."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    missing: bool = False
    rewriting: bool = False  # the file is not whole: these are its last whole rows


def tail_parquet(path: Path, limit: int, label: str) -> ParquetTail:
    """The last `limit` rows, reading only the row groups at the end that hold them.

    While the file is being rewritten, the last rows read from it whole (marked).
    """
    try:
        with open_regular(path) as f:
            st = os.fstat(f.fileno())
            parquet = open_parquet(f)
            total = parquet.metadata.num_rows
            groups: list[pa.Table] = []
            collected = 0
            index = parquet.metadata.num_row_groups - 1
            while collected < limit and index >= 0:
                table = parquet.read_row_group(index)
                groups.append(table)
                collected += table.num_rows
                index -= 1
            rows: list[dict[str, Any]] = []
            if groups and limit > 0:
                table = pa.concat_tables(reversed(groups))
                rows = _plain_rows(table.slice(max(table.num_rows - limit, 0)))
    except FileNotFoundError:
        return ParquetTail(missing=True)
    except NotRegularFile as error:
        return ParquetTail(problems=[Problem(label, error.reason)])
    except Exception:  # pyarrow raises many error types on corrupt or truncated input
        whole = STEADY.recall(path, ("tail", limit))
        if whole is None:
            return ParquetTail(problems=[Problem(label, UNREADABLE)])
        kept: ParquetTail = whole.result
        reason = STEADY.broken(path)
        return ParquetTail(kept.rows, kept.total_rows, [Problem(label, reason)], rewriting=True)
    tail = ParquetTail(rows, total)
    STEADY.remember(path, ("tail", limit), st, tail)
    return tail


def open_parquet(f: BinaryIO) -> pq.ParquetFile:
    """The open file as a ParquetFile, its footer parsed once per exact footer content.

    A footer grows with the number of row groups: 1,000 of them take ~20 ms to parse,
    more than reading the last row group. Identical footer bytes mean identical metadata.
    """
    f.seek(0, os.SEEK_END)
    size = f.tell()
    if size >= 12:
        f.seek(size - 8)
        ending = f.read(8)
        length = int.from_bytes(ending[:4], "little")
        if ending[4:] == MAGIC and BIG_FOOTER <= length <= size - 12:
            f.seek(size - 8 - length)
            metadata = _parsed_footer(f.read(length) + ending)
            f.seek(0)
            return pq.ParquetFile(f, metadata=metadata)
    f.seek(0)
    return pq.ParquetFile(f)


@functools.lru_cache(maxsize=4)  # ~10 MiB each for 1,000 row groups
def _parsed_footer(footer: bytes) -> pq.FileMetaData:
    return pq.read_metadata(pa.BufferReader(MAGIC + footer))


def sum_parquet_columns(
    path: Path, columns: list[str], label: str
) -> tuple[dict[str, float], int, list[Problem]]:
    """Sums of numeric columns over the whole file (missing ones are 0) and the row count.

    Only the named columns are read, one row group at a time; null, NaN and inf are ignored.
    """
    sums = {name: 0.0 for name in columns}
    problems: list[Problem] = []
    try:
        with open_regular(path) as f:
            st = os.fstat(f.fileno())
            parquet = open_parquet(f)
            schema = parquet.schema_arrow
            present = []
            for name in dict.fromkeys(columns):
                if schema.get_field_index(name) == -1:
                    continue
                if _is_numeric(schema.field(name).type):
                    present.append(name)
                else:
                    problems.append(Problem(label, f"column {name!r} is not numeric"))
            for index in range(parquet.metadata.num_row_groups if present else 0):
                table = parquet.read_row_group(index, columns=present)
                for name in present:
                    sums[name] += _finite_sum(table.column(name))
            total = parquet.metadata.num_rows
    except FileNotFoundError:
        return sums, 0, []
    except NotRegularFile as error:
        return {name: 0.0 for name in columns}, 0, [Problem(label, error.reason)]
    except Exception:  # pyarrow raises many error types on corrupt or truncated input
        whole = STEADY.recall(path, ("sums", tuple(columns)))
        if whole is None:
            return {name: 0.0 for name in columns}, 0, [Problem(label, UNREADABLE)]
        kept_sums, kept_total = whole.result
        return dict(kept_sums), kept_total, [Problem(label, STEADY.broken(path))]
    STEADY.remember(path, ("sums", tuple(columns)), st, (dict(sums), total))
    return sums, total, problems


def _is_numeric(kind: pa.DataType) -> bool:
    """Integers, floats, decimals and booleans (counted as 0/1) can be summed."""
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
    )


def _finite_sum(column: pa.ChunkedArray) -> float:
    """The sum of a column's finite values as a float (0.0 when there are none)."""
    if pa.types.is_boolean(column.type) or pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    if pa.types.is_floating(column.type):
        column = column.filter(pc.is_finite(column))
    total = pc.sum(column).as_py()
    return 0.0 if total is None else float(total)


def _plain_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (nanosecond timestamps truncated to microseconds)."""
    for index, column in enumerate(table.schema):
        target: pa.DataType | None = None
        if pa.types.is_timestamp(column.type) and column.type.unit == "ns":
            target = pa.timestamp("us", tz=column.type.tz)
        elif pa.types.is_duration(column.type) and column.type.unit == "ns":
            target = pa.duration("us")
        if target is not None:
            narrowed = table.column(index).cast(target, safe=False)
            table = table.set_column(index, column.name, narrowed)
    return [{key: _plain(value) for key, value in row.items()} for row in table.to_pylist()]


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value: no NaN or inf, ISO strings for times."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        return float(value)  # a uint64 beyond the signed range: integer fields refuse it
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return _plain(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
