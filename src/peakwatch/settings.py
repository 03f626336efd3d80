"""Where the artifacts live and how the server behaves, resolved once at start.

Precedence for each value: CLI flag, then environment variable, then
`peakwatch.toml` in the working directory, then the default. Roots are made
absolute once; nothing downstream resolves a path from user input.
"""

from __future__ import annotations

import os
import re
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

# A root's parts and the one-root setting each stands for (`[[roots]]` keys in the file).
ROOT_PARTS: dict[str, str] = {
    "runs": "runs_dir",
    "sessions": "sessions_dir",
    "alerts": "alerts_dir",
    "ai_events": "ai_events_path",
    "execution": "execution_dir",
    "exec_events": "exec_events_dir",
}
ROOT_KEYS = frozenset({"name", "location", "poll_seconds", "anonymous", *ROOT_PARTS})
LOCAL_ROOT = "local"
_ROOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/]*)(.*)")


@dataclass(frozen=True)
class RootSpec:
    """One named root: its location (an absolute path or a URL) and its parts under it.

    A part is relative to the location (the usual layout by default) or, for a local
    root, an absolute path. `poll_seconds` None: 5 s for a remote root, the server's
    poll interval for a local one.
    """

    name: str
    location: str
    runs: str = DEFAULT_ROOTS["runs_dir"]
    sessions: str = DEFAULT_ROOTS["sessions_dir"]
    alerts: str = DEFAULT_ROOTS["alerts_dir"]
    ai_events: str = DEFAULT_ROOTS["ai_events_path"]
    execution: str = DEFAULT_ROOTS["execution_dir"]
    exec_events: str = DEFAULT_ROOTS["exec_events_dir"]
    poll_seconds: float | None = None
    anonymous: bool = False

    @property
    def remote(self) -> bool:
        """True for a URL of another filesystem than the local one (`s3://`, `gs://`, ...)."""
        found = _URL.fullmatch(self.location)
        return found is not None and found.group(1).lower() not in ("file", "local")

    def part(self, name: str) -> str:
        """Where one part (a key of ROOT_PARTS) is: an absolute path or a URL."""
        value: str = getattr(self, name)
        if value.startswith("/"):
            return value
        return f"{self.location.rstrip('/')}/{value}"

    def poll_interval(self, local_seconds: float) -> float:
        """Seconds between two polls of this root."""
        if self.poll_seconds is not None:
            return self.poll_seconds
        return 5.0 if self.remote else local_seconds


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
    root_specs: tuple[RootSpec, ...] = ()  # `--root` / `[[roots]]`; none: today's folders

    def roots(self) -> dict[str, Path]:
        """The data roots by name, for display on the health page and in logs."""
        return {name: getattr(self, name) for name in DEFAULT_ROOTS}

    def shown_roots(self) -> dict[str, str]:
        """Where each data root is, as shown: for a remote root's mirror, its URL."""
        specs = self.root_specs
        if len(specs) == 1 and specs[0].remote:
            by_setting = {setting: part for part, setting in ROOT_PARTS.items()}
            shown = {name: specs[0].part(by_setting[name]) for name in by_setting}
            return {**shown, "config_path": "(not mirrored: the runner's config stays local)"}
        return {name: str(path) for name, path in self.roots().items()}

    def fleet(self) -> tuple[RootSpec, ...]:
        """The named roots watched: those given, or one root `local` of today's folders."""
        if self.root_specs:
            return self.root_specs
        parts = {part: os.fspath(getattr(self, name)) for part, name in ROOT_PARTS.items()}
        return (RootSpec(LOCAL_ROOT, os.path.commonpath(list(parts.values())), **parts),)

    def for_root(self, spec: RootSpec) -> Settings:
        """These settings with one local root's parts as today's folders (its safety config
        is `config/config.toml` under its location)."""
        parts: dict[str, Any] = {name: Path(spec.part(part)) for part, name in ROOT_PARTS.items()}
        config = Path(spec.location) / DEFAULT_ROOTS["config_path"]
        return replace(self, **parts, config_path=config, root_specs=(spec,))

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
    flag_roots, file_roots = flags.pop("roots", None), file_values.pop("roots", None)
    specs = parse_roots(flag_roots or file_roots or (), base)
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
    if len(specs) == 1 and not specs[0].remote:  # one local root: today's folders are its parts
        values.update({name: Path(specs[0].part(part)) for part, name in ROOT_PARTS.items()})
    return Settings(**values, root_specs=specs)


def parse_roots(entries: Any, base: Path) -> tuple[RootSpec, ...]:
    """Root specs from `NAME=LOCATION` strings (`--root`) or `[[roots]]` tables, checked."""
    if isinstance(entries, str | dict) or not isinstance(entries, list | tuple):
        raise SettingsError("roots must be a list: repeat --root NAME=LOCATION or [[roots]]")
    specs = tuple(_root_spec(entry, base) for entry in entries)
    seen: set[str] = set()
    for spec in specs:
        if spec.name.lower() in seen:
            raise SettingsError(f"root name {spec.name!r} is given twice")
        seen.add(spec.name.lower())
    return specs


def _root_spec(entry: Any, base: Path) -> RootSpec:
    if isinstance(entry, str):
        given, sep, location = entry.partition("=")
        if not sep:
            raise SettingsError("--root takes NAME=LOCATION (e.g. lab=s3://bucket/lab)")
        entry = {"name": given.strip(), "location": location}
    if not isinstance(entry, dict):
        raise SettingsError("each [[roots]] entry must be a table with name and location")
    unknown = sorted(set(entry) - ROOT_KEYS)
    if unknown:
        raise SettingsError(f"[[roots]]: unknown key(s) {', '.join(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not _ROOT_NAME.fullmatch(name):
        raise SettingsError(
            "a root name is 1-32 letters, digits, '-' or '_', starting with a letter or digit"
        )
    location = _root_location(name, entry.get("location"), base)
    remote = RootSpec(name, location).remote
    parts: dict[str, str] = {}
    for part in ROOT_PARTS:
        if part in entry:
            parts[part] = _root_part(name, part, entry[part], remote, base)
    if "alerts" not in parts and "runs" in parts:
        parts["alerts"] = f"{parts['runs'].rstrip('/')}/alerts"  # the store lives in the runs root
    poll = entry.get("poll_seconds")
    number = isinstance(poll, int | float) and not isinstance(poll, bool)
    if poll is not None and (not number or poll <= 0):
        raise SettingsError(f"root {name}: poll_seconds must be a number above 0")
    anonymous = entry.get("anonymous", False)
    if not isinstance(anonymous, bool):
        raise SettingsError(f"root {name}: anonymous must be true or false")
    return RootSpec(
        name,
        location,
        **parts,
        poll_seconds=None if poll is None else float(poll),
        anonymous=anonymous,
    )


def _root_location(name: str, raw: Any, base: Path) -> str:
    """An absolute local path, or a URL with no credentials and no query in it."""
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError(f"root {name}: location is missing (a folder or s3://bucket/prefix)")
    text = raw.strip()
    found = _URL.fullmatch(text)
    if found is None:
        return os.fspath(_absolute(Path(text), base))
    scheme, host = found.group(1).lower(), found.group(2)
    if "@" in host or "?" in text or "#" in text:
        raise SettingsError(f"root {name}: a location holds no credentials and no query")
    if scheme in ("file", "local"):
        return os.fspath(_absolute(Path(host + found.group(3)), base))
    if not host:
        raise SettingsError(f"root {name}: {scheme}:// needs a bucket: {scheme}://BUCKET/PREFIX")
    return text.rstrip("/")


def _root_part(name: str, part: str, raw: Any, remote: bool, base: Path) -> str:
    """A part relative to its root (no `..`), or an absolute path for a local root."""
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError(f"root {name}: {part} must be a non-empty path")
    text = raw.strip()
    if ".." in Path(text).parts or "://" in text or (remote and text.startswith(("/", "~"))):
        raise SettingsError(f"root {name}: {part} must be a path inside the root")
    return os.fspath(_absolute(Path(text), base)) if text.startswith(("/", "~")) else text


def check_exportable(settings: Settings) -> None:
    """Refuse what an export cannot cover yet: several roots, or a remote one."""
    remote = [spec for spec in settings.root_specs if spec.remote]
    if remote:
        names = ", ".join(f"{spec.name}={spec.location}" for spec in remote)
        raise SettingsError(f"an export reads local roots only (given: {names})")
    if len(settings.root_specs) > 1:
        names = ", ".join(spec.name for spec in settings.root_specs)
        raise SettingsError(
            f"an export covers one root (given: {names}); give one --root, "
            "or export each root's pages from the server"
        )


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
    fields = set(Settings.__dataclass_fields__) - {"root_specs"}
    unknown = sorted(set(section) - fields - {"roots"})
    if unknown:
        raise SettingsError(f"{path.name}: unknown setting(s) {', '.join(unknown)}")
    values = dict(section)
    if "roots" in data and section is not data:  # [[roots]] beside a [peakwatch] table
        values.setdefault("roots", data["roots"])
    return values
