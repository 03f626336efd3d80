"""Command-line flags shared by every launcher and command, and the settings they give."""

from __future__ import annotations

import argparse
from typing import Any

from peakwatch.settings import DEFAULT_ROOTS


def add_root_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that point peakwatch at its data roots (each also has an environment variable)."""
    group = parser.add_argument_group("data roots (defaults are relative to the working folder)")
    group.add_argument(
        "--base-runs-dir",
        "--runs-dir",
        dest="runs_dir",
        metavar="DIR",
        help="runs root (default live_runs; env PEAKWATCH_RUNS_DIR)",
    )
    group.add_argument(
        "--sessions-dir",
        metavar="DIR",
        help="sessions registry (default reports/experiments/live_sessions)",
    )
    group.add_argument(
        "--alerts-dir", metavar="DIR", help="daily alert store (default <runs root>/alerts)"
    )
    group.add_argument(
        "--ai-events",
        dest="ai_events_path",
        metavar="FILE",
        help="AI decision events (default logs/ai/ai_events.jsonl)",
    )
    group.add_argument(
        "--execution-dir", metavar="DIR", help="execution telemetry (default logs/execution)"
    )
    group.add_argument(
        "--exec-events-dir",
        metavar="DIR",
        help="ExecEvent samples (default out/ops/execution_events; env PEAKWATCH_EXEC_EVENTS_DIR)",
    )
    group.add_argument(
        "--config",
        dest="config_path",
        metavar="FILE",
        help="safety config (default config/config.toml; env PEAK_TRADE_CONFIG_PATH)",
    )


def add_serve_flags(parser: argparse.ArgumentParser, *, home: str = "operator") -> None:
    """Flags of every server launcher."""
    parser.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8000)")
    parser.add_argument(
        "--auto-refresh-seconds",
        type=int,
        default=None,
        metavar="N",
        help="page refresh without JavaScript (0 = off; default 5)",
    )
    parser.add_argument("--reload", action="store_true", help="restart when the code changes")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes (default 1; each keeps its own caches and live feed)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="permit a non-loopback --host (shows a warning on every page)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header name to accept (repeatable)",
    )
    parser.add_argument(
        "--scrub-secret-env",
        action="store_true",
        help="remove secret-looking environment variables instead of refusing",
    )
    parser.add_argument(
        "--run-stale-seconds",
        type=float,
        default=None,
        metavar="S",
        help="a run with no event for this long is stale (default 600)",
    )
    parser.add_argument(
        "--session-stale-seconds",
        type=float,
        default=None,
        metavar="S",
        help="a 'started' session silent for this long is stale (default 600)",
    )
    parser.add_argument(
        "--home",
        choices=("operator", "runs"),
        default=home,
        help="what / shows first: the operator home or the runs dashboard",
    )
    parser.add_argument(
        "--root",
        dest="roots",
        action="append",
        default=[],
        metavar="NAME=LOCATION",
        help="a named data root: a folder or s3://bucket/prefix (repeatable; default: one "
        "root 'local' made of the folders below)",
    )
    add_root_flags(parser)


def _non_negative(value: int | None) -> int | None:
    return None if value is None else max(value, 0)


def serve_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings overrides from parsed launcher flags."""
    return {
        "host": args.host,
        "port": args.port,
        "auto_refresh_seconds": _non_negative(args.auto_refresh_seconds),
        "allow_remote": args.allow_remote or None,
        "allowed_hosts": tuple(args.allowed_host) or None,
        "run_stale_seconds": args.run_stale_seconds,
        "session_stale_seconds": args.session_stale_seconds,
        "home": args.home,
        "roots": tuple(args.roots) or None,
        **root_overrides(args),
    }


def root_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings overrides from the data root flags (see add_root_flags)."""
    return {name: getattr(args, name) for name in DEFAULT_ROOTS}
