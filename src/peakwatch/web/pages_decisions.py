"""The decision page, server-rendered: one decision's trace, rationale, risk, orders and outcome."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.web import views_decisions
from peakwatch.web.context import settings_of, workspace_of
from peakwatch.web.pages import page_context
from peakwatch.web.templating import quote_id, render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/runs/{run_id}/decisions/{decision_id:path}")
async def decision_page(request: Request, run_id: str, decision_id: str) -> Response:
    """One decision: its trace as a waterfall, rationale, risk, orders and fills, outcome."""
    workspace = workspace_of(request)
    data = await run_in_threadpool(views_decisions.decision_page, workspace, run_id, decision_id)
    if data is None:
        run_known = await run_in_threadpool(workspace.runs.find, run_id) is not None
        return _not_found(request, run_id, decision_id, run_known)
    run, decision = quote_id(run_id), quote_id(decision_id)
    twins = [
        ("Decision", f"/api/runs/{run}/decisions/{decision}"),
        ("Snapshot", f"/runs/{run}/snapshot"),
    ]
    title = f"Decision {decision_id} of run {run_id}"
    stream = {"run_id": run_id}  # its trace, outcome and next link follow the run (parts.js)
    context = page_context(request, title=title, nav="runs", twins=twins, stream=stream)
    return render("decision.html", {**context, **data})


def _not_found(request: Request, run_id: str, decision_id: str, run_known: bool) -> Response:
    """404: the run is unknown (the runs folder page), or the run has no such decision."""
    what = "Decision" if run_known else "Run"
    context = page_context(request, title=f"{what} not found", nav="runs", twins=[])
    if not run_known:
        data = {"what": what, "wanted": run_id, "folder": settings_of(request).runs_dir}
        return render("not_found.html", {**context, **data}, 404)
    data = {
        "missing": True,
        "run_id": run_id,
        "decision_id": decision_id,
        "run_url": f"/dashboard/runs/{quote_id(run_id)}",
    }
    return render("decision.html", {**context, **data}, 404)
