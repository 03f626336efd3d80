"""What a request handler needs from the app: the workspace, settings and `as_of`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from peakwatch.domain.workspace import Workspace
from peakwatch.settings import Settings


def workspace_of(request: Request) -> Workspace:
    """The app's one Workspace."""
    workspace: Workspace = request.app.state.workspace
    return workspace


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def as_of_now() -> datetime:
    """The wall clock in UTC, the default `as_of` of live views."""
    return datetime.now(UTC)
