"""JSON responses rendered once with orjson: NaN-free, UTC, deterministic key order."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def json_bytes(value: Any) -> bytes:
    """Serialize with sorted keys; non-finite floats become null (orjson's rule)."""
    return orjson.dumps(value, option=JSON_OPTIONS)


def json_response(value: Any, status_code: int = 200) -> Response:
    """A JSON response from already-shaped data."""
    return Response(json_bytes(value), status_code=status_code, media_type="application/json")


def not_found(detail: str) -> Response:
    """404 with a short detail (never a path or exception text)."""
    return json_response({"detail": detail}, status_code=404)
