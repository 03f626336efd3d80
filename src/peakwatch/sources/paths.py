"""Ids from URLs and files under a data root: validated, resolved, contained."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from peakwatch.sources.problems import Problem

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+@=-]{0,199}$")


def is_valid_id(value: str) -> bool:
    """True for a plain name: no separators, no `..`, no control characters, not hidden."""
    return bool(_ID_PATTERN.fullmatch(value)) and ".." not in value


def contained_child(root: Path, name: str) -> Path | None:
    """`root/name` when `name` is a valid id and its resolved path stays inside `root`.

    Symlinks are followed; a link that leads outside the root gives None.
    """
    if not is_valid_id(name):
        return None
    candidate = root / name
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != root and root not in resolved.parents:
        return None
    return candidate


def is_inside(root: Path, path: Path) -> bool:
    """True when `path` resolves to a location under `root` (symlinks followed)."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return resolved == root or root in resolved.parents


def relative_label(path: Path, base: Path) -> str:
    """A path for messages: relative to `base` when possible, else just its name."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.name


SYMLINK_NOT_FOLLOWED = "symbolic link; artifacts that are links are not followed"
LINK_LEADS_OUTSIDE = "symbolic link leads outside the data root; not followed"
NAME_NOT_UTF8 = "file name is not UTF-8; skipped"


def is_utf8_name(name: str) -> bool:
    """False for a name `os.scandir` decoded with escapes because its bytes are not UTF-8."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_name(name: str) -> str:
    """A name safe for JSON and HTML: bytes that are not UTF-8 are shown as `\\xNN`."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def outside_link_problem(label: str, entry: os.DirEntry[str], root: Path) -> Problem | None:
    """A problem for a symbolic link that leads nowhere or out of `root`, else None."""
    found = link_problem(label, entry)
    if found is None and entry.is_symlink() and not is_inside(root, Path(entry.path)):
        return Problem(label, LINK_LEADS_OUTSIDE)
    return found


def link_problem(label: str, entry: os.DirEntry[str]) -> Problem | None:
    """A problem for a symbolic link that leads nowhere (a loop or a dangling link), else None."""
    try:
        if not entry.is_symlink():
            return None
        os.stat(entry.path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Problem(label, "symbolic link loop; not followed")
        return Problem(label, "broken symbolic link; not followed")
    return None
