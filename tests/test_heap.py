"""Once the server is ready, what it holds is frozen out of the collector's full walks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from peakwatch.settings import Settings
from peakwatch.web import heap
from peakwatch.web.app import create_app
from peakwatch.web.heap import YOUNG_THRESHOLD


@pytest.fixture
def restored_collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process not settled yet; the test process's collector as it was, afterwards."""
    monkeypatch.setattr(heap, "_settled", False)
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_startup_freezes_the_first_indexes_and_collects_young_objects_less_often(
    settings: Settings, restored_collector: None
) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 10_000, "a full collection would walk the whole heap"
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    frozen = gc.get_freeze_count()
    with TestClient(create_app(settings), base_url="http://localhost"):
        assert gc.get_freeze_count() == frozen, "a second app in the process freezes nothing"
