"""Storage failures are a few fixed words, and credentials never come from the environment.

Exception text of botocore, aiohttp and s3fs can hold signed URLs, endpoints and keys:
the reason is picked from the error's type and causes, so none of it can leak.
"""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from peakwatch.secrets import find_secret_env, refusal_message
from peakwatch.sources.storage import LocationError, open_root, split_location
from peakwatch.sources.storage_errors import REASONS, failure_reason
from peakwatch.sources.storage_poll import RootPoller
from s3_server import DUMMY_KEY_ID, DUMMY_SECRET, free_port, write_credentials

SIGNED = (
    "https://fleet.s3.amazonaws.com/a/events.jsonl?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={DUMMY_KEY_ID}%2F20261203&X-Amz-Signature=0123456789abcdef"
)


def wrapped(error: BaseException) -> OSError:
    """An error as s3fs raises it: its own type, the library's error as the cause."""
    outer = OSError(f"failed: {error}")
    outer.__cause__ = error
    return outer


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (EndpointConnectionError(endpoint_url=SIGNED), "unreachable"),
        (wrapped(EndpointConnectionError(endpoint_url=SIGNED)), "unreachable"),
        (ConnectTimeoutError(endpoint_url=SIGNED), "timed out"),
        (ReadTimeoutError(endpoint_url=SIGNED), "timed out"),
        (TimeoutError(SIGNED), "timed out"),
        (NoCredentialsError(), "no credentials found"),
        (PermissionError(f"AccessDenied for {DUMMY_KEY_ID} {SIGNED}"), "access denied"),
        (FileNotFoundError(f"NoSuchKey {SIGNED}"), "not found"),
        (ConnectionRefusedError(errno.ECONNREFUSED, SIGNED), "unreachable"),
        (OSError(errno.EHOSTUNREACH, SIGNED), "unreachable"),
        (ClientError({"Error": {"Code": "Weird", "Message": DUMMY_SECRET}}, "GetObject"), "failed"),
        (ValueError(DUMMY_SECRET), "failed"),
    ],
)
def test_a_failure_is_a_short_reason_that_holds_nothing_of_the_error(
    error: BaseException, reason: str
) -> None:
    said = failure_reason(error)
    assert said == reason and said in REASONS
    for hidden in (DUMMY_KEY_ID, DUMMY_SECRET, "X-Amz", "https", "fleet"):
        assert hidden not in said


def test_a_store_nobody_answers_on_is_unreachable_without_its_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(write_credentials(tmp_path)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    poller = RootPoller(open_root("s3://fleet/host-a"), 5.0)
    assert poller.poll() is None
    health = poller.health
    assert (health.reachable, health.reason, health.last_success) == (False, "unreachable", None)
    for hidden in (str(port), DUMMY_KEY_ID, DUMMY_SECRET, "fleet"):
        assert hidden not in repr(health)
    with socket.socket() as probe:  # the port really was closed: nothing answered
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_storage_refuses_credentials_in_the_environment(tmp_path: Path) -> None:
    environ = {"AWS_SECRET_ACCESS_KEY": DUMMY_SECRET, "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID}
    with pytest.raises(LocationError) as caught:
        open_root("s3://fleet/a", environ=environ)
    message = str(caught.value)
    assert "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in message
    assert DUMMY_SECRET not in message and DUMMY_KEY_ID not in message
    for way in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "workload role", "anonymous"):
        assert way in message
    assert open_root(str(tmp_path), environ=environ).list_objects() == {}  # local: no keys


def test_the_start_check_passes_credential_files_and_still_refuses_keys() -> None:
    environ = {
        "AWS_SHARED_CREDENTIALS_FILE": "/home/op/.aws/credentials",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token",
        "GOOGLE_APPLICATION_CREDENTIALS": "/etc/gcp/reader.json",
        "AWS_PROFILE": "peakwatch-reader",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
        "AWS_SESSION_TOKEN": "session",
    }
    assert find_secret_env(environ) == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]
    message = refusal_message(["AWS_SECRET_ACCESS_KEY"])
    for way in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "instance or workload role"):
        assert way in message
    assert "anonymous access" in message


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("s3://AKIA:topsecret@fleet/a", "must not hold credentials"),
        ("s3://fleet/a?X-Amz-Signature=abc", "must not have a query"),
        ("s3:///a", "needs a bucket"),
        ("nosuchproto://bucket/a", "no installed filesystem reads nosuchproto://"),
        ("", "is empty"),
    ],
)
def test_bad_locations_are_refused_safely(location: str, message: str) -> None:
    with pytest.raises(LocationError, match=re.escape(message)) as caught:
        open_root(location, environ={})
    assert "topsecret" not in str(caught.value) and "X-Amz" not in str(caught.value)


def test_locations_split_into_protocol_and_path() -> None:
    assert split_location("s3://fleet/host-a/") == ("s3", "fleet/host-a/")
    assert split_location("file:///srv/a") == ("file", "/srv/a")
    assert split_location("/srv/a") == ("", "/srv/a")
    assert split_location("memory://scratch/a") == ("memory", "scratch/a")
