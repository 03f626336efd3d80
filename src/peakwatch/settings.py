"""Where the artifacts live and how the server behaves, resolved once at start.

Precedence for each value: CLI flag, then environment variable, then
`peakwatch.toml` in the working directory, then the default. Roots are made
absolute once; nothing downstream resolves a path from user input.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_ROOTS: dict[str, str] = {
    "sessions_dir": "reports/experiments/live_sessions",
    "runs_dir": "live_runs",
    "alerts_dir": "live_runs/alerts",
    "ai_events_path": "logs/ai/ai_events.jsonl",
    "execution_dir": "logs/execution",
    "exec_events_dir": "out/ops/execution_events",
    "config_path": "config/config.toml",
}

ENV_NAMES: dict[str, str] = {
    "sessions_dir": "PEAKWATCH_SESSIONS_DIR",
    "runs_dir": "PEAKWATCH_RUNS_DIR",
    "alerts_dir": "PEAKWATCH_ALERTS_DIR",
    "ai_events_path": "PEAKWATCH_AI_EVENTS_PATH",
    "execution_dir": "PEAKWATCH_EXECUTION_DIR",
    "exec_events_dir": "PEAKWATCH_EXEC_EVENTS_DIR",
    "config_path": "PEAK_TRADE_CONFIG_PATH",
}

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know, fixed for the life of the process."""

    sessions_dir: Path
    runs_dir: Path
    alerts_dir: Path
    ai_events_path: Path
    execution_dir: Path
    exec_events_dir: Path
    config_path: Path
    host: str = "127.0.0.1"
    port: int = 8000
    auto_refresh_seconds: int = 5
    run_stale_seconds: float = 600.0
    session_stale_seconds: float = 600.0
    drawdown_alert_threshold: float = 0.1
    blocked_in_a_row_alert: int = 3
    alert_quiet_seconds: float = 300.0  # a stored alert resolves after this long without a repeat
    index_max_age_seconds: float = 0.5
    poll_interval_seconds: float = 0.25
    keepalive_seconds: float = 15.0
    max_streams_per_client: int = 16  # open live streams from one address (a browser opens <= 6)
    max_streams_total: int = 256  # open live streams in all; over either cap a stream gets 429/503
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allow_remote: bool = False
    home: str = "operator"
    metrics_max_runs: int = 200  # runs with series of their own on /metrics, active first
    metrics_completed_seconds: float = 3600.0  # a completed run's series go this long after

    def roots(self) -> dict[str, Path]:
        """The data roots by name, for display on the health page and in logs."""
        return {name: getattr(self, name) for name in DEFAULT_ROOTS}

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests and launchers)."""
        return replace(self, **changes)

    @property
    def is_loopback(self) -> bool:
        """True when the server binds a loopback address only."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings from flags (`overrides`), environment, `peakwatch.toml` and defaults."""
    environ = os.environ if environ is None else environ
    base = (cwd or Path.cwd()).resolve()
    file_values = _read_settings_file(base / "peakwatch.toml")
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    values: dict[str, Any] = {}
    for name, default in DEFAULT_ROOTS.items():
        raw = flags.get(name) or environ.get(ENV_NAMES[name]) or file_values.get(name)
        if raw is None and name == "alerts_dir":
            values[name] = values["runs_dir"] / "alerts"  # the store lives in the runs root
            continue
        values[name] = _absolute(Path(str(raw or default)), base)
    for key, value in file_values.items():
        if key not in DEFAULT_ROOTS:
            values[key] = value
    for key, value in flags.items():
        if key not in DEFAULT_ROOTS:
            values[key] = value
    if "allowed_hosts" in values:
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
    _check_stream_caps(values)
    return Settings(**values)


STREAM_CAPS = ("max_streams_per_client", "max_streams_total")


def _check_stream_caps(values: Mapping[str, Any]) -> None:
    """Each stream cap, when set, is a whole number of at least 1."""
    for name in STREAM_CAPS:
        value = values.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"{name} must be a whole number of at least 1")


def _absolute(path: Path, base: Path) -> Path:
    expanded = path.expanduser()
    return (expanded if expanded.is_absolute() else base / expanded).resolve()


class SettingsError(ValueError):
    """`peakwatch.toml` exists but cannot be used (the message says why, in one line)."""


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except OSError:
        raise SettingsError(f"{path.name} exists but cannot be read") from None
    except tomllib.TOMLDecodeError:
        raise SettingsError(f"{path.name} is not valid TOML; fix or remove it") from None
    section = data.get("peakwatch", data)
    if not isinstance(section, dict):
        raise SettingsError(f"{path.name}: [peakwatch] must be a table")
    unknown = sorted(set(section) - set(Settings.__dataclass_fields__))
    if unknown:
        raise SettingsError(f"{path.name}: unknown setting(s) {', '.join(unknown)}")
    return dict(section)
