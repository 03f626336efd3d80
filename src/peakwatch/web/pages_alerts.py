"""The alerts page: one row per rule and subject, firing first, filters for state, severity
and source; a bad filter value is the 400 page with its sentence."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.domain.alert_lifecycle import STATES
from peakwatch.domain.alerts import SEVERITIES
from peakwatch.web import views, views_alerts
from peakwatch.web.context import as_of_now, workspace_of
from peakwatch.web.pages import bad_paging, bad_request, page_context, pager
from peakwatch.web.stream import remember_stream_cursor
from peakwatch.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(remember_stream_cursor)])

Choice = Annotated[str | None, Query()]  # checked here: a 400 page, not JSON
FILTER_RULE = (
    "state must be firing or resolved, severity critical, warning or info, and source "
    "alert_store, run or derived (or leave a filter empty for any)."
)


@router.get("/alerts")
async def alerts_page(
    request: Request,
    state: Choice = None,
    severity: Choice = None,
    source: Choice = None,
    offset: Choice = None,
    limit: Choice = None,
) -> Response:
    """Alerts from every source, one per rule and subject, firing first, filtered, paged."""
    paging = views.parse_paging(offset, limit)
    if paging is None:
        return bad_paging(request)
    filters = {"state": state or None, "severity": severity or None, "source": source or None}
    allowed = {"state": STATES, "severity": SEVERITIES, "source": views.ALERT_SOURCES}
    if any(value is not None and value not in allowed[name] for name, value in filters.items()):
        return bad_request(request, FILTER_RULE)
    data = await run_in_threadpool(
        views_alerts.alerts_page, workspace_of(request), filters, as_of_now(), paging
    )
    data["alerts_pager"] = pager(request, data["alerts_listing"])
    api_query = urlencode({k: v for k, v in filters.items() if v})
    twins = [("Alerts", "/api/alerts" + (f"?{api_query}" if api_query else ""))]
    context = page_context(request, title="Alerts", nav="alerts", twins=twins, stream={})
    return render(
        "alerts.html",
        {
            **context,
            **data,
            **filters,
            "filter_query": {k: v for k, v in filters.items() if v},
            "state_names": STATES,
            "severities": SEVERITIES,
            "sources": views.ALERT_SOURCES,
        },
    )
