"""Index refreshes paced by their cost: cheap ones inline, slow ones in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from peakwatch.domain.pacing import CPU_SHARE, HINTED_CPU_SHARE, INLINE_SECONDS, PacedRefresh


class FakeIndex:
    """Counts refreshes; each runs `work` and may claim to have parsed files."""

    def __init__(
        self, work: Callable[[], None] = lambda: None, size: int = 100, root: Path | None = None
    ) -> None:
        self.root = root or Path("/nonexistent-peakwatch-root")
        self.work = work
        self.size = size
        self.parse_count = 0
        self.parses_per_refresh = 0
        self.calls = 0

    def refresh(self) -> None:
        self.calls += 1
        self.parse_count += self.parses_per_refresh
        self.work()

    def __len__(self) -> int:
        return self.size


def test_cheap_refreshes_run_inline_at_most_every_max_age() -> None:
    index = FakeIndex()
    paced = PacedRefresh(index, 0.2, background=True)
    paced()
    paced()
    assert index.calls == 1, "a second call within the max age must not refresh"
    time.sleep(0.25)
    paced()
    assert index.calls == 2
    paced(force=True)
    assert index.calls == 3


def test_a_slow_scan_moves_to_the_background_and_is_spaced_by_its_cost() -> None:
    gate = threading.Event()
    index = FakeIndex(lambda: time.sleep(INLINE_SECONDS * 3))
    paced = PacedRefresh(index, 0.0, background=True)
    paced()  # the first refresh always runs inline, however slow
    assert index.calls == 1
    assert paced.interval >= INLINE_SECONDS * 3 / CPU_SHARE * 0.9
    assert not paced.is_stale(), "a slow scan is followed by a longer pause"
    index.work = lambda: gate.wait(5) and None
    paced._done_at -= paced.interval  # let the pause pass
    started = time.monotonic()
    paced()
    assert time.monotonic() - started < 0.5, "the caller must not wait for a slow refresh"
    paced()  # a second call while one runs starts no second thread
    done_before = paced._done_at
    gate.set()
    deadline = time.monotonic() + 5
    while paced._done_at == done_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert index.calls == 2 and paced._done_at > done_before


def test_parsing_many_new_files_does_not_stretch_the_pause() -> None:
    """A first refresh that parsed every file says little about the cost of a re-scan."""
    index = FakeIndex(lambda: time.sleep(INLINE_SECONDS * 3))
    index.parses_per_refresh = index.size
    paced = PacedRefresh(index, 0.1, background=True)
    paced()
    assert paced.interval == 0.1


def test_without_background_a_slow_refresh_still_runs_inline() -> None:
    index = FakeIndex(lambda: time.sleep(INLINE_SECONDS * 2))
    paced = PacedRefresh(index, 0.0, background=False)
    paced()
    paced._done_at -= paced.interval
    paced()
    assert index.calls == 2


def test_a_change_to_the_folder_itself_shortens_the_pause(tmp_path: Path) -> None:
    """A file added (or renamed into place) is picked up long before the idle pause ends."""
    index = FakeIndex(lambda: time.sleep(0.05), root=tmp_path)
    paced = PacedRefresh(index, 0.0, background=False)
    paced()
    scan = paced._scan_seconds
    assert paced.interval >= scan / CPU_SHARE * 0.99
    paced._done_at -= scan / HINTED_CPU_SHARE * 1.01  # past the hinted pause, not the idle one
    assert not paced.is_stale(), "an unchanged folder waits for the whole pause"
    time.sleep(0.01)
    (tmp_path / "new_session.json").write_text("{}")
    assert paced.is_stale()
    paced()
    assert index.calls == 2
    assert not paced.is_stale()
