"""The proxier loop with a fake backend: batching, reporting, surviving failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from kubeling.client import ApiClient, ClientConfig, EventBroadcaster
from kubeling.proxy.node import NodeInfo
from kubeling.proxy.proxier import Proxier, ProxyOptions
from kubeling.proxy.rules import ServiceRule, frontends
from kubeling.proxy.userspace.backend import PortProblem
from tests.support.waiting import eventually
from tests.unit.proxy.builders import endpoint, endpoint_slice, service


class FakeBackend:
    """Records every sync; fails the first ``failures`` of them; reports ``problems``."""

    def __init__(self, *, failures: int = 0, problem: bool = False) -> None:
        self.syncs: list[tuple[Sequence[ServiceRule], NodeInfo]] = []
        self.failures = failures
        self.problem = problem

    async def sync(self, rules: Sequence[ServiceRule], node: NodeInfo) -> list[PortProblem]:
        self.syncs.append((rules, node))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("backend broke")
        if self.problem and rules:
            return [PortProblem(frontends(rules, node)[0], "can't open port, skipping it")]
        return []

    async def close(self) -> None:
        pass


class FakeEvents:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def create(self, body: Any, *, namespace: str = "") -> dict[str, Any]:
        self.events.append(body)
        return dict(body)

    async def patch(self, name: str, patch: Any, **kw: Any) -> dict[str, Any]:
        return {}


def proxier(
    backend: FakeBackend, events: FakeEvents, *, sync_period: float = 0.2
) -> tuple[Proxier, EventBroadcaster]:
    client = ApiClient(ClientConfig(server="https://127.0.0.1:9"))  # never contacted
    broadcaster = EventBroadcaster(events)
    options = ProxyOptions(node_name="node-1", min_sync_period=0.05, sync_period=sync_period)
    return Proxier(client, backend, broadcaster.new_recorder("kube-proxy"), options), broadcaster


async def run_until(p: Proxier, condition: Callable[[], bool], what: str) -> None:
    task = asyncio.create_task(p.run())
    try:
        await eventually(condition, within=10, what=what)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_failing_sync_is_tried_again() -> None:
    backend = FakeBackend(failures=1)
    p, _ = proxier(backend, FakeEvents())
    # the periodic resync retries
    await run_until(p, lambda: len(backend.syncs) >= 2, "a second sync")
    assert p.synced.is_set()


async def test_changes_are_batched_and_the_node_is_read() -> None:
    backend = FakeBackend()
    p, _ = proxier(backend, FakeEvents(), sync_period=3600)
    p.services.indexer.upsert(service())
    p.slices.indexer.upsert(endpoint_slice("web", endpoint("10.0.0.1")))
    p.nodes.indexer.upsert(
        {
            "metadata": {"name": "node-1"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.4"}]},
        }
    )
    task = asyncio.create_task(p.run())
    await p.synced.wait()
    for _ in range(20):  # a burst of changes between two syncs...
        p._changed(None)
    await eventually(lambda: len(backend.syncs) == 2, within=10, what="a second sync")
    await asyncio.sleep(0.2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(backend.syncs) == 2  # ...is one sync
    rules, node = backend.syncs[-1]
    assert [str(r.name) for r in rules] == ["ns/web:http"]
    assert node.addresses == ("10.1.0.4",)


async def test_a_port_problem_is_reported_once_as_an_event() -> None:
    backend, events = FakeBackend(problem=True), FakeEvents()
    p, broadcaster = proxier(backend, events)
    p.services.indexer.upsert(service())
    writer = asyncio.create_task(broadcaster.run())
    # the same problem each time
    await run_until(p, lambda: len(backend.syncs) >= 3, "a third sync")
    await broadcaster.wait_idle()
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    assert [(e["reason"], e["type"], e["involvedObject"]["name"]) for e in events.events] == [
        ("FailedToOpenPort", "Warning", "web")
    ]
