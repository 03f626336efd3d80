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


TIME_PARAM_RULE = (
    "must be an ISO-8601 timestamp from 0001-01-02 to 9999-12-30 UTC, e.g. 2026-01-01T12:00:00Z"
)
"""The one sentence (after the parameter's name) of a 422 for a time query value."""

AsOf = Annotated[
    str | None,
    Query(
        max_length=64,
        description="ISO-8601 time to evaluate at (default: now). The same data and the same "
        "as_of give byte-identical output.",
    ),
]


def resolve_as_of(value: str | None) -> datetime | None:
    """The requested `as_of`; now (whole seconds) when absent; None when invalid or out of range."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_utc(value)
    except ValueError:
        return None


def invalid_time(name: str) -> Response:
    """422 for a time query value that is not a timestamp in the supported range."""
    from peakwatch.web.responses import json_response

    return json_response({"detail": f"{name} {TIME_PARAM_RULE}"}, 422)


def invalid_as_of() -> Response:
    """422 for an `as_of` that is not a timestamp in the supported range."""
    return invalid_time("as_of")
