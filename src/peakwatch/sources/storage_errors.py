"""Why a storage call failed, in a few fixed words: never the exception's own text.

Exception text from botocore, aiohttp or fsspec can hold a signed URL, a request id,
a bucket path or the endpoint; none of it leaves here. The reason is picked from the
exception's type and its causes only.
"""

from __future__ import annotations

import asyncio
import errno

UNREACHABLE = "unreachable"
DENIED = "access denied"
NOT_FOUND = "not found"
TIMED_OUT = "timed out"
NO_CREDENTIALS = "no credentials found"
FAILED = "failed"
REASONS = (UNREACHABLE, DENIED, NOT_FOUND, TIMED_OUT, NO_CREDENTIALS, FAILED)

# Class names (anywhere in the type's MRO) of the storage libraries' errors, so this
# module needs none of them installed.
_BY_CLASS_NAME = {
    "ConnectTimeoutError": TIMED_OUT,
    "ReadTimeoutError": TIMED_OUT,
    "ServerTimeoutError": TIMED_OUT,
    "FSTimeoutError": TIMED_OUT,
    "NoCredentialsError": NO_CREDENTIALS,
    "PartialCredentialsError": NO_CREDENTIALS,
    "CredentialRetrievalError": NO_CREDENTIALS,
    "EndpointConnectionError": UNREACHABLE,
    "ConnectionClosedError": UNREACHABLE,
    "ClientConnectorError": UNREACHABLE,
    "ServerDisconnectedError": UNREACHABLE,
    "HTTPClientError": UNREACHABLE,
}
_UNREACHABLE_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH}
)
_MAX_CAUSES = 8


def failure_reason(error: BaseException) -> str:
    """One of REASONS for a failed storage call, judged from the error and its causes."""
    seen: BaseException | None = error
    for _ in range(_MAX_CAUSES):
        if seen is None:
            break
        reason = _reason_of(seen)
        if reason is not None:
            return reason
        seen = seen.__cause__ or seen.__context__
    return FAILED


def _reason_of(error: BaseException) -> str | None:
    for kind in type(error).__mro__:
        if kind.__name__ in _BY_CLASS_NAME:
            return _BY_CLASS_NAME[kind.__name__]
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return TIMED_OUT
    if isinstance(error, FileNotFoundError | IsADirectoryError | NotADirectoryError):
        return NOT_FOUND
    if isinstance(error, PermissionError):
        return DENIED
    if isinstance(error, ConnectionError):
        return UNREACHABLE
    if isinstance(error, OSError) and error.errno in _UNREACHABLE_ERRNOS:
        return UNREACHABLE
    return None
