"""Helpers for controller integration tests: run controllers, play the kubelet, wait.

There is no kubelet and no scheduler in these tests: the test stands in for
the kubelet by writing pod status through the ``status`` subresource, and
every wait polls with a deadline.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ClientConfig, PatchType, ResourceClient
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.waiting import eventually

__all__ = ["read", "running_controllers", "set_pod_phase", "set_pod_ready", "wait_for"]

T = TypeVar("T")


def _transient(err: errors.StatusError) -> bool:
    # A consistent list can time out (504) while the API server's watch cache waits for a
    # progress notification under load: a server-side delay, not the answer under test.
    return err.code == 504


def _tolerating_transient(call: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T | None]]:
    """``call``, answering None instead of raising a transient StatusError."""

    async def attempt() -> T | None:
        try:
            return await call()
        except errors.StatusError as err:
            if not _transient(err):
                raise
            return None

    return attempt


async def read(call: Callable[[], Awaitable[T]], *, within: float = 30) -> T:
    """``call()``, retried while the API server answers with a transient 504 (``call`` never
    returns None)."""
    answer = await eventually(
        _tolerating_transient(call),
        within=within,
        what="an answer other than a transient 504",
        accept=lambda value: value is not None,
    )
    assert answer is not None
    return answer


async def wait_for(
    check: Callable[[], Awaitable[T]], *, within: float = 30, what: str = "condition"
) -> T:
    """Poll ``check`` until it returns something truthy, through transient 504s; fail after
    ``within`` seconds."""
    result = await eventually(_tolerating_transient(check), within=within, what=what)
    assert result is not None
    return result


@asynccontextmanager
async def running_controllers(config: ClientConfig, names: Sequence[str]) -> AsyncIterator[None]:
    """Run the controller manager with ``names`` only, no leader election, as a task."""
    task = asyncio.create_task(
        run_controller_manager(
            config, ControllerManagerOptions(controllers=tuple(names), leader_elect=False)
        )
    )
    try:
        yield
    finally:
        task.cancel()
        results = await asyncio.gather(task, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                raise result


async def set_pod_phase(pods: ResourceClient, pod: dict[str, Any], phase: str) -> None:
    """The kubelet's word on a pod's phase, without a Ready condition."""
    meta = pod["metadata"]
    await pods.patch(
        meta["name"],
        {"status": {"phase": phase}},
        patch_type=PatchType.MERGE,
        namespace=meta["namespace"],
        subresource="status",
    )


async def set_pod_ready(pods: ResourceClient, pod: dict[str, Any], *, ready: bool = True) -> None:
    """The kubelet's word: the pod runs, and is (or is not) ready since now."""
    meta = pod["metadata"]
    now = format_time(datetime.datetime.now(datetime.UTC))
    status = "True" if ready else "False"
    await pods.patch(
        meta["name"],
        {
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": status, "lastTransitionTime": now}],
            }
        },
        patch_type=PatchType.MERGE,
        namespace=meta["namespace"],
        subresource="status",
    )
