"""`GET /runs/{run_id}/report.html`: one run's report, the same self-contained file as
`peakwatch export --run` writes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.web.api_snapshot import NO_STORE, SNAPSHOT_CSP
from peakwatch.web.context import AsOf, invalid_as_of, resolve_as_of, settings_of, workspace_of
from peakwatch.web.pages import page_context
from peakwatch.web.report_html import run_report_html
from peakwatch.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/runs/{run_id}/report.html")
async def run_report_page(request: Request, run_id: str, as_of: AsOf = None) -> Response:
    """The run report at `as_of` (default: now); the 404 page for a run id that names no run."""
    moment = resolve_as_of(as_of)
    if moment is None:
        return invalid_as_of()
    body = await run_in_threadpool(run_report_html, workspace_of(request), run_id, moment)
    if body is None:
        context = page_context(request, title="Run not found", nav="runs", twins=[])
        folder = settings_of(request).runs_dir
        data = {"what": "Run", "wanted": run_id, "folder": folder}
        return render("not_found.html", {**context, **data}, 404)
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": SNAPSHOT_CSP, **NO_STORE},
    )
