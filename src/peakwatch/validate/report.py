"""What validation found: issues per file, the per-file report and the whole result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from peakwatch.sources.paths import relative_label
from peakwatch.sources.problems import Problem

Severity = Literal["error", "warning"]
Layout = Literal["repository", "runs root", "run folder", "sessions registry"]
MAX_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a file: how bad, what, and where (line, Parquet row or byte offset)."""

    severity: Severity
    reason: str
    line: int | None = None
    row: int | None = None
    offset: int | None = None

    def where(self) -> str:
        """`line 7`, `row 12`, `byte 4096` or `file`."""
        if self.line is not None:
            return f"line {self.line}"
        if self.row is not None:
            return f"row {self.row}"
        return "file" if self.offset is None else f"byte {self.offset}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "severity": self.severity,
            "reason": self.reason,
            "line": self.line,
            "row": self.row,
            "offset": self.offset,
        }


@dataclass(slots=True)
class FileReport:
    """What checking one file found: valid records, counts of problems, the first few."""

    path: str
    kind: str
    records: int = 0
    errors: int = 0
    warnings: int = 0
    shown: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Count an issue; keep it for display while fewer than MAX_SHOWN are kept."""
        if issue.severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.shown) < MAX_SHOWN:
            self.shown.append(issue)

    def error(self, reason: str, **where: int | None) -> None:
        """Add an error."""
        self.add(Issue("error", reason, **where))

    def warn(self, reason: str, **where: int | None) -> None:
        """Add a warning."""
        self.add(Issue("warning", reason, **where))

    def problem(self, problem: Problem, line: int | None = None) -> None:
        """Add a reader's Problem as an error, with a line number when one is known."""
        self.error(problem.reason, line=line or problem.line, offset=problem.offset)

    @property
    def status(self) -> str:
        """ERROR, WARN or OK."""
        return "ERROR" if self.errors else "WARN" if self.warnings else "OK"

    @property
    def hidden(self) -> int:
        """Problems counted but not kept for display."""
        return self.errors + self.warnings - len(self.shown)

    def summary(self) -> str:
        """The kind of file and its problem counts."""
        counts = [plural(self.errors, "error"), plural(self.warnings, "warning")]
        found = [text for text, n in zip(counts, (self.errors, self.warnings), strict=True) if n]
        return f"{self.kind}: {', '.join(found)}" if found else self.kind

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "records": self.records,
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": [issue.as_dict() for issue in self.shown],
            "more_problems": self.hidden,
        }


@dataclass(slots=True)
class Validation:
    """Everything checked under one PATH."""

    root: Path
    layout: Layout | None = None
    files: list[FileReport] = field(default_factory=list)

    def label(self, path: Path) -> str:
        """`path` relative to the root, for messages."""
        return relative_label(path, self.root)

    @property
    def failed(self) -> bool:
        """True when any file has an error, or nothing was recognised."""
        return self.layout is None or any(report.errors for report in self.files)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
