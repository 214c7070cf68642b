"""Node lifecycle and taint eviction against a real API server: a node that stops
renewing its Lease goes Unknown, is tainted, and its pods are evicted as their
tolerations say; kubectl cordon taints a node unschedulable.

The test plays the kubelets: it creates Nodes with a Ready condition and renews
their Leases in kube-node-lease, then stops renewing one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.timestamps import format_micro_time, format_time
from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import LEASES, NODES, PODS
from kubeling.controllers.nodelifecycle import NodeLifecycleOptions
from tests.integration.controllers_support import controller_manager, wait_for, wait_for_events
from tests.support.cluster import RunningServer

NS = "default"
LEASE_NS = "kube-node-lease"
#: short enough for a test, long enough for a loaded machine not to miss renewals
GRACE = 3.0
OPTIONS = NodeLifecycleOptions(
    node_monitor_period=0.25, node_monitor_grace_period=GRACE, node_startup_grace_period=GRACE
)

Obj = dict[str, Any]


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> AsyncIterator[None]:
    """The two controllers, the node lifecycle one with test timings."""
    config = load_client_config(kubeling_server.kubeconfig)
    async with controller_manager(
        config, "nodelifecycle", "taint-eviction-controller", node_lifecycle=OPTIONS
    ):
        yield


class Kubelets:
    """Renews the Leases (and Ready heartbeats) of the nodes it is told are alive."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.alive: set[str] = set()

    async def register(self, name: str, labels: dict[str, str] | None = None) -> None:
        now = format_time()
        await self.client.resource(NODES).create(
            {
                "metadata": {"name": name, "labels": labels or {}},
                "status": {"conditions": [self._ready(now, now)]},
            }
        )
        await self.client.resource(LEASES).create(
            {
                "metadata": {"name": name, "namespace": LEASE_NS},
                "spec": {
                    "holderIdentity": name,
                    "leaseDurationSeconds": 40,
                    "renewTime": format_micro_time(),
                },
            }
        )
        self.alive.add(name)

    @staticmethod
    def _ready(heartbeat: str, transition: str) -> Obj:
        return {
            "type": "Ready",
            "status": "True",
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": transition,
        }

    async def post_ready(self, name: str) -> None:
        """The kubelet is back: Ready True again."""
        node = await self.client.resource(NODES).get(name)
        now = format_time()
        node["status"]["conditions"] = [
            c for c in node["status"]["conditions"] if c["type"] != "Ready"
        ] + [self._ready(now, now)]
        await self.client.resource(NODES).update_status(node)

    async def run(self) -> None:
        while True:
            for name in list(self.alive):
                await self.client.resource(LEASES).patch(
                    name,
                    {"spec": {"renewTime": format_micro_time()}},
                    namespace=LEASE_NS,
                    patch_type=PatchType.MERGE,
                )
            await asyncio.sleep(0.3)


@pytest.fixture
async def kubelets(api_client: ApiClient) -> AsyncIterator[Kubelets]:
    kubelets = Kubelets(api_client)
    task = asyncio.create_task(kubelets.run())
    yield kubelets
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _pod(
    client: ApiClient, name: str, node: str, tolerations: list[Obj] | None = None
) -> Obj:
    """A running, ready pod on ``node``."""
    spec: Obj = {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    pods = client.resource(PODS)
    pod = await pods.create({"metadata": {"name": name}, "spec": spec}, namespace=NS)
    now = format_time()
    pod["status"] = {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now, "lastProbeTime": None}
        ],
    }
    return await pods.update_status(pod)


def _unreachable_for(seconds: int) -> Obj:
    return {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": seconds,
    }


async def _get(client: ApiClient, resource: Any, name: str, namespace: str = "") -> Obj | None:
    try:
        return await client.resource(resource).get(name, namespace=namespace)
    except errors.StatusError as err:
        if errors.is_not_found(err):
            return None
        raise


def _condition(obj: Obj, condition_type: str) -> Obj | None:
    return next(
        (c for c in obj.get("status", {}).get("conditions") or [] if c["type"] == condition_type),
        None,
    )


async def _evicted_by_taint_manager(client: ApiClient, name: str) -> bool | None:
    pod = await _get(client, PODS, name, NS)
    if pod is None:
        return True
    target = _condition(pod, "DisruptionTarget")
    deleting = bool(pod["metadata"].get("deletionTimestamp"))
    return (
        deleting and target is not None and target["reason"] == "DeletionByTaintManager"
    ) or None


async def test_a_silent_node_goes_unknown_is_tainted_and_its_pods_evicted(
    api_client: ApiClient, kubelets: Kubelets, controllers: None
) -> None:
    """Lease not renewed: Unknown conditions, unreachable taints, evictions by tolerations."""
    await kubelets.register("lost")
    await kubelets.register("healthy")  # a zone with one ready node is not fully disrupted
    await _pod(api_client, "quick", "lost", [_unreachable_for(0)])
    await _pod(api_client, "patient", "lost", [_unreachable_for(4)])
    await _pod(api_client, "stays", "lost", [{"operator": "Exists"}])
    defaulted = await _pod(api_client, "defaulted", "lost")
    assert {t["key"]: t["tolerationSeconds"] for t in defaulted["spec"]["tolerations"]} == {
        "node.kubernetes.io/not-ready": 300,
        "node.kubernetes.io/unreachable": 300,
    }

    await wait_for_events(
        api_client,
        NS,
        "lost",
        ("RegisteredNode", "Node lost event: Registered Node lost in Controller"),
    )
    kubelets.alive.discard("lost")

    async def unknown() -> bool | None:
        node = await _get(api_client, NODES, "lost")
        ready = _condition(node or {}, "Ready")
        return (ready is not None and ready["status"] == "Unknown") or None

    await wait_for(unknown)
    node = await _get(api_client, NODES, "lost")
    assert node is not None
    ready = _condition(node, "Ready")
    assert ready is not None
    assert (ready["reason"], ready["message"]) == (
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    for condition_type in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        never = _condition(node, condition_type)
        assert never is not None
        assert (never["status"], never["reason"], never["message"]) == (
            "Unknown",
            "NodeStatusNeverUpdated",
            "Kubelet never posted node status.",
        )

    async def tainted() -> bool | None:
        node = await _get(api_client, NODES, "lost")
        keys = {(t["key"], t["effect"]) for t in (node or {}).get("spec", {}).get("taints") or []}
        wanted = {
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoSchedule"),
        }
        return (wanted <= keys) or None

    await wait_for(tainted)
    node = await _get(api_client, NODES, "lost")
    assert node is not None
    assert all(t.get("timeAdded") for t in node["spec"]["taints"])

    await wait_for(lambda: _evicted_by_taint_manager(api_client, "quick"))
    patient = await _get(api_client, PODS, "patient", NS)
    assert patient is not None
    assert not patient["metadata"].get("deletionTimestamp")
    await wait_for(lambda: _evicted_by_taint_manager(api_client, "patient"))
    for name in ("stays", "defaulted"):
        pod = await _get(api_client, PODS, name, NS)
        assert pod is not None
        assert not pod["metadata"].get("deletionTimestamp")
        pod_ready = _condition(pod, "Ready")
        assert pod_ready is not None
        assert pod_ready["status"] == "False"

    await wait_for_events(
        api_client,
        NS,
        "quick",
        ("TaintManagerEviction", "Marking for deletion Pod default/quick"),
        ("NodeNotReady", "Node is not ready"),
    )
    await wait_for_events(
        api_client, NS, "lost", ("NodeNotReady", "Node lost status is now: NodeNotReady")
    )
    healthy = await _get(api_client, NODES, "healthy")
    assert healthy is not None
    assert not healthy.get("spec", {}).get("taints")

    # The kubelet comes back: Ready again, the taints go.
    kubelets.alive.add("lost")
    await kubelets.post_ready("lost")

    async def untainted() -> bool | None:
        node = await _get(api_client, NODES, "lost")
        return (node is not None and not node.get("spec", {}).get("taints")) or None

    await wait_for(untainted)


async def test_an_untolerated_no_execute_taint_evicts_at_once(
    api_client: ApiClient, kubelets: Kubelets, controllers: None
) -> None:
    """A NoExecute taint a pod does not tolerate deletes it; one it tolerates keeps it."""
    await kubelets.register("maint")
    await _pod(api_client, "plain", "maint")
    await _pod(
        api_client,
        "tolerant",
        "maint",
        [{"key": "example.com/maintenance", "operator": "Exists", "effect": "NoExecute"}],
    )
    await api_client.resource(NODES).patch(
        "maint",
        {"spec": {"taints": [{"key": "example.com/maintenance", "effect": "NoExecute"}]}},
        patch_type=PatchType.MERGE,
    )
    await wait_for(lambda: _evicted_by_taint_manager(api_client, "plain"))
    tolerant = await _get(api_client, PODS, "tolerant", NS)
    assert tolerant is not None
    assert not tolerant["metadata"].get("deletionTimestamp")


async def test_cordon_adds_the_unschedulable_taint(
    kubeling_server: RunningServer, api_client: ApiClient, kubelets: Kubelets, controllers: None
) -> None:
    """kubectl cordon/uncordon: node.kubernetes.io/unschedulable:NoSchedule follows."""
    await kubelets.register("cordoned")

    async def taint_keys() -> set[str]:
        node = await _get(api_client, NODES, "cordoned")
        return {t["key"] for t in (node or {}).get("spec", {}).get("taints") or []}

    await asyncio.to_thread(kubeling_server.kubectl, "cordon", "cordoned")

    async def has_taint() -> bool | None:
        return ("node.kubernetes.io/unschedulable" in await taint_keys()) or None

    await wait_for(has_taint)
    await asyncio.to_thread(kubeling_server.kubectl, "uncordon", "cordoned")

    async def lost_taint() -> bool | None:
        return ("node.kubernetes.io/unschedulable" not in await taint_keys()) or None

    await wait_for(lost_taint)
