"""`GET /api/live/status/snapshot.json|html` and the safety verdict."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain.safety_report import report_to_json_bytes
from peakwatch.domain.snapshot import build_snapshot
from peakwatch.web import schemas
from peakwatch.web.context import AsOf, invalid_as_of, resolve_as_of, workspace_of
from peakwatch.web.report_html import status_report
from peakwatch.web.responses import json_bytes

router = APIRouter(prefix="/api")
NO_STORE = {"Cache-Control": "no-store"}  # a snapshot is of this moment: never from a cache

# The standalone reports carry their CSS inline (they must open offline) and run no script.
SNAPSHOT_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@router.get(
    "/live/status/snapshot.json",
    tags=["snapshot"],
    summary="Deterministic status snapshot (JSON)",
    description=(
        "Panels system, safety, sessions, runs, alerts, activity, positions, portfolio and "
        "risk, each with status ok, warn, error or unknown. Sorted keys, UTC times, a "
        "content_sha256 over the body: identical data and as_of give identical bytes."
    ),
    response_model=schemas.StatusSnapshot,
    responses=schemas.INVALID_REQUEST,
)
async def snapshot_json(request: Request, as_of: AsOf = None) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    body = await run_in_threadpool(build_snapshot, workspace_of(request), moment)
    return Response(json_bytes(body), media_type="application/json", headers=NO_STORE)


@router.get(
    "/live/status/snapshot.html",
    tags=["snapshot"],
    summary="Deterministic status snapshot (self-contained HTML)",
    description=(
        "The snapshot as a report to keep: safety, overview, one section per run (tiles, "
        "equity and drawdown chart, AI scorecard, latest decisions, alerts), sessions, alerts "
        "and health. One HTML file with inline CSS and SVG, no script but the JSON it was "
        "drawn from; opens offline and prints. Identical data and as_of give identical bytes."
    ),
    response_class=Response,
    responses=schemas.INVALID_REQUEST,
)
async def snapshot_html(request: Request, as_of: AsOf = None) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    body = await run_in_threadpool(status_report, workspace_of(request), moment)
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": SNAPSHOT_CSP, **NO_STORE},
    )


@router.get(
    "/live/safety",
    tags=["safety"],
    summary="Is live trading locked? (the audit report)",
    description=(
        "The same report as scripts/export_live_audit_snapshot.py: mode, effective mode, each "
        "gate, whether a confirm token is present and required (never its value), risk caps, "
        "verdict and reasons. A missing or unreadable config gives UNKNOWN, never LOCKED."
    ),
    responses=schemas.INVALID_REQUEST,
)
async def safety(request: Request, as_of: AsOf = None) -> Response:
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    report = await run_in_threadpool(workspace_of(request).safety, moment)
    return Response(report_to_json_bytes(report), media_type="application/json")
