"""`peakwatch serve | export | audit | demo | validate`."""

from __future__ import annotations

import argparse
import sys

from peakwatch.flags import add_serve_flags, serve_overrides


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
