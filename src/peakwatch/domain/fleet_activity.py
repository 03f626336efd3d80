"""The AI activity feed over a fleet: every root's sources merged into one timeline.

A source's id gets its root's name in front (`lab/ai`, `host-b/run:...`), so ids, cursors
and the order of equal times stay unique across roots whose runs share ids.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from peakwatch.domain.activity import (
    ActivityFilter,
    ActivityPage,
    ActivitySource,
    ScanBudget,
    SortKey,
    SourceSlice,
    page_activity,
    write_order,
)
from peakwatch.domain.activity_feed import RunActivity
from peakwatch.domain.fleet import FleetRoot, chosen


@dataclass(frozen=True, slots=True)
class RootedSource:
    """One root's feed source, its id and its items' ids prefixed with the root's name."""

    root: str
    inner: ActivitySource

    @property
    def source_id(self) -> str:
        return f"{self.root}/{self.inner.source_id}"

    @property
    def last_write(self) -> datetime:
        return self.inner.last_write

    def read_back(self, end: int | None, max_bytes: int) -> SourceSlice:
        """The inner source's slice with each item carrying this source's id."""
        piece = self.inner.read_back(end, max_bytes)
        source_id = self.source_id
        return replace(piece, items=[replace(item, source_id=source_id) for item in piece.items])


def root_of(source_id: str) -> str:
    """The root an item came from, by its (prefixed) source id."""
    return source_id.split("/", 1)[0]


def fleet_activity(
    roots: list[FleetRoot],
    wanted: ActivityFilter,
    *,
    limit: int,
    before: SortKey | None,
    root: str | None = None,
    budget: ScanBudget | None = None,
) -> ActivityPage:
    """A page of the fleet's merged timeline, newest first (see Activity.page)."""
    return page_activity(
        _sources(roots, wanted, root), limit=limit, before=before, wanted=wanted, budget=budget
    )


def _sources(
    roots: list[FleetRoot], wanted: ActivityFilter, root: str | None
) -> Iterator[ActivitySource]:
    """Every root's sources, newest write first, wrapped with their root."""
    per_root = [_rooted(each, wanted.run_id) for each in chosen(roots, root)]
    return heapq.merge(*per_root, key=write_order, reverse=True)


def _rooted(root: FleetRoot, run_id: str | None) -> Iterator[ActivitySource]:
    """One root's sources (only the run `run_id` among its runs, when given), wrapped."""
    for source in root.workspace.activity.sources():
        if run_id is None or not isinstance(source, RunActivity) or source.run_id == run_id:
            yield RootedSource(root.name, source)
