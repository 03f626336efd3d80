"""Shared fixtures: data roots in a temp folder and an app over them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from peakwatch.settings import Settings, load_settings
from peakwatch.web import create_app


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
