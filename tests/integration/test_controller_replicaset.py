"""The ReplicaSet and ReplicationController controllers against a real API server.

The controller manager runs in this process with only these two controllers;
there is no kubelet or scheduler, so the tests play the kubelet by patching pod
status. Each test works in its own namespace of one module-wide server.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient, PatchType, ResourceClient, load_client_config
from kubeling.client.resources import (
    EVENTS,
    NAMESPACES,
    PODS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
)
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.integration.controllers_support import wait_for
from tests.support.cluster import RunningServer

Obj = dict[str, Any]

_namespaces = itertools.count()


@asynccontextmanager
async def controller_manager(server: RunningServer) -> AsyncIterator[asyncio.Task[None]]:
    """The controller manager, in-process, with the ReplicaSet and RC controllers only."""
    options = ControllerManagerOptions(
        controllers=("replicaset", "replicationcontroller"), leader_elect=False
    )
    task = asyncio.create_task(
        run_controller_manager(load_client_config(server.kubeconfig), options)
    )
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled(), "the controller manager stopped on its own"


@pytest.fixture
async def namespace(api_client: ApiClient) -> str:
    name = f"rs-{next(_namespaces)}"
    await api_client.resource(NAMESPACES).create({"metadata": {"name": name}})
    return name


@pytest.fixture
async def manager(kubeling_server: RunningServer) -> AsyncIterator[asyncio.Task[None]]:
    async with controller_manager(kubeling_server) as task:
        yield task


def replica_set(name: str, replicas: int, *, app: str = "", min_ready: int = 0) -> Obj:
    labels = {"app": app or name}
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": {**labels, "tier": "web"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    }
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name}, "spec": spec}


async def active_pods(pods: ResourceClient, namespace: str, app: str) -> list[Obj]:
    listed = await pods.list(namespace=namespace, label_selector=f"app={app}")
    return [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]


async def wait_for_pods(
    pods: ResourceClient, namespace: str, app: str, count: int, *, within: float = 30
) -> list[Obj]:
    async def exactly() -> list[Obj] | None:
        found = await active_pods(pods, namespace, app)
        return found if len(found) == count else None

    return await wait_for(exactly, within=within, what=f"{count} pods of {app}")


async def wait_for_status(
    client: ResourceClient, namespace: str, name: str, check: Callable[[Obj], bool]
) -> Obj:
    async def read() -> Obj | None:
        obj = await client.get(name, namespace=namespace)
        return obj if check(obj.get("status") or {}) else None

    return await wait_for(read, what=f"the status of {name}")


async def events_of(api_client: ApiClient, namespace: str, name: str) -> list[Obj]:
    listed = await api_client.resource(EVENTS).list(namespace=namespace)
    return [e for e in listed["items"] if e["involvedObject"]["name"] == name]


async def wait_for_event(
    api_client: ApiClient, namespace: str, name: str, reason: str
) -> list[Obj]:
    async def matching() -> list[Obj] | None:
        events = await events_of(api_client, namespace, name)
        return [e for e in events if e["reason"] == reason] or None

    return await wait_for(matching, what=f"a {reason} event on {name}")


async def make_ready(pods: ResourceClient, pod: Obj, *, node: str = "") -> Obj:
    """Play the kubelet: the pod runs and is Ready from now."""
    now = format_time(datetime.datetime.now(datetime.UTC))
    status = {
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
        }
    }
    return await pods.patch(
        pod["metadata"]["name"],
        status,
        patch_type=PatchType.MERGE,
        namespace=pod["metadata"]["namespace"],
        subresource="status",
    )


def owner_uids(pod: Obj) -> list[str]:
    return [ref["uid"] for ref in pod["metadata"].get("ownerReferences") or []]


async def test_scales_up_and_down_keeping_the_ready_pod(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """3 pods with controller references and events; down to 1 keeps the Ready one."""
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    rs = await rs_client.create(replica_set("web", 3), namespace=namespace)
    created = await wait_for_pods(pods, namespace, "web", 3)
    for pod in created:
        (ref,) = pod["metadata"]["ownerReferences"]
        assert ref == {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web",
            "uid": rs["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        assert pod["metadata"]["generateName"] == "web-"
        assert pod["metadata"]["labels"] == {"app": "web", "tier": "web"}
    status = (await wait_for_status(rs_client, namespace, "web", lambda s: s.get("replicas") == 3))[
        "status"
    ]
    assert status["fullyLabeledReplicas"] == 3
    assert status["observedGeneration"] == 1
    assert "readyReplicas" not in status
    creations = await wait_for_event(api_client, namespace, "web", "SuccessfulCreate")
    assert {e["message"] for e in creations} <= {
        f"Created pod: {p['metadata']['name']}" for p in created
    }
    assert creations[0]["source"]["component"] == "replicaset-controller"

    keeper = await make_ready(pods, created[1])
    await wait_for_status(rs_client, namespace, "web", lambda s: s.get("readyReplicas") == 1)
    assert (await rs_client.get("web", namespace=namespace))["status"]["availableReplicas"] == 1

    await rs_client.patch("web", {"spec": {"replicas": 1}}, namespace=namespace)
    (left,) = await wait_for_pods(pods, namespace, "web", 1)
    assert left["metadata"]["name"] == keeper["metadata"]["name"]
    status = (await wait_for_status(rs_client, namespace, "web", lambda s: s.get("replicas") == 1))[
        "status"
    ]
    assert status["observedGeneration"] == 2
    deletions = await wait_for_event(api_client, namespace, "web", "SuccessfulDelete")
    assert all(e["message"].startswith("Deleted pod: web-") for e in deletions)


async def test_a_deleted_pod_is_replaced(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    await rs_client.create(replica_set("db", 2), namespace=namespace)
    first = await wait_for_pods(pods, namespace, "db", 2)
    await pods.delete(first[0]["metadata"]["name"], namespace=namespace)
    names = {p["metadata"]["name"] for p in first}

    async def replaced() -> list[Obj] | None:
        now = await active_pods(pods, namespace, "db")
        fresh = [p for p in now if p["metadata"]["name"] not in names]
        return now if len(now) == 2 and fresh else None

    await wait_for(replaced, what="a replacement pod")


async def test_adopts_orphans_and_releases_relabelled_pods(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """An orphan counts towards replicas; a pod relabelled out of the selector is let go."""
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    orphan = await pods.create(
        {
            "metadata": {"name": "stray", "labels": {"app": "cache"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
        namespace=namespace,
    )
    rs = await rs_client.create(replica_set("cache", 2, app="cache"), namespace=namespace)
    uid = rs["metadata"]["uid"]
    found = await wait_for_pods(pods, namespace, "cache", 2)
    assert all(owner_uids(p) == [uid] for p in found)
    adopted = await pods.get("stray", namespace=namespace)
    assert adopted["metadata"]["uid"] == orphan["metadata"]["uid"]
    status = await wait_for_status(rs_client, namespace, "cache", lambda s: s.get("replicas") == 2)
    # the orphan lacks the template's tier label
    assert status["status"]["fullyLabeledReplicas"] == 1

    await pods.patch("stray", {"metadata": {"labels": {"app": "elsewhere"}}}, namespace=namespace)

    async def released() -> Obj | None:
        pod = await pods.get("stray", namespace=namespace)
        return pod if not owner_uids(pod) else None

    await wait_for(released, what="the relabelled pod to be released")
    replacements = await wait_for_pods(pods, namespace, "cache", 2)
    assert "stray" not in {p["metadata"]["name"] for p in replacements}


async def test_replication_controller(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """The same loop for core/v1 ReplicationControllers, with their own references and events."""
    rcs, pods = api_client.resource(REPLICATIONCONTROLLERS), api_client.resource(PODS)
    rc = await rcs.create(
        {
            "metadata": {"name": "legacy"},
            "spec": {
                "replicas": 2,
                "template": {
                    "metadata": {"labels": {"app": "legacy"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
        namespace=namespace,
    )
    created = await wait_for_pods(pods, namespace, "legacy", 2)
    for pod in created:
        (ref,) = pod["metadata"]["ownerReferences"]
        assert (ref["apiVersion"], ref["kind"], ref["uid"]) == (
            "v1",
            "ReplicationController",
            rc["metadata"]["uid"],
        )
    await wait_for_status(rcs, namespace, "legacy", lambda s: s.get("replicas") == 2)
    events = await wait_for_event(api_client, namespace, "legacy", "SuccessfulCreate")
    assert events[0]["source"]["component"] == "replication-controller"
    assert events[0]["involvedObject"]["kind"] == "ReplicationController"
    await rcs.patch("legacy", {"spec": {"replicas": 0}}, namespace=namespace)
    await wait_for_pods(pods, namespace, "legacy", 0)


async def test_refused_creations_set_replica_failure_until_fixed(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """A template the server accepts in a ReplicaSet but refuses in a pod (its metadata's
    finalizers are not validated there, as in Kubernetes): FailedCreate, then recovery."""
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    body = replica_set("broken", 3)
    body["spec"]["template"]["metadata"]["finalizers"] = ["not a finalizer!"]
    await rs_client.create(body, namespace=namespace)
    rs = await wait_for_status(rs_client, namespace, "broken", lambda s: bool(s.get("conditions")))
    (condition,) = rs["status"]["conditions"]
    assert condition["type"] == "ReplicaFailure"
    assert condition["status"] == "True"
    assert condition["reason"] == "FailedCreate"
    assert "is invalid" in condition["message"]
    assert 'metadata.finalizers: Invalid value: "not a finalizer!"' in condition["message"]
    # one event per attempt: each names the pod it could not create (a new name each time)
    events = await wait_for_event(api_client, namespace, "broken", "FailedCreate")
    assert {e["type"] for e in events} == {"Warning"}
    assert f"Error creating: {condition['message']}" in {e["message"] for e in events}
    assert await active_pods(pods, namespace, "broken") == []

    await rs_client.patch(
        "broken",
        [{"op": "remove", "path": "/spec/template/metadata/finalizers"}],
        patch_type=PatchType.JSON,
        namespace=namespace,
    )
    await wait_for_pods(pods, namespace, "broken", 3)
    rs = await wait_for_status(rs_client, namespace, "broken", lambda s: s.get("replicas") == 3)
    assert "conditions" not in rs["status"]


async def test_no_failure_reported_in_a_terminating_namespace(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """Creations refused because the namespace is going away are not failures (Kubernetes
    checks the NamespaceTerminating cause): no FailedCreate event, no ReplicaFailure."""
    rs_client = api_client.resource(REPLICASETS)
    await rs_client.create(replica_set("late", 0), namespace=namespace)
    await wait_for_status(rs_client, namespace, "late", lambda s: s.get("replicas") == 0)
    await api_client.resource(NAMESPACES).delete(namespace)
    await rs_client.patch("late", {"spec": {"replicas": 2}}, namespace=namespace)
    # The sync that tried is done once the status observes generation 2.
    rs = await wait_for_status(
        rs_client, namespace, "late", lambda s: s.get("observedGeneration") == 2
    )
    assert "conditions" not in rs["status"]
    assert rs["status"]["replicas"] == 0
    reasons = {e["reason"] for e in await events_of(api_client, namespace, "late")}
    assert "FailedCreate" not in reasons


async def test_available_after_min_ready_seconds(
    api_client: ApiClient, namespace: str, manager: asyncio.Task[None]
) -> None:
    """A Ready pod counts as available minReadySeconds later, with no other event."""
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    await rs_client.create(replica_set("slow", 1, min_ready=2), namespace=namespace)
    (pod,) = await wait_for_pods(pods, namespace, "slow", 1)
    await make_ready(pods, pod)
    rs = await wait_for_status(rs_client, namespace, "slow", lambda s: s.get("readyReplicas") == 1)
    assert "availableReplicas" not in rs["status"]
    await wait_for_status(rs_client, namespace, "slow", lambda s: s.get("availableReplicas") == 1)


async def test_kubectl_scale_and_describe(
    kubeling_server: RunningServer,
    api_client: ApiClient,
    namespace: str,
    manager: asyncio.Task[None],
) -> None:
    """``kubectl scale rs`` goes through the scale subresource; ``kubectl describe rs``
    shows the replicas and the controller's events."""
    pods = api_client.resource(PODS)
    await api_client.resource(REPLICASETS).create(replica_set("front", 1), namespace=namespace)
    await wait_for_pods(pods, namespace, "front", 1)

    def kubectl(*args: str) -> str:
        return kubeling_server.kubectl(*args, "-n", namespace).stdout

    scaled = await asyncio.to_thread(kubectl, "scale", "rs", "front", "--replicas=3")
    assert scaled.strip() == "replicaset.apps/front scaled"
    created = await wait_for_pods(pods, namespace, "front", 3)
    await wait_for_status(
        api_client.resource(REPLICASETS), namespace, "front", lambda s: s.get("replicas") == 3
    )

    async def described() -> str | None:
        out = await asyncio.to_thread(kubectl, "describe", "rs", "front")
        return out if out.count("SuccessfulCreate") == 3 else None

    out = await wait_for(described, what="three SuccessfulCreate events in describe")
    assert "Replicas:     3 current / 3 desired" in out
    assert "Pods Status:  0 Running / 3 Waiting / 0 Succeeded / 0 Failed" in out
    for pod in created:
        assert f"replicaset-controller  Created pod: {pod['metadata']['name']}" in out


@pytest.mark.slow
async def test_restart_while_scaling_up_makes_exactly_the_replicas(
    kubeling_server: RunningServer, api_client: ApiClient, namespace: str
) -> None:
    """Crash safety: the controller manager cancelled in the middle of a 0→50 scale-up and
    started again converges on exactly 50 pods, all owned by the ReplicaSet."""
    rs_client, pods = api_client.resource(REPLICASETS), api_client.resource(PODS)
    rs = await rs_client.create(replica_set("many", 0), namespace=namespace)
    async with controller_manager(kubeling_server):
        await wait_for_status(rs_client, namespace, "many", lambda s: s.get("replicas") == 0)
        since = (await pods.list(namespace=namespace))["metadata"]["resourceVersion"]
        await rs_client.patch("many", {"spec": {"replicas": 50}}, namespace=namespace)

        # Stop on the 8th creation as the watch tells it, not at a poll: a poll can come
        # after the whole scale-up (slow-start batches of 1, 2, 4, 8, 16, 19) is done.
        async def eight_created() -> None:
            created = 0
            async for event in pods.watch(namespace=namespace, resource_version=since):
                created += event.type == "ADDED"
                if created == 8:
                    return

        await asyncio.wait_for(eight_created(), timeout=30)
    interrupted_at = len(await active_pods(pods, namespace, "many"))
    assert 8 <= interrupted_at < 50, "the scale-up finished before the restart"

    async with controller_manager(kubeling_server):
        await wait_for_pods(pods, namespace, "many", 50, within=60)
        await wait_for_status(rs_client, namespace, "many", lambda s: s.get("replicas") == 50)
        found = await active_pods(pods, namespace, "many")
        # Settled: another look after the controller had time to act finds the same pods.
        await asyncio.sleep(1)
        again = await active_pods(pods, namespace, "many")
    assert len(found) == 50
    assert {p["metadata"]["uid"] for p in again} == {p["metadata"]["uid"] for p in found}
    assert all(owner_uids(p) == [rs["metadata"]["uid"]] for p in again)
