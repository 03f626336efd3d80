#!/usr/bin/env python3
"""Runbook Option A, development mode: the operator WebUI with auto-reload.

python3 scripts/run_web_dashboard.py
"""

from __future__ import annotations

import argparse

from _bootstrap import ensure_importable

ensure_importable()

from peakwatch.cli import serve_from_args  # noqa: E402
from peakwatch.flags import add_serve_flags  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Operator WebUI with auto-reload (watch-only).")
    add_serve_flags(parser, home="operator")
    parser.set_defaults(reload=True)
    parser.add_argument(
        "--no-reload", dest="reload", action="store_false", help="do not restart on code changes"
    )
    args = parser.parse_args()
    return serve_from_args(args)


if __name__ == "__main__":
    raise SystemExit(main())
