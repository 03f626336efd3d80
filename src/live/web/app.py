"""Runbook 10d Option 2: `uvicorn src.live.web.app:app --host 127.0.0.1 --port 8000`.

The same peakwatch app as `src.webui.app:app`, runs first (`/` is the runs dashboard,
as with `scripts/live_web_server.py`), with the default data roots or the
PEAKWATCH_* environment variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import peakwatch  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from peakwatch.web.factory import default_app

app = default_app(home="runs")
