"""The rendered-body cache: valid for one data version, bounded, one render per miss."""

from __future__ import annotations

import asyncio

from peakwatch.web.rendered import RenderedCache


def test_a_body_is_reused_for_its_version_only() -> None:
    cache = RenderedCache()
    renders: list[str] = []

    async def render(text: str) -> bytes:
        renders.append(text)
        return text.encode()

    async def scenario() -> list[bytes | None]:
        return [
            await cache.body("k", 1, lambda: render("a")),
            await cache.body("k", 1, lambda: render("b")),
            await cache.body("k", 2, lambda: render("c")),
            await cache.body("k", None, lambda: render("d")),
            await cache.body("k", 2, lambda: render("e")),
        ]

    assert asyncio.run(scenario()) == [b"a", b"a", b"c", b"d", b"c"]
    assert renders == ["a", "c", "d"]


def test_concurrent_misses_render_once() -> None:
    cache = RenderedCache()
    calls = 0

    async def slow_render() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return b"body"

    async def scenario() -> list[bytes | None]:
        return list(await asyncio.gather(*(cache.body("k", 7, slow_render) for _ in range(20))))

    assert asyncio.run(scenario()) == [b"body"] * 20
    assert calls == 1


def test_not_found_is_never_cached_and_old_entries_are_evicted() -> None:
    cache = RenderedCache(entries=2)
    calls = 0

    async def missing() -> bytes | None:
        nonlocal calls
        calls += 1
        return None

    async def body(text: str) -> bytes:
        return text.encode()

    async def scenario() -> list[bytes | None]:
        await cache.body("gone", 1, missing)
        await cache.body("gone", 1, missing)
        await cache.body("a", 1, lambda: body("a"))
        await cache.body("b", 1, lambda: body("b"))
        await cache.body("c", 1, lambda: body("c"))
        return [
            await cache.body("a", 1, lambda: body("a2")),
            await cache.body("c", 1, lambda: body("c2")),
        ]

    assert asyncio.run(scenario()) == [b"a2", b"c"]
    assert calls == 2
