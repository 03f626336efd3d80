"""Problems found while reading artifacts: which file, where, and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One unreadable file or line.

    `file` is relative to its data root (never an absolute path); `line` is the
    1-based line number when known, `offset` the byte offset when the line
    number is not known (tail reads start from the end of the file).
    """

    file: str
    reason: str
    line: int | None = None
    offset: int | None = None
    kind: str = "artifact"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view, keys in a fixed order."""
        return {
            "file": self.file,
            "kind": self.kind,
            "line": self.line,
            "offset": self.offset,
            "reason": self.reason,
        }
