"""Read Peak_Trade's safety settings: `config.toml` and the optional `bounded_live.toml` beside it.

Files are opened read-only and never change the outcome by raising: a missing,
unreadable or malformed file is a status with a short problem sentence.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from peakwatch.sources.regular_files import NotRegularFile, open_regular

ReadStatus = Literal["ok", "missing", "unreadable", "malformed"]

CONFIG_ENV_NAME = "PEAK_TRADE_CONFIG_PATH"
DEFAULT_CONFIG_PATH = Path("config/config.toml")
BOUNDED_LIVE_NAME = "bounded_live.toml"
MAX_CONFIG_BYTES = 4 * 1024 * 1024

_PROBLEMS: dict[ReadStatus, str] = {
    "missing": "The file does not exist.",
    "unreadable": "The file exists but could not be read.",
    "malformed": "The file is not valid TOML.",
}


@dataclass(frozen=True)
class SafetyConfigRead:
    """What the config files say, untouched, plus how reading them went."""

    label: str
    status: ReadStatus
    environment: dict[str, Any] = field(default_factory=dict)
    live_risk: dict[str, Any] = field(default_factory=dict)
    bounded_live: dict[str, Any] | None = None
    sha256: str | None = None
    bounded_live_sha256: str | None = None
    bounded_live_status: ReadStatus = "missing"
    problem: str | None = None
    bounded_live_problem: str | None = None


@dataclass(frozen=True)
class _TomlRead:
    status: ReadStatus
    data: dict[str, Any] | None = None
    sha256: str | None = None
    problem: str | None = None


def resolve_config_path(cli_value: str | None, environ: Mapping[str, str], repo_root: Path) -> Path:
    """The config to audit: the CLI flag, else `PEAK_TRADE_CONFIG_PATH`, else `config/config.toml`.

    Relative paths are taken from `repo_root`; blank values count as unset.
    """
    raw = (cli_value or "").strip() or environ.get(CONFIG_ENV_NAME, "").strip()
    path = Path(raw).expanduser() if raw else DEFAULT_CONFIG_PATH
    return path if path.is_absolute() else repo_root / path


def read_safety_config(config_path: Path) -> SafetyConfigRead:
    """Read `[environment]` and `[live_risk]` from the config and `bounded_live.toml` beside it."""
    main = _read_toml(config_path)
    bounded = _read_toml(config_path.parent / BOUNDED_LIVE_NAME)
    environment: dict[str, Any] = {}
    live_risk: dict[str, Any] = {}
    status, problem = main.status, main.problem
    if main.data is not None:
        sections = _tables(main.data, ("environment", "live_risk"))
        if sections is None:
            status, problem = "malformed", "A section [environment] or [live_risk] is not a table."
        else:
            environment, live_risk = sections
    bounded_live, bounded_status, bounded_problem = _bounded_live(bounded)
    return SafetyConfigRead(
        label=config_path.name,
        status=status,
        environment=environment,
        live_risk=live_risk,
        bounded_live=bounded_live,
        sha256=main.sha256,
        bounded_live_sha256=bounded.sha256,
        bounded_live_status=bounded_status,
        problem=problem,
        bounded_live_problem=bounded_problem,
    )


def _bounded_live(read: _TomlRead) -> tuple[dict[str, Any] | None, ReadStatus, str | None]:
    """`[bounded_live]` with its `limits` table, or None with the reason."""
    if read.status == "missing":
        return None, "missing", "The optional file is not present."
    if read.data is None:
        return None, read.status, read.problem
    section = read.data.get("bounded_live", {})
    if not isinstance(section, dict) or not isinstance(section.get("limits", {}), dict):
        return (
            None,
            "malformed",
            "A section [bounded_live] or [bounded_live.limits] is not a table.",
        )
    return dict(section), "ok", None


def _tables(data: dict[str, Any], names: tuple[str, ...]) -> tuple[dict[str, Any], ...] | None:
    """The named top-level tables (empty when absent), or None when one is not a table."""
    found = tuple(data.get(name, {}) for name in names)
    if not all(isinstance(table, dict) for table in found):
        return None
    return tuple(dict(table) for table in found)


def _read_toml(path: Path) -> _TomlRead:
    """Bytes, hash and parsed TOML of one file; every failure becomes a status."""
    try:
        with open_regular(path, follow_symlinks=True) as handle:
            content = handle.read(MAX_CONFIG_BYTES + 1)
    except NotRegularFile:
        return _TomlRead("unreadable", problem="The file is not a regular file; it was not read.")
    except (FileNotFoundError, NotADirectoryError):
        return _TomlRead("missing", problem=_PROBLEMS["missing"])
    except (OSError, ValueError):
        return _TomlRead("unreadable", problem=_PROBLEMS["unreadable"])
    if len(content) > MAX_CONFIG_BYTES:
        return _TomlRead("unreadable", problem="The file is too large to be a config file.")
    digest = hashlib.sha256(content).hexdigest()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return _TomlRead("malformed", sha256=digest, problem=_PROBLEMS["malformed"])
    return _TomlRead("ok", data=data, sha256=digest)
