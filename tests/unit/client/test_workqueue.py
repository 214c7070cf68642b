"""The work queue: deduplication, one worker per key, delays, back-off and draining shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from kubeling.client.workqueue import ShutDown, WorkQueue


class CountingLimiter:
    """A rate limiter that records calls and always asks for ``delay``."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        self.failures[item] = self.failures.get(item, 0) + 1
        return self.delay

    def forget(self, item: Hashable) -> None:
        self.failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self.failures.get(item, 0)


async def _drain(queue: WorkQueue[str]) -> list[str]:
    """Everything queued right now, each marked done."""
    items = []
    while len(queue):
        item = await queue.get()
        items.append(item)
        queue.done(item)
    return items


async def test_a_key_added_many_times_is_queued_once() -> None:
    """Adds while waiting collapse; order is first-add order."""
    queue: WorkQueue[str] = WorkQueue()
    for key in ["a", "b", "a", "c", "b", "a"]:
        queue.add(key)
    assert len(queue) == 3
    assert await _drain(queue) == ["a", "b", "c"]


async def test_a_key_being_processed_is_not_handed_out_again_until_done() -> None:
    """Re-added while processing, the key waits for done, then comes back once."""
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    first = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0  # not available to a second worker
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not second.done()
    queue.done(first)
    assert await second == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_no_key_is_ever_processed_by_two_workers_at_once() -> None:
    """Many workers, keys re-added constantly: each key has at most one worker at a time."""
    queue: WorkQueue[str] = WorkQueue()
    active: set[str] = set()
    overlaps: list[str] = []
    processed: list[str] = []
    enough = asyncio.Event()

    async def worker() -> None:
        while True:
            try:
                key = await queue.get()
            except ShutDown:
                return
            if key in active:
                overlaps.append(key)
            active.add(key)
            await asyncio.sleep(0)
            queue.add(key if len(processed) < 300 else "done")  # churn while processing
            await asyncio.sleep(0)
            active.discard(key)
            processed.append(key)
            if len(processed) >= 300:
                enough.set()
            queue.done(key)

    for i in range(20):
        queue.add(f"k{i % 5}")
    async with asyncio.TaskGroup() as group:
        for _ in range(8):
            group.create_task(worker())
        await asyncio.wait_for(enough.wait(), 30)
        await queue.shutdown_with_drain()
    assert overlaps == []
    assert len(processed) >= 300


async def test_get_waits_for_an_item() -> None:
    """A worker blocked in get wakes up when a key is added."""
    queue: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("x")
    assert await getter == "x"


async def test_a_cancelled_getter_does_not_swallow_a_wakeup() -> None:
    """If the getter a key was meant for is cancelled, another waiting getter gets the key."""
    queue: WorkQueue[str] = WorkQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("x")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await second == "x"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_add_after_delays_and_keeps_the_earlier_time() -> None:
    """A delayed key arrives after its delay; a second, later add_after does not postpone it."""
    queue: WorkQueue[str] = WorkQueue()
    loop = asyncio.get_running_loop()
    started = loop.time()
    queue.add_after("slow", 0.05)
    queue.add_after("slow", 10.0)  # later: ignored, the earlier time wins
    queue.add_after("now", 0)
    assert await queue.get() == "now"
    queue.done("now")
    assert await asyncio.wait_for(queue.get(), 5) == "slow"
    assert loop.time() - started >= 0.05


async def test_add_after_an_earlier_time_replaces_a_later_one() -> None:
    """A key already waiting long is brought forward by a shorter delay."""
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("k", 60.0)
    queue.add_after("k", 0.01)
    assert await asyncio.wait_for(queue.get(), 5) == "k"


async def test_rate_limited_adds_count_failures_until_forgotten() -> None:
    """add_rate_limited asks the limiter for the delay; forget resets num_requeues."""
    limiter = CountingLimiter(0.01)
    queue: WorkQueue[str] = WorkQueue(rate_limiter=limiter)
    for _ in range(3):
        queue.add_rate_limited("k")
    assert queue.num_requeues("k") == 3
    assert await asyncio.wait_for(queue.get(), 5) == "k"
    queue.done("k")
    queue.forget("k")
    assert queue.num_requeues("k") == 0


async def test_the_default_rate_limiter_backs_off_exponentially() -> None:
    """Without a limiter given, client-go's default: 5 ms, then 10 ms, then 20 ms..."""
    queue: WorkQueue[str] = WorkQueue()
    assert [queue.rate_limiter.when("k") for _ in range(4)] == pytest.approx(
        [0.005, 0.01, 0.02, 0.04]
    )


async def test_shutdown_lets_workers_drain_what_is_queued() -> None:
    """After shutdown, queued keys are still handed out, new adds are ignored, then ShutDown."""
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("b")
    queue.add_after("later", 0.01)
    queue.shutdown()
    queue.add("c")
    queue.add_after("d", 0)
    assert queue.shutting_down
    assert await _drain(queue) == ["a", "b"]
    with pytest.raises(ShutDown):
        await queue.get()
    await asyncio.sleep(0.03)  # the delayed key was dropped with the shutdown
    assert len(queue) == 0


async def test_shutdown_wakes_idle_workers() -> None:
    """Workers blocked in get return ShutDown."""
    queue: WorkQueue[str] = WorkQueue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    queue.shutdown()
    for getter in getters:
        with pytest.raises(ShutDown):
            await getter


async def test_shutdown_with_drain_waits_for_keys_in_flight() -> None:
    """shutdown_with_drain returns only once every key being processed is done."""
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    key = await queue.get()
    drain = asyncio.create_task(queue.shutdown_with_drain())
    await asyncio.sleep(0.01)
    assert not drain.done()
    queue.done(key)
    await asyncio.wait_for(drain, 5)


async def test_shutdown_with_drain_returns_at_once_when_idle() -> None:
    """Nothing in flight: nothing to wait for."""
    queue: WorkQueue[str] = WorkQueue()
    await asyncio.wait_for(queue.shutdown_with_drain(), 5)
