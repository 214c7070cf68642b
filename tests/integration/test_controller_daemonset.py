"""The DaemonSet controller against a real API server, with Nodes made through the API.

No scheduler and no kubelet run here: daemon pods stay unbound, pinned to their
node by the required node affinity the controller gives them, and the test
writes their status as a kubelet would.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import (
    CONTROLLERREVISIONS,
    DAEMONSETS,
    EVENTS,
    NAMESPACES,
    NODES,
    PODS,
)
from tests.support.cluster import RunningServer
from tests.support.control_loops import read, running_controllers, set_pod_ready, wait_for

Obj = dict[str, Any]

DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def _daemonset(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": {"role": "worker"},
                    "containers": [{"name": "agent", "image": "agent:1"}],
                },
            },
            **spec,
        },
    }


async def _node(client: ApiClient, name: str, *, taints: list[Obj] | None = None) -> None:
    body: Obj = {"metadata": {"name": name, "labels": {"role": "worker"}}}
    if taints:
        body["spec"] = {"taints": taints}
    await client.resource(NODES).create(body)


def _target(pod: Obj) -> str:
    terms = pod["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    [term] = terms["nodeSelectorTerms"]
    [field] = term["matchFields"]
    assert field["key"] == "metadata.name"
    assert field["operator"] == "In"
    return str(field["values"][0])


async def _pods(client: ApiClient, namespace: str) -> dict[str, Obj]:
    """The live pods by the node they are for."""
    listed = await read(lambda: client.resource(PODS).list(namespace=namespace))
    return {_target(p): p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")}


async def _status(client: ApiClient, namespace: str, name: str) -> Obj:
    ds = await read(lambda: client.resource(DAEMONSETS).get(name, namespace=namespace))
    status: Obj = ds.get("status") or {}
    return status


def _on(nodes: set[str]) -> Any:
    async def check(client: ApiClient, namespace: str) -> bool:
        return set(await _pods(client, namespace)) == nodes

    return check


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> Any:
    config = load_client_config(kubeling_server.kubeconfig)
    async with running_controllers(config, ["daemonset"]):
        yield


async def test_one_pod_per_eligible_node_following_nodes(
    api_client: ApiClient, controllers: None
) -> None:
    """Pods go to the untainted worker nodes, pinned by node affinity and carrying the
    daemon tolerations; a new node gets one; a relabelled node, a NoExecute taint and a
    deleted node lose theirs; the status counts them."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "daemons"}})
    ns = "daemons"
    dedicated = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
    for name in ("node-a", "node-b"):
        await _node(api_client, name)
    await _node(api_client, "node-c", taints=[dedicated])
    await api_client.resource(DAEMONSETS).create(_daemonset("agent"), namespace=ns)

    await wait_for(
        lambda: _on({"node-a", "node-b"})(api_client, ns), what="pods on node-a and node-b"
    )
    pods = await _pods(api_client, ns)
    pod = pods["node-a"]
    assert pod["metadata"]["generateName"] == "agent-"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"
    assert not pod["spec"].get("nodeName")  # the scheduler binds it
    assert [t for t in pod["spec"]["tolerations"] if t in DAEMON_TOLERATIONS] == DAEMON_TOLERATIONS

    revisions = await read(lambda: api_client.resource(CONTROLLERREVISIONS).list(namespace=ns))
    [revision] = revisions["items"]
    hash_ = pod["metadata"]["labels"]["controller-revision-hash"]
    assert revision["metadata"]["name"] == f"agent-{hash_}"
    assert revision["revision"] == 1
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"

    async def counted(want: Obj) -> bool:
        status = await _status(api_client, ns, "agent")
        return all(status.get(k, 0) == v for k, v in want.items())

    await wait_for(
        lambda: counted(
            {
                "desiredNumberScheduled": 2,
                "currentNumberScheduled": 2,
                "numberMisscheduled": 0,
                "numberReady": 0,
                "numberUnavailable": 2,
                "observedGeneration": 1,
            }
        ),
        what="the status of two unready pods",
    )
    for pod in pods.values():
        await set_pod_ready(api_client.resource(PODS), pod)
    await wait_for(
        lambda: counted({"numberReady": 2, "numberAvailable": 2, "updatedNumberScheduled": 2}),
        what="two ready pods",
    )

    # A node joins.
    await _node(api_client, "node-d")
    await wait_for(
        lambda: _on({"node-a", "node-b", "node-d"})(api_client, ns), what="a pod on node-d"
    )

    # A node stops matching the nodeSelector.
    await api_client.resource(NODES).patch(
        "node-b", {"metadata": {"labels": {"role": "storage"}}}, patch_type=PatchType.MERGE
    )
    await wait_for(lambda: _on({"node-a", "node-d"})(api_client, ns), what="node-b's pod gone")

    # A NoExecute taint the pod does not tolerate evicts it; NoSchedule alone would not.
    await api_client.resource(NODES).patch(
        "node-a",
        {"spec": {"taints": [{"key": "maintenance", "effect": "NoExecute"}]}},
        patch_type=PatchType.MERGE,
    )
    await wait_for(lambda: _on({"node-d"})(api_client, ns), what="node-a's pod evicted")

    # A node is deleted: its pod (never bound) goes too.
    await api_client.resource(NODES).delete("node-d")
    await wait_for(lambda: _on(set())(api_client, ns), what="node-d's pod gone")
    await wait_for(
        lambda: counted({"desiredNumberScheduled": 0, "currentNumberScheduled": 0}),
        what="nothing left to schedule",
    )

    async def created_events() -> bool:
        listed = await read(lambda: api_client.resource(EVENTS).list(namespace=ns))
        reasons = {
            (e["reason"], e["source"]["component"])
            for e in listed["items"]
            if e["involvedObject"]["name"] == "agent"
        }
        return {
            ("SuccessfulCreate", "daemonset-controller"),
            ("SuccessfulDelete", "daemonset-controller"),
        } <= reasons

    await wait_for(created_events, what="the create and delete events")

    for name in ("node-a", "node-b", "node-c"):
        await api_client.resource(NODES).delete(name)


async def test_rolling_update_keeps_at_most_one_node_unavailable(
    api_client: ApiClient, controllers: None, kubeling_server: RunningServer
) -> None:
    """With maxUnavailable 1, a new template replaces the pods one node at a time, each
    once the previous new pod is available; the history keeps both templates."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "rolling-ds"}})
    ns = "rolling-ds"
    nodes = {"roll-1", "roll-2", "roll-3"}
    for name in sorted(nodes):
        await _node(api_client, name)
    daemonsets = api_client.resource(DAEMONSETS)
    await daemonsets.create(_daemonset("logs"), namespace=ns)
    await wait_for(lambda: _on(nodes)(api_client, ns), what="three pods")
    pods = await _pods(api_client, ns)
    for pod in pods.values():
        await set_pod_ready(api_client.resource(PODS), pod)

    async def settled() -> bool:
        status = await _status(api_client, ns, "logs")
        return status.get("numberAvailable") == 3 and status.get("updatedNumberScheduled") == 3

    await wait_for(settled, what="three available pods")
    old_hash = pods["roll-1"]["metadata"]["labels"]["controller-revision-hash"]

    container = {"name": "agent", "image": "agent:2"}
    await daemonsets.patch(
        "logs", {"spec": {"template": {"spec": {"containers": [container]}}}}, namespace=ns
    )

    async def step() -> bool:
        """Check the budget, play the kubelet for new pods; True once all are new."""
        listed = await read(lambda: api_client.resource(PODS).list(namespace=ns))
        live = [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]
        available = {
            _target(p)
            for p in live
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (p.get("status") or {}).get("conditions") or ()
            )
        }
        assert len(nodes - available) <= 1, f"more than one node unavailable: {available}"
        new = [p for p in live if p["metadata"]["labels"]["controller-revision-hash"] != old_hash]
        for pod in new:
            if _target(pod) not in available:
                await set_pod_ready(api_client.resource(PODS), pod)
        return len(new) == 3 and available == nodes

    await wait_for(step, what="every pod replaced", within=60)
    status = await wait_for(
        lambda: _settled_status(api_client, ns), what="the status of the finished rollout"
    )
    assert status["observedGeneration"] == 2
    result = kubeling_server.kubectl("rollout", "status", "daemonset/logs", "-n", ns)
    assert 'daemon set "logs" successfully rolled out' in result.stdout

    revisions = await read(lambda: api_client.resource(CONTROLLERREVISIONS).list(namespace=ns))
    by_revision = {r["revision"]: r for r in revisions["items"]}
    assert sorted(by_revision) == [1, 2]
    assert by_revision[1]["metadata"]["labels"]["controller-revision-hash"] == old_hash
    new_pods = await _pods(api_client, ns)
    new_hash = by_revision[2]["metadata"]["labels"]["controller-revision-hash"]
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in new_pods.values()} == {
        new_hash
    }
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in new_pods.values()} == {"2"}

    for name in sorted(nodes):
        await api_client.resource(NODES).delete(name)


async def _settled_status(client: ApiClient, namespace: str) -> Obj | None:
    status = await _status(client, namespace, "logs")
    done = status.get("updatedNumberScheduled") == 3 and status.get("numberAvailable") == 3
    return status if done else None
