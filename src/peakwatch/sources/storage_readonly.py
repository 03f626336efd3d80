"""An fsspec filesystem that can only list and read: every other call is refused.

The wrapper holds the real filesystem and exposes a short allow-list (`READ_CALLS`);
any other public name, including every writing, deleting, copying, signing or
downloading call fsspec and s3fs know (`WRITING_CALLS`), raises `ReadOnlyStorage`.
Files open in `rb` only and come back wrapped too, so no caller reaches the real
filesystem or a writable handle.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from fsspec.spec import AbstractFileSystem

READ_CALLS = frozenset({"protocol", "find", "info", "cat_range", "open"})
# What fsspec's AbstractFileSystem, s3fs and the local filesystem offer that changes
# something, writes to local disk, makes a signed URL or serialises the credentials.
WRITING_CALLS = frozenset(
    {
        "abort_mpu",
        "call_s3",
        "chmod",
        "clear_multipart_uploads",
        "copy",
        "cp",
        "cp_file",
        "delete",
        "download",
        "end_transaction",
        "get",
        "get_file",
        "get_mapper",
        "link",
        "make_bucket_versioned",
        "makedir",
        "makedirs",
        "merge",
        "mkdir",
        "mkdirs",
        "move",
        "mv",
        "pipe",
        "pipe_file",
        "put",
        "put_file",
        "put_tags",
        "rename",
        "rm",
        "rm_file",
        "rmdir",
        "s3",
        "setxattr",
        "sign",
        "start_transaction",
        "symlink",
        "to_dict",
        "to_json",
        "touch",
        "transaction",
        "upload",
        "url",
        "write_bytes",
        "write_text",
    }
)
READ_MODES = frozenset({"rb"})


class ReadOnlyStorage(PermissionError):
    """A call that would write, delete, copy or sign was refused."""

    def __init__(self, call: str) -> None:
        super().__init__(f"peakwatch only lists and reads storage: {call} is refused")
        self.call = call


class ReadOnlyFileSystem:
    """List, stat and read through an fsspec filesystem; nothing else."""

    __slots__ = ("_fs",)

    def __init__(self, fs: AbstractFileSystem) -> None:
        object.__setattr__(self, "_fs", fs)

    @property
    def protocol(self) -> str:
        """The filesystem's first protocol name (`s3`, `file`, ...)."""
        names = self._fs.protocol
        return str(names if isinstance(names, str) else names[0])

    def find(self, path: str) -> dict[str, dict[str, Any]]:
        """Every object under `path` with its details (one recursive listing on S3)."""
        found = self._fs.find(path, detail=True)
        return dict(found) if isinstance(found, dict) else {}

    def info(self, path: str) -> dict[str, Any]:
        """The details of one object (a HEAD request on S3)."""
        return dict(self._fs.info(path))

    def cat_range(self, path: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of an object: one ranged GET on S3."""
        if end <= start:
            return b""
        return bytes(self._fs.cat_file(path, start=start, end=end))

    def open(
        self, path: str, mode: str = "rb", details: dict[str, Any] | None = None, **options: Any
    ) -> ReadOnlyFile:
        """The object opened for reading; any other mode is refused.

        `details` (size, ETag) known from a listing spare the HEAD an S3 file makes first."""
        if mode not in READ_MODES:
            raise ReadOnlyStorage(f"open in mode {mode!r}")
        handle = self._fs.open(path, "rb", **options)
        if details is not None:
            handle._details = dict(details)  # fsspec's buffered file asks info() otherwise
        return ReadOnlyFile(handle)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ReadOnlyStorage(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise ReadOnlyStorage(f"setting {name}")


class ReadOnlyFile:
    """A file opened for reading: read, seek, tell and close; its filesystem stays hidden."""

    __slots__ = ("_file",)
    mode = "rb"

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self._file.closed)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ReadOnlyFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
