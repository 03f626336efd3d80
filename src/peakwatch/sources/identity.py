"""File identity from `stat`: an unchanged key means the file need not be read again."""

from __future__ import annotations

import os
from typing import NamedTuple


class FileKey(NamedTuple):
    """What `stat` says about a file: enough to tell that it changed or was replaced."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, result: os.stat_result) -> FileKey:
        """The key of a stat result."""
        return cls(result.st_ino, result.st_size, result.st_mtime_ns)


def stat_key(path: str | os.PathLike[str]) -> FileKey | None:
    """The key of a path, or None when it does not exist or cannot be stat'ed."""
    try:
        return FileKey.of(os.stat(path))
    except OSError:
        return None
