"""Which kind of folder PATH is, and which of its files to check."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from peakwatch.contract.models import (
    AiDecisionEvent,
    ExecutionEvent,
    Record,
    RunAlert,
    RunMeta,
    StoreAlert,
)
from peakwatch.contract.normalize import ai_format, execution_format
from peakwatch.sources.paths import is_inside, is_valid_id
from peakwatch.sources.regular_files import read_problem
from peakwatch.sources.run_events import EVENTS_FILES
from peakwatch.validate.files import (
    check_csv_events,
    check_event_formats,
    check_json_document,
    check_jsonl,
    check_native_events,
    check_parquet_events,
    check_session_record,
)
from peakwatch.validate.report import FileReport, Layout, Validation

RUNS_DIR = "live_runs"
ALERTS_DIR = "live_runs/alerts"
SESSIONS_DIR = "reports/experiments/live_sessions"
AI_EVENTS = "logs/ai/ai_events.jsonl"
EXECUTION_DIR = "logs/execution"
EXEC_EVENTS_DIR = "out/ops/execution_events"
REPOSITORY_MARKERS = (
    RUNS_DIR,
    SESSIONS_DIR,
    AI_EVENTS,
    EXECUTION_DIR,
    ALERTS_DIR,
    EXEC_EVENTS_DIR,
)


# -- folders -----------------------------------------------------------------------------------


def _entries(folder: Path, validation: Validation) -> list[Path]:
    """Visible entries of a folder that stay inside PATH, sorted by name."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        report = FileReport(validation.label(folder) + "/", "folder")
        report.error("folder cannot be listed")
        validation.files.append(report)
        return []
    found = []
    for name in names:
        path = folder / name
        if name.startswith("."):
            continue
        if is_inside(validation.root, path):
            found.append(path)
        else:
            report = FileReport(validation.label(path), "link")
            report.warn("points outside PATH: not checked")
            validation.files.append(report)
    return found


def _guarded(validation: Validation, path: Path, check: Callable[[Path, str], FileReport]) -> None:
    """Run one file check; an unexpected failure becomes an error, never a traceback."""
    label = validation.label(path)
    try:
        report = check(path, label)
    except OSError as error:
        report = FileReport(label, "file")
        report.error(read_problem(error))
    except Exception:  # validation must report on every file, whatever one of them holds
        report = FileReport(label, "file")
        report.error("file could not be checked")
    validation.files.append(report)


def check_run(validation: Validation, run_dir: Path) -> None:
    """meta.json, every events file and alerts.jsonl of one run folder."""
    _guarded(validation, run_dir / "meta.json", _meta_checker(run_dir))
    present = [(name, fmt) for name, fmt in EVENTS_FILES if (run_dir / name).is_file()]
    for index, (name, fmt) in enumerate(present):
        checker = {
            "jsonl": check_native_events,
            "csv": check_csv_events,
            "parquet": check_parquet_events,
        }[fmt]
        _guarded(validation, run_dir / name, checker)
        if index:
            note = f"not read by the dashboard: {present[0][0]} takes precedence"
            validation.files[-1].warn(note)
    if (run_dir / "alerts.jsonl").is_file():
        _guarded(validation, run_dir / "alerts.jsonl", _jsonl_checker(RunAlert, "run alerts"))


def _meta_checker(run_dir: Path) -> Callable[[Path, str], FileReport]:
    def check(path: Path, label: str) -> FileReport:
        report = check_json_document(path, label, RunMeta, "run meta")
        if not is_valid_id(run_dir.name):
            report.warn("folder name is not a valid run id: the dashboard does not list it")
        return report

    return check


def _jsonl_checker(model: type[Record], kind: str) -> Callable[[Path, str], FileReport]:
    def check(path: Path, label: str) -> FileReport:
        return check_jsonl(path, label, model, kind)

    return check


def check_runs_root(validation: Validation, runs_dir: Path) -> None:
    """Every run folder under a runs root; `alerts/` without meta.json is the alert store."""
    for path in _entries(runs_dir, validation):
        if not path.is_dir():
            continue
        if (path / "meta.json").is_file():
            check_run(validation, path)
        elif path.name == "alerts":
            check_jsonl_folder(validation, path, StoreAlert, "alert store")
        elif any((path / name).is_file() for name, _ in EVENTS_FILES):
            report = FileReport(validation.label(path) + "/", "folder")
            report.warn("has events but no meta.json: not a run, the dashboard ignores it")
            validation.files.append(report)


def check_jsonl_folder(
    validation: Validation, folder: Path, model: type[Record], kind: str
) -> None:
    """Every `*.jsonl` file in a folder (alert store, execution telemetry)."""
    for path in _entries(folder, validation):
        if path.suffix == ".jsonl" and path.is_file():
            _guarded(validation, path, _jsonl_checker(model, kind))


def check_registry(validation: Validation, folder: Path) -> None:
    """Every `*.json` record of a sessions registry."""
    for path in _entries(folder, validation):
        if path.suffix == ".json" and path.is_file():
            _guarded(validation, path, check_session_record)


def check_repository(validation: Validation) -> None:
    """Every artifact kind at its default place under a repository-like root."""
    root = validation.root
    if (root / RUNS_DIR).is_dir():
        check_runs_root(validation, root / RUNS_DIR)
    if (root / SESSIONS_DIR).is_dir():
        check_registry(validation, root / SESSIONS_DIR)
    if (root / AI_EVENTS).is_file():
        _guarded(validation, root / AI_EVENTS, _ai_checker)
    for folder in (EXECUTION_DIR, EXEC_EVENTS_DIR):
        if (root / folder).is_dir():
            for path in _entries(root / folder, validation):
                if path.suffix == ".jsonl" and path.is_file():
                    _guarded(validation, path, _execution_checker)


def _ai_checker(path: Path, label: str) -> FileReport:
    return check_event_formats(path, label, "AI events", ai_format, AiDecisionEvent)


def _execution_checker(path: Path, label: str) -> FileReport:
    return check_event_formats(path, label, "execution events", execution_format, ExecutionEvent)


def detect_layout(root: Path) -> Layout | None:
    """Which kind of folder PATH is, or None when it holds no recognisable artifacts.

    A repository or a runs root wins over a `meta.json` lying at the top: that file is stray.
    """
    if any((root / marker).exists() for marker in REPOSITORY_MARKERS):
        return "repository"
    try:
        children = sorted(root.iterdir())
    except OSError:
        return None
    if any(child.is_dir() and (child / "meta.json").is_file() for child in children):
        return "runs root"
    if (root / "meta.json").is_file():
        return "run folder"
    if any(child.suffix == ".json" and child.is_file() for child in children):
        return "sessions registry"
    return None


def report_stray_meta(validation: Validation) -> None:
    """A `meta.json` at the top of a repository or runs root makes no run: say so."""
    path = validation.root / "meta.json"
    if validation.layout in ("repository", "runs root") and path.is_file():
        report = FileReport(validation.label(path), "stray file")
        report.warn(f"stray meta.json at the top of a {validation.layout}: not a run, not read")
        validation.files.append(report)


def validate(root: Path) -> Validation:
    """Check every artifact under `root`."""
    validation = Validation(root, detect_layout(root))
    report_stray_meta(validation)
    if validation.layout == "run folder":
        check_run(validation, root)
    elif validation.layout == "repository":
        check_repository(validation)
    elif validation.layout == "runs root":
        check_runs_root(validation, root)
    elif validation.layout == "sessions registry":
        check_registry(validation, root)
    return validation
