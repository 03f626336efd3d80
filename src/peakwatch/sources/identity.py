"""File identity from `stat`: an unchanged key means the file need not be read again."""

from __future__ import annotations

import os
import stat
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


def stat_key(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> FileKey | None:
    """The key of a path, or None when it does not exist or cannot be stat'ed.

    A symbolic link counts as absent unless `follow_symlinks` is set: an artifact that is
    a link could lead out of its data root, so readers never follow one.
    """
    try:
        result = os.stat(path, follow_symlinks=False)
        if stat.S_ISLNK(result.st_mode):
            if not follow_symlinks:
                return None
            result = os.stat(path)
        return FileKey.of(result)
    except OSError:
        return None
