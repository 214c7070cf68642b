"""pods/eviction over HTTP: the status codes and the Retry-After header clients act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.storage.memory import MemoryStore

W = WriteOptions()
Obj = dict[str, Any]


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[Registry, TestServer]]:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    server = TestServer(ApiServerApp(registry).app)
    await server.start_server()
    try:
        yield registry, server
    finally:
        await server.close()


async def _running_pod(registry: Registry, name: str) -> None:
    pods = registry.lookup("", "v1", "pods")
    assert pods is not None
    await pods.create(
        "default",
        {
            "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
        },
        W,
    )
    pod = await pods.get("default", name)
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    await pods.update("default", name, pod, W, subresource="status")


async def _budget(registry: Registry, name: str, **status: int) -> None:
    pdbs = registry.lookup("policy", "v1", "poddisruptionbudgets")
    assert pdbs is not None
    await pdbs.create(
        "default",
        {"metadata": {"name": name}, "spec": {"minAvailable": 1, "selector": {}}},
        W,
    )
    pdb = await pdbs.get("default", name)
    pdb["status"] = {"currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1, **status}
    await pdbs.update("default", name, pdb, W, subresource="status")


async def _evict(server: TestServer, name: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            server.make_url(f"/api/v1/namespaces/default/pods/{name}/eviction"),
            json={"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}},
        )
        await response.read()
        return response


async def test_a_budget_still_processing_asks_to_retry_after_10s(
    cluster: tuple[Registry, TestServer],
) -> None:
    """429 with Retry-After: 10 (client-go waits and retries on its own)."""
    registry, server = cluster
    await _running_pod(registry, "p")
    await _budget(registry, "web", observedGeneration=0, disruptionsAllowed=1)
    response = await _evict(server, "p")
    assert response.status == 429
    assert response.headers["Retry-After"] == "10"


async def test_a_spent_budget_is_a_429_without_retry_after(
    cluster: tuple[Registry, TestServer],
) -> None:
    """No disruption allowed: 429, and no Retry-After (kubectl drain retries every 5 s)."""
    registry, server = cluster
    await _running_pod(registry, "p")
    await _budget(registry, "web", observedGeneration=1, disruptionsAllowed=0)
    response = await _evict(server, "p")
    assert response.status == 429
    assert "Retry-After" not in response.headers


async def test_two_budgets_answer_500_with_a_status(cluster: tuple[Registry, TestServer]) -> None:
    """More than one budget: Kubernetes' 500 Failure Status, as a response, not an error."""
    registry, server = cluster
    await _running_pod(registry, "p")
    await _budget(registry, "a", observedGeneration=1, disruptionsAllowed=1)
    await _budget(registry, "b", observedGeneration=1, disruptionsAllowed=1)
    response = await _evict(server, "p")
    assert response.status == 500
    body = await response.json()
    assert (body["kind"], body["status"], body["code"]) == ("Status", "Failure", 500)
