"""Peak_Trade's execution watch API (v0 and v0.2) and its registry snapshot `/api/live/sessions`.

Peak_Trade lets `?root=`, `?filename=` and `?base_dir=` choose what the server reads;
here they may only name what the settings configure: a root by its setting name or its
exact configured path, a file by the name of a `.jsonl` file in the execution root.
Anything else is a 400 with one sentence, and nothing outside the roots is ever read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from peakwatch.contract.values import format_utc
from peakwatch.domain.execution_watch import DEFAULT_FILENAME, SCHEMA, ExecutionWatch
from peakwatch.settings import Settings
from peakwatch.sources.jsonl_files import list_files
from peakwatch.sources.paths import is_valid_id
from peakwatch.web import schemas
from peakwatch.web import schemas_peak_trade as pt
from peakwatch.web.context import as_of_now, settings_of, workspace_of
from peakwatch.web.responses import json_response, not_found

router = APIRouter(tags=["execution"])

API_VERSION = "v0.2"
META_API_VERSION = "v0.3"
EXECUTION_ROOT = "execution_dir"
SESSIONS_ROOT = "sessions_dir"
RUN_NOT_FOUND = "run not found"
BAD_CURSOR = "cursor and since_cursor must be a next_cursor from a previous page, not both"
RunId = Annotated[str, Path(description="The run id of the execution events.")]
Root = Annotated[
    str | None,
    Query(
        max_length=4096,
        description="Only `execution_dir` or the execution root's configured path "
        "(default: that root).",
    ),
]
FileName = Annotated[
    str | None,
    Query(
        max_length=255,
        description=f"A `.jsonl` file in the execution root (default `{DEFAULT_FILENAME}`).",
    ),
]
BaseDir = Annotated[
    str | None,
    Query(
        max_length=4096,
        description="Only `sessions_dir` or the sessions root's configured path (default).",
    ),
]
ERRORS = {**schemas.INVALID_REQUEST, **pt.BAD_ROOT}
RUN_ERRORS = {**ERRORS, **pt.NOT_FOUND_RUN}


def names_root(settings: Settings, value: str | None, name: str) -> bool:
    """True when `value` is absent, the root's setting name or its exact configured path."""
    return value is None or value == name or value == str(getattr(settings, name))


def bad_request(sentence: str) -> Response:
    return json_response({"detail": sentence}, status_code=400)


def watch_of(request: Request) -> ExecutionWatch:
    """The app's execution watch over the configured execution root."""
    state = request.app.state
    watch: ExecutionWatch | None = getattr(state, "execution_watch", None)
    if watch is None:
        watch = ExecutionWatch(settings_of(request).execution_dir)
        state.execution_watch = watch
    return watch


def chosen_file(request: Request, root: str | None, filename: str | None) -> str | Response:
    """The file name to read, or the 400 to answer."""
    settings = settings_of(request)
    if not names_root(settings, root, EXECUTION_ROOT):
        return bad_request(
            "root must name the execution root: execution_dir or its configured path."
        )
    name = filename or DEFAULT_FILENAME
    if name == DEFAULT_FILENAME:
        return name
    listed = {entry for entry, _ in list_files(settings.execution_dir, ".jsonl")}
    if not is_valid_id(name) or not name.endswith(".jsonl") or name not in listed:
        return bad_request("filename must name a .jsonl file in the execution root.")
    return name


def meta_v02(now: datetime, read_errors: int = 0, **paging: Any) -> dict[str, Any]:
    """The v0.2 envelope's `meta` (v0.3 semantics); `source` is always `local`."""
    return {
        "api_version": META_API_VERSION,
        "generated_at_utc": format_utc(now),
        "has_more": paging.get("has_more", False),
        "next_cursor": paging.get("next_cursor"),
        "read_errors": read_errors,
        "source": "local",
    }


def envelope(now: datetime, read_errors: int = 0, **paging: Any) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "generated_at_utc": format_utc(now),
        "meta": meta_v02(now, read_errors, **paging),
    }


def run_v02(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "run_id": summary["run_id"],
        "correlation_id": summary["correlation_id"],
        "started_at_utc": summary["started_at"],
        "last_event_at_utc": summary["last_event_at"],
        "status": summary["status"],
        "counts": summary["counts"],
    }


@router.get(
    "/api/v0/execution/health",
    tags=["health"],
    summary="Execution watch: is the pipeline events file there?",
    response_model=pt.ExecutionHealthV0,
    responses=ERRORS,
)
async def execution_health(
    request: Request, root: Root = None, filename: FileName = None
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    exists = await run_in_threadpool(watch_of(request).exists, name)
    body = {
        "status": "ok",
        "watch_only": True,
        "schema": SCHEMA,
        "root": EXECUTION_ROOT,
        "filename": name,
        "exists": exists,
    }
    return json_response(body)


@router.get(
    "/api/v0/execution/runs",
    summary="Execution runs, newest last event first (v0)",
    response_model=pt.ExecutionRunsV0,
    responses=ERRORS,
)
async def execution_runs_v0(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
    root: Root = None,
    filename: FileName = None,
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    found = await run_in_threadpool(watch_of(request).file(name).summaries)
    runs = [{k: v for k, v in s.items() if k != "total_events"} for s in found[:limit]]
    return json_response({"count": len(runs), "runs": runs})


@router.get(
    "/api/v0/execution/runs/{run_id}",
    summary="One execution run: its events by time, a summary (v0)",
    response_model=pt.ExecutionRunDetailV0,
    responses=RUN_ERRORS,
)
async def execution_run_v0(
    request: Request,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 2000,
    root: Root = None,
    filename: FileName = None,
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    if not is_valid_id(run_id):
        return not_found(RUN_NOT_FOUND)
    pipeline = watch_of(request).file(name)
    found = await run_in_threadpool(pipeline.run, run_id)
    if found is None:
        return not_found(RUN_NOT_FOUND)
    summary, offsets = found
    read = await run_in_threadpool(pipeline.events_at, offsets[:limit])
    events = [event for event in read if event is not None]
    body = {
        "run_id": run_id,
        "correlation_id": summary["correlation_id"],
        "events": events,
        "count": len(events),
        "summary": {k: summary[k] for k in ("started_at", "last_event_at", "status", "counts")},
    }
    return json_response(body)


@router.get(
    "/api/healthz",
    tags=["health"],
    summary="Execution watch liveness (v0.2 envelope)",
    response_model=pt.HealthzV02,
)
async def healthz() -> Response:
    now = as_of_now()
    return json_response({**envelope(now), "status": "ok", "watch_only": True})


@router.get(
    "/api/execution/runs",
    summary="Execution runs, newest last event first (v0.2)",
    response_model=pt.ExecutionRunsV02,
    responses=ERRORS,
)
async def execution_runs_v02(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
    root: Root = None,
    filename: FileName = None,
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    pipeline = watch_of(request).file(name)
    found = await run_in_threadpool(pipeline.summaries)
    runs = [run_v02(summary) for summary in found[:limit]]
    body = {**envelope(as_of_now(), pipeline.read_errors), "count": len(runs), "runs": runs}
    return json_response(body)


@router.get(
    "/api/execution/runs/{run_id}",
    summary="One execution run's summary (v0.2)",
    response_model=pt.ExecutionRunDetailResponseV02,
    responses=RUN_ERRORS,
)
async def execution_run_v02(
    request: Request, run_id: RunId, root: Root = None, filename: FileName = None
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    if not is_valid_id(run_id):
        return not_found(RUN_NOT_FOUND)
    pipeline = watch_of(request).file(name)
    found = await run_in_threadpool(pipeline.run, run_id)
    if found is None:
        return not_found(RUN_NOT_FOUND)
    summary = found[0]
    run = {**run_v02(summary), "total_events": summary["total_events"]}
    return json_response({**envelope(as_of_now(), pipeline.read_errors), "run": run})


def parse_cursor(value: str | None) -> int | None:
    """A cursor we handed out (a row number), or None when it is not one."""
    if value is None or value == "":
        return 0
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


@router.get(
    "/api/execution/runs/{run_id}/events",
    summary="One execution run's events by time, a page at a time (v0.2)",
    description="`cursor` pages (next_cursor is the next start, null at the end); "
    "`since_cursor` tails (events after that seq; next_cursor is the last seq seen).",
    response_model=pt.ExecutionEventsV02,
    responses=RUN_ERRORS,
)
async def execution_run_events(
    request: Request,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    cursor: Annotated[str | None, Query(max_length=64, description="A next_cursor.")] = None,
    since_cursor: Annotated[
        str | None, Query(max_length=64, description="The last seq seen (tail mode).")
    ] = None,
    root: Root = None,
    filename: FileName = None,
) -> Response:
    name = chosen_file(request, root, filename)
    if isinstance(name, Response):
        return name
    tail = since_cursor is not None
    parsed = parse_cursor(since_cursor if tail else cursor)
    if parsed is None or (tail and cursor is not None):
        return bad_request(BAD_CURSOR)
    start = parsed + 1 if tail else parsed
    if not is_valid_id(run_id):
        return not_found(RUN_NOT_FOUND)
    pipeline = watch_of(request).file(name)
    found = await run_in_threadpool(pipeline.run, run_id)
    if found is None:
        return not_found(RUN_NOT_FOUND)
    offsets = found[1]
    page = offsets[start : start + limit]
    events = await run_in_threadpool(pipeline.events_at, page)
    items = [
        {
            "api_version": API_VERSION,
            "seq": seq,
            "ts": event["ts"] or "",
            "event_type": event["event_type"],
            "order_id": event["order_id"],
            "idempotency_key": event["idempotency_key"],
            "payload": event["payload"],
        }
        for seq, event in enumerate(events, start=start)
        if event is not None
    ]
    has_more = start + len(page) < len(offsets)
    if tail:
        last_seen = start + len(page) - 1
        next_cursor: str | None = str(last_seen) if page else since_cursor
    else:
        next_cursor = str(start + len(page)) if has_more else None
    paging = {"has_more": has_more, "next_cursor": next_cursor}
    body = {
        **envelope(as_of_now(), pipeline.read_errors, **paging),
        "run_id": run_id,
        "count": len(items),
        "items": items,
        "events": items,
        **paging,
    }
    return json_response(body)


def session_v02(view: dict[str, Any]) -> dict[str, Any]:
    """A registry entry as Peak_Trade's v0.2 session summary."""
    registry = view.get("registry_status")
    status = registry if registry in ("started", "completed", "failed", "aborted") else None
    if status is None:
        status = "completed" if view.get("ended_at") else "started"
    return {
        "api_version": API_VERSION,
        "session_id": view["session_id"],
        "status": status,
        "mode": view.get("mode") or "",
        "environment": view.get("environment") or "",
        "started_at_utc": view.get("started_at"),
        "ended_at_utc": view.get("ended_at"),
        "last_update_utc": view.get("ended_at") or view.get("started_at"),
        "is_stale": view.get("status") == "stale",
    }


@router.get(
    "/api/live/sessions",
    tags=["sessions"],
    summary="The newest sessions of the registry as v0.2 summaries",
    description="The `limit` most recent registry records, ordered by last update (end, "
    "else start) and session id, newest first. `status` is the record's (started, "
    "completed, failed, aborted); `is_stale` marks a started session without a sign of life.",
    response_model=pt.SessionsV02,
    responses=ERRORS,
)
async def live_sessions_v02(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    base_dir: BaseDir = None,
) -> Response:
    if not names_root(settings_of(request), base_dir, SESSIONS_ROOT):
        return bad_request(
            "base_dir must name the sessions root: sessions_dir or its configured path."
        )
    now = as_of_now()
    sessions = workspace_of(request).sessions
    found = await run_in_threadpool(sessions.listing, now, limit=limit, mode=None, status=None)
    rows = [session_v02(view) for view in found]
    rows.sort(key=lambda row: (row["last_update_utc"] or "", row["session_id"]), reverse=True)
    return json_response({**envelope(now), "count": len(rows), "sessions": rows})
