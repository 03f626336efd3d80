"""Runbook entry point: export the live-audit safety snapshot (see `peakwatch.audit`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("peakwatch") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from peakwatch.audit import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
