"""Rendered response bodies kept while the data they came from is unchanged."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

DEFAULT_ENTRIES = 256


class RenderedCache:
    """Bytes by request key, each valid for one data version; least recently used go first.

    Concurrent misses for one key render once: the others wait and take that body.
    Used from the event loop only.
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def body(
        self,
        key: Hashable,
        version: Hashable | None,
        render: Callable[[], Awaitable[bytes | None]],
    ) -> bytes | None:
        """The body for `key` at `version`, rendered when missing (None: render says so).

        A None version means the data's state is not known cheaply: always render.
        """
        if version is None:
            return await render()
        found = self.get(key, version)
        if found is not None:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self.get(key, version)
            if found is None:
                found = await render()
                if found is not None:
                    self._put(key, version, found)
        return found

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        """The body rendered for `key` at `version`, if it is still here; never renders."""
        item = self._items.get(key)
        if item is None or item[0] != version:
            return None
        self._items.move_to_end(key)
        return item[1]

    def _put(self, key: Hashable, version: Hashable, body: bytes) -> None:
        self._items[key] = (version, body)
        self._items.move_to_end(key)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)
        if len(self._locks) > 2 * self.entries:
            self._locks = {
                name: lock
                for name, lock in self._locks.items()
                if lock.locked() or name in self._items
            }
