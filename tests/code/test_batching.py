"""The micro-batcher: concurrent submissions share model calls; one bad item fails alone."""

from __future__ import annotations

import asyncio

import pytest

from serving.batching import MicroBatcher


def test_concurrent_items_share_calls_and_keep_their_answers() -> None:
    calls: list[list[int]] = []

    def predict(items: list[int]) -> list[int]:
        calls.append(list(items))
        return [2 * i for i in items]

    async def run() -> list[int]:
        batcher = MicroBatcher("test", predict, max_batch_size=8)
        return await asyncio.gather(*(batcher.submit(i) for i in range(20)))

    assert asyncio.run(run()) == [2 * i for i in range(20)]
    assert len(calls) < 20 and max(len(c) for c in calls) <= 8


def test_one_bad_item_fails_only_its_request() -> None:
    def predict(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("bad item 13")
        return list(items)

    async def run() -> list[object]:
        batcher = MicroBatcher("test", predict)
        return await asyncio.gather(*(batcher.submit(i) for i in range(16)), return_exceptions=True)

    results = asyncio.run(run())
    assert isinstance(results[13], ValueError)
    assert [r for i, r in enumerate(results) if i != 13] == [i for i in range(16) if i != 13]


def test_a_lone_request_is_answered_at_once() -> None:
    async def run() -> int:
        return await MicroBatcher("test", lambda items: [i + 1 for i in items]).submit(41)

    assert asyncio.run(run()) == 42


@pytest.mark.parametrize("size", [1, 3])
def test_max_batch_size_is_respected(size: int) -> None:
    seen: list[int] = []

    def predict(items: list[int]) -> list[int]:
        seen.append(len(items))
        return items

    async def run() -> None:
        batcher = MicroBatcher("test", predict, max_batch_size=size)
        await asyncio.gather(*(batcher.submit(i) for i in range(7)))

    asyncio.run(run())
    assert max(seen) <= size and sum(seen) == 7


def test_a_batch_the_batcher_cannot_hand_out_still_answers_every_request() -> None:
    """predict returning one answer too few is a bug, but no request may wait for it."""

    def predict(items: list[int]) -> list[int]:
        return list(items)[:-1] if len(items) > 1 else list(items)

    async def run() -> list[object]:
        batcher = MicroBatcher("test", predict, max_batch_size=4)
        pending = asyncio.gather(*(batcher.submit(i) for i in range(8)), return_exceptions=True)
        results = await asyncio.wait_for(pending, timeout=5)
        assert await batcher.submit(99) == 99  # and the batcher still works afterwards
        return results

    results = asyncio.run(run())
    errors = [r for r in results if isinstance(r, ValueError)]
    assert errors and all("zip()" in str(e) for e in errors)
    assert [r for r in results if not isinstance(r, Exception)] == [
        i for i in range(8) if not isinstance(results[i], Exception)
    ]
