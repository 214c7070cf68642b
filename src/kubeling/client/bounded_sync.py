"""Level-triggered syncing at a bounded rate: kube-proxy's ``BoundedFrequencyRunner``.

Components that recompute everything from their caches (the service proxy's rules, the
ingress's routes) mark themselves dirty on every informer event; :func:`run_bounded_sync`
then calls ``sync`` at most once per ``min_period`` (so that a burst of changes is applied
once) and at least once per ``max_period`` (a resync, in case something was missed). A
failing sync is logged and tried again at the next change or resync: what was applied stays.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

__all__ = ["run_bounded_sync"]


async def run_bounded_sync(
    sync: Callable[[], Awaitable[None]],
    dirty: asyncio.Event,
    *,
    min_period: float,
    max_period: float,
    log: logging.Logger,
    what: str,
) -> None:
    """Call ``sync`` whenever ``dirty`` is set (and every ``max_period``), never twice within
    ``min_period``, until cancelled; ``what`` names it in the log when it fails."""
    loop = asyncio.get_running_loop()
    last = -math.inf
    dirty.set()
    while True:
        try:
            async with asyncio.timeout(max_period):
                await dirty.wait()
        except TimeoutError:
            pass
        wait = last + min_period - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)  # let a burst of changes collect
        dirty.clear()
        last = loop.time()
        try:
            await sync()
        except Exception:
            # A bug or an object nobody foresaw must not take everything down: what is
            # applied stays, and the next change or resync tries again.
            log.exception("syncing %s failed", what)
