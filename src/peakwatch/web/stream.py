"""`GET /api/stream`: one Server-Sent Events stream per page, fed by the process's LiveFeed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from peakwatch.domain.live import LiveEvent, LiveFeed
from peakwatch.settings import Settings
from peakwatch.web import schemas
from peakwatch.web.context import as_of_now
from peakwatch.web.guards import HEAD_FLAG
from peakwatch.web.responses import json_bytes

router = APIRouter(prefix="/api")

TOPICS = ("activity", "run", "run_removed", "alert", "health")
QUEUE_LIMIT = 10_000
BATCH_LIMIT = 500  # events per write to one stream
IDLE_POLL_SECONDS = 1.0  # without subscribers the feed still runs, to keep health current
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
logger = logging.getLogger("peakwatch")


@dataclass(eq=False)
class Subscriber:
    """One open stream: what it wants to see and its queue of pending events."""

    run_id: str | None
    session_id: str | None
    topics: frozenset[str]
    queue: asyncio.Queue[LiveEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )

    def wants(self, event: LiveEvent) -> bool:
        """True when the event passes this stream's filters."""
        if event.topic not in self.topics:
            return False
        if event.topic == "health":
            return True
        if self.run_id is not None and event.run_id != self.run_id:
            return False
        return not (self.session_id is not None and event.session_id != self.session_id)


class Broadcaster:
    """Polls the LiveFeed and fans events out to every subscriber.

    The feed is polled even when nobody listens (slower), so whole-run totals and the
    problems on /api/health/details stay current. SIGINT and SIGTERM end every open
    stream at once, so a server shutdown never waits for its graceful timeout.
    """

    def __init__(self, feed: LiveFeed, settings: Settings) -> None:
        self.feed = feed
        self.settings = settings
        self.subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._previous_handlers: dict[int, Any] = {}
        self.poll_failures = 0  # polls that raised; the loop goes on after each

    @property
    def closing(self) -> bool:
        """True once the server is stopping: streams end, new ones close at once."""
        return self._closing

    async def start(self) -> None:
        """Prime the feed (existing content is history) and start polling."""
        await run_in_threadpool(self.feed.poll, as_of_now())
        self._task = asyncio.create_task(self._run())
        self._chain_stop_signals(asyncio.get_running_loop())

    async def stop(self) -> None:
        """End every open stream and the polling task."""
        self.close_streams()
        self._restore_stop_signals()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def close_streams(self) -> None:
        """End every open stream (each gets its end-of-stream marker)."""
        self._closing = True
        for subscriber in list(self.subscribers):
            self.subscribers.discard(subscriber)
            with contextlib.suppress(asyncio.QueueEmpty):
                while subscriber.queue.full():
                    subscriber.queue.get_nowait()
            subscriber.queue.put_nowait(None)

    def _chain_stop_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close streams on SIGINT/SIGTERM, then let the server's own handler run."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals only reach the main thread (tests run servers in threads)
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            self._previous_handlers[sig] = previous
            signal.signal(sig, self._stop_handler(loop, previous))

    def _stop_handler(
        self, loop: asyncio.AbstractEventLoop, previous: Any
    ) -> Callable[[int, FrameType | None], None]:
        def handle(sig: int, frame: FrameType | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                loop.call_soon_threadsafe(self.close_streams)
            if callable(previous):
                previous(sig, frame)
            elif previous == signal.SIG_DFL and sig == signal.SIGINT:
                raise KeyboardInterrupt

        return handle

    def _restore_stop_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, previous in self._previous_handlers.items():
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(sig, previous)
        self._previous_handlers.clear()

    async def _run(self) -> None:
        while True:
            busy = bool(self.subscribers)
            interval = self.settings.poll_interval_seconds
            await asyncio.sleep(interval if busy else max(interval, IDLE_POLL_SECONDS))
            try:
                events = await run_in_threadpool(self.feed.poll, as_of_now())
            except Exception:  # a bug must not end the live feed for every page
                self.poll_failures += 1
                logger.warning("live feed poll failed (%d so far); retrying", self.poll_failures)
                continue
            for event in events:
                self.publish(event)

    def publish(self, event: LiveEvent) -> None:
        """Queue an event for every subscriber that wants it."""
        for subscriber in list(self.subscribers):
            if subscriber.wants(event):
                try:
                    subscriber.queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.subscribers.discard(subscriber)
                    with contextlib.suppress(asyncio.QueueEmpty):
                        subscriber.queue.get_nowait()
                    subscriber.queue.put_nowait(None)


def event_number(event: LiveEvent) -> int:
    """The running number in an event id `<boot>-<n>`."""
    return int(event.event_id.rpartition("-")[2])


def format_event(event: LiveEvent) -> bytes:
    """One SSE message: id, event name, JSON data."""
    return (
        b"id: "
        + event.event_id.encode()
        + b"\nevent: "
        + event.topic.encode()
        + b"\ndata: "
        + json_bytes(event.data)
        + b"\n\n"
    )


@router.get(
    "/stream",
    tags=["stream"],
    summary="Live updates as Server-Sent Events",
    description=(
        "Events `activity`, `run`, `alert` and `health`, each with an id. Reconnect with the "
        "`Last-Event-ID` header (browsers do this themselves) to resume with nothing lost and "
        "nothing repeated; an id that is too old yields a `reset` event (reload the page data)."
    ),
    response_class=StreamingResponse,
    responses=schemas.INVALID_REQUEST,
)
async def stream(
    request: Request,
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    session_id: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[list[str] | None, Query(description="Repeatable; default: all.")] = None,
    last_event_id: Annotated[str | None, Query(max_length=100)] = None,
) -> StreamingResponse:
    broadcaster: Broadcaster = request.app.state.broadcaster
    topics = frozenset(t for t in (topic or TOPICS) if t in TOPICS) or frozenset(TOPICS)
    subscriber = Subscriber(run_id, session_id, topics)
    resume_from = request.headers.get("last-event-id") or last_event_id
    head_only = bool(request.scope.get(HEAD_FLAG))
    keepalive = broadcaster.settings.keepalive_seconds

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n: connected\n\n"
        if head_only or broadcaster.closing:
            return
        broadcaster.subscribers.add(subscriber)
        sent_upto = 0  # events up to this number went out in the backlog: never twice
        try:
            backlog = broadcaster.feed.since(resume_from) if resume_from else None
            if resume_from and backlog is None:
                yield b"event: reset\ndata: {}\n\n"
            for event in backlog or []:
                sent_upto = event_number(event)
                if subscriber.wants(event):
                    yield format_event(event)
            if not resume_from:
                hello = broadcaster.feed.last_event_id.encode()
                yield b"id: " + hello + b"\nevent: hello\ndata: {}\n\n"
            while True:
                try:
                    pending = await asyncio.wait_for(subscriber.queue.get(), keepalive)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                batch = [pending]  # whatever else is queued goes out in the same write
                while len(batch) < BATCH_LIMIT and not subscriber.queue.empty():
                    batch.append(subscriber.queue.get_nowait())
                chunk = b"".join(
                    format_event(event)
                    for event in batch
                    if event is not None and event_number(event) > sent_upto
                )
                if chunk:
                    yield chunk
                if None in batch:
                    return
        finally:
            broadcaster.subscribers.discard(subscriber)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
