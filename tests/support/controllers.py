"""Run chosen controllers in-process against a test server, and wait on what they do.

``controller_manager(server, "endpoints", ...)`` runs the controller manager
(without leader election) as a task for the body of an ``async with`` and
cancels it afterwards; if it died of an error meanwhile, that error fails the
test. ``eventually(check)`` polls an async check until it returns something
truthy (or, with ``accept``, something else acceptable), failing loudly after a
deadline (never sleep-and-hope).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from kubeling.client import ClientConfig, load_client_config
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.cluster import RunningServer

__all__ = ["controller_manager", "eventually"]

T = TypeVar("T")


@asynccontextmanager
async def controller_manager(
    target: RunningServer | ClientConfig, *controllers: str, **settings: Any
) -> AsyncIterator[None]:
    """The named controllers running against ``target`` for the duration of the block;
    ``settings`` are further :class:`ControllerManagerOptions` fields."""
    config = target if isinstance(target, ClientConfig) else load_client_config(target.kubeconfig)
    options = ControllerManagerOptions(controllers=controllers, leader_elect=False, **settings)
    task = asyncio.create_task(run_controller_manager(config, options))
    try:
        yield
    finally:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise AssertionError("the controller manager failed") from task.exception()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    within: float = 60,
    what: str = "the condition",
    accept: Callable[[T], object] = bool,
) -> T:
    """The first result of ``check()`` that ``accept`` takes (by default: a truthy one), polled
    every 0.1 s for up to ``within`` s."""
    last: T | None = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = await check()
                if accept(last):
                    return last
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen in {within} s; last seen: {last!r}") from None
