"""Hostile values never escape a parser and never make the server answer 5xx.

Overflowing and edge timestamps with odd offsets, integers beyond 64 bits, huge floats,
deep JSON, NaN/inf text, bytes that are not UTF-8, lone surrogates and very long text are
thrown at every parser, at the app through artifacts, and at every query parameter.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifacts import (
    T0,
    native_bar_events,
    native_event,
    session_record,
    step_rows,
    write_csv_events,
    write_jsonl,
    write_meta,
    write_parquet_events,
    write_session,
)
from peakwatch.contract.models import (
    AiDecisionEvent,
    ExecutionEvent,
    Record,
    RunAlert,
    RunEvent,
    RunMeta,
    SessionRecord,
    StepRow,
    StoreAlert,
)
from peakwatch.contract.values import (
    EARLIEST_UTC,
    INT64_MAX,
    INT64_MIN,
    LATEST_UTC,
    MAX_JSON_NESTING,
    format_utc,
    parse_utc,
    to_bool,
    to_finite,
    to_int,
    to_text,
)
from peakwatch.domain.steps import steps_from_records
from peakwatch.sources.decode import decode_csv_rows, decode_jsonl
from peakwatch.sources.json_file import read_json_object
from peakwatch.sources.lines import RawLine
from peakwatch.sources.problems import Problem
from peakwatch.sources.run_events import Located
from peakwatch.sources.validation import validate_record
from peakwatch.web.responses import json_bytes
from web_helpers import flat_routes

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OVERFLOWING_TIMES = ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"]

# --- hostile value strategies -------------------------------------------------------------

offsets = st.sampled_from(["", "Z", "z", "+00:00"]) | st.builds(
    lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
    st.sampled_from("+-"),
    st.integers(0, 23),
    st.integers(0, 59),
)
edge_dates = st.sampled_from(
    ["0001-01-01", "0001-01-02", "0001-01-03", "9999-12-29", "9999-12-30", "9999-12-31"]
) | st.dates().map(lambda day: day.isoformat())
edge_clocks = st.sampled_from(["00:00:00", "00:00:59", "23:59:59", "23:59:59.999999", "12:00"])
edge_times = st.builds(lambda d, t, o: f"{d}T{t}{o}", edge_dates, edge_clocks, offsets)
huge_ints = st.integers() | st.sampled_from(
    [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**70, 10**30, -(10**30)]
)
huge_floats = st.floats() | st.sampled_from([1e300, -1e300, 1.7976931348623157e308, 2.0**63])
hostile_text = st.one_of(
    st.sampled_from(
        ["nan", "NaN", "inf", "-Infinity", "1e300", "1e400", "-1e400", "NaT", "null", " ", ""]
    ),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202e", "9" * 400, "x" * 100_000]),
    edge_times,
    huge_ints.map(str),
    huge_floats.map(repr),
    st.text(max_size=40),
)
hostile_scalars = st.one_of(
    st.none(), st.booleans(), huge_ints, huge_floats, hostile_text, st.binary(max_size=16)
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def nested(depth: int, leaf: Any = 1) -> Any:
    """A list nested `depth` levels deep around `leaf`."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_json(depth: int) -> bytes:
    """JSON text of a list nested `depth` levels deep (deeper than any writer takes)."""
    return b"[" * depth + b"1" + b"]" * depth


def served(value: Any) -> bytes:
    """The value as a response would carry it, a few levels down (a page of feed items)."""
    return json_bytes({"items": [{"payload": {"record": value}}], "next_cursor": None})


# --- value parsers ------------------------------------------------------------------------


@FAST
@given(value=hostile_scalars | edge_times | st.datetimes(timezones=st.timezones()))
def test_parse_utc_answers_an_in_range_utc_time_none_or_value_error(value: Any) -> None:
    try:
        parsed = parse_utc(value)
    except ValueError:
        return
    if parsed is None:
        return
    assert parsed.tzinfo is UTC
    assert EARLIEST_UTC <= parsed <= LATEST_UTC
    assert parse_utc(format_utc(parsed)) == parsed
    widest = timedelta(hours=24) - timedelta(microseconds=1)
    for offset in (-widest, widest):  # it exists as a local time in every time zone
        parsed.astimezone(timezone(offset))


@pytest.mark.parametrize("text", OVERFLOWING_TIMES + ["9999-12-31T00:00:00Z", "0001-01-01T12:00Z"])
def test_timestamps_beyond_the_range_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="outside 0001-01-02 to 9999-12-30 UTC"):
        parse_utc(text)


def test_the_range_edges_themselves_are_read() -> None:
    assert parse_utc("0001-01-02T00:00:00Z") == EARLIEST_UTC
    assert parse_utc("9999-12-30T23:59:59.999999Z") == LATEST_UTC
    assert parse_utc("0001-01-02T00:59:00+00:59") == EARLIEST_UTC


@FAST
@given(value=hostile_scalars)
def test_to_int_answers_a_64_bit_int_none_or_value_error(value: Any) -> None:
    try:
        number = to_int(value)
    except ValueError:
        return
    assert number is None or INT64_MIN <= number <= INT64_MAX
    orjson.dumps(number)


@FAST
@given(number=huge_ints)
def test_to_int_is_exact_inside_the_range_and_refuses_outside(number: int) -> None:
    if INT64_MIN <= number <= INT64_MAX:
        assert to_int(number) == number
        assert to_int(str(number)) == number
    else:
        with pytest.raises(ValueError, match="signed 64-bit"):
            to_int(number)
        with pytest.raises(ValueError, match="signed 64-bit"):
            to_int(str(number))


def test_integral_text_beyond_64_bits_is_refused_not_served() -> None:
    for text in ("1e300", "1e400", "9223372036854775808", "-9223372036854775809"):
        with pytest.raises(ValueError, match="signed 64-bit"):
            to_int(text)
    assert to_int("inf") is None
    assert to_int("nan") is None


@FAST
@given(value=hostile_scalars)
def test_to_finite_answers_a_finite_float_none_or_value_error(value: Any) -> None:
    try:
        number = to_finite(value)
    except ValueError:
        return
    assert number is None or (isinstance(number, float) and abs(number) < float("inf"))


@FAST
@given(value=hostile_values)
def test_to_bool_and_to_text_answer_or_raise_value_error_only(value: Any) -> None:
    try:
        flag = to_bool(value)
    except ValueError:
        flag = None
    assert flag in (None, True, False)
    try:
        text = to_text(value)
    except ValueError:
        return
    assert text is None or isinstance(text, str)


# --- JSON and CSV readers -----------------------------------------------------------------

hostile_json_lines = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda depth: b'{"a": ' + nested_json(depth) + b"}", st.integers(150, 1100)),
    st.builds(lambda n: b'{"seq": 1, "n": ' + str(n).encode() + b"}", huge_ints),
    st.builds(lambda x: b'{"x": ' + x.encode() + b"}", st.sampled_from(["NaN", "-Infinity"])),
    st.builds(lambda x: b'{"x": 1e' + str(x).encode() + b"}", st.integers(200, 5000)),
    st.sampled_from([b'{"s": "\\ud800"}', b'{"s": "\xed\xa0\x80"}', b'{"s": "\xff"}']),
    st.builds(lambda n: b'{"s": "' + b"x" * n + b'"}', st.integers(0, 200_000)),
    st.builds(lambda t: orjson.dumps({"ts": t, "seq": 1}), edge_times),
)


@FAST
@given(lines=st.lists(hostile_json_lines, max_size=6))
def test_decode_jsonl_never_raises_and_every_record_can_be_served(lines: list[bytes]) -> None:
    raw = [RawLine(index * 10, data) for index, data in enumerate(lines)]
    records, problems = decode_jsonl(raw, "run/events.jsonl", first_line_number=1)
    assert len(records) + len(problems) == len(lines)
    for record in records:
        served(record)
    for problem in problems:
        assert problem.file == "run/events.jsonl"
        assert problem.line is not None
        assert len(problem.reason) < 80  # a reason, never the line echoed back


def test_nesting_is_capped_at_the_documented_limit() -> None:
    """A record nested 200 levels deep is served; 201 is a problem that says why."""
    at_limit = b'{"a": ' + nested_json(MAX_JSON_NESTING - 1) + b"}"
    beyond = b'{"a": ' + nested_json(MAX_JSON_NESTING) + b"}"
    records, problems = decode_jsonl([RawLine(0, at_limit), RawLine(99, beyond)], "e.jsonl")
    assert len(records) == 1
    served(records[0])
    assert problems == [Problem("e.jsonl", "line is nested deeper than 200 levels", offset=99)]


@pytest.mark.parametrize("number", [2**63, 2**64, 2**70, -(2**63) - 1])
def test_json_integers_beyond_64_bits_are_a_problem(number: int) -> None:
    line = RawLine(0, b'{"seq": 1, "data": {"n": ' + str(number).encode() + b"}}")
    records, problems = decode_jsonl([line], "e.jsonl")
    assert records == []
    assert [p.reason for p in problems] == ["line has an integer outside the signed 64-bit range"]


csv_cells = st.one_of(hostile_text, edge_times, huge_ints.map(str)).map(
    lambda text: text.replace("\n", " ").replace("\r", " ")
)


@FAST
@given(cells=st.lists(csv_cells, min_size=1, max_size=6), junk=st.binary(max_size=32))
def test_decode_csv_rows_never_raises(cells: list[str], junk: bytes) -> None:
    header = RawLine(0, b"step,ts_bar,ts_event,orders_generated,equity,risk_allowed")
    line = ",".join(json.dumps(cell) for cell in cells).encode("utf-8", "surrogatepass")
    rows, problems = decode_csv_rows(header, [RawLine(60, line), RawLine(900, junk)], "e.csv")
    assert len(rows) + len(problems) <= 2
    for row in rows:
        result = validate_record(StepRow, dict(row), "e.csv", offset=60)
        if isinstance(result, StepRow):
            served(steps_from_records([Located(60, result)]))


@FAST
@given(
    content=st.one_of(
        hostile_json_lines, hostile_values.map(lambda v: json.dumps({"v": v}, default=repr))
    )
)
def test_read_json_object_never_raises_and_its_object_can_be_served(
    content: bytes | str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("doc") / "meta.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "replace"))
    value, reason = read_json_object(path)
    assert (value is None) != (reason is None)
    if value is not None:
        served(value)


# --- contract models ----------------------------------------------------------------------

MODEL_FIELDS: dict[type[Record], list[str]] = {
    RunMeta: ["run_id", "started_at", "ended_at", "config_snapshot"],
    RunEvent: ["v", "seq", "ts", "kind", "msg", "data"],
    StepRow: ["step", "ts_bar", "ts_event", "equity", "orders_generated", "risk_allowed"],
    RunAlert: ["rule_id", "severity", "timestamp"],
    StoreAlert: ["id", "timestamp", "stored_at", "context"],
    SessionRecord: ["session_id", "started_at", "heartbeat_at", "metrics", "cli_args"],
    AiDecisionEvent: ["v", "ts_utc", "confidence", "latency_ms"],
    ExecutionEvent: ["ts", "session_id", "payload"],
}


@FAST
@given(
    model=st.sampled_from(sorted(MODEL_FIELDS, key=lambda m: m.__name__)),
    values=st.lists(hostile_values, min_size=8, max_size=8),
)
def test_validate_record_answers_a_servable_record_or_a_problem(
    model: type[Record], values: list[Any]
) -> None:
    obj = dict(zip(MODEL_FIELDS[model], values, strict=False))
    result = validate_record(model, obj, "some/file.jsonl", line=3)
    if isinstance(result, Problem):
        assert (result.file, result.line) == ("some/file.jsonl", 3)
        assert "Exceeds the limit" not in result.reason  # no exception text
        return
    dumped = result.model_dump()
    for value in dumped.values():
        if isinstance(value, datetime):
            assert format_utc(value) is not None
    if isinstance(result, StepRow):
        served(steps_from_records([Located(0, result)]))


@pytest.mark.parametrize("text", OVERFLOWING_TIMES)
def test_every_time_field_out_of_range_is_a_problem_naming_it(text: str) -> None:
    cases: list[tuple[type[Record], dict[str, Any], str]] = [
        (RunMeta, {"started_at": text}, "started_at"),
        (RunEvent, {"seq": 1, "ts": text, "kind": "x"}, "ts"),
        (StepRow, {"ts_bar": text}, "ts_bar"),
        (RunAlert, {"timestamp": text}, "timestamp"),
        (StoreAlert, {"stored_at": text}, "stored_at"),
        (SessionRecord, {"session_id": "s", "heartbeat_at": text}, "heartbeat_at"),
        (AiDecisionEvent, {"ts_utc": text}, "ts_utc"),
        (ExecutionEvent, {"ts": text}, "ts"),
    ]
    for model, obj, field in cases:
        result = validate_record(model, obj, "f", line=1)
        assert isinstance(result, Problem), model
        assert result.reason == f"field '{field}': timestamp outside 0001-01-02 to 9999-12-30 UTC"
        assert text not in result.reason


def test_a_huge_count_in_a_step_row_is_a_problem_naming_the_field() -> None:
    result = validate_record(StepRow, {"orders_generated": "1e300"}, "r/events.csv", line=4)
    assert result == Problem(
        "r/events.csv", "field 'orders_generated': integer outside the signed 64-bit range", 4
    )


# --- through the app ----------------------------------------------------------------------

BAD_TIME = OVERFLOWING_TIMES[0]
HTML_PAGES = ["/", "/dashboard", "/activity", "/alerts", "/status/health"]


def write_hostile_artifacts(base: Path) -> None:
    """One artifact of every kind with an out-of-range or too-deep value, beside good data."""
    runs = base / "live_runs"
    write_meta(runs / "good", "good")
    write_jsonl(runs / "good" / "events.jsonl", native_bar_events(3))
    write_meta(runs / "bad_meta", "bad_meta", started_at=BAD_TIME)
    write_meta(runs / "bad_events", "bad_events")
    events = native_bar_events(2)
    events.append({**native_event(99, "market", T0), "ts": OVERFLOWING_TIMES[1]})
    events.append(native_event(100, "decision", T0, deep=nested(300)))
    write_jsonl(runs / "bad_events" / "events.jsonl", events)
    big = b'{"v":1,"seq":101,"ts":"2026-01-01T12:00:00Z","kind":"x","data":{"n":%d}}\n' % 2**70
    with (runs / "bad_events" / "events.jsonl").open("ab") as handle:
        handle.write(big)
    write_jsonl(runs / "bad_events" / "alerts.jsonl", [{"rule_id": "r", "timestamp": BAD_TIME}])
    rows = step_rows(4)
    rows[1]["ts_bar"] = BAD_TIME
    rows[2]["orders_generated"] = "1e300"
    write_meta(runs / "bad_csv", "bad_csv")
    write_csv_events(runs / "bad_csv", rows)
    parquet_rows = step_rows(4)
    parquet_rows[1]["ts_event"] = BAD_TIME
    parquet_rows[2]["orders_generated"] = 1e300
    write_meta(runs / "bad_parquet", "bad_parquet")
    write_parquet_events(runs / "bad_parquet", parquet_rows)
    (runs / "deep_meta").mkdir()
    (runs / "deep_meta" / "meta.json").write_bytes(
        b'{"run_id": "deep_meta", "x": ' + nested_json(250) + b"}"
    )
    store = [{"id": "a1", "title": "t", "severity": "warning", "timestamp": BAD_TIME}]
    write_jsonl(runs / "alerts" / "alerts_2026-01-01.jsonl", store)
    registry = base / "reports" / "experiments" / "live_sessions"
    write_session(registry, session_record("good_session"))
    write_session(registry, session_record("bad_session", heartbeat_at=BAD_TIME))
    write_session(registry, session_record("big_session", metrics={"num_orders": 1e300}))
    ai = [{"v": 1, "ts_utc": BAD_TIME, "component": "x"}, {"v": 1, "ts_utc": iso_now()}]
    write_jsonl(base / "logs" / "ai" / "ai_events.jsonl", ai)
    write_jsonl(base / "logs" / "execution" / "s1.jsonl", [{"ts": OVERFLOWING_TIMES[1]}])


def iso_now() -> str:
    return T0.isoformat()


@pytest.fixture
def hostile_client(roots: Path, client: TestClient) -> TestClient:
    write_hostile_artifacts(roots)
    return client


def test_hostile_artifacts_never_make_a_page_or_endpoint_fail(hostile_client: TestClient) -> None:
    runs = ["good", "bad_meta", "bad_events", "bad_csv", "bad_parquet", "deep_meta"]
    urls = ["/health", "/runs", "/api/health/details", "/api/live_sessions", "/api/alerts"]
    urls += ["/api/live_sessions/stats", "/api/activity", "/api/live/safety", "/metrics"]
    urls += ["/api/live/status/snapshot.json", "/api/live/status/snapshot.html", *HTML_PAGES]
    urls += ["/api/live_sessions/bad_session", "/api/live_sessions/big_session"]
    urls += ["/sessions/bad_session", "/sessions/big_session"]
    for run in runs:
        urls += [f"/runs/{run}/snapshot", f"/runs/{run}/tail", f"/runs/{run}/alerts"]
        urls += [f"/api/runs/{run}/events", f"/dashboard/runs/{run}", f"/dashboard?run={run}"]
    answers = {url: hostile_client.get(url).status_code for url in urls}
    assert {url: code for url, code in answers.items() if code >= 500} == {}
    assert answers["/runs/good/tail"] == 200
    assert answers["/api/live/status/snapshot.json"] == 200


def test_health_names_each_file_with_an_out_of_range_value(hostile_client: TestClient) -> None:
    hostile_client.get("/runs")  # the runs' totals are read on the way
    for run in ("bad_events", "bad_csv", "bad_parquet"):
        hostile_client.get(f"/runs/{run}/snapshot")
    health = hostile_client.get("/api/health/details").json()
    reasons = {p["file"]: p["reason"] for p in health["unreadable"]}
    time_reason = "timestamp outside 0001-01-02 to 9999-12-30 UTC"
    assert reasons["live_runs/bad_meta/meta.json"] == f"field 'started_at': {time_reason}"
    assert reasons["live_runs/deep_meta/meta.json"] == "document is nested deeper than 200 levels"
    session_files = [name for name in reasons if "bad_session" in name]
    assert [reasons[name] for name in session_files] == [f"field 'heartbeat_at': {time_reason}"]
    assert health["status"] == "degraded"
    page = hostile_client.get("/status/health").text
    assert "bad_meta/meta.json" in page
    assert "deep_meta/meta.json" in page


def test_the_bad_lines_of_a_run_are_its_problems(hostile_client: TestClient) -> None:
    snapshot = hostile_client.get("/runs/bad_events/snapshot").json()
    reasons = {p["reason"] for p in snapshot["problems"]}
    assert "field 'ts': timestamp outside 0001-01-02 to 9999-12-30 UTC" in reasons
    assert "line is nested deeper than 200 levels" in reasons
    assert "line has an integer outside the signed 64-bit range" in reasons
    csv_snapshot = hostile_client.get("/runs/bad_csv/snapshot").json()
    csv_reasons = {p["reason"] for p in csv_snapshot["problems"]}
    assert "field 'orders_generated': integer outside the signed 64-bit range" in csv_reasons
    tail = hostile_client.get("/runs/bad_csv/tail").json()
    assert len(tail) == 2  # the two good rows are still served


def test_a_huge_metric_is_not_served_as_an_integer(hostile_client: TestClient) -> None:
    found = hostile_client.get("/api/live_sessions/big_session")
    assert found.status_code == 200
    assert found.json()["num_orders"] is None


# --- every query parameter of every GET route ---------------------------------------------

CONVERTOR = re.compile(r":\w+\}")  # `{run_id:path}` -> `{run_id}`, for str.format
PATH_VALUES = {"run_id": "bad_events", "session_id": "bad_session", "decision_id": "d-1"}
SKIPPED_ROUTES = {"/api/stream"}  # an endless event stream; its parameters are tested there
hostile_params = st.one_of(
    edge_times,
    st.sampled_from(OVERFLOWING_TIMES + ["9999-12-31T23:59:59.999999Z", "0001-01-01"]),
    huge_ints.map(str),
    huge_floats.map(repr),
    st.sampled_from(["nan", "-1", "0", "true", "\ud800", "x" * 5000, "%00", "eyJhIjogMX0"]),
    st.text(max_size=30),
)


def get_routes_with_query_parameters(client: TestClient) -> list[tuple[str, list[str]]]:
    """Each GET route's path (path parameters filled in) and its query parameter names."""
    found = []
    for route, path, methods in flat_routes(client.app):  # type: ignore[arg-type]
        if not isinstance(route, APIRoute) or "GET" not in (methods or ()):
            continue
        if path in SKIPPED_ROUTES:
            continue
        names = [param.alias for param in route.dependant.query_params]
        if names:
            found.append((CONVERTOR.sub("}", path).format(**PATH_VALUES), names))
    return found


def test_the_routes_under_test_include_every_time_and_cursor_parameter(
    client: TestClient,
) -> None:
    names = {name for _, params in get_routes_with_query_parameters(client) for name in params}
    assert {"as_of", "since", "until", "before", "limit"} <= names


@pytest.mark.parametrize("name", ["as_of", "since", "until"])
@pytest.mark.parametrize("text", OVERFLOWING_TIMES)
def test_an_overflowing_time_parameter_is_a_422_in_one_sentence(
    hostile_client: TestClient, name: str, text: str
) -> None:
    path = "/api/alerts" if name != "as_of" else "/runs"
    response = hostile_client.get(f"{path}?{name}={quote(text)}")
    assert response.status_code == 422
    assert response.json() == {
        "detail": f"{name} must be an ISO-8601 timestamp from 0001-01-02 to 9999-12-30 UTC, "
        "e.g. 2026-01-01T12:00:00Z"
    }


@pytest.mark.parametrize("key", [[BAD_TIME, "run:x", 1], ["2026-01-01T00:00:00Z", "run:x", 2**64]])
def test_a_cursor_out_of_range_is_a_422(hostile_client: TestClient, key: list[Any]) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    response = hostile_client.get(f"/api/activity?before={cursor}")
    assert response.status_code == 422
    assert response.json() == {"detail": "before must be a next_cursor from a previous page"}
    page = hostile_client.get(f"/activity?before={cursor}")
    assert page.status_code == 200


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_query_value_answers_2xx_or_4xx_without_echoing_it(
    hostile_client: TestClient, data: st.DataObject
) -> None:
    path, names = data.draw(st.sampled_from(get_routes_with_query_parameters(hostile_client)))
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    values = {name: data.draw(hostile_params) for name in chosen}
    query = "&".join(f"{n}={quote(v, safe='', errors='surrogatepass')}" for n, v in values.items())
    response = hostile_client.get(f"{path}?{query}")
    assert response.status_code < 500, (path, values)
    if response.status_code == 422:
        body = response.text
        for value in values.values():
            if len(value) >= 6:
                assert value not in body, (path, value)
