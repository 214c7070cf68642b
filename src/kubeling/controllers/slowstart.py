"""Slow-start batches: many API calls, starting with one, doubling while they succeed.

A controller that must create 500 pods in a namespace whose quota allows none
should learn it from one refused request, not 500 (and record one FailedCreate
Event, not 500). As Kubernetes' ``slowStartBatch``, the calls go in batches of
1, 2, 4, ... (each batch's calls run concurrently); a batch with a failure is
the last one, and the calls never made are left for the next sync.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["SLOW_START_INITIAL_BATCH_SIZE", "slow_start_batch"]

#: Kubernetes' ``controller.SlowStartInitialBatchSize``.
SLOW_START_INITIAL_BATCH_SIZE = 1


async def slow_start_batch(
    count: int,
    call: Callable[[], Awaitable[object]],
    *,
    initial_batch_size: int = SLOW_START_INITIAL_BATCH_SIZE,
) -> tuple[int, Exception | None]:
    """Await ``call()`` up to ``count`` times in doubling batches; return how many
    succeeded and the first failure (None if all succeeded).

    >>> async def ok() -> None: ...
    >>> asyncio.run(slow_start_batch(5, ok))
    (5, None)
    """
    successes = 0
    remaining = count
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        results = await asyncio.gather(*(call() for _ in range(batch)), return_exceptions=True)
        failures: list[Exception] = []
        for result in results:
            if isinstance(result, Exception):
                failures.append(result)
            elif isinstance(result, BaseException):
                raise result  # a cancellation is not a failed call
        successes += batch - len(failures)
        if failures:
            return successes, failures[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None
