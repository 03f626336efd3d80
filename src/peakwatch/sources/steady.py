"""The last whole view of files rewritten in place, served while a rewrite is under way.

Peak_Trade rewrites `events.parquet` in place (truncate, then write) every few rows, and
`meta.json` non-atomically; a reader that opens such a file mid-rewrite finds it empty,
without its footer or shorter than before. Readers remember their last good result per
file and read arguments; while the file is not whole they serve that result marked with
REWRITING, so nothing the operator sees goes backwards. A file that stays broken longer
than GRACE_SECONDS is reported as damaged instead (its last whole state still shown);
one that is whole again is read afresh and the mark is gone.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

REWRITING = "file being rewritten: showing its last whole state"
DAMAGED = "file stays unreadable or shorter than before: showing its last whole state"
GRACE_SECONDS = 10.0
KEPT_FILES = 256  # files whose last whole views are kept (the most recently read)
KEPT_VIEWS = 16  # read arguments kept per file


@dataclass(frozen=True, slots=True)
class Whole:
    """A good read of a file: its identity and size then, and the result."""

    identity: tuple[int, int]
    size: int
    result: Any


def is_regular(path: os.PathLike[str] | str) -> bool:
    """True when `path` is a regular file itself (not a link, folder or anything else)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def torn(reason: str, why: str | None) -> str:
    """The mark for a torn JSON document, naming why it cannot be read now."""
    return f"{reason} ({why})" if why else reason


class LastWhole:
    """Per file and read arguments, the last result read from the whole file."""

    def __init__(self) -> None:
        self._views: OrderedDict[str, OrderedDict[Hashable, Whole]] = OrderedDict()
        self._broken_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def remember(self, path: os.PathLike[str] | str, args: Hashable, st: Any, result: Any) -> None:
        """Keep `result` as the whole view of `path` read with `args` (`st`: its fstat)."""
        key = os.fspath(path)
        whole = Whole((st.st_ino, st.st_dev), st.st_size, result)
        with self._lock:
            self._broken_since.pop(key, None)
            views = self._views.pop(key, None) or OrderedDict()
            views.pop(args, None)
            views[args] = whole
            while len(views) > KEPT_VIEWS:
                views.popitem(last=False)
            self._views[key] = views
            while len(self._views) > KEPT_FILES:
                gone, _ = self._views.popitem(last=False)
                self._broken_since.pop(gone, None)

    def recall(self, path: os.PathLike[str] | str, args: Hashable) -> Whole | None:
        """The whole view of `path` read with `args`, if one is kept."""
        with self._lock:
            views = self._views.get(os.fspath(path))
            return None if views is None else views.get(args)

    def broken(self, path: os.PathLike[str] | str) -> str:
        """Note that `path` is not whole now; the reason to show (REWRITING, later DAMAGED)."""
        key = os.fspath(path)
        now = time.monotonic()
        with self._lock:
            since = self._broken_since.setdefault(key, now)
        return REWRITING if now - since <= GRACE_SECONDS else DAMAGED

    def shrunk(self, path: os.PathLike[str] | str, args: Hashable, st: Any) -> Whole | None:
        """The kept view when the same file is now shorter than it was (mid-rewrite).

        None when nothing is kept, the file is another one (replaced by a rename) or it has
        stayed shorter for longer than GRACE_SECONDS (then its new content is taken as is).
        """
        whole = self.recall(path, args)
        if whole is None or whole.identity != (st.st_ino, st.st_dev) or st.st_size >= whole.size:
            return None
        return whole if self.broken(path) == REWRITING else None

    def forget_broken(self, path: os.PathLike[str] | str) -> None:
        """The file was read whole again without a view to keep: it is no longer broken."""
        with self._lock:
            self._broken_since.pop(os.fspath(path), None)


STEADY = LastWhole()
"""The process's one memory of whole views (readers of every index share it)."""
