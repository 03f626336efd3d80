"""Whole-run totals folded from columns equal those folded record by record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peakwatch.contract.models import StepRow
from peakwatch.domain import ledger as ledger_module
from peakwatch.domain.alert_episodes import Limits
from peakwatch.domain.ledger import RunLedger
from peakwatch.sources import event_columns, run_events
from peakwatch.sources.event_columns import native_columns
from peakwatch.sources.identity import stat_key
from peakwatch.sources.run_events import EventsFile

T0 = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = ["market", "decision", "risk", "order", "fill", "position", "note"]
CORRUPT = [
    b"not json at all",
    b'{"seq": null, "ts": "2026-03-01T00:00:00Z", "kind": "order"}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "order", "level": null}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "note", "msg": null}',
    b'{"seq": 5, "ts": "2026-02-30T00:00:00Z", "kind": "order"}',
    b'{"seq": 5, "kind": "order"}',
    b'{"seq": "7", "ts": "2026-03-01T00:00:00Z", "kind": "order"}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00+02:00", "kind": "position", "data": {"equity": 9}}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "position", "data": {"equity": NaN}}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "position", "data": {"equity": "9.5"}}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "position", "data": {"equity": true}}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "order", "data": {"status": 3}}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "order", "data": [1]}',
    b'{"seq": 12345678901234567890123, "ts": "2026-03-01T00:00:00Z", "kind": "order"}',
    b"[1, 2, 3]",
    b"   ",
    b"",
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "order", "seq": 6}',
    b'{"seq": 5, "ts": "2026-03-01T00:00:00Z", "kind": "order"',
]


def event_line(seq: int, at: datetime, kind: str, draw: Any) -> bytes:
    """One native event line with data fields the totals read."""
    data: dict[str, Any] = {}
    if kind == "order":
        data["status"] = draw(st.sampled_from(["submitted", "blocked", "filled"]))
    if kind == "position":
        for name in ("equity", "realized_pnl", "unrealized_pnl", "position_size"):
            data[name] = draw(
                st.one_of(
                    st.none(),
                    st.integers(-50, 20_000),
                    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
                )
            )
    record: dict[str, Any] = {"v": 1, "seq": seq, "ts": at.isoformat(), "kind": kind}
    if draw(st.booleans()):
        record["level"] = draw(st.sampled_from(["info", "warning", "error"]))
    if draw(st.integers(0, 9)) == 0:
        record["data"] = None
    elif data:
        record["data"] = data
    text = json.dumps(record)
    if draw(st.booleans()):
        text = text.replace('+00:00"', 'Z"')
    return text.encode()


@st.composite
def runs(draw: Any) -> tuple[list[bytes], bool]:
    """Lines of a random run (some corrupt) and whether the last one is left unfinished."""
    lines: list[bytes] = []
    seq, at = 0, T0
    for _ in range(draw(st.integers(0, 160))):
        if draw(st.integers(0, 14)) == 0:
            lines.append(draw(st.sampled_from(CORRUPT)))
            continue
        seq += draw(st.sampled_from([1, 1, 1, 2, 5, -3]))
        at += timedelta(seconds=draw(st.sampled_from([0, 1, 1.5, 30, 700, 2000, -5])))
        kind = draw(st.sampled_from(KINDS + ["order", "position", "position"]))
        lines.append(event_line(seq, at, kind, draw))
    return lines, draw(st.booleans())


def fold(
    path: Path, appended: list[bytes], *, per_record: bool, format: Any = "jsonl"
) -> tuple[Any, Any]:
    """Totals and episodes after reading the file, then again after `appended`."""
    limits = Limits(silence_seconds=600, drawdown=0.02, blocked_in_a_row=2)
    events = EventsFile(path, format, stat_key(path), "r/events")
    ledger = RunLedger(events, limits=limits)
    with pytest.MonkeyPatch.context() as patch:
        if per_record:
            patch.setattr(run_events, "native_columns", lambda block, at_start: None)
        first = ledger.update(events)
        seen = (repr(first), repr(ledger.watch))
        with open(path, "ab") as f:
            f.write(b"".join(appended))
        events = EventsFile(path, format, stat_key(path), "r/events")
        return seen, (repr(ledger.update(events)), repr(ledger.watch))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(run=runs(), more=runs(), crlf=st.booleans(), bom=st.booleans())
def test_columns_give_the_totals_of_the_per_record_fold(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    run: tuple[list[bytes], bool],
    more: tuple[list[bytes], bool],
    crlf: bool,
    bom: bool,
) -> None:
    """Small chunks and pieces: blocks split, halve around bad lines and carry state."""
    monkeypatch.setattr(ledger_module, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(run_events, "SMALLEST_PIECE", 300)
    end = b"\r\n" if crlf else b"\n"
    lines, unfinished = run
    body = end.join(lines) + (b"" if unfinished or not lines else end)
    appended = [line + end for line in more[0]]
    path = tmp_path_factory.mktemp("run") / "events.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body)
    columns = fold(path, appended, per_record=False)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body)
    records = fold(path, appended, per_record=True)
    assert columns == records


def test_a_clean_block_is_read_as_columns() -> None:
    """The common case takes the fast path: plain lines give columns."""
    lines = [
        json.dumps({"seq": i, "ts": f"2026-03-01T00:00:0{i}Z", "kind": kind}).encode()
        for i, kind in enumerate(["market", "order", "position"] * 3)
    ]
    columns = native_columns(b"\n".join(lines) + b"\n", at_start=True)
    assert columns is not None and len(columns) == 9
    assert list(columns.is_order[:3]) == [False, True, False]
    assert list(columns.is_position[:3]) == [False, False, True]


@pytest.mark.parametrize("line", CORRUPT)
def test_a_block_with_an_unusual_line_is_decoded_line_by_line(line: bytes) -> None:
    good = b'{"seq": 1, "ts": "2026-03-01T00:00:00Z", "kind": "order"}\n'
    assert native_columns(good + line + b"\n" + good, at_start=True) is None


def test_bad_lines_are_reported_where_they_are(tmp_path: Path) -> None:
    """A bad line inside a big block is found and reported at its offset; the rest counts."""
    good = [
        json.dumps(
            {"seq": i, "ts": (T0 + timedelta(seconds=i)).isoformat(), "kind": "position",
             "data": {"equity": 1000 + i}}
        ).encode()
        for i in range(1, 5001)
    ]  # fmt: skip
    good[2500] = b"{broken"
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(good) + b"\n")
    offset = sum(len(line) + 1 for line in good[:2500])
    events = EventsFile(path, "jsonl", stat_key(path), "r/events.jsonl")
    totals = RunLedger(events).update(events)
    assert totals.total_steps == 4999
    assert [(p.offset, p.reason) for p in totals.problems] == [(offset, "line is not valid JSON")]


CSV_VALUES = {
    "number": ["1.5", "-2", "100", "1e3", "", "nan", "1e999", " 7", "abc", "inf", "-nan"]
    + ["+5", " ", "1_000", ".5", "1.", "Infinity", "0x10"],
    "integer": ["0", "1", "2", "-1", "", "3", "2.0", "x", "+4", " 5", "99999999999999999999"],
    "flag": ["True", "False", "1", "0", "", "yes", "maybe", "T", "TRUE", " true"],
    "time": ["{t}Z", "{t}+00:00", "{t}Z", "", "{t}", "2026-02-30T00:00:00Z", "{t}+01:00"]
    + ["2026-03-01", "{t}.1234567Z", "{t}.5Z", "2026-03-01T10:00Z", "0000-01-01T00:00:00Z"],
    "text": ["", "limit", "max position"],
}
CSV_FIELDS = {
    **dict.fromkeys(event_columns.NUMBER_FIELDS, "number"),
    **dict.fromkeys(event_columns.INTEGER_FIELDS, "integer"),
    **dict.fromkeys(event_columns.FLAG_FIELDS, "flag"),
    **dict.fromkeys(event_columns.TIME_FIELDS, "time"),
    **dict.fromkeys(event_columns.TEXT_FIELDS, "text"),
}


def test_every_step_row_field_has_its_plain_form() -> None:
    """A field added to StepRow must be checked by the columns path too."""
    assert set(CSV_FIELDS) == set(StepRow.model_fields)


@st.composite
def csv_runs(draw: Any) -> bytes:
    """A Peak_Trade CSV: some of the step columns (and maybe one more), rows with odd values."""
    names = draw(st.lists(st.sampled_from(sorted(CSV_FIELDS)), min_size=1, unique=True))
    names += ["orders_generated", "orders_blocked", "equity", "ts_event"]
    names = list(dict.fromkeys(names)) + (["extra"] if draw(st.booleans()) else [])
    lines = [",".join(names)]
    at = T0
    for _ in range(draw(st.integers(0, 120))):
        at += timedelta(seconds=draw(st.sampled_from([1, 60, 900])))
        if draw(st.integers(0, 19)) == 0:
            lines.append(draw(st.sampled_from(["1,2", '"a",b', "", ",,,,,,,,,,,,,,,,,,,,,,,,"])))
            continue
        cells = []
        for name in names:
            kind = CSV_FIELDS.get(name, "text")
            plain = draw(st.integers(0, 3)) > 0  # mostly clean values
            value = draw(st.sampled_from(CSV_VALUES[kind][:4] if plain else CSV_VALUES[kind]))
            cells.append(value.format(t=at.strftime("%Y-%m-%dT%H:%M:%S")))
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=csv_runs(), more=csv_runs())
def test_csv_columns_give_the_totals_of_the_per_record_fold(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    more: bytes,
) -> None:
    monkeypatch.setattr(ledger_module, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(run_events, "SMALLEST_PIECE", 300)
    appended = [line + b"\n" for line in more.split(b"\n")[1:-1]]  # rows under the same header
    path = tmp_path_factory.mktemp("run") / "events.csv"

    def csv_fold(per_record: bool) -> tuple[Any, Any]:
        path.write_bytes(body)
        with pytest.MonkeyPatch.context() as patch:
            if per_record:
                patch.setattr(run_events, "step_columns", lambda header, block: None)
            return fold(path, appended, per_record=False, format="csv")

    assert csv_fold(False) == csv_fold(True)
