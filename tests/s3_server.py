"""A real S3-compatible endpoint for tests: moto's standalone server on 127.0.0.1.

`s3_server` runs one (`bench.s3_server.S3Server`: stop and start it again for the
store going away and coming back) for a test module.
`s3_env` points botocore at it with dummy keys in a credentials file named by
`AWS_SHARED_CREDENTIALS_FILE` and the endpoint in `AWS_ENDPOINT_URL`; `writer_fs`
is a read-write s3fs for the test to upload with (never peakwatch's own wrapper).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.s3_server import S3Server, free_port

__all__ = ["S3Server", "free_port", "s3_env", "s3_server", "upload_tree", "writer_fs"]

DUMMY_KEY_ID = "AKIAPEAKWATCHTEST000"
DUMMY_SECRET = "peakwatch-dummy-secret-value-0123456789ab"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    """One moto server for a test module."""
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_credentials(folder: Path) -> Path:
    """A shared credentials file with dummy keys (moto accepts any)."""
    path = folder / "credentials"
    path.write_text(
        f"[default]\naws_access_key_id = {DUMMY_KEY_ID}\naws_secret_access_key = {DUMMY_SECRET}\n"
    )
    return path


@pytest.fixture
def s3_env(s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This test's environment points at the server, credentials in a file (never in env)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(write_credentials(tmp_path)))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3_server


def writer_fs(server: S3Server) -> Any:
    """A read-write s3fs on the server, for the test to play the runner's sync."""
    from s3fs import S3FileSystem

    return S3FileSystem(
        key=DUMMY_KEY_ID,
        secret=DUMMY_SECRET,
        endpoint_url=server.endpoint,
        skip_instance_cache=True,
        use_listings_cache=False,
    )


def upload_tree(fs: Any, folder: Path, url: str) -> list[str]:
    """Every file under `folder` put under `url` (s3://bucket/prefix), keys sorted."""
    keys = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = f"{url.removeprefix('s3://').rstrip('/')}/{path.relative_to(folder).as_posix()}"
        fs.pipe_file(key, path.read_bytes())
        keys.append(key)
    return keys
