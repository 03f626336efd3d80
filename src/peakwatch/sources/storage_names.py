"""Which objects of a remote root are mirrored, and how: names checked before they touch disk.

An object name is mirrored only when it is safe as a relative local path (no `..`, `.`,
empty segment, backslash, control character, over-long name or segment) and lies under
one of the root's parts. Its kind says how it is copied: a run's events log from its
first byte, a long global log from its tail, anything else whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["log", "tail", "whole"]
MAX_NAME_BYTES = 1024
MAX_SEGMENT_BYTES = 255
TEMP_SUFFIX = ".mirror-tmp"  # the mirror's own temporary files: never an object's name
LOG_SUFFIXES = (".jsonl", ".csv")
TAIL_PARTS = frozenset({"ai_events", "alerts", "execution", "exec_events"})


def safe_name(name: str) -> bool:
    """True when `name` is a relative, `/`-separated path that stays inside any folder."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not a name any local file could have
        return False
    if not name or len(encoded) > MAX_NAME_BYTES:
        return False
    if "\\" in name or name.endswith(TEMP_SUFFIX):
        return False
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return False
    segments = name.split("/")
    return all(
        segment not in ("", ".", "..") and len(segment.encode("utf-8")) <= MAX_SEGMENT_BYTES
        for segment in segments
    )


def part_path(value: str) -> str:
    """A part's path inside the root, normalised: no leading, trailing or `.` segments."""
    return "/".join(segment for segment in value.split("/") if segment not in ("", "."))


@dataclass(frozen=True)
class Parts:
    """The root's parts (`runs`, `sessions`, ...) by their normalised path inside the root."""

    paths: Mapping[str, str]

    @classmethod
    def of(cls, parts: Mapping[str, str]) -> Parts:
        return cls({part: part_path(value) for part, value in parts.items()})

    def part_of(self, name: str) -> str | None:
        """The most specific part holding `name` (alerts inside runs count as alerts)."""
        best: tuple[int, str] | None = None
        for part, path in self.paths.items():
            inside = not path or name == path or name.startswith(path + "/")
            if inside and (best is None or len(path) > best[0]):
                best = (len(path), part)
        return best[1] if best else None

    def kind_of(self, name: str) -> Kind | None:
        """How `name` is mirrored, or None when it is outside every part."""
        part = self.part_of(name)
        if part is None:
            return None
        if not name.endswith(LOG_SUFFIXES):
            return "whole"
        return "tail" if part in TAIL_PARTS else "log"


def mirrored(names: Iterable[str], parts: Parts) -> tuple[dict[str, Kind], int]:
    """The names to mirror with their kinds, and how many names were refused as unsafe.

    Folder markers (`.../`) and names outside the parts are ignored, not counted. A name
    that is also another object's folder (`a` beside `a/b`) cannot be a file: refused."""
    kinds: dict[str, Kind] = {}
    refused = 0
    for name in names:
        if name.endswith("/"):
            continue
        if not safe_name(name):
            refused += 1
            continue
        kind = parts.kind_of(name)
        if kind is not None:
            kinds[name] = kind
    folders = {name[:index] for name in kinds for index, c in enumerate(name) if c == "/"}
    for name in [name for name in kinds if name in folders]:
        del kinds[name]
        refused += 1
    return kinds, refused
