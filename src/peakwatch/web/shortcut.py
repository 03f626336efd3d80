"""Repeated tail requests answered from the rendered cache, before routing.

A tail that was rendered for the same run, limit and file state is sent as it is: the
handler in api_v0 would send the same bytes and headers. Everything else (the first
request, a changed file, an unusual query) goes on to the router, which validates the
request and fills the cache. This saves the router's per-request work on the one route
that a watching browser polls most.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from peakwatch.domain.workspace import Workspace
from peakwatch.web.api_v0 import TAIL_DEFAULT_LIMIT, TAIL_MAX_LIMIT, tail_key
from peakwatch.web.rendered import RenderedCache

TAIL_PATH = re.compile(r"/runs/(?P<run_id>[^/]+)/tail")
TAIL_TEMPLATE = "/runs/{run_id}/tail"
_LIMIT_QUERY = re.compile(rb"limit=(?P<limit>[1-9][0-9]{0,2})")


class TailShortcut:
    """Sends a cached tail body when the run's files are unchanged since it was rendered."""

    def __init__(self, app: ASGIApp, cache: RenderedCache, workspace: Workspace) -> None:
        self.app = app
        self.cache = cache
        self.workspace = workspace
        self._route: object = None  # the router's tail route, once it has served one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._cached_body(scope) if scope["type"] == "http" else None
        if body is None:
            await self.app(scope, receive, send)
            route = scope.get("route")  # routing records the matched route in the scope
            if self._route is None and getattr(route, "path", None) == TAIL_TEMPLATE:
                self._route = route
            return
        scope["route"] = self._route  # what routing would record, for the request metrics
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _cached_body(self, scope: Scope) -> bytes | None:
        if scope["method"] != "GET" or self._route is None:
            return None
        path = TAIL_PATH.fullmatch(scope["path"])
        if path is None:
            return None
        limit = _limit(scope["query_string"])
        if limit is None:
            return None
        run_id = path["run_id"]
        version = self.workspace.run_tail_version(run_id)
        if version is None:
            return None
        return self.cache.get(tail_key(run_id, limit), version)


def _limit(query: bytes) -> int | None:
    """The limit of a plain `limit=N` (or empty) query; None for anything else."""
    if not query:
        return TAIL_DEFAULT_LIMIT
    found = _LIMIT_QUERY.fullmatch(query)
    if found is None:
        return None
    limit = int(found["limit"])
    return limit if limit <= TAIL_MAX_LIMIT else None
