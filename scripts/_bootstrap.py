"""Make `peakwatch` importable when a script runs from a checkout without an install."""

from __future__ import annotations

import sys
from pathlib import Path


def ensure_importable() -> None:
    """Put `<repo>/src` on sys.path if the package is not installed."""
    try:
        import peakwatch  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
