"""PodDisruptionBudgets against a real API server: the disruption controller's status,
the eviction subresource refusing (429) and allowing, and kubectl drain waiting on a
budget until a replacement pod is ready.

No ReplicaSet controller runs here: the test creates a ReplicaSet and its pods (with
their controller reference) itself, and plays the kubelet (pod status; a terminating
pod is removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import NODES, PODDISRUPTIONBUDGETS, PODS, REPLICASETS
from tests.integration.controllers_support import (
    controller_manager,
    events_of,
    set_pod_phase,
    wait_for,
)
from tests.support.cluster import RunningServer, kubectl_binary

NS = "default"
Obj = dict[str, Any]


@pytest.fixture
async def disruption(kubeling_server: RunningServer) -> AsyncIterator[None]:
    async with controller_manager(load_client_config(kubeling_server.kubeconfig), "disruption"):
        yield


async def _replica_set(client: ApiClient, name: str, replicas: int) -> Obj:
    return await client.resource(REPLICASETS).create(
        {
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
        namespace=NS,
    )


async def _node(client: ApiClient, name: str) -> None:
    with contextlib.suppress(errors.StatusError):
        await client.resource(NODES).create({"metadata": {"name": name}})


async def _running_pod(client: ApiClient, owner: Obj, name: str, node: str) -> Obj:
    """A pod of ``owner`` on ``node``, Running and Ready (as its kubelet would report)."""
    app = owner["metadata"]["name"]
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": app,
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    pod = await client.resource(PODS).create(
        {
            "metadata": {"name": name, "labels": {"app": app}, "ownerReferences": [ref]},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
        },
        namespace=NS,
    )
    return await set_pod_phase(client, pod, "Running", ready=True)


async def _budget(client: ApiClient, name: str) -> Obj:
    return await client.resource(PODDISRUPTIONBUDGETS).get(name, namespace=NS)


def _status_is(expected: dict[str, int]) -> Callable[[Obj], bool]:
    def check(pdb: Obj) -> bool:
        status = pdb.get("status") or {}
        return all(status.get(k) == v for k, v in expected.items())

    return check


async def _wait_status(client: ApiClient, name: str, **expected: int) -> Obj:
    match = _status_is(expected)
    seen: dict[str, Obj] = {}

    async def reached() -> bool | None:
        seen["pdb"] = await _budget(client, name)
        return (match(seen["pdb"])) or None

    try:
        await wait_for(reached)
    except AssertionError:
        raise AssertionError(f"budget {name} never reached {expected}: {seen.get('pdb')}") from None
    return seen["pdb"]


def _eviction(name: str) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}


async def test_budget_status_and_evictions(api_client: ApiClient, disruption: None) -> None:
    """minAvailable 2 of 3: one eviction allowed (bookkept), the next refused with 429."""
    await _node(api_client, "pdb-node")
    owner = await _replica_set(api_client, "web", 3)
    for i in range(3):
        await _running_pod(api_client, owner, f"web-{i}", "pdb-node")
    await api_client.resource(PODDISRUPTIONBUDGETS).create(
        {
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
        },
        namespace=NS,
    )
    pdb = await _wait_status(
        api_client,
        "web",
        expectedPods=3,
        currentHealthy=3,
        desiredHealthy=2,
        disruptionsAllowed=1,
        observedGeneration=1,
    )
    [condition] = pdb["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "DisruptionAllowed",
        "True",
        "SufficientPods",
    )

    await api_client.resource(PODS).create(
        _eviction("web-0"), namespace=NS, name="web-0", subresource="eviction"
    )
    evicted = await api_client.resource(PODS).get("web-0", namespace=NS)
    assert evicted["metadata"]["deletionTimestamp"]
    pdb = await _wait_status(api_client, "web", currentHealthy=2, disruptionsAllowed=0)
    assert pdb["status"]["conditions"][0]["reason"] == "InsufficientPods"

    async def bookkeeping_done() -> bool | None:
        # once the controller sees the pod terminating, its disruptedPods entry goes
        return (not (await _budget(api_client, "web"))["status"].get("disruptedPods")) or None

    await wait_for(bookkeeping_done)

    with pytest.raises(errors.StatusError) as refused:
        await api_client.resource(PODS).create(
            _eviction("web-1"), namespace=NS, name="web-1", subresource="eviction"
        )
    assert refused.value.code == 429
    assert refused.value.reason == "TooManyRequests"
    assert refused.value.message == (
        "Cannot evict pod as it would violate the pod's disruption budget."
    )
    assert refused.value.details is not None
    assert [c.reason for c in refused.value.details.causes] == ["DisruptionBudget"]
    assert refused.value.details.causes[0].message == (
        "The disruption budget web needs 2 healthy pods and has 2 currently"
    )
    survivor = await api_client.resource(PODS).get("web-1", namespace=NS)
    assert not survivor["metadata"].get("deletionTimestamp")


async def test_percentages_count_the_controllers_scale(
    api_client: ApiClient, disruption: None
) -> None:
    """maxUnavailable 50% of a ReplicaSet scaled to 4 with 2 pods: expected 4, desired 2."""
    await _node(api_client, "pdb-node")
    owner = await _replica_set(api_client, "half", 4)
    for i in range(2):
        await _running_pod(api_client, owner, f"half-{i}", "pdb-node")
    await api_client.resource(PODDISRUPTIONBUDGETS).create(
        {
            "metadata": {"name": "half"},
            "spec": {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "half"}}},
        },
        namespace=NS,
    )
    await _wait_status(
        api_client, "half", expectedPods=4, desiredHealthy=2, currentHealthy=2, disruptionsAllowed=0
    )


async def test_an_unmanaged_pod_fails_safe(api_client: ApiClient, disruption: None) -> None:
    """A percentage over a pod with no controller: no disruption allowed, SyncFailed."""
    await _node(api_client, "pdb-node")
    pods = api_client.resource(PODS)
    await pods.create(
        {
            "metadata": {"name": "orphan", "labels": {"app": "orphan"}},
            "spec": {"nodeName": "pdb-node", "containers": [{"name": "c", "image": "busybox"}]},
        },
        namespace=NS,
    )
    await api_client.resource(PODDISRUPTIONBUDGETS).create(
        {
            "metadata": {"name": "orphan"},
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "orphan"}}},
        },
        namespace=NS,
    )

    async def unmanaged_reported() -> bool | None:
        events = await events_of(api_client, NS, "orphan")
        return any(reason == "UnmanagedPods" for reason, _ in events) or None

    await wait_for(unmanaged_reported)
    pdb = await _budget(api_client, "orphan")
    assert pdb["status"]["disruptionsAllowed"] == 0


class _Kubelet:
    """Removes the terminating pods of one node, as its kubelet would once they stopped."""

    def __init__(self, client: ApiClient, node: str) -> None:
        self.client, self.node = client, node

    async def run(self) -> None:
        pods = self.client.resource(PODS)
        while True:
            listed = await pods.list(namespace=NS, field_selector=f"spec.nodeName={self.node}")
            for pod in listed["items"]:
                if pod["metadata"].get("deletionTimestamp"):
                    with contextlib.suppress(errors.StatusError):
                        await pods.delete(
                            pod["metadata"]["name"], namespace=NS, grace_period_seconds=0
                        )
            await asyncio.sleep(0.2)


async def test_kubectl_drain_waits_for_the_budget(
    kubeling_server: RunningServer, api_client: ApiClient, disruption: None
) -> None:
    """Drain evicts one pod, is refused the second until a replacement is ready, then ends."""
    for node in ("drainee", "spare"):
        await _node(api_client, node)
    owner = await _replica_set(api_client, "db", 2)
    await _running_pod(api_client, owner, "db-0", "drainee")
    await _running_pod(api_client, owner, "db-1", "drainee")
    await api_client.resource(PODDISRUPTIONBUDGETS).create(
        {
            "metadata": {"name": "db"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}},
        },
        namespace=NS,
    )
    await _wait_status(api_client, "db", currentHealthy=2, disruptionsAllowed=1)
    kubelet = asyncio.create_task(_Kubelet(api_client, "drainee").run())
    env = {
        **os.environ,
        "HOME": str(kubeling_server.home),
        "KUBECONFIG": str(kubeling_server.kubeconfig),
    }
    drain = await asyncio.create_subprocess_exec(
        kubectl_binary(),
        "drain",
        "drainee",
        "--ignore-daemonsets",
        "--timeout=90s",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert drain.stderr is not None
        refusal = ""
        async with asyncio.timeout(60):
            # kubectl reports each refused eviction and retries it every 5 s
            while "disruption budget" not in refusal:
                line = await drain.stderr.readline()
                assert line, "kubectl drain ended without being refused"
                refusal = line.decode()
        assert "(will retry after 5s): Cannot evict pod as it would violate the pod's " in refusal

        async def running() -> int:
            remaining = await api_client.resource(PODS).list(
                namespace=NS, field_selector="spec.nodeName=drainee"
            )
            return sum(1 for p in remaining["items"] if not p["metadata"].get("deletionTimestamp"))

        # One evicted, one held by the budget. kubectl evicts both at once, so the refusal
        # may be printed while the allowed eviction is still between its budget and its
        # delete: wait for that delete (a second one would leave none, and fail).
        async def one_running() -> bool | None:
            return True if await running() == 1 else None

        await wait_for(one_running, within=10, what="one pod left running on the node")
        assert await running() == 1
        await _running_pod(api_client, owner, "db-2", "spare")  # the replacement
        async with asyncio.timeout(100):
            stdout, _ = await drain.communicate()
    finally:
        kubelet.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await kubelet
        if drain.returncode is None:
            drain.kill()
            await drain.wait()
    output = stdout.decode()
    assert drain.returncode == 0, output
    assert "node/drainee cordoned" in output
    assert "node/drainee drained" in output
    node = await api_client.resource(NODES).get("drainee")
    assert node["spec"]["unschedulable"] is True
