"""The controller skeleton: workers sync keys, failures come back with back-off."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, EventBroadcaster, SharedInformerFactory
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.manager import CONTROLLERS, selected
from tests.support.waiting import eventually


class _Sink:
    async def create(self, body: Any, *, namespace: str = "") -> Any:
        return body

    async def patch(self, *args: Any, **kwargs: Any) -> Any:
        return {}


def _context() -> ControllerContext:
    client = cast(ApiClient, object())
    return ControllerContext(
        client=client,
        informers=cast(SharedInformerFactory, object()),
        events=EventBroadcaster(_Sink()),
    )


class _Flaky(Controller):
    name = "flaky"
    component = "flaky-controller"
    workers = 2

    def __init__(self, ctx: ControllerContext, failures: int) -> None:
        super().__init__(ctx)
        self.failures = failures
        self.synced: list[str] = []

    async def sync(self, key: str) -> None:
        self.synced.append(key)
        if self.failures:
            self.failures -= 1
            raise errors.conflict("pods", "p", "the object has been modified")


async def test_a_failed_sync_is_retried_until_it_succeeds() -> None:
    controller = _Flaky(_context(), failures=2)
    runner = asyncio.create_task(controller.run())
    controller.queue.add("ns/a")
    try:
        await eventually(lambda: len(controller.synced) == 3, within=2, what="three syncs")
    finally:
        runner.cancel()
    assert controller.synced == ["ns/a", "ns/a", "ns/a"]
    assert controller.queue.num_requeues("ns/a") == 0  # forgotten after the success


async def test_a_key_failing_past_max_retries_is_dropped() -> None:
    controller = _Flaky(_context(), failures=100)
    controller.max_retries = 2
    runner = asyncio.create_task(controller.run())
    controller.queue.add("ns/a")
    await asyncio.sleep(0.3)
    runner.cancel()
    assert controller.synced == ["ns/a"] * 3  # the first try and two retries


def test_controllers_flag_selects_by_name() -> None:
    saved = dict(CONTROLLERS)
    try:
        CONTROLLERS.clear()
        CONTROLLERS.update({"a": _Flaky, "b": _Flaky, "c": _Flaky})  # type: ignore[dict-item]
        assert selected(["*"]) == ["a", "b", "c"]
        assert selected(["*", "-b"]) == ["a", "c"]
        assert selected(["c", "a"]) == ["a", "c"]
        with pytest.raises(ValueError, match="nope"):
            selected(["nope"])
    finally:
        CONTROLLERS.clear()
        CONTROLLERS.update(saved)
