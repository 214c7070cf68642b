"""The pod garbage collector against a real API server (short period and quarantine)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import NODES, PODS
from kubeling.controllers.manager import CONTROLLERS
from kubeling.controllers.podgc import PodGCController
from tests.integration.controllers_support import (
    controller_manager,
    fresh_namespace,
    set_pod_phase,
    wait_for,
)
from tests.support.cluster import RunningServer

Obj = dict[str, Any]


@pytest.fixture
async def podgc(
    kubeling_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    factory = functools.partial(
        PodGCController, gc_check_period=0.2, quarantine_time=0.5, terminated_pod_threshold=3
    )
    monkeypatch.setitem(CONTROLLERS, "podgc", factory)
    async with controller_manager(load_client_config(kubeling_server.kubeconfig), "podgc"):
        yield


def _pod(name: str, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "busybox"}], **spec},
    }


@pytest.mark.usefixtures("podgc")
async def test_pod_on_a_deleted_node_is_failed_and_deleted(api_client: ApiClient) -> None:
    """Its node deleted, the running pod gets DisruptionTarget (DeletionByPodGC), phase
    Failed, and a forced deletion (a finalizer keeps it here for the test to look at);
    a pod on a node that still exists is left alone."""
    ns = await fresh_namespace(api_client)
    nodes = api_client.resource(NODES)
    await nodes.create({"metadata": {"name": f"node-{ns}"}})
    await nodes.create({"metadata": {"name": f"kept-{ns}"}})
    await api_client.resource(PODS).create(_pod("safe", nodeName=f"kept-{ns}"), namespace=ns)
    pod = _pod("stranded", nodeName=f"node-{ns}")
    pod["metadata"]["finalizers"] = ["example.com/inspect"]
    created = await api_client.resource(PODS).create(pod, namespace=ns)
    await set_pod_phase(api_client, created, "Running", ready=True)
    await nodes.delete(f"node-{ns}")

    async def collected() -> Obj | None:
        current = await api_client.resource(PODS).get("stranded", namespace=ns)
        return current if current["metadata"].get("deletionTimestamp") else None

    gone = await wait_for(collected, what="the orphaned pod to be collected")
    assert gone["status"]["phase"] == "Failed"
    disruption = next(c for c in gone["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (disruption["status"], disruption["reason"], disruption["message"]) == (
        "True",
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    assert gone["metadata"]["deletionGracePeriodSeconds"] == 0
    safe = await api_client.resource(PODS).get("safe", namespace=ns)
    assert not safe["metadata"].get("deletionTimestamp")
    assert safe["status"]["phase"] == "Pending"
    await api_client.resource(PODS).patch(
        "stranded", {"metadata": {"finalizers": None}}, namespace=ns
    )


@pytest.mark.usefixtures("podgc")
async def test_terminated_pods_beyond_the_threshold_go(api_client: ApiClient) -> None:
    """Threshold 3 across the cluster: terminated pods beyond it are deleted, oldest first."""
    ns = await fresh_namespace(api_client)
    pods = api_client.resource(PODS)
    for i in range(5):
        created = await pods.create(_pod(f"done-{i}"), namespace=ns)
        await set_pod_phase(api_client, created, "Succeeded")

    async def trimmed() -> list[str] | None:
        listed = await pods.list(namespace=ns)
        names = sorted(p["metadata"]["name"] for p in listed["items"])
        return names if len(names) <= 3 else None

    left = await wait_for(trimmed, what="terminated pods beyond the threshold to go")
    assert len(left) == 3


@pytest.mark.usefixtures("podgc")
async def test_unscheduled_terminating_pod_is_force_deleted(api_client: ApiClient) -> None:
    ns = await fresh_namespace(api_client)
    pods = api_client.resource(PODS)
    pod = _pod("unscheduled")
    pod["metadata"]["finalizers"] = ["example.com/inspect"]
    await pods.create(pod, namespace=ns)
    await pods.delete("unscheduled", namespace=ns)

    async def failed() -> Obj | None:
        current = await pods.get("unscheduled", namespace=ns)
        return current if current["status"].get("phase") == "Failed" else None

    await wait_for(failed, what="the unscheduled terminating pod to be marked Failed")
    await pods.patch("unscheduled", {"metadata": {"finalizers": None}}, namespace=ns)

    async def gone() -> bool | None:
        try:
            await pods.get("unscheduled", namespace=ns)
        except errors.StatusError as err:
            return True if errors.is_not_found(err) else None
        return None

    await wait_for(gone, what="the pod to go once released")
