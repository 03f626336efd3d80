"""ASGI guards applied before routing: read-only methods, Host allow-list, security headers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})
HEAD_FLAG = "peakwatch.head_request"
LOCAL_HOST_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
# A Host header: a name or an IPv4 address, or a bracketed IPv6 address, and an optional port.
_HOST_HEADER = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]{1,5})?")
INTERNAL_ERROR = b"internal error; see the server log"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

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
    A path with a control character (`%00`, `%0A`, ...) names nothing and gets 404 here:
    route patterns let `$` match before a trailing newline, so `/dashboard/runs/x%0A`
    would otherwise be served as run `x`.
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
        if _CONTROL_CHARS.search(scope.get("path", "")):
            await _plain_error(send, 404, b"not found")
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
        names = {name.strip().lower() for name in allowed if name.strip()}
        bracketed = {f"[{name}]" for name in names if ":" in name and not name.startswith("[")}
        self.allowed = frozenset(names | bracketed) | LOCAL_HOST_NAMES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._host_ok(scope):
            await _plain_error(send, 400, b"bad request: Host header not allowed")
            return
        await self.app(scope, receive, send)

    def _host_ok(self, scope: Scope) -> bool:
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1:
            return False
        match = _HOST_HEADER.fullmatch(hosts[0].decode("latin-1").strip().lower())
        return match is not None and match["name"] in self.allowed


class SecurityHeaders:
    """Adds CSP, frame denial, nosniff and no-referrer to every response.

    An unhandled exception never reaches the client without these headers: Starlette's
    server-error handler sits outside every middleware, so a failure before the response
    started is answered here with a generic 500 (no exception text), then re-raised so the
    handler still logs it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                own = message.get("headers", [])
                own_csp = [(k, v) for k, v in own if k == b"content-security-policy"]
                headers = [(k, v) for k, v in own if k not in _SECURITY_NAMES]
                # A response may narrow the policy for itself (the standalone snapshot does).
                headers.extend(own_csp[:1] or SECURITY_HEADERS[:1])
                headers.extend(SECURITY_HEADERS[1:])
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await _plain_error(send, 500, INTERNAL_ERROR)
            raise


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
    """A small JSON answer sent by a guard itself, with the security headers."""
    body = b'{"detail":"' + text + b'"}'
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
