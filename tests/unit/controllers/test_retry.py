"""``Retry``: a routine "not yet" comes back after its delay or with back-off."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from kubeling.client import ApiClient, EventBroadcaster, SharedInformerFactory
from kubeling.controllers.base import Controller, ControllerContext, Retry
from tests.support.waiting import eventually


class _Sink:
    async def create(self, body: Any, *, namespace: str = "") -> Any:
        return body


class _NotYet(Controller):
    name = "not-yet"
    component = "not-yet-controller"
    workers = 1

    def __init__(self, after: float | None) -> None:
        super().__init__(
            ControllerContext(
                client=cast(ApiClient, object()),
                informers=cast(SharedInformerFactory, object()),
                events=EventBroadcaster(_Sink()),
            )
        )
        self.after = after
        self.times: list[float] = []

    async def sync(self, key: str) -> None:
        self.times.append(asyncio.get_running_loop().time())
        if len(self.times) < 2:
            raise Retry("content remains", after=self.after)


async def _run(controller: _NotYet) -> None:
    runner = asyncio.create_task(controller.run())
    controller.queue.add("k")
    try:
        await eventually(lambda: len(controller.times) == 2, within=3, what="the second sync")
    finally:
        runner.cancel()


async def test_retry_after_comes_back_after_its_delay_without_counting_a_failure() -> None:
    """``after`` is a plain delay: not a failure of the key."""
    controller = _NotYet(after=0.2)
    await _run(controller)
    assert len(controller.times) == 2
    assert controller.times[1] - controller.times[0] >= 0.19
    assert controller.queue.num_requeues("k") == 0


async def test_retry_without_delay_backs_off_like_a_failure() -> None:
    """Without ``after`` the key is rate-limited, then forgotten on success."""
    controller = _NotYet(after=None)
    await _run(controller)
    assert len(controller.times) == 2
