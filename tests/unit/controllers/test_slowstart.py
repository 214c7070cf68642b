"""Slow-start batches: 1, 2, 4, ... calls, stopping after the first batch with a failure."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.controllers.slowstart import slow_start_batch


class _Calls:
    """A call that fails from its ``fail_from``-th invocation on, recording the batches."""

    def __init__(self, fail_from: int | None = None) -> None:
        self.fail_from = fail_from
        self.calls = 0
        self.in_flight = 0
        self.batches: list[int] = []

    async def __call__(self) -> None:
        self.calls += 1
        n = self.calls
        self.in_flight += 1
        if self.in_flight == 1:
            self.batches.append(0)
        self.batches[-1] += 1
        await asyncio.sleep(0)  # every call of a batch is in flight together
        self.in_flight -= 1
        if self.fail_from is not None and n >= self.fail_from:
            raise RuntimeError(f"call {n} refused")


@pytest.mark.parametrize(
    ("count", "fail_from", "batches", "successes", "error"),
    [
        (0, None, [], 0, None),
        (1, None, [1], 1, None),
        (10, None, [1, 2, 4, 3], 10, None),
        (500, None, [1, 2, 4, 8, 16, 32, 64, 128, 245], 500, None),
        (10, 1, [1], 0, "call 1 refused"),
        # the 4th call fails: its whole batch (calls 4 to 7) still runs, then it stops
        (10, 4, [1, 2, 4], 3, "call 4 refused"),
        (10, 8, [1, 2, 4, 3], 7, "call 8 refused"),
    ],
)
async def test_batches(
    count: int, fail_from: int | None, batches: list[int], successes: int, error: str | None
) -> None:
    call = _Calls(fail_from)
    done, failure = await slow_start_batch(count, call)
    assert call.batches == batches
    assert done == successes
    assert (str(failure) if failure else None) == error


async def test_a_failing_batch_reports_its_successes() -> None:
    """In a batch of 4 where two calls fail, the two that succeeded count."""
    results = iter([None, None, None, None, "x", None, "y"])

    async def call() -> None:
        await asyncio.sleep(0)
        if next(results):
            raise ValueError("refused")

    done, failure = await slow_start_batch(20, call)
    assert done == 5
    assert isinstance(failure, ValueError)


async def test_a_larger_first_batch() -> None:
    call = _Calls()
    assert await slow_start_batch(10, call, initial_batch_size=3) == (10, None)
    assert call.batches == [3, 6, 1]
