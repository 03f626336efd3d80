"""Runbook Option A: `uvicorn src.webui.app:app --host 127.0.0.1 --port 8000`.

A thin entry point into the peakwatch package with the default data roots.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import peakwatch  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peakwatch.web.factory import default_app

app = default_app()
