"""A block of complete event lines as columns, parsed in one go by Arrow's readers.

Only blocks whose every line the per-record path would accept as it stands come back
as columns; anything that might be read differently (a bad line, NaN, an integer beyond
64 bits, a quoted CSV field, an unusual timestamp) gives None, and the caller decodes
that block line by line, which finds and reports the bad lines as always.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from peakwatch.contract.values import MAX_JSON_NESTING
from peakwatch.sources.decode import BOM

_DATA = pa.struct(
    [
        ("status", pa.string()),
        ("equity", pa.float64()),
        ("realized_pnl", pa.float64()),
        ("unrealized_pnl", pa.float64()),
        ("position_size", pa.float64()),
    ]
)
_NATIVE = pa.schema(
    [
        ("v", pa.int64()),
        ("seq", pa.int64()),
        ("ts", pa.string()),
        ("kind", pa.string()),
        ("level", pa.string()),
        ("msg", pa.string()),
        ("data", _DATA),
    ]
)
_NATIVE_OPTIONS = pa_json.ParseOptions(explicit_schema=_NATIVE, unexpected_field_behavior="ignore")
# What the per-record path reads otherwise than Arrow would: control characters, lines
# that are no object (blank ones among them), NaN / Inf tokens (Arrow takes "Inf", the
# contract only "NaN" and "Infinity"), 19+ digit integers, lone surrogates, deep nesting.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))  # 0 or x
_DROPPED = bytes(b for b in range(256) if b not in b"{[\n\rNI\\" + bytes(range(0x20)))
_NINETEEN_DIGITS = b"0" * 19
PIECE_BYTES = 256 << 10  # checks hold the interpreter this long at most, then let others in
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b"{[\n")
_SURROGATE = re.compile(rb"\\[uU][dD][89a-fA-F]")
_NON_FINITE = re.compile(rb"[:,\[]\s*-?(?:NaN|Inf)")
_TIME = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|\+00:00)$"
)
_UTC_US = pa.timestamp("us", tz="UTC")
_EARLIEST_US = -62135510400 * 1_000_000  # 0001-01-02T00:00:00Z
_LATEST_US = 253402214399 * 1_000_000 + 999_999  # 9999-12-30T23:59:59.999999Z
_SEQ_LIMIT = 1 << 62  # seq arithmetic stays exact in int64 below this


@dataclass(frozen=True, slots=True)
class NativeColumns:
    """Native events of one block, in file order (every line a valid record), as what the
    totals need: seq, time, which are orders (blocked ones) and positions, levels, data."""

    seq: np.ndarray  # int64
    ts_us: np.ndarray  # int64, microseconds since the epoch, UTC
    is_order: np.ndarray  # bool: kind "order"
    is_blocked: np.ndarray  # bool: an order whose data.status is "blocked"
    is_position: np.ndarray  # bool: kind "position", the end-of-bar mark
    errors: int  # lines with level "error"
    warnings: int  # lines with level "warning"
    equity: np.ndarray  # float64 data.equity, NaN where missing or not finite
    realized_pnl: np.ndarray
    unrealized_pnl: np.ndarray
    position_size: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)


@dataclass(frozen=True, slots=True)
class StepColumns:
    """Peak_Trade step rows of one block, in file order (every row a valid record)."""

    ts_us: np.ndarray  # int64: the row's ts_event, else its ts_bar (0 where it has neither)
    has_time: np.ndarray  # bool
    equity: np.ndarray  # float64, NaN where missing or not finite
    realized_pnl: np.ndarray  # realized_pnl, else pnl
    unrealized_pnl: np.ndarray
    position_size: np.ndarray
    orders: np.ndarray  # int64 orders_generated, 0 where empty
    blocked: np.ndarray  # int64 orders_blocked, 0 where empty

    def __len__(self) -> int:
        return len(self.ts_us)


def native_columns(block: bytes, *, at_start: bool) -> NativeColumns | None:
    """Columns of a block of native JSONL lines, or None to decode it line by line."""
    lines = None if at_start and block.startswith(BOM) else _plain_lines(block)
    if lines is None:
        return None
    try:
        table = pa_json.read_json(
            io.BytesIO(block),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=len(block) + 1),
            parse_options=_NATIVE_OPTIONS,
        )
    except (pa.ArrowException, ValueError, UnicodeDecodeError):
        return None
    if table.num_rows != lines:
        return None
    seq, ts, kind = table.column("seq"), table.column("ts"), table.column("kind")
    if seq.null_count or ts.null_count or kind.null_count:
        return None
    texts = ("level", "msg")
    if _count(block, b"null") and not all(_present_as_text(block, table, n) for n in texts):
        return None
    times = _utc_micros(ts)
    seqs = seq.to_numpy()
    if times is None or len(seqs) and np.abs(seqs).max() >= _SEQ_LIMIT:
        return None
    data = table.column("data").combine_chunks()
    kind, level = kind.combine_chunks(), table.column("level")
    is_order = pc.equal(kind, "order")
    blocked = pc.and_kleene(is_order, pc.equal(data.field("status"), "blocked"))
    return NativeColumns(
        seq=seqs,
        ts_us=times,
        is_order=_flags(is_order),
        is_blocked=_flags(blocked),
        is_position=_flags(pc.equal(kind, "position")),
        errors=pc.sum(pc.equal(level, "error")).as_py() or 0,
        warnings=pc.sum(pc.equal(level, "warning")).as_py() or 0,
        equity=_floats(data.field("equity")),
        realized_pnl=_floats(data.field("realized_pnl")),
        unrealized_pnl=_floats(data.field("unrealized_pnl")),
        position_size=_floats(data.field("position_size")),
    )


def _plain_lines(block: bytes) -> int | None:
    """The count of lines in a block of complete lines, or None when some line might be
    read otherwise than Arrow reads it (see above)."""
    if not block.endswith(b"\n"):
        return None
    skeletons = []
    for start in range(0, len(block), PIECE_BYTES):  # in pieces: other threads run between
        digits = block[start : start + PIECE_BYTES + len(_NINETEEN_DIGITS) - 1]
        if _NINETEEN_DIGITS in digits.translate(_DIGITS_ONLY):
            return None
        skeletons.append(block[start : start + PIECE_BYTES].translate(None, _DROPPED))
    skeleton = b"".join(skeletons)  # {, [, newlines, N, I, backslashes, controls
    structure = skeleton.translate(None, _NOT_STRUCTURE)
    if len(structure) != len(skeleton):  # rare: look closer
        if skeleton.translate(None, b"{[\n\rNI\\"):
            return None  # a control character (tabs and form feeds included)
        if b"\r" in skeleton and _count(block, b"\r") != _count(block, b"\r\n"):
            return None
        if (b"N" in skeleton or b"I" in skeleton) and _NON_FINITE.search(block):
            return None
        if b"\\" in skeleton and _SURROGATE.search(block):
            return None
    if structure[:1] != b"{" or b"\n\n" in structure or b"\n[" in structure:
        return None  # a line without an object (or one that is an array)
    lines = structure.count(b"\n")
    if len(structure) - lines <= MAX_JSON_NESTING:  # no line can nest too deep
        return lines
    return None if max(map(len, structure.split(b"\n"))) > MAX_JSON_NESTING else lines


def _present_as_text(block: bytes, table: pa.Table, name: str) -> bool:
    """True unless some line holds `name` as null (which the contract refuses, while Arrow
    reads it as missing): each `"name"` in the block is at most a key or a text value, so
    no more of them than lines with text there means none is null."""
    return _count(block, f'"{name}"'.encode()) <= table.num_rows - table.column(name).null_count


def _count(block: bytes, needle: bytes) -> int:
    """`block.count(needle)`, a piece at a time (each occurrence counted where it starts)."""
    total = 0
    for start in range(0, len(block), PIECE_BYTES):
        total += block.count(needle, start, start + PIECE_BYTES + len(needle) - 1)
    return total


def _utc_micros(ts: pa.ChunkedArray) -> np.ndarray | None:
    """Canonical UTC timestamps as microseconds, or None if any is not one in range."""
    if not pc.all(pc.match_substring_regex(ts, _TIME)).as_py():
        return None
    try:
        micros = ts.cast(_UTC_US).cast(pa.int64()).to_numpy()
    except (pa.ArrowException, ValueError):
        return None
    if len(micros) and (micros.min() < _EARLIEST_US or micros.max() > _LATEST_US):
        return None
    return micros


def _flags(column: pa.Array) -> np.ndarray:
    """A boolean column as a bool array, missing values false."""
    return column.fill_null(False).to_numpy(zero_copy_only=False)


def _floats(column: pa.Array) -> np.ndarray:
    """A float column as float64 with NaN for missing and non-finite values (as to_finite)."""
    values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


# The StepRow fields by the converter the contract applies to them, and the text each
# converter reads as the per-record path does (anything else: that path decides).
NUMBER_FIELDS = (
    "price", "open", "high", "low", "close", "volume", "position_size", "cash", "equity",
    "realized_pnl", "unrealized_pnl", "pnl", "drawdown",
)  # fmt: skip
INTEGER_FIELDS = (
    "step", "signal", "orders_generated", "orders_filled", "orders_rejected", "orders_blocked",
)  # fmt: skip
FLAG_FIELDS = ("signal_changed", "risk_allowed")
TIME_FIELDS = ("ts_bar", "ts_event")
TEXT_FIELDS = ("risk_reasons",)
# Arrow converts these columns strictly: what it takes, the contract reads alike (a value
# it refuses sends the block line by line, where the contract decides).
_COLUMN_TYPES = {
    **dict.fromkeys(NUMBER_FIELDS, pa.float64()),
    **dict.fromkeys(INTEGER_FIELDS, pa.int64()),
    **dict.fromkeys(FLAG_FIELDS, pa.bool_()),
    **dict.fromkeys(TIME_FIELDS, _UTC_US),
}
_TRUE_TEXT = ["True", "true", "TRUE", "1"]
_FALSE_TEXT = ["False", "false", "FALSE", "0"]
_CSV_UNUSUAL = (b'"', b"\r", b"\x00")


def step_columns(header: bytes, block: bytes) -> StepColumns | None:
    """Columns of a block of Peak_Trade CSV rows under `header`, or None to decode it line
    by line (quoted fields, a row of another width, a value the contract reads otherwise)."""
    names = _header_names(header)
    if names is None or not block.endswith(b"\n") or any(c in block for c in _CSV_UNUSUAL):
        return None
    checked = [name for name in names if name in _COLUMN_TYPES]  # text never fails
    try:
        table = pa_csv.read_csv(
            io.BytesIO(block),
            read_options=pa_csv.ReadOptions(column_names=list(names), block_size=len(block) + 1),
            parse_options=pa_csv.ParseOptions(quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: _COLUMN_TYPES[name] for name in checked},
                include_columns=checked,
                null_values=[""],
                true_values=_TRUE_TEXT,
                false_values=_FALSE_TEXT,
                strings_can_be_null=True,
            ),
        )
        return _steps_of(table, tuple(checked))
    except (pa.ArrowException, ValueError):
        return None


def _steps_of(table: pa.Table, names: tuple[str, ...]) -> StepColumns | None:
    """The columns the totals need from rows whose every value is plain."""
    rows = table.num_rows
    times = _step_times(table, rows)
    if times is None:
        return None

    def numbers(name: str) -> np.ndarray:
        if name not in names:
            return np.full(rows, np.nan)
        return _floats(table[name].combine_chunks())

    def counts(name: str) -> np.ndarray:
        if name not in names:
            return np.zeros(rows, np.int64)
        return table[name].fill_null(0).to_numpy()

    realized = numbers("realized_pnl")
    return StepColumns(
        ts_us=times[0],
        has_time=times[1],
        equity=numbers("equity"),
        realized_pnl=np.where(np.isnan(realized), numbers("pnl"), realized),
        unrealized_pnl=numbers("unrealized_pnl"),
        position_size=numbers("position_size"),
        orders=counts("orders_generated"),
        blocked=counts("orders_blocked"),
    )


def _header_names(header: bytes) -> tuple[str, ...] | None:
    """The header's column names when each is plain (no quotes, no duplicates)."""
    data = header.removeprefix(BOM)
    if any(c in data for c in _CSV_UNUSUAL):
        return None
    try:
        names = tuple(data.decode("utf-8").split(","))
    except UnicodeDecodeError:
        return None
    return names if len(set(names)) == len(names) and all(names) else None


def _step_times(table: pa.Table, rows: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each row's ts_event, else ts_bar, as microseconds, and whether it has one."""
    micros = np.zeros(rows, np.int64)
    known = np.zeros(rows, bool)
    for name in ("ts_bar", "ts_event"):  # ts_event wins where both are there
        if name not in table.column_names:
            continue
        column = table[name].cast(pa.int64()).combine_chunks()
        present = column.is_valid().to_numpy(zero_copy_only=False)
        values = column.fill_null(0).to_numpy()
        if present.any() and (
            values[present].min() < _EARLIEST_US or values[present].max() > _LATEST_US
        ):
            return None
        micros = np.where(present, values, micros)
        known |= present
    return micros, known
