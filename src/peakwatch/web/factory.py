"""App factories for uvicorn import strings (used by `--reload` and the runbook's uvicorn line)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from fastapi import FastAPI

from peakwatch.settings import SettingsError, load_settings
from peakwatch.web.fleet import create_served_app

SETTINGS_ENV = "PEAKWATCH_SETTINGS_JSON"


def app_from_environment(**defaults: Any) -> FastAPI:
    """The app with settings handed over by the launcher through the environment.

    `defaults` are flag-like values of the entry point; the launcher's values win."""
    raw = os.environ.get(SETTINGS_ENV)
    overrides = {**defaults, **(json.loads(raw) if raw else {})}
    settings = load_settings(overrides)
    return create_served_app(settings)


def default_app(**defaults: Any) -> FastAPI:
    """The app with default roots, refusing to start when secrets are in the environment.

    `defaults` (e.g. `home="runs"`) are the entry point's own flag values."""
    from peakwatch.secrets import find_secret_env, refusal_message

    names = find_secret_env(os.environ)
    if names:
        print(f"peakwatch: {refusal_message(names)}", file=sys.stderr)
        raise SystemExit(2)
    try:
        return app_from_environment(**defaults)
    except SettingsError as error:
        print(f"peakwatch: {error}", file=sys.stderr)
        raise SystemExit(2) from None
