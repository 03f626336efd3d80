"""The floor: a bare Starlette app answering fixed bytes, the best any handler here can do.

`uvicorn bench.floor_app:create --factory`, with BENCH_FLOOR_BODY naming a file whose bytes
`/tail` returns (the body peakwatch answered for the same request).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HEALTH = b'{"status":"ok"}'


def create() -> Starlette:
    """The app; the tail body is read once at start."""
    body_path = os.environ.get("BENCH_FLOOR_BODY")
    tail_body = Path(body_path).read_bytes() if body_path else b"[]"

    async def health(request: Request) -> Response:
        return Response(HEALTH, media_type="application/json")

    async def tail(request: Request) -> Response:
        return Response(tail_body, media_type="application/json")

    async def empty(request: Request) -> Response:
        return Response(b"")

    routes = [Route("/health", health), Route("/tail", tail), Route("/empty", empty)]
    return Starlette(routes=routes)
