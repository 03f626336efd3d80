"""The incremental reader returns every complete line exactly once, however writes are split."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakwatch.sources.incremental import Appended, IncrementalReader
from peakwatch.sources.lines import RawLine
from peakwatch.sources.regular_files import FOLDER

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
COUNTER = itertools.count()

line_bytes = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")) | st.sampled_from(
    [b"", b"\r", b"abc\r", b"\xff\xfe", b'{"a": 1}']
)


def complete_lines(content: bytes, cap: int | None = None) -> tuple[list[RawLine], list[int]]:
    """Reference model: complete non-empty lines and the offsets of those over `cap` bytes."""
    lines: list[RawLine] = []
    long: list[int] = []
    offset = 0
    for raw in content.split(b"\n")[:-1]:
        data = raw[:-1] if raw.endswith(b"\r") else raw
        if cap is not None and len(raw) > cap:
            long.append(offset)
        elif data:
            lines.append(RawLine(offset, data))
        offset += len(raw) + 1
    return lines, long


def fresh_file(tmp_path: Path) -> Path:
    """A path in a new directory (hypothesis reuses tmp_path across examples)."""
    folder = tmp_path / f"case{next(COUNTER)}"
    folder.mkdir()
    return folder / "events.jsonl"


def append(path: Path, chunk: bytes) -> None:
    with open(path, "ab") as f:
        f.write(chunk)


def drain(reader: IncrementalReader, max_bytes: int | None) -> list[Appended]:
    """Call read_new until a call brings nothing new."""
    results = []
    while True:
        result = reader.read_new(max_bytes)
        results.append(result)
        if not result.lines and not result.skipped:
            return results


def chunked(content: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(content)) for c in cuts} | {0, len(content)})
    return [content[a:b] for a, b in itertools.pairwise(points)]


@SETTINGS
@given(
    lines=st.lists(line_bytes, max_size=25),
    partial=st.binary(max_size=8).map(lambda b: b.replace(b"\n", b"")),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    max_bytes=st.none() | st.integers(1, 40),
)
def test_every_complete_line_exactly_once_in_order(
    tmp_path: Path, lines: list[bytes], partial: bytes, cuts: list[int], max_bytes: int | None
) -> None:
    content = b"".join(line + b"\n" for line in lines) + partial
    path = fresh_file(tmp_path)
    reader = IncrementalReader(path)
    assert reader.read_new(max_bytes) == Appended([], reset=False, missing=True)
    path.write_bytes(b"")
    seen: list[RawLine] = []
    for chunk in chunked(content, cuts):
        append(path, chunk)
        result = reader.read_new(max_bytes)
        assert not result.reset and not result.missing and result.error is None
        seen.extend(result.lines)
    for result in drain(reader, max_bytes):
        assert not result.reset
        seen.extend(result.lines)
    expected, _ = complete_lines(content)
    assert seen == expected
    assert reader.offset == content.rfind(b"\n") + 1


@SETTINGS
@given(
    lines=st.lists(line_bytes | st.binary(min_size=5, max_size=30), max_size=20),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    cap=st.integers(0, 12),
    max_bytes=st.none() | st.integers(1, 40),
)
def test_overlong_lines_are_skipped_and_reported_once(
    tmp_path: Path, lines: list[bytes], cuts: list[int], cap: int, max_bytes: int | None
) -> None:
    content = b"".join(line.replace(b"\n", b"") + b"\n" for line in lines)
    path = fresh_file(tmp_path)
    path.write_bytes(b"")
    reader = IncrementalReader(path, max_line_bytes=cap)
    seen: list[RawLine] = []
    skipped: list[int] = []
    for chunk in chunked(content, cuts):
        append(path, chunk)
        for result in drain(reader, max_bytes):
            seen.extend(result.lines)
            skipped.extend(result.skipped)
    assert (seen, skipped) == complete_lines(content, cap)


@SETTINGS
@given(
    first=st.lists(line_bytes, min_size=1, max_size=10),
    second=st.lists(line_bytes, max_size=10),
    replace=st.booleans(),
)
def test_truncation_and_replacement_reset(
    tmp_path: Path, first: list[bytes], second: list[bytes], replace: bool
) -> None:
    old = b"".join(line + b"\n" for line in first) + b"x" * 50 + b"\n"
    new = b"".join(line + b"\n" for line in second)
    path = fresh_file(tmp_path)
    path.write_bytes(old)
    reader = IncrementalReader(path)
    assert reader.read_new().lines == complete_lines(old)[0]
    if replace:
        staged = path.with_name("events.jsonl.tmp")
        staged.write_bytes(new + b"pending")
        os.replace(staged, path)
    else:
        with open(path, "r+b") as f:
            f.truncate(0)
            f.write(new + b"pending")
    result = reader.read_new()
    assert result == Appended(complete_lines(new)[0], reset=True, missing=False)
    assert reader.offset == len(new)
    assert reader.read_new() == Appended([], reset=False, missing=False)


def test_replacement_with_a_longer_file_is_a_reset(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    path.write_bytes(b"a\nb\n")
    reader = IncrementalReader(path)
    assert reader.read_new().lines == [RawLine(0, b"a"), RawLine(2, b"b")]
    staged = path.with_name("new")
    staged.write_bytes(b"c\nd\ne\nf\n")
    os.replace(staged, path)
    assert reader.read_new() == Appended(
        [RawLine(0, b"c"), RawLine(2, b"d"), RawLine(4, b"e"), RawLine(6, b"f")],
        reset=True,
        missing=False,
    )


def test_in_place_rewrite_with_more_bytes_is_a_reset(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    path.write_bytes(b"one\ntwo\n")
    reader = IncrementalReader(path)
    assert len(reader.read_new().lines) == 2
    with open(path, "r+b") as f:  # same inode, larger size: only the content tells
        f.truncate(0)
        f.write(b"three\nfour\nfive\n")
    result = reader.read_new()
    assert result.reset
    assert [line.data for line in result.lines] == [b"three", b"four", b"five"]


def test_missing_then_recreated_is_reported(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    reader = IncrementalReader(path)
    assert reader.read_new() == Appended([], reset=False, missing=True)
    path.write_bytes(b"a\r\nb")
    assert reader.read_new() == Appended([RawLine(0, b"a")], reset=False, missing=False)
    assert reader.offset == 3
    path.unlink()
    assert reader.read_new() == Appended([], reset=False, missing=True)
    assert reader.offset == 0
    path.write_bytes(b"a\r\nb\n")
    assert reader.read_new() == Appended(
        [RawLine(0, b"a"), RawLine(3, b"b")], reset=True, missing=False
    )
    assert reader.read_new() == Appended([], reset=False, missing=False)


def test_max_bytes_bounds_each_call(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    path.write_bytes(b"".join(b"%03d\n" % i for i in range(100)))
    reader = IncrementalReader(path)
    first = reader.read_new(max_bytes=18)
    assert [line.data for line in first.lines] == [b"000", b"001", b"002", b"003"]
    assert reader.offset == 16  # the fifth line was not complete within 18 bytes
    second = reader.read_new(max_bytes=6)
    assert second.lines == [RawLine(16, b"004")]
    rest = reader.read_new()
    assert len(rest.lines) == 95 and rest.lines[-1] == RawLine(396, b"099")


def test_unreadable_path_reports_error_and_keeps_offset(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    reader = IncrementalReader(folder)
    result = reader.read_new()
    assert result == Appended([], reset=False, missing=False, error=FOLDER)
    assert reader.offset == 0


def test_skip_to_end_reads_only_later_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"old-1\nold-2\npart")
    reader = IncrementalReader(path)
    reader.skip_to_end()
    assert reader.offset == len(b"old-1\nold-2\n")
    with path.open("ab") as handle:
        handle.write(b"ial\nnew\n")
    appended = reader.read_new()
    assert [line.data for line in appended.lines] == [b"partial", b"new"]
    assert appended.reset is False
