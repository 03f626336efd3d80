"""The mirror's writes on local disk: a whole file replaced atomically, bytes appended or
nothing, a file removed with the folders it leaves empty. Never follows a symlink."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from peakwatch.sources.storage_names import TEMP_SUFFIX

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def temp_of(path: Path) -> Path:
    """The temporary file beside `path` that a replacement is written to first."""
    return path.with_name(path.name + TEMP_SUFFIX)


def make_folders(path: Path) -> None:
    """The folders holding `path`, private to this user."""
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def replace_file(path: Path, pieces: Iterable[bytes], mtime: float) -> int:
    """`path` replaced by `pieces` (written to a temp file, then renamed); the bytes written.

    When reading a piece or writing fails, the temp file is removed and `path` is unchanged."""
    make_folders(path)
    temp = temp_of(path)
    written = 0
    try:
        fd = os.open(temp, _WRITE, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                out.write(piece)
                written += len(piece)
        set_mtime(temp, mtime)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return written


def append_file(path: Path, data: bytes, mtime: float) -> None:
    """`data` appended to `path` whole, or the file cut back to its old size on failure."""
    fd = os.open(path, _APPEND)
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    set_mtime(path, mtime)


def set_mtime(path: Path, mtime: float) -> None:
    """The file's mtime set to the object's, so ages are the producer's, not the copy's."""
    if mtime > 0:
        os.utime(path, (mtime, mtime), follow_symlinks=False)


def remove_file(path: Path, top: Path) -> None:
    """`path` removed, then each folder above it left empty, up to (not including) `top`."""
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): stop here
            return
        folder = folder.parent
