"""A data root on local disk or object storage, opened read-only: list, compare, read ranges.

`open_root("s3://bucket/prefix")` (or a local path, `file://`, any installed fsspec
protocol) gives a `StorageRoot`. `list_objects()` is one recursive listing (one LIST
call per 1,000 objects on S3) giving each object's size, mtime and ETag; `compare()`
tells two listings apart without reading any object. Reads are ranged: bytes
[start, end) or the last N bytes, never a whole object unless asked for.

Credentials never come from the environment: a secret-looking variable makes
`open_root` refuse (as the server refuses to start). The store is reached with a
shared credentials file or profile, an instance or workload role, or anonymously;
only the endpoint may come from `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from peakwatch.secrets import find_secret_env
from peakwatch.secrets.environment import STORAGE_CREDENTIALS
from peakwatch.sources.storage_counting import (
    CallCounts,
    CountingLocalFileSystem,
    CountingS3FileSystem,
)
from peakwatch.sources.storage_readonly import ReadOnlyFile, ReadOnlyFileSystem

ENDPOINT_ENV = "AWS_ENDPOINT_URL"
LOCAL_PROTOCOLS = frozenset({"", "file", "local"})
S3_PROTOCOLS = frozenset({"s3", "s3a"})
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0
RETRIES = 2  # s3fs's own retries of one call; the poller backs off between polls
READ_BLOCK = 256 << 10  # the readahead of an opened object (Parquet footers, row groups)


class LocationError(ValueError):
    """A LOCATION that cannot be opened (the message is safe to show: no credentials)."""


class ObjectInfo(NamedTuple):
    """One object of a listing: its name under the root, size, mtime (epoch s), ETag."""

    name: str
    size: int
    mtime: float
    etag: str


Listing = dict[str, ObjectInfo]


@dataclass(frozen=True)
class Changes:
    """What differs between two listings of the same root (by size, mtime or ETag)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def compare(before: Listing, after: Listing) -> Changes:
    """The objects added, changed and removed from `before` to `after`; nothing is read."""
    added = tuple(sorted(name for name in after if name not in before))
    changed = tuple(
        sorted(name for name, seen in after.items() if name in before and before[name] != seen)
    )
    removed = tuple(sorted(name for name in before if name not in after))
    return Changes(added, changed, removed)


@dataclass(frozen=True)
class StorageRoot:
    """A root opened read-only: `location` as given (shown), `path` in the filesystem's terms."""

    location: str
    fs: ReadOnlyFileSystem
    path: str
    remote: bool

    def key(self, name: str) -> str:
        """The filesystem path of `name` (relative, `/`-separated) under the root."""
        return f"{self.path}/{name.strip('/')}" if name.strip("/") else self.path

    def list_objects(self, under: str = "") -> Listing:
        """Every object under `under` (all of the root by default), in one listing."""
        base = self.key(under)
        found = self.fs.find(base)
        listing: Listing = {}
        for full, details in found.items():
            if details.get("type") == "directory":
                continue
            name = self._relative(full)
            if name is not None:
                listing[name] = _object_info(name, details)
        return listing

    def stat(self, name: str) -> ObjectInfo:
        """One object's size, mtime and ETag (a HEAD request on S3)."""
        return _object_info(name, self.fs.info(self.key(name)))

    def read_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of an object, in one ranged read."""
        return self.fs.cat_range(self.key(name), max(start, 0), end)

    def read_last(self, name: str, nbytes: int, size: int) -> bytes:
        """The last `nbytes` of an object whose size the listing gave (no HEAD)."""
        return self.read_range(name, max(size - nbytes, 0), size)

    def open(self, name: str, seen: ObjectInfo | None = None) -> ReadOnlyFile:
        """The object opened for reading with a small readahead.

        With `seen` (its listing entry) an S3 read costs no HEAD, and a read of an
        object replaced since the listing fails instead of mixing two versions."""
        options: dict[str, Any] = {"block_size": READ_BLOCK, "cache_type": "readahead"}
        if seen is not None and self.remote:
            key = self.key(name)
            options["size"] = seen.size
            options["details"] = {"name": key, "size": seen.size, "ETag": f'"{seen.etag}"'}
        return self.fs.open(self.key(name), "rb", **options)

    def _relative(self, full: str) -> str | None:
        full = full.replace(os.sep, "/") if not self.remote else full
        prefix = self.path.rstrip("/") + "/"
        return full[len(prefix) :] if full.startswith(prefix) else None


def open_root(
    location: str,
    *,
    anonymous: bool = False,
    environ: Mapping[str, str] | None = None,
    counts: CallCounts | None = None,
) -> StorageRoot:
    """The root at `location` (a local path or URL), read-only; `counts` counts its calls."""
    environ = os.environ if environ is None else environ
    protocol, path = split_location(location)
    if protocol in LOCAL_PROTOCOLS:
        local: Any = CountingLocalFileSystem(counts=counts) if counts else _local()
        return StorageRoot(location, ReadOnlyFileSystem(local), _local_path(path), False)
    refused = find_secret_env(environ)
    if refused:
        raise LocationError(
            f"secret-looking environment variables are set ({', '.join(refused)}). "
            f"{STORAGE_CREDENTIALS}"
        )
    if protocol in S3_PROTOCOLS:
        fs = _s3(anonymous, environ.get(ENDPOINT_ENV) or None, counts)
    else:
        fs = _other(protocol, anonymous)
    return StorageRoot(location, ReadOnlyFileSystem(fs), path.strip("/"), True)


def split_location(location: str) -> tuple[str, str]:
    """(protocol, path) of a LOCATION, refusing credentials, queries and empty buckets in it."""
    text = location.strip()
    if "://" not in text:
        if not text:
            raise LocationError("a root location is empty")
        return "", text
    parts = urlsplit(text)
    protocol = parts.scheme.lower()
    if "@" in parts.netloc:
        raise LocationError("a root location must not hold credentials (no USER@ in it)")
    if parts.query or parts.fragment:
        raise LocationError("a root location must not have a query (no signed URLs)")
    if protocol in LOCAL_PROTOCOLS:
        return "file", parts.path
    if not parts.netloc:
        raise LocationError(f"a {protocol}:// location needs a bucket: {protocol}://BUCKET/PREFIX")
    return protocol, f"{parts.netloc}{parts.path}"


def is_remote(location: str) -> bool:
    """True when `location` is a URL of another filesystem than the local one."""
    return split_location(location)[0] not in LOCAL_PROTOCOLS


def _object_info(name: str, details: Mapping[str, Any]) -> ObjectInfo:
    modified = details.get("LastModified", details.get("mtime", 0.0))
    mtime = modified.timestamp() if isinstance(modified, datetime) else float(modified or 0.0)
    etag = details.get("ETag") or details.get("etag") or details.get("ino") or ""
    return ObjectInfo(name, int(details.get("size") or 0), mtime, str(etag).strip('"'))


def _local() -> Any:
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem()


def _local_path(path: str) -> str:
    return Path(path).expanduser().absolute().as_posix()


def _s3(anonymous: bool, endpoint: str | None, counts: CallCounts | None) -> Any:
    options: dict[str, Any] = {
        "anon": anonymous,
        "endpoint_url": endpoint,
        "skip_instance_cache": True,
        "use_listings_cache": False,
        "local_expiry_check": True,  # a ranged read checks the ETag the listing gave
        "config_kwargs": {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": READ_TIMEOUT_SECONDS,
            "retries": {"max_attempts": 1},
        },
    }
    if counts is not None:
        fs = CountingS3FileSystem(counts=counts, **options)
    else:
        from s3fs import S3FileSystem

        fs = S3FileSystem(**options)
    fs.retries = RETRIES
    fs.connect_timeout = CONNECT_TIMEOUT_SECONDS
    fs.read_timeout = READ_TIMEOUT_SECONDS
    return fs


def _other(protocol: str, anonymous: bool) -> Any:
    import fsspec

    try:
        kind = fsspec.get_filesystem_class(protocol)
    except (ValueError, ImportError):
        raise LocationError(
            f"no installed filesystem reads {protocol}:// (install its fsspec package)"
        ) from None
    options: dict[str, Any] = {"skip_instance_cache": True}
    if anonymous:
        options["anon"] = True
    return kind(**options)
