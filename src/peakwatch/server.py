"""Start the web server: secret check, bind check, URLs, clean shutdown."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import socket
import sys
from typing import Any

from peakwatch.secrets import find_secret_env, refusal_message, scrub_secret_env
from peakwatch.settings import Settings, SettingsError, load_settings

# uvicorn and the web app are imported only once the checks passed: a refusal (secrets,
# bind, port) is answered at once, without loading the whole web stack first.

GRACEFUL_SHUTDOWN_SECONDS = 2

OTHER_CONNECTIONS = 768
"""Connections served at once besides the live streams (whose number settings cap).

uvicorn's `limit_concurrency` is the stream cap plus this: open streams can never take the
room /health and the pages need, and connections beyond it get a quick 503, not a stall.
"""


class StartError(Exception):
    """A one-line reason the server cannot start (printed without a traceback)."""


def check_environment(scrub: bool) -> list[str]:
    """Refuse secret-looking environment variables, or remove them when `scrub` is set."""
    if scrub:
        return scrub_secret_env(os.environ)
    names = find_secret_env(os.environ)
    if names:
        raise StartError(refusal_message(names))
    return []


def check_bind(settings: Settings) -> None:
    """Refuse a non-loopback bind without the explicit flag, and a port already in use."""
    if not settings.is_loopback and not settings.allow_remote:
        raise StartError(
            f"refusing to bind {settings.host}: peakwatch serves on loopback only. "
            "Use --host 127.0.0.1, or pass --allow-remote if you really mean to expose it."
        )
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((settings.host, settings.port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise StartError(
                f"port {settings.port} is already in use on {settings.host}. "
                f"Start on another port (--port {settings.port + 80}) or find the process with "
                f"`lsof -nP -iTCP:{settings.port} -sTCP:LISTEN`."
            ) from None
        raise StartError(f"cannot bind {settings.host}:{settings.port}.") from None
    finally:
        probe.close()


def check_workers(workers: int, reload: bool) -> None:
    """One or more processes; auto-reload restarts a single one."""
    if workers < 1:
        raise StartError(f"--workers must be at least 1, not {workers}.")
    if workers > 1 and reload:
        raise StartError("--reload runs one process: leave out --workers or --reload.")


def connection_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options that keep a crowd of connections from stalling everyone else.

    Idle connections close after a few seconds, request heads are bounded, at most
    `limit_concurrency` connections are served at once and client addresses are the peer's own
    (no forwarded headers: the per-client stream cap cannot be dodged).
    """
    from peakwatch.http_protocol import IDLE_CONNECTION_SECONDS, BoundedHttpProtocol

    limit = settings.max_streams_total + OTHER_CONNECTIONS
    return {
        "http": BoundedHttpProtocol,
        "timeout_keep_alive": IDLE_CONNECTION_SECONDS,
        "limit_concurrency": limit,
        "backlog": limit,
        "proxy_headers": False,
    }


def raise_open_file_limit(wanted: int) -> None:
    """Lift the soft limit on open files towards `wanted` (one per connection, and data files)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def urls(settings: Settings) -> list[str]:
    """The URLs worth opening, for the start banner."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{host}:{settings.port}"
    if len(settings.fleet()) > 1:
        return [f"{base}/", f"{base}/api/roots", f"{base}/health"]
    return [f"{base}/", f"{base}/docs", f"{base}/health"]


def serve(
    overrides: dict[str, Any], *, reload: bool = False, scrub: bool = False, workers: int = 1
) -> int:
    """Run the server until Ctrl-C; return the process exit code."""
    try:
        check_workers(workers, reload)
        scrubbed = check_environment(scrub)
        settings = load_settings(overrides)
        check_bind(settings)
    except (StartError, SettingsError) as error:
        print(f"peakwatch: {error}", file=sys.stderr)
        return 2
    if scrubbed:
        print(f"peakwatch: removed from the environment: {', '.join(scrubbed)}", file=sys.stderr)
    if not settings.is_loopback:
        print(
            f"peakwatch: WARNING: serving on {settings.host}, reachable from other machines.",
            file=sys.stderr,
        )
    print("peakwatch is watching (read-only). Open:", *urls(settings), sep="\n  ")
    if settings.root_specs:
        for spec in settings.root_specs:
            print(f"  root {spec.name}: {spec.location}")
    else:
        for name, path in settings.roots().items():
            print(f"  {name}: {path}")
    import uvicorn

    from peakwatch.web.factory import SETTINGS_ENV

    os.environ[SETTINGS_ENV] = json.dumps(_settings_overrides(settings))
    options = connection_options(settings)
    raise_open_file_limit(2 * options["limit_concurrency"])
    uvicorn.run(
        "peakwatch.web.factory:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=workers,
        reload_dirs=[os.path.dirname(os.path.dirname(__file__))] if reload else None,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
        **options,
    )
    return 0


def _settings_overrides(settings: Settings) -> dict[str, Any]:
    values = {}
    for name in Settings.__dataclass_fields__:
        value = getattr(settings, name)
        values[name] = os.fspath(value) if isinstance(value, os.PathLike) else value
    values["allowed_hosts"] = list(settings.allowed_hosts)
    values["roots"] = [dataclasses.asdict(spec) for spec in values.pop("root_specs")]
    return values
