"""Open artifacts read-only, and only when they are regular files (never a pipe, socket or device).

Opening a named pipe blocks until a writer appears, a device may have side effects and
a socket cannot be opened at all: each is refused with a short reason instead.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from peakwatch.sources.paths import (
    NAME_NOT_UTF8,
    SYMLINK_NOT_FOLLOWED,
    is_utf8_name,
    outside_link_problem,
    printable_name,
)
from peakwatch.sources.problems import Problem

NAMED_PIPE = "named pipe, not a regular file; skipped"
SOCKET = "socket, not a regular file; skipped"
DEVICE = "device, not a regular file; skipped"
FOLDER = "directory, not a regular file; skipped"
OTHER_KIND = "not a regular file; skipped"


class NotRegularFile(OSError):
    """The path exists but is not a regular file; `reason` says what it is instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def kind_problem(mode: int) -> str | None:
    """Why a file of this `st_mode` is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return NAMED_PIPE
    if stat.S_ISSOCK(mode):
        return SOCKET
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return DEVICE
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISLNK(mode):
        return SYMLINK_NOT_FOLLOWED
    return OTHER_KIND


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> BinaryIO:
    """The file opened for binary reading; NotRegularFile when it is anything but a regular file.

    The type is checked before opening (a device is never opened) and again on the open
    descriptor (a file swapped in between is caught). Links are refused unless followed.
    """
    reason = kind_problem(os.stat(path, follow_symlinks=follow_symlinks).st_mode)
    if reason is not None:
        raise NotRegularFile(reason)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    fd = _open_descriptor(path, flags)
    try:
        reason = kind_problem(os.fstat(fd).st_mode)
        if reason is not None:
            raise NotRegularFile(reason)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_descriptor(path: str | os.PathLike[str], flags: int) -> int:
    """`os.open`, with the errors a swapped-in link or socket gives turned into reasons."""
    try:
        return os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP and flags & os.O_NOFOLLOW:
            raise NotRegularFile(SYMLINK_NOT_FOLLOWED) from None
        if error.errno == errno.ENXIO:
            raise NotRegularFile(SOCKET) from None
        raise


def read_problem(error: OSError, fallback: str = "file could not be read") -> str:
    """The reason to report for a failed open: what the file is when refused, else `fallback`."""
    return error.reason if isinstance(error, NotRegularFile) else fallback


def entry_problem(folder_label: str, entry: os.DirEntry[str], root: Path) -> Problem | None:
    """Why a folder entry is not read as an artifact file, or None for a regular file.

    A name that is not UTF-8, a link (not followed) and anything but a regular file are
    problems, labelled `<folder_label>/<printable name>`.
    """
    label = f"{folder_label}/{printable_name(entry.name)}"
    if not is_utf8_name(entry.name):
        return Problem(label, NAME_NOT_UTF8)
    try:
        if entry.is_file(follow_symlinks=False):
            return None
        if entry.is_symlink():
            return outside_link_problem(label, entry, root) or Problem(label, SYMLINK_NOT_FOLLOWED)
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return None  # gone since it was listed: the caller's stat will skip it
    return Problem(label, kind_problem(mode) or OTHER_KIND)
