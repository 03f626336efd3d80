"""Shared fixtures: data roots in a temp folder and an app over them.

Per test: `roots`, `settings` and `client` over empty roots. Per module: `world` (the rich
data folder of tests/worlds.py) with `world_app`, `world_client` and `world_server` over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from browser import launched_chromium
from live_server import running_server
from peakwatch.settings import Settings, load_settings
from peakwatch.web import create_app
from worlds import build_world

pytest_plugins = ("s3_server",)  # the moto S3 server fixtures: s3_server, s3_env


@pytest.fixture
def roots(tmp_path: Path) -> Path:
    """An empty repository-like folder that data roots resolve against."""
    base = tmp_path / "data"
    base.mkdir()
    return base


@pytest.fixture
def settings(roots: Path) -> Settings:
    """Default roots under `roots`, with index caching off so tests see writes at once."""
    return load_settings({"index_max_age_seconds": 0.0}, environ={}, cwd=roots)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client over the app (Host header `localhost`: the app refuses other names)."""
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The rich data folder, files outside it holding MARKER, and escaping symlinks."""
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def world_app(world: dict[str, Any]) -> FastAPI:
    return create_app(world["settings"])


@pytest.fixture(scope="module")
def world_client(world_app: FastAPI) -> Iterator[TestClient]:
    """A client over the rich world that sees 500s as responses, not exceptions."""
    with TestClient(
        world_app, raise_server_exceptions=False, base_url="http://localhost"
    ) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def world_server(world: dict[str, Any]) -> Iterator[str]:
    """A real uvicorn server over the rich world (raw request paths reach it unchanged)."""
    with running_server(world["settings"]) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for a module of browser tests (a module may define its own)."""
    with launched_chromium() as chromium:
        yield chromium
