"""Run chosen controllers in-process against a test server, and wait on what they do.

``controller_manager(server, "endpoints", ...)`` runs the controller manager
(without leader election) as a task for the body of an ``async with`` and
cancels it afterwards; if it died of an error meanwhile, that error fails the
test. ``eventually`` (from :mod:`tests.support.waiting`, re-exported for the
controller tests) polls a check until it holds, failing loudly after a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kubeling.client import ClientConfig, load_client_config
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.cluster import RunningServer
from tests.support.waiting import eventually

__all__ = ["controller_manager", "eventually"]


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
