"""A run's decisions in time order: positions, neighbours, per-action lists and cursors."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator

from peakwatch.domain.decision_trace import Decision, Key

_CURSOR = re.compile(r"(-?[0-9]{1,20})-([0-9]{1,20})")  # a time before 1970 is negative
_LAST = 1 << 62


def encode_cursor(key: Key) -> str:
    """An opaque cursor: page on from just before this decision."""
    return f"{key[0]}-{key[1]}"


def decode_cursor(cursor: str) -> Key:
    """The key a cursor names; ValueError when it is not one of ours."""
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        raise ValueError("not a decisions cursor")
    return int(match.group(1)), int(match.group(2))


class DecisionIndex:
    """Decisions sorted by (time, arrival), with one sorted key list per action."""

    __slots__ = ("keys", "at", "by_action")

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.at: dict[Key, Decision] = {}
        self.by_action: dict[str, list[Key]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def insert(self, decision: Decision) -> int:
        """Place a decision by its key and return its position (cheap when it is the newest)."""
        key = decision.key
        self.at[key] = decision
        keys = self.by_action.setdefault(decision.action, [])
        if not keys or keys[-1] < key:
            keys.append(key)
        else:
            insort(keys, key)
        if not self.keys or self.keys[-1] < key:
            self.keys.append(key)
            return len(self.keys) - 1
        position = bisect_left(self.keys, key)
        self.keys.insert(position, key)
        return position

    def remove(self, decision: Decision) -> int:
        """Take a decision out and return the position it had."""
        key = decision.key
        position = bisect_left(self.keys, key)
        del self.keys[position]
        del self.at[key]
        keys = self.by_action[decision.action]
        del keys[bisect_left(keys, key)]
        if not keys:
            del self.by_action[decision.action]
        return position

    def position(self, decision: Decision) -> int:
        """Where a decision stands, oldest first."""
        return bisect_left(self.keys, decision.key)

    def get(self, position: int) -> Decision | None:
        """The decision at a position, or None outside the list."""
        if 0 <= position < len(self.keys):
            return self.at[self.keys[position]]
        return None

    def count_until(self, time_us: int) -> int:
        """How many decisions have a time at or before `time_us`."""
        return bisect_right(self.keys, (time_us, _LAST))

    def latest_at(self, time_us: int) -> Decision | None:
        """The newest decision at or before `time_us`."""
        return self.get(self.count_until(time_us) - 1)

    def between(self, low_us: int, high_us: int) -> list[Decision]:
        """Decisions with a time strictly between the two bounds."""
        start = bisect_right(self.keys, (low_us, _LAST))
        end = bisect_left(self.keys, (high_us, -1))
        return [self.at[key] for key in self.keys[start:end]]

    def newest_first(self, action: str | None, before: Key | None) -> Iterator[Decision]:
        """Decisions (of one action, if given) older than `before`, newest first."""
        keys = self.keys if action is None else self.by_action.get(action, [])
        end = len(keys) if before is None else bisect_left(keys, before)
        for index in range(end - 1, -1, -1):
            yield self.at[keys[index]]
