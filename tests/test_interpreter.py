"""Once ready, the server freezes what it holds out of collections and hands over the GIL sooner."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from peakwatch.settings import Settings
from peakwatch.web import interpreter
from peakwatch.web.app import create_app
from peakwatch.web.interpreter import SWITCH_INTERVAL_S, YOUNG_THRESHOLD


@pytest.fixture
def restored_collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process not settled yet; the test process's collector and GIL as they were, afterwards."""
    monkeypatch.setattr(interpreter, "_settled", False)
    threshold = gc.get_threshold()
    interval = sys.getswitchinterval()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    sys.setswitchinterval(interval)


def test_startup_freezes_the_first_indexes_and_collects_young_objects_less_often(
    settings: Settings, restored_collector: None
) -> None:
    gc.unfreeze()
    sys.setswitchinterval(0.005)
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 10_000, "a full collection would walk the whole heap"
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        # A scanning worker thread offers the GIL to the event loop every 1 ms, not 5 ms.
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    frozen = gc.get_freeze_count()
    with TestClient(create_app(settings), base_url="http://localhost"):
        # frozen objects may still be freed by their reference counts, never added to
        assert gc.get_freeze_count() <= frozen, "a second app in the process freezes nothing"
