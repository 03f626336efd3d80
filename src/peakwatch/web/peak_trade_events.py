"""The SSE form of `/api/v0/runs/{id}/events`: `pt_event` messages, woken by the live feed.

No second poller: a following stream subscribes to the process's Broadcaster for its
run's events and reads the rows appended since its last answer whenever one arrives
(and at each 5 s ping, in case one was missed). Every stream takes a slot of the live
stream caps (web/stream.py), so these streams and `/api/stream` share one limit.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from peakwatch.domain.run_event_polls import RunEventPolls
from peakwatch.web.context import as_of_now
from peakwatch.web.guards import HEAD_FLAG
from peakwatch.web.responses import json_bytes, not_found
from peakwatch.web.stream import (
    STREAM_HEADERS,
    Broadcaster,
    SlotStream,
    Subscriber,
    client_address,
    next_batch,
    too_many_streams,
)

EVENT_NAME = b"pt_event"
PING_SECONDS = 5.0
RUN_TOPICS = frozenset({"activity", "run", "run_removed"})
PREAMBLE = b"retry: 3000\n\n"
PING = b": ping\n\n"
_MAX_RESUME_DIGITS = 18


def wants_stream(request: Request, sse: bool) -> bool:
    """SSE when asked with `sse=1` or an `Accept: text/event-stream` header."""
    return sse or "text/event-stream" in request.headers.get("accept", "")


def resume_seq(request: Request, since_seq: int) -> int:
    """Where to start: after the `Last-Event-ID` a reconnecting EventSource sends, if it is
    a row number we sent; else `since_seq`."""
    last = request.headers.get("last-event-id", "")
    if last.isascii() and last.isdigit() and len(last) <= _MAX_RESUME_DIGITS:
        return int(last) + 1
    return since_seq


def format_items(items: list[dict[str, Any]]) -> bytes:
    """Each item as one `pt_event` message with its seq as id."""
    return b"".join(
        b"id: %d\nevent: %s\ndata: %s\n\n" % (item["seq"], EVENT_NAME, json_bytes(item))
        for item in items
    )


async def events_stream(
    request: Request,
    polls: RunEventPolls,
    run_id: str,
    since_seq: int,
    limit: int,
    follow: bool,
    max_seconds: int,
) -> Response:
    """The stream, 404 for an unknown run, or 429/503 over the stream caps."""
    start = resume_seq(request, since_seq)
    first = await run_in_threadpool(polls.poll, run_id, start, limit, as_of_now())
    if first is None:
        return not_found("run not found")
    broadcaster: Broadcaster | None = getattr(request.app.state, "broadcaster", None)
    head_only = bool(request.scope.get(HEAD_FLAG))
    following = follow and broadcaster is not None and not head_only

    async def body() -> AsyncIterator[bytes]:
        yield PREAMBLE
        if head_only:
            return
        if first["items"]:
            yield format_items(first["items"])
        if not following or broadcaster is None:
            return
        async for chunk in _follow(
            broadcaster, polls, run_id, first["next_seq"], limit, max_seconds
        ):
            yield chunk

    if broadcaster is None:
        return StreamingResponse(body(), media_type="text/event-stream", headers=STREAM_HEADERS)
    client = client_address(request)
    refusal = broadcaster.slots.take(client)
    if refusal is not None:
        return too_many_streams(*refusal)
    return SlotStream(body(), broadcaster.slots, client)


async def _follow(
    broadcaster: Broadcaster,
    polls: RunEventPolls,
    run_id: str,
    cursor: int,
    limit: int,
    max_seconds: int,
) -> AsyncIterator[bytes]:
    """Rows appended after `cursor`, as they come, until `max_seconds` or the server stops."""
    if broadcaster.closing:
        return
    subscriber = Subscriber(run_id, None, RUN_TOPICS)
    broadcaster.subscribers.add(subscriber)
    deadline = time.monotonic() + max_seconds
    more = False  # the last answer was full: read on without waiting for a wake-up
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            batch: list[Any] = []
            if not more:
                batch = await next_batch(subscriber.queue, min(PING_SECONDS, left))
                if None in batch:
                    return  # the server is stopping, or this stream fell too far behind
            found = await run_in_threadpool(polls.poll, run_id, cursor, limit, as_of_now())
            if found is None:
                return  # the run is gone
            more = found["next_seq"] > cursor and found["next_seq"] < found["total_rows"]
            cursor = found["next_seq"]
            if found["items"]:
                yield format_items(found["items"])
            elif not batch and not more:
                yield PING
    finally:
        broadcaster.subscribers.discard(subscriber)
