"""What a request handler needs from the app: the workspace, settings and `as_of`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from peakwatch.contract.values import parse_utc
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


AsOf = Annotated[
    str | None,
    Query(
        max_length=64,
        description="ISO-8601 time to evaluate at (default: now). The same data and the same "
        "as_of give byte-identical output.",
    ),
]


def resolve_as_of(value: str | None) -> datetime | None:
    """The requested `as_of`; now (whole seconds) when absent; None when malformed."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_utc(value)
    except ValueError:
        return None


def invalid_as_of() -> Response:
    """422 for an `as_of` that is not a timestamp."""
    from peakwatch.web.responses import json_response

    return json_response(
        {"detail": "as_of must be an ISO-8601 timestamp, e.g. 2026-01-01T12:00:00Z"}, 422
    )
