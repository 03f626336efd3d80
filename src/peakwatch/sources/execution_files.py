"""The execution telemetry files: every `.jsonl` in the execution root and the ExecEvent root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from peakwatch.settings import Settings
from peakwatch.sources.identity import FileKey
from peakwatch.sources.jsonl_files import scan_files
from peakwatch.sources.problems import Problem


@dataclass(frozen=True, slots=True)
class ExecutionFile:
    """One execution file: its feed source id, path, label and stat key."""

    source_id: str
    path: Path
    label: str
    key: FileKey


def execution_files(settings: Settings) -> tuple[list[ExecutionFile], list[Problem]]:
    """The execution files of both roots, sorted by root then name, and the entries skipped.

    Ids stay `exec:<name>` for the execution root (as before) and are
    `exec:<folder>/<name>` for the ExecEvent root, so the two never collide.
    """
    found: list[ExecutionFile] = []
    problems: list[Problem] = []
    for folder, prefix in (
        (settings.execution_dir, ""),
        (settings.exec_events_dir, f"{settings.exec_events_dir.name}/"),
    ):
        listing = scan_files(folder, ".jsonl", folder.name)
        problems.extend(listing.problems)
        for name, key in listing.files:
            found.append(
                ExecutionFile(f"exec:{prefix}{name}", folder / name, f"{folder.name}/{name}", key)
            )
    return found, problems
