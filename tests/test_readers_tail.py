"""The tail reader returns exactly the last complete lines, whatever the block size."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakwatch.sources import tail as tail_module
from peakwatch.sources.lines import RawLine
from peakwatch.sources.problems import Problem
from peakwatch.sources.regular_files import FOLDER
from peakwatch.sources.tail import TailResult, read_first_line, tail_lines

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

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


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    return path


@SETTINGS
@given(
    lines=st.lists(line_bytes, max_size=30),
    partial=st.binary(max_size=10).map(lambda b: b.replace(b"\n", b"")),
    limit=st.integers(0, 35),
    block_size=st.integers(1, 64),
)
def test_tail_returns_last_complete_lines(
    tmp_path: Path, lines: list[bytes], partial: bytes, limit: int, block_size: int
) -> None:
    content = b"".join(line + b"\n" for line in lines) + partial
    path = write(tmp_path, content)
    expected, _ = complete_lines(content)
    result = tail_lines(path, limit, block_size=block_size)
    assert result.lines == (expected[-limit:] if limit else [])
    assert result.skipped == []
    assert not result.missing and result.error is None


@SETTINGS
@given(
    lines=st.lists(line_bytes, max_size=25),
    limit=st.integers(1, 30),
    block_size=st.integers(1, 64),
    data=st.data(),
)
def test_tail_never_returns_lines_before_start(
    tmp_path: Path, lines: list[bytes], limit: int, block_size: int, data: st.DataObject
) -> None:
    content = b"".join(line + b"\n" for line in lines)
    start = data.draw(st.integers(0, len(content) + 2))
    path = write(tmp_path, content)
    expected = [line for line in complete_lines(content)[0] if line.offset >= start]
    result = tail_lines(path, limit, block_size=block_size, start=start)
    assert result.lines == expected[-limit:]


@SETTINGS
@given(
    lines=st.lists(line_bytes | st.binary(min_size=5, max_size=40), max_size=25),
    cap=st.integers(0, 16),
    limit=st.integers(1, 30),
    block_size=st.integers(1, 64),
)
def test_tail_skips_overlong_lines_and_counts_them(
    tmp_path: Path, lines: list[bytes], cap: int, limit: int, block_size: int
) -> None:
    lines = [line.replace(b"\n", b"") for line in lines]
    content = b"".join(line + b"\n" for line in lines)
    path = write(tmp_path, content)
    short, long = complete_lines(content, cap)
    records = sorted([(line.offset, "line") for line in short] + [(o, "long") for o in long])
    wanted = records[-limit:]
    result = tail_lines(path, limit, block_size=block_size, max_line_bytes=cap)
    assert [line.offset for line in result.lines] == [o for o, k in wanted if k == "line"]
    assert [o for o, _ in result.skipped] == [o for o, k in wanted if k == "long"]
    assert all(reason == f"line longer than {cap} bytes" for _, reason in result.skipped)


def test_tail_crlf_header_and_half_written_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"step,equity\r\n1,10\r\n\r\n2,11\r\n3,1")
    header = read_first_line(path)
    assert header == RawLine(0, b"step,equity")
    result = tail_lines(path, 10, block_size=3, start=len(b"step,equity\r\n"))
    assert result.lines == [RawLine(13, b"1,10"), RawLine(21, b"2,11")]


def test_tail_missing_file_is_empty_and_flagged(tmp_path: Path) -> None:
    result = tail_lines(tmp_path / "nope.jsonl", 5)
    assert result == TailResult([], [], missing=True, error=None)
    assert result.problems("run/events.jsonl") == []


def test_tail_directory_reports_an_error_not_an_exception(tmp_path: Path) -> None:
    result = tail_lines(tmp_path, 5)
    assert result.lines == [] and result.error == FOLDER
    assert result.problems("run") == [Problem("run", FOLDER)]


def test_tail_problems_carry_offsets(tmp_path: Path) -> None:
    path = write(tmp_path, b"a\n" + b"x" * 20 + b"\nb\n")
    result = tail_lines(path, 3, max_line_bytes=10)
    assert result.lines == [RawLine(0, b"a"), RawLine(23, b"b")]
    assert result.problems("r/e.jsonl") == [
        Problem("r/e.jsonl", "line longer than 10 bytes", offset=2)
    ]


def test_tail_cost_depends_on_what_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"".join(b'{"seq": %d, "pad": "%s"}\n' % (i, b"x" * 80) for i in range(20000))
    path = write(tmp_path, content)
    read_sizes: list[int] = []

    class Spy:
        def __init__(self, raw: Any) -> None:
            self.raw = raw

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.raw.close()

        def read(self, n: int = -1) -> bytes:
            chunk: bytes = self.raw.read(n)
            read_sizes.append(len(chunk))
            return chunk

        def __getattr__(self, name: str) -> Any:
            return getattr(self.raw, name)

    def spy_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Spy:
        assert mode == "rb"
        return Spy(builtins.open(file, mode, *args, **kwargs))

    monkeypatch.setattr(tail_module, "open", spy_open, raising=False)
    result = tail_lines(path, 3, block_size=256)
    assert [line.data[:12] for line in result.lines] == [
        b'{"seq": 1999',
        b'{"seq": 1999',
        b'{"seq": 1999',
    ]
    assert result.lines[-1].data.startswith(b'{"seq": 19999,')
    assert sum(read_sizes) <= 512 < len(content)


def test_read_first_line_variants(tmp_path: Path) -> None:
    assert read_first_line(tmp_path / "missing.csv") is None
    assert read_first_line(write(tmp_path, b"")) is None
    assert read_first_line(write(tmp_path, b"a,b")) is None
    assert read_first_line(write(tmp_path, b"a,b\n1,2\n")) == RawLine(0, b"a,b")
    assert read_first_line(write(tmp_path, b"a" * 50 + b"\n"), max_bytes=10) is None
    assert read_first_line(write(tmp_path, b"a" * 10 + b"\n"), max_bytes=10) == RawLine(
        0, b"a" * 10
    )
