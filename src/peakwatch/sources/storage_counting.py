"""Filesystems that count their storage calls, for tests and the bench (LIST, HEAD, GET).

On S3 every request goes through `S3FileSystem._call_s3`, so counting there counts
requests as the store sees them (retries inside one call count once). Locally,
`ls` is a LIST, `info` a HEAD and each read of a file's bytes a GET.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fsspec.implementations.local import LocalFileSystem
from s3fs import S3FileSystem

_S3_KINDS = {
    "list_objects_v2": "list",
    "list_objects": "list",
    "head_object": "head",
    "head_bucket": "head",
    "get_object": "get",
}


@dataclass
class CallCounts:
    """Storage calls made so far, by kind, and the object bytes the GETs returned."""

    list: int = 0
    head: int = 0
    get: int = 0
    get_bytes: int = 0
    other: int = 0

    def record(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)

    def snapshot(self) -> CallCounts:
        """A copy, to subtract from later (`after - before`)."""
        return CallCounts(self.list, self.head, self.get, self.get_bytes, self.other)

    def __sub__(self, other: CallCounts) -> CallCounts:
        return CallCounts(
            self.list - other.list,
            self.head - other.head,
            self.get - other.get,
            self.get_bytes - other.get_bytes,
            self.other - other.other,
        )


class CountingS3FileSystem(S3FileSystem):
    """s3fs with every S3 request counted in `counts`."""

    def __init__(self, *args: Any, counts: CallCounts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = counts

    async def _call_s3(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.counts.record(_S3_KINDS.get(method, "other"))
        result = await super()._call_s3(method, *args, **kwargs)
        if method == "get_object" and isinstance(result, dict):
            self.counts.get_bytes += int(result.get("ContentLength") or 0)
        return result


class CountingLocalFileSystem(LocalFileSystem):
    """The local filesystem with listings, stats and reads counted in `counts`."""

    def __init__(self, *args: Any, counts: CallCounts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = counts

    def ls(self, path: str, detail: bool = False, **kwargs: Any) -> Any:
        self.counts.record("list")
        return super().ls(path, detail=detail, **kwargs)

    def info(self, path: str, **kwargs: Any) -> Any:
        self.counts.record("head")
        return super().info(path, **kwargs)

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> Any:
        data = super().cat_file(path, start=start, end=end, **kwargs)  # counted in _open
        self.counts.get_bytes += len(data)
        return data

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        self.counts.record("get")
        return super()._open(path, mode=mode, **kwargs)
