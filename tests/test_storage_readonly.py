"""Storage is read-only: every writing, deleting, copying or signing call is refused.

The refusals run against a real bucket on moto's S3 server and the bucket is compared
byte for byte afterwards: nothing was written, moved or removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileSystem
from fsspec.spec import AbstractFileSystem
from s3fs import S3FileSystem

from peakwatch.sources.storage import open_root
from peakwatch.sources.storage_readonly import (
    READ_CALLS,
    WRITING_CALLS,
    ReadOnlyFileSystem,
    ReadOnlyStorage,
)
from s3_server import S3Server, writer_fs

BUCKET = "readonly"
OBJECT = f"{BUCKET}/root/runs/r1/events.jsonl"
BODY = b'{"seq":1}\n{"seq":2}\n'

# Plausible arguments for each call, so a wrapper that passed calls through would act.
TARGET = f"{BUCKET}/root/runs/r1/new.jsonl"
ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "cp": (OBJECT, TARGET),
    "copy": (OBJECT, TARGET),
    "cp_file": (OBJECT, TARGET),
    "mv": (OBJECT, TARGET),
    "move": (OBJECT, TARGET),
    "rename": (OBJECT, TARGET),
    "merge": (TARGET, [OBJECT]),
    "pipe": (TARGET, b"x"),
    "pipe_file": (TARGET, b"x"),
    "write_bytes": (TARGET, b"x"),
    "write_text": (TARGET, "x"),
    "put": ("/etc/hostname", TARGET),
    "put_file": ("/etc/hostname", TARGET),
    "upload": ("/etc/hostname", TARGET),
    "get": (OBJECT, "/tmp/peakwatch-should-not-exist"),
    "get_file": (OBJECT, "/tmp/peakwatch-should-not-exist"),
    "download": (OBJECT, "/tmp/peakwatch-should-not-exist"),
    "link": (OBJECT, TARGET),
    "symlink": (OBJECT, TARGET),
    "setxattr": (OBJECT,),
    "put_tags": (OBJECT, {"a": "b"}),
    "call_s3": ("delete_object",),
}


def bucket_contents(fs: Any) -> dict[str, bytes]:
    return {key: fs.cat_file(key) for key in fs.find(BUCKET)}


@pytest.fixture
def bucket(s3_env: S3Server) -> Any:
    fs = writer_fs(s3_env)
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    fs.pipe_file(OBJECT, BODY)
    return fs


def public_names(kind: type) -> set[str]:
    return {name for name in dir(kind) if not name.startswith("_")}


def test_writing_calls_cover_what_fsspec_and_s3fs_offer() -> None:
    offered = public_names(AbstractFileSystem) | public_names(S3FileSystem)
    offered |= public_names(LocalFileSystem)
    for name in ("put", "pipe", "rm", "rm_file", "rmdir", "mkdir", "makedirs", "mv", "cp"):
        assert name in offered and name in WRITING_CALLS
    assert {"touch", "setxattr", "sign", "url", "transaction", "get", "merge"} <= WRITING_CALLS
    assert not READ_CALLS & WRITING_CALLS


@pytest.mark.parametrize("name", sorted(WRITING_CALLS))
def test_each_writing_call_is_refused_and_the_bucket_is_unchanged(bucket: Any, name: str) -> None:
    before = bucket_contents(bucket)
    root = open_root(f"s3://{BUCKET}/root")
    with pytest.raises(ReadOnlyStorage, match="only lists and reads"):
        getattr(root.fs, name)(*ARGUMENTS.get(name, (OBJECT,)))
    assert bucket_contents(bucket) == before
    assert not Path("/tmp/peakwatch-should-not-exist").exists()


def test_every_other_public_name_of_the_filesystems_is_refused(bucket: Any) -> None:
    root = open_root(f"s3://{BUCKET}/root")
    offered = public_names(AbstractFileSystem) | public_names(S3FileSystem)
    offered |= public_names(LocalFileSystem)
    for name in sorted(offered - READ_CALLS):
        with pytest.raises(ReadOnlyStorage):
            getattr(root.fs, name)
    with pytest.raises(ReadOnlyStorage):
        root.fs._fs = None  # type: ignore[misc]


@pytest.mark.parametrize("mode", ["wb", "ab", "xb", "r+b", "w", "a", "rb+"])
def test_open_for_writing_is_refused(bucket: Any, mode: str) -> None:
    before = bucket_contents(bucket)
    root = open_root(f"s3://{BUCKET}/root")
    with pytest.raises(ReadOnlyStorage, match="open in mode"):
        root.fs.open(OBJECT, mode)
    with pytest.raises(ReadOnlyStorage):
        root.fs.open(TARGET, mode)
    assert bucket_contents(bucket) == before


def test_an_opened_object_reads_but_cannot_write_or_reach_its_filesystem(bucket: Any) -> None:
    root = open_root(f"s3://{BUCKET}/root")
    with root.open("runs/r1/events.jsonl") as handle:
        assert handle.read() == BODY
        assert not handle.writable()
        for name in ("write", "fs", "flush", "truncate", "writelines"):
            assert not hasattr(handle, name), name


def test_local_roots_refuse_the_same_calls(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(BODY)
    root = open_root(str(tmp_path))
    assert isinstance(root.fs, ReadOnlyFileSystem)
    for name in ("rm", "pipe_file", "mkdir", "touch", "mv"):
        with pytest.raises(ReadOnlyStorage):
            getattr(root.fs, name)(str(tmp_path / "a.jsonl"))
    with pytest.raises(ReadOnlyStorage):
        root.fs.open(str(tmp_path / "b.jsonl"), "wb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]
    assert (tmp_path / "a.jsonl").read_bytes() == BODY
