"""The garbage collector tuned for a long-running server whose requests allocate in bursts.

A full collection walks every object the process holds; with tens of thousands of runs
indexed that takes long enough, with the GIL held, to stall every other request. So what is
alive once the server is ready (modules, schemas, the first indexes) is frozen out of later
walks, and young objects are collected less often.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between two young collections (Python's default is 700)."""


_settled = False  # once per process: a frozen object is never collected, even in a cycle


def settle_after_start() -> None:
    """Collect once, then keep everything alive now out of later collections (once)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
    gc.collect()
    gc.freeze()
