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
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from peakwatch.domain.live import LiveEvent, LiveFeed, parse_event_id
from peakwatch.settings import Settings
from peakwatch.web import schemas
from peakwatch.web.context import as_of_now
from peakwatch.web.guards import HEAD_FLAG
from peakwatch.web.responses import json_bytes, json_response

router = APIRouter(prefix="/api")

TOPICS = ("activity", "run", "run_removed", "alert", "health")
QUEUE_LIMIT = 10_000
BATCH_LIMIT = 500  # events per write to one stream
IDLE_POLL_SECONDS = 1.0  # without subscribers the feed still runs, to keep health current
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
RETRY_AFTER_SECONDS = 5  # told to a client refused for too many open streams
TOO_MANY_FROM_CLIENT = (
    "This address already has the most live streams allowed open; close a page or retry later."
)
TOO_MANY_IN_TOTAL = "The server already has the most live streams allowed open; retry later."
PREAMBLE = b"retry: 2000\n: connected\n\n"
RESET = b"event: reset\ndata: {}\n\n"
KEEPALIVE = b": keep-alive\n\n"
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
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


class StreamSlots:
    """Open streams counted per client address and in total, against the caps in settings."""

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        self.open_total = 0
        self._open_by_client: dict[str, int] = {}

    def take(self, client: str) -> tuple[int, str] | None:
        """Take a slot for a new stream from `client`, or say why not: (status, reason)."""
        held = self._open_by_client.get(client, 0)
        if held >= self.per_client:
            return 429, TOO_MANY_FROM_CLIENT
        if self.open_total >= self.total:
            return 503, TOO_MANY_IN_TOTAL
        self._open_by_client[client] = held + 1
        self.open_total += 1
        return None

    def give_back(self, client: str) -> None:
        """Free the slot of a stream from `client` that ended."""
        held = self._open_by_client.pop(client, 0) - 1
        if held > 0:
            self._open_by_client[client] = held
        self.open_total -= 1


class SlotStream(StreamingResponse):
    """An event stream that gives its slot back when it ends, however it ends."""

    def __init__(self, content: AsyncIterator[bytes], slots: StreamSlots, client: str) -> None:
        super().__init__(content, media_type="text/event-stream", headers=STREAM_HEADERS)
        self.slots = slots
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.give_back(self.client)


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
        self.slots = StreamSlots(settings.max_streams_per_client, settings.max_streams_total)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._previous_handlers: dict[int, Any] = {}
        self.poll_failures = 0  # polls that raised; the loop goes on after each

    @property
    def closing(self) -> bool:
        """True once the server is stopping: streams end, new ones close at once."""
        return self._closing

    async def start(self) -> None:
        """Prime the feed (existing content is history) and start polling.

        A priming poll that fails is counted like any other: the server starts anyway and
        the polling task tries again."""
        try:
            await run_in_threadpool(self.feed.poll, as_of_now())
        except Exception:  # a bug in one file's reading must not keep the server from starting
            self.poll_failures += 1
            logger.warning("live feed priming poll failed; the feed retries while serving")
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


def opening(feed: LiveFeed, resume_from: str | None, subscriber: Subscriber) -> tuple[bytes, int]:
    """What a stream sends first, and the number of the newest event that covers.

    A resume sends the retained events after its id. A fresh start (no id, or after `reset`
    one that cannot be resumed from) sends `hello` carrying the newest id.
    """
    backlog = feed.since(resume_from) if resume_from is not None else None
    if resume_from is not None and backlog is not None:
        covered = backlog[-1].number if backlog else resumed_number(resume_from)
        return b"".join(format_event(e) for e in backlog if subscriber.wants(e)), covered
    newest = feed.newest_number
    hello = b"id: %s-%d\nevent: hello\ndata: {}\n\n" % (feed.boot.encode(), newest)
    return (RESET if resume_from is not None else b"") + hello, newest


def resumed_number(event_id: str) -> int:
    """The number in a resume id the feed accepted."""
    parsed = parse_event_id(event_id)
    return parsed[1] if parsed is not None else 0


def resume_id(request: Request, query_value: str | None) -> str | None:
    """The id to resume after: the `Last-Event-ID` header, else the `last_event_id` query."""
    header = request.headers.get("last-event-id")
    return header if header is not None else query_value


def client_address(request: Request) -> str:
    """The peer address the per-client stream cap counts against."""
    return request.client.host if request.client is not None else "unknown"


def too_many_streams(status: int, reason: str) -> Response:
    """The answer to a stream over a cap: status, Retry-After and a one-sentence body."""
    response = json_response({"detail": reason}, status_code=status)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def next_batch(
    queue: asyncio.Queue[LiveEvent | None], keepalive: float
) -> list[LiveEvent | None]:
    """What is queued, up to BATCH_LIMIT, once something is; empty after `keepalive` idle."""
    try:
        first = await asyncio.wait_for(queue.get(), keepalive)
    except TimeoutError:
        return []
    batch = [first]
    while len(batch) < BATCH_LIMIT and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


@router.get(
    "/stream",
    tags=["stream"],
    summary="Live updates as Server-Sent Events",
    description=(
        "Events `activity`, `run`, `alert` and `health`, each with an id. Reconnect with the "
        "`Last-Event-ID` header (browsers do this themselves) to resume with nothing lost and "
        "nothing repeated; an id that is malformed, unknown or too old yields a `reset` event "
        "(reload the page data), then the stream goes on afresh. Too many open streams from one "
        "address answer 429, too many in all 503, both with `Retry-After`."
    ),
    response_class=StreamingResponse,
    responses={
        **schemas.INVALID_REQUEST,
        429: {"description": "Too many open streams from this address; retry later."},
        503: {"description": "Too many open streams in all; retry later."},
    },
)
async def stream(
    request: Request,
    run_id: Annotated[str | None, Query(max_length=200)] = None,
    session_id: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[list[str] | None, Query(description="Repeatable; default: all.")] = None,
    last_event_id: Annotated[
        str | None, Query(description="As the `Last-Event-ID` header, which wins.")
    ] = None,
) -> Response:
    broadcaster: Broadcaster = request.app.state.broadcaster
    topics = frozenset(t for t in (topic or TOPICS) if t in TOPICS) or frozenset(TOPICS)
    subscriber = Subscriber(run_id, session_id, topics)
    resume_from = resume_id(request, last_event_id)
    head_only = bool(request.scope.get(HEAD_FLAG))
    keepalive = broadcaster.settings.keepalive_seconds
    feed = broadcaster.feed

    async def body() -> AsyncIterator[bytes]:
        yield PREAMBLE
        if head_only or broadcaster.closing:
            return
        broadcaster.subscribers.add(subscriber)
        try:
            first, sent_upto = opening(feed, resume_from, subscriber)
            if first:
                yield first
            while True:  # events up to `sent_upto` went out already or predate the hello
                batch = await next_batch(subscriber.queue, keepalive)
                if not batch:
                    yield KEEPALIVE
                    continue
                live = [e for e in batch if e is not None and e.number > sent_upto]
                if live:
                    yield b"".join(format_event(event) for event in live)
                if None in batch:
                    return
        finally:
            broadcaster.subscribers.discard(subscriber)

    client = client_address(request)
    refusal = broadcaster.slots.take(client)
    if refusal is not None:
        return too_many_streams(*refusal)
    return SlotStream(body(), broadcaster.slots, client)


def remember_stream_cursor(request: Request) -> None:
    """Page dependency: note the stream's newest event id before the page reads its data.

    The page's stream resumes after that id, so an event that arrives while the page is
    read and rendered is sent to it (the page drops what it already shows): no gap.
    """
    request.state.stream_cursor = _newest_event_id(request)


def stream_cursor(request: Request) -> str | None:
    """The id noted when the page began (see remember_stream_cursor), else the newest now."""
    noted: str | None = getattr(request.state, "stream_cursor", None)
    return noted if noted is not None else _newest_event_id(request)


def _newest_event_id(request: Request) -> str | None:
    broadcaster: Broadcaster | None = getattr(request.app.state, "broadcaster", None)
    return broadcaster.feed.last_event_id if broadcaster is not None else None
