"""`/api/v0/runs/{id}/events`: a run's rows from a 0-based position on, as Peak_Trade's v0.2 items.

`seq` is the row's position in the events file (JSONL line, CSV row after the header,
Parquet row), so `since_seq=<next_seq>` resumes where the last answer stopped and an
unreadable row leaves a gap instead of renumbering the rows after it. Step rows become
Peak_Trade's one-line summary; a native event keeps its own level and message.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from peakwatch.contract.models import RunEvent, StepRow
from peakwatch.contract.values import format_utc
from peakwatch.domain.run_queries import Runs
from peakwatch.secrets import redact_text
from peakwatch.sources.checked import checked_record
from peakwatch.sources.lines import RawLine
from peakwatch.sources.problems import Problem
from peakwatch.sources.row_positions import RowPositions, parquet_rows
from peakwatch.sources.run_events import EventsFile, decode_lines
from peakwatch.sources.runs_index import RunFolder
from peakwatch.sources.tail import read_header

KEPT_RUNS = 256  # runs whose row positions are kept (least recently polled go first)
LEVELS = ("info", "warning", "error")
MSG_MAX = 2000


def step_message(row: StepRow) -> str:
    """Peak_Trade's one-line summary of a step row."""
    return (
        f"step={row.step} signal={row.signal} position_size={row.position_size} "
        f"orders_generated={row.orders_generated} orders_filled={row.orders_filled} "
        f"orders_blocked={row.orders_blocked}"
    )


def row_item(position: int, record: RunEvent | StepRow, run_id: str, asof: str) -> dict[str, Any]:
    """One v0.2 event item."""
    if isinstance(record, StepRow):
        blocked = record.risk_allowed is False or bool(record.orders_blocked)
        return {
            "seq": position,
            "ts": format_utc(record.ts_event or record.ts_bar) or asof,
            "level": "warning" if blocked else "info",
            "component": "run",
            "msg": step_message(record),
            "run_id": run_id,
            "kind": "step",
            "event_seq": None,
        }
    text = " ".join(redact_text(record.msg or record.kind).split())[:MSG_MAX]
    return {
        "seq": position,
        "ts": format_utc(record.ts) or asof,
        "level": record.level if record.level in LEVELS else "info",
        "component": "run",
        "msg": text,
        "run_id": run_id,
        "kind": record.kind,
        "event_seq": record.seq,
    }


class RunEventPolls:
    """Answers event polls of every run, keeping each polled run's row positions."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs
        self._positions: OrderedDict[str, RowPositions] = OrderedDict()
        self._lock = threading.Lock()

    def poll(self, run_id: str, since_seq: int, limit: int, now: datetime) -> dict[str, Any] | None:
        """Items of rows `since_seq..since_seq+limit`; None for an unknown run."""
        run = self.runs.find(run_id)
        if run is None:
            return None
        asof = format_utc(now) or ""
        start = max(since_seq, 0)
        items: list[dict[str, Any]] = []
        scanned, total = 0, 0
        if run.events is not None:
            scanned, total, items = self._read(run, run.events, start, limit, asof)
        next_seq = start + scanned if start < total else start
        return {
            "run_id": run_id,
            "asof": asof,
            "next_seq": next_seq,
            "count": len(items),
            "items": items,
            "total_rows": total,
        }

    def _read(
        self, run: RunFolder, events: EventsFile, start: int, limit: int, asof: str
    ) -> tuple[int, int, list[dict[str, Any]]]:
        """(positions scanned, rows in the file, items) for rows `start..start+limit`."""
        located: list[tuple[int, RunEvent | StepRow | Problem]] = []
        if events.format == "parquet":
            rows, total, _ = parquet_rows(events.path, start, limit, events.label)
            for index, row in enumerate(rows, start=start):
                record = checked_record(StepRow, row, events.label, line=index + 1)
                located.append((index, record))
            scanned = len(rows)
        else:
            positions = self._positions_of(run.run_id, events)
            total = positions.catch_up()
            read = positions.read(start, limit)
            header: RawLine | None = None
            if events.format == "csv":
                header, _ = read_header(events.path)
            for position, line in read.rows:
                if line is None or (events.format == "csv" and header is None):
                    continue
                records, _ = decode_lines(events, [line], header)
                if records:
                    located.append((position, records[0].record))
            scanned = len(read.rows)
        items = [
            row_item(position, record, run.run_id, asof)
            for position, record in located
            if not isinstance(record, Problem)
        ]
        return scanned, total, items

    def _positions_of(self, run_id: str, events: EventsFile) -> RowPositions:
        """The run's row positions, afresh when its events file is another one now."""
        with self._lock:
            known = self._positions.pop(run_id, None)
            if known is None or known.events.path != events.path:
                known = RowPositions(events)
            self._positions[run_id] = known
            while len(self._positions) > KEPT_RUNS:
                self._positions.popitem(last=False)
            return known
