"""The HTTP protocol peakwatch serves with: uvicorn's httptools protocol, with two bounds more.

uvicorn closes a connection that stays silent after a response (`timeout_keep_alive`), but it
keeps forever one that never sends a request, or trickles its headers, and it buffers a request
head of any size. Here a request head must arrive whole within IDLE_CONNECTION_SECONDS of the
connection opening (or of the previous response), and no more than REQUEST_HEAD_LIMIT_BYTES may
arrive between two request heads (the app serves GET and HEAD only: requests carry no body).
When the connection limit is reached, a new connection closes the longest-idle ones, so a
crowd of silent sockets can never keep `/health` or a page from being answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

IDLE_CONNECTION_SECONDS = 5
"""A connection without a whole request head for this long is closed (also uvicorn's keep-alive)."""

REQUEST_HEAD_LIMIT_BYTES = 128 << 10
"""Request line and headers together; more gets 400 and the connection is closed."""

HEAD_TOO_LARGE = "Request head too large."


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that closes idle connections and refuses oversized heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        self._make_room()

    @property
    def idle_since(self) -> float | None:
        """When this connection started waiting for a request head (None while it is busy)."""
        deadline = self._head_deadline
        return None if deadline is None else deadline.when() - IDLE_CONNECTION_SECONDS

    def _make_room(self) -> None:
        """Over the connection limit, close idle connections, longest idle first."""
        limit = self.limit_concurrency
        if limit is None or len(self.connections) < limit:
            return
        idle = [
            (since, id(other), other)
            for other in self.connections
            if other is not self
            and isinstance(other, BoundedHttpProtocol)
            and (since := other.idle_since) is not None
        ]
        idle.sort()
        for _, _, other in idle[: len(self.connections) - limit + 1]:
            other.close_idle()

    def close_idle(self) -> None:
        """Close this connection now: it was waiting for a request and room is needed."""
        self._stop_head_deadline()
        self.connections.discard(self)
        if not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._head_bytes += len(data)
        if self._head_bytes > REQUEST_HEAD_LIMIT_BYTES:
            self._stop_head_deadline()
            self.send_400_response(HEAD_TOO_LARGE)
            return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._stop_head_deadline()
        self._head_bytes = 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        idle_next = not self.pipeline  # otherwise the next request is already here
        super().on_response_complete()
        if idle_next and not self.transport.is_closing():
            self._await_head()

    def _await_head(self) -> None:
        self._stop_head_deadline()
        self._head_deadline = self.loop.call_later(IDLE_CONNECTION_SECONDS, self._head_overdue)

    def _stop_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_overdue(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
