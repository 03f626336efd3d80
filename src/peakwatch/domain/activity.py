"""The AI activity feed: run events, AI decisions and execution telemetry as one timeline.

Every item has a sort key (time, source, position) that is unique and stable, so a
cursor taken from one page pages backwards without skipping or repeating an item,
however many new items arrive in the meantime.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
from pydantic import BaseModel

from peakwatch.contract.values import INT64_MAX, INT64_MIN, format_utc, parse_utc
from peakwatch.domain.activity_importance import importance_of
from peakwatch.secrets import redact

LEVELS = ("info", "warning", "error")
SEARCH_MAX_BYTES = 16 * 1024 * 1024  # bytes one page of the feed may read, over all files
SEARCH_MAX_SECONDS = 2.0  # and the time it may spend reading them
FIRST_SLICE_BYTES = 64 * 1024  # the first read from the end of a file; doubles from there
MAX_SLICE_BYTES = 1024 * 1024
STOPPED_BYTES = "bytes"
STOPPED_TIME = "time"

SortKey = tuple[datetime, str, int]


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One thing that happened, with a one-line summary and its full payload."""

    ts: datetime
    source_id: str
    position: int
    source: str
    kind: str
    level: str
    summary: str
    run_id: str | None
    session_id: str | None
    record: BaseModel  # the validated record; the payload is derived from it on demand

    @property
    def payload(self) -> dict[str, Any]:
        """The full record as JSON values, secrets redacted.

        Computed when asked for: a page reads many items to keep a few, and dumping and
        redacting every record read was most of the cost of a page.
        """
        return redact(self.record.model_dump(mode="json"))

    @property
    def importance(self) -> str:
        """`notable` or `routine` (see activity_importance.py)."""
        return importance_of(self.kind, self.level, self.record)

    @property
    def key(self) -> SortKey:
        """The total order of the feed: time, then source, then position in the source."""
        return (self.ts, self.source_id, self.position)

    @property
    def item_id(self) -> str:
        """A stable id: the source and the position of the record in it."""
        return f"{self.source_id}@{self.position}"

    def as_dict(self, *, with_payload: bool = True) -> dict[str, Any]:
        """The JSON view of the item."""
        view: dict[str, Any] = {
            "id": self.item_id,
            "ts": format_utc(self.ts),
            "source": self.source,
            "kind": self.kind,
            "level": self.level,
            "importance": self.importance,
            "summary": self.summary,
            "run_id": self.run_id,
            "session_id": self.session_id,
            "cursor": encode_cursor(self.key),
        }
        if with_payload:
            view["payload"] = self.payload
        return view


class ActivitySource(Protocol):
    """A file that contributes items to the feed."""

    @property
    def source_id(self) -> str:
        """Unique among the sources; breaks ties between equal times."""
        ...

    @property
    def last_write(self) -> datetime:
        """When the file was last written; no item in it is newer (prunes the merge)."""
        ...

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """Items in about `max_bytes` before position `end` (None: the end), oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class SourceSlice:
    """Items of one slice of a source, oldest first, and where older items continue.

    `next_end` is the position to pass as `end` for older items (None: nothing older is
    left). `stuck`: no item fits in the slice (a line longer than it); read more at once.
    """

    items: list[ActivityItem]
    next_end: int | None
    read_bytes: int
    size: int
    stuck: bool = False


@dataclass(slots=True)
class ScanBudget:
    """What one page of the feed may read: bytes over all files, and seconds."""

    max_bytes: int = SEARCH_MAX_BYTES
    max_seconds: float | None = SEARCH_MAX_SECONDS
    clock: Callable[[], float] = time.monotonic
    scanned_bytes: int = 0
    reached_bytes: int = 0  # the sizes of the files the scan reached
    stopped: str | None = None  # STOPPED_BYTES or STOPPED_TIME once the budget ran out
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def allowance(self, wanted: int) -> int:
        """Bytes the next slice may read (at most `wanted`); 0 once the budget is spent."""
        if self.stopped is None and self.scanned_bytes >= self.max_bytes:
            self.stopped = STOPPED_BYTES
        elapsed = self.clock() - self.started
        if self.stopped is None and self.max_seconds is not None and elapsed >= self.max_seconds:
            self.stopped = STOPPED_TIME
        if self.stopped is not None:
            return 0
        return min(wanted, self.max_bytes - self.scanned_bytes)


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """What the operator asked to see."""

    run_id: str | None = None
    session_id: str | None = None
    kinds: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    text: str | None = None
    sources: frozenset[str] = frozenset()
    importance: str | None = None

    def matches(self, item: ActivityItem) -> bool:
        """True when the item passes every filter that is set."""
        if self.run_id is not None and item.run_id != self.run_id:
            return False
        if self.session_id is not None and item.session_id != self.session_id:
            return False
        if self.kinds and item.kind not in self.kinds:
            return False
        if self.levels and item.level not in self.levels:
            return False
        if self.sources and item.source not in self.sources:
            return False
        if self.importance is not None and item.importance != self.importance:
            return False
        return not (self.text and self.text.lower() not in item.summary.lower())


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """One page of the feed, newest first, and the cursor for the next (older) page.

    `truncated`: the scan stopped at its budget (`stop_reason`) before the page was full;
    the items are those found so far and `next_cursor` resumes where the scan stopped.
    """

    items: list[ActivityItem]
    next_cursor: str | None
    truncated: bool = False
    stop_reason: str | None = None
    scanned_bytes: int = 0
    reached_bytes: int = 0


@dataclass(slots=True)
class SourceScan:
    """What a scan of one source found, and the oldest key it looked at (None: all of it)."""

    found: list[ActivityItem]
    frontier: SortKey | None


def write_order(source: ActivitySource) -> tuple[datetime, str]:
    """The order sources are merged in: newest write first (reverse of this key)."""
    return source.last_write, source.source_id


def page_activity(
    sources: Iterable[ActivitySource],
    *,
    limit: int,
    before: SortKey | None,
    wanted: ActivityFilter,
    budget: ScanBudget | None = None,
) -> ActivityPage:
    """The newest `limit` matching items older than `before`, merged over all sources.

    `sources` come newest write first (see `write_order`): the merge stops at the first
    source older than a full page, so the rest are never looked at. When `budget` runs
    out, the page holds what was found newer than where the scan stopped.
    """
    budget = budget if budget is not None else ScanBudget()
    collected: list[ActivityItem] = []
    frontier: SortKey | None = None  # every match newer than this was looked at
    for source in sources:
        if len(collected) >= limit:
            collected.sort(key=lambda item: item.key, reverse=True)
            del collected[limit:]
            if source.last_write < collected[-1].ts:
                break
        if budget.stopped is not None:
            frontier = _later(frontier, newest_possible(source, before))
            break
        scan = _eligible(source, limit, before, wanted.matches, budget)
        collected.extend(scan.found)
        if budget.stopped is not None:
            frontier = _later(frontier, scan.frontier)
    return _page(collected, limit, budget, frontier)


def _page(
    collected: list[ActivityItem], limit: int, budget: ScanBudget, frontier: SortKey | None
) -> ActivityPage:
    """The newest `limit` items; after a stopped scan only those at or after its frontier."""
    collected.sort(key=lambda item: item.key, reverse=True)
    if budget.stopped is not None and frontier is not None:
        collected = [item for item in collected if item.key >= frontier]
    page = collected[:limit]
    next_cursor = encode_cursor(page[-1].key) if len(page) == limit else None
    truncated = budget.stopped is not None and len(page) < limit
    if truncated and frontier is not None:
        next_cursor = encode_cursor(frontier)
    return ActivityPage(
        page,
        next_cursor,
        truncated=truncated,
        stop_reason=budget.stopped if truncated else None,
        scanned_bytes=budget.scanned_bytes,
        reached_bytes=budget.reached_bytes,
    )


def newest_possible(source: ActivitySource, before: SortKey | None) -> SortKey:
    """A key no unread item of the source can exceed: its last write, or `before`."""
    written = (source.last_write, "\U0010ffff", 2**62)  # sorts after every item at that time
    return written if before is None else min(written, before)


def _later(first: SortKey | None, second: SortKey | None) -> SortKey | None:
    """The later of two frontiers (None: no frontier yet)."""
    if first is None or second is None:
        return second if first is None else first
    return max(first, second)


def _eligible(
    source: ActivitySource,
    limit: int,
    before: SortKey | None,
    matches: Callable[[ActivityItem], bool],
    budget: ScanBudget,
) -> SourceScan:
    """The source's newest `limit` matching items older than `before`, read back in slices."""
    found: list[ActivityItem] = []
    end = before[2] if before is not None and before[1] == source.source_id else None
    frontier: SortKey = newest_possible(source, before)
    slice_bytes = FIRST_SLICE_BYTES
    reached = False
    while len(found) < limit:
        allowed = budget.allowance(slice_bytes)
        if allowed == 0:
            return SourceScan(found[-limit:], frontier)
        piece = source.read_back(end, allowed)
        budget.scanned_bytes += piece.read_bytes
        if not reached:
            budget.reached_bytes += piece.size
            reached = True
        if piece.stuck:
            if allowed < slice_bytes:  # a line longer than what is left of the budget
                budget.stopped = STOPPED_BYTES
            slice_bytes *= 2
            continue
        eligible = [i for i in piece.items if (before is None or i.key < before) and matches(i)]
        found[:0] = sorted(eligible, key=lambda item: item.key)
        if piece.items:
            frontier = min(frontier, *(item.key for item in piece.items))
        if piece.next_end is None:
            return SourceScan(found[-limit:], None)
        end = piece.next_end
        slice_bytes = min(slice_bytes * 2, MAX_SLICE_BYTES)
    return SourceScan(found[-limit:], frontier)


def encode_cursor(key: SortKey) -> str:
    """An opaque cursor for a sort key."""
    raw = orjson.dumps([format_utc(key[0]), key[1], key[2]])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> SortKey | None:
    """The sort key in a cursor, or None when the cursor is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, source_id, position = orjson.loads(raw)
        stamp = parse_utc(ts)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None
    if stamp is None or not isinstance(source_id, str) or type(position) is not int:
        return None
    if not INT64_MIN <= position <= INT64_MAX:
        return None
    return (stamp, source_id, position)
