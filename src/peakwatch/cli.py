"""`peakwatch serve | export | audit | demo | validate`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


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
        "runs_dir": args.runs_dir,
        "sessions_dir": args.sessions_dir,
        "alerts_dir": args.alerts_dir,
        "ai_events_path": args.ai_events_path,
        "execution_dir": args.execution_dir,
        "config_path": args.config_path,
    }


def serve_from_args(args: argparse.Namespace) -> int:
    """Run the server as the launcher flags say (`peakwatch serve` and both scripts)."""
    from peakwatch.server import serve

    return serve(
        serve_overrides(args),
        reload=args.reload,
        scrub=args.scrub_secret_env,
        workers=args.workers,
    )


def build_parser() -> argparse.ArgumentParser:
    """The `peakwatch` command line."""
    parser = argparse.ArgumentParser(
        prog="peakwatch",
        description="A watch-only operator dashboard for AI trading runners.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the dashboard (read-only)")
    add_serve_flags(serve)
    serve.set_defaults(handler=serve_from_args)
    for name, help_text in (
        ("demo", "write realistic artifacts from a simulated AI paper-trading runner"),
        ("audit", "export the safety proof: is live trading locked?"),
        ("export", "write deterministic snapshots without a server"),
        ("validate", "check a folder of artifacts against the contract"),
    ):
        sub = commands.add_parser(name, help=help_text, add_help=False)
        sub.set_defaults(handler=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `peakwatch` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in ("demo", "audit", "export", "validate"):
        return _delegate(args_list[0], args_list[1:])
    args = build_parser().parse_args(args_list)
    code: int = args.handler(args)
    return code


def _delegate(command: str, rest: list[str]) -> int:
    """Sub-commands with parsers of their own."""
    if command == "demo":
        from peakwatch.demo.cli import main as demo_main

        return demo_main(rest)
    if command == "audit":
        from peakwatch.audit import main as audit_main

        return audit_main(rest)
    if command == "export":
        from peakwatch.export import main as export_main

        return export_main(rest)
    from peakwatch.validate import main as validate_main

    return validate_main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
