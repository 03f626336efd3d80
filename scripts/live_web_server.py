#!/usr/bin/env python3
"""Runbook Option B: the Live Web Dashboard v0 (runs first).

    python3 scripts/live_web_server.py --host 127.0.0.1 --port 8000 \
        --base-runs-dir live_runs --auto-refresh-seconds 5
"""

from __future__ import annotations

import argparse

from _bootstrap import ensure_importable

ensure_importable()

from peakwatch.cli import serve_from_args  # noqa: E402
from peakwatch.flags import add_serve_flags  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Live Web Dashboard v0 (watch-only).")
    add_serve_flags(parser, home="runs")
    args = parser.parse_args()
    return serve_from_args(args)


if __name__ == "__main__":
    raise SystemExit(main())
