"""ASGI guards applied before routing: read-only methods, Host allow-list, security headers."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})
HEAD_FLAG = "peakwatch.head_request"
LOCAL_HOST_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1", "testserver"})

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


class ReadOnlyGuard:
    """Answers 405 to every method but GET and HEAD, before any route is looked up.

    HEAD is served as GET with the body dropped, so HEAD works on every GET route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in READ_METHODS:
            await _plain_error(
                send,
                405,
                b"method not allowed: this dashboard is read-only",
                extra=((b"allow", b"GET, HEAD"),),
            )
            return
        if method == "HEAD":
            head_scope = {**scope, "method": "GET", HEAD_FLAG: True}
            await self.app(head_scope, receive, _drop_body(send))
            return
        await self.app(scope, receive, send)


class HostGuard:
    """Refuses requests whose Host header is not a local name or an allowed host (DNS rebinding)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(name.lower() for name in allowed) | LOCAL_HOST_NAMES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._host_ok(scope):
            await _plain_error(send, 400, b"bad request: Host header not allowed")
            return
        await self.app(scope, receive, send)

    def _host_ok(self, scope: Scope) -> bool:
        host = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                break
        text = host.decode("latin-1").strip().lower()
        if not text:
            return False
        if text.startswith("["):
            name = text[: text.find("]") + 1] if "]" in text else text
        else:
            name = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
        return name in self.allowed


class SecurityHeaders:
    """Adds CSP, frame denial, nosniff and no-referrer to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k not in _SECURITY_NAMES
                ]
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


def _drop_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_headers_only


async def _plain_error(
    send: Send, status: int, text: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = b'{"detail":"' + text + b'"}'
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
