"""NodeRestriction: each kubelet writes only its own Node, pods, Lease and tokens."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kubeling.api.authentication.node_identity import node_user
from kubeling.api.authentication.user import UserInfo
from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.interfaces import Attributes, Operation
from kubeling.apiserver.admission.node_restriction import NodeRestriction, node_restriction
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]

N1 = node_user("n1")
PODS: dict[tuple[str, str], Obj] = {
    ("ns", "mine"): {"metadata": {"name": "mine", "uid": "u-mine"}, "spec": {"nodeName": "n1"}},
    ("ns", "theirs"): {
        "metadata": {"name": "theirs", "uid": "u-theirs"},
        "spec": {"nodeName": "n2"},
    },
}
NODES: dict[str, Obj] = {"n1": {"metadata": {"name": "n1", "uid": "node-uid"}}}


async def _pod(namespace: str, name: str) -> Obj | None:
    return copy.deepcopy(PODS.get((namespace, name)))


async def _node(name: str) -> Obj | None:
    return copy.deepcopy(NODES.get(name))


PLUGIN = NodeRestriction(pods=_pod, nodes=_node)


def attrs(
    operation: Operation,
    resource: str,
    name: str = "",
    *,
    group: str = "",
    subresource: str = "",
    namespace: str = "",
    obj: Obj | None = None,
    old: Obj | None = None,
    user: UserInfo = N1,
) -> Attributes:
    return Attributes(
        operation=operation,
        group=group,
        version="v1",
        resource=resource,
        subresource=subresource,
        kind_group=group,
        kind_version="v1",
        kind="",
        namespace=namespace,
        name=name,
        obj=obj,
        old_obj=old,
        user=user,
    )


def node(name: str, labels: dict[str, str] | None = None, taints: list[Obj] | None = None) -> Obj:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


def mirror_pod(**changes: Any) -> Obj:
    pod: Obj = {
        "metadata": {
            "name": "static",
            "annotations": {"kubernetes.io/config.mirror": "hash"},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": "n1",
                    "uid": "node-uid",
                    "controller": True,
                }
            ],
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
    }
    for path, value in changes.items():
        part, _, key = path.partition("__")
        pod[part][key] = value
    return pod


def token(pod: str, uid: str, kind: str = "Pod") -> Obj:
    return {"spec": {"boundObjectRef": {"apiVersion": "v1", "kind": kind, "name": pod, "uid": uid}}}


def claim(**status: Any) -> Obj:
    return {
        "metadata": {"name": "c", "resourceVersion": "1", "labels": {"a": "b"}},
        "spec": {"volumeName": "pv"},
        "status": {"phase": "Bound", **status},
    }


def lease(operation: Operation, name: str = "", **kwargs: Any) -> Attributes:
    return attrs(
        operation,
        "leases",
        name,
        group="coordination.k8s.io",
        namespace="kube-node-lease",
        **kwargs,
    )


ALLOWED: list[Attributes] = [
    attrs(
        "CREATE",
        "nodes",
        obj=node(
            "n1", {"kubernetes.io/os": "linux", "node.kubernetes.io/x": "1", "example.com/y": "2"}
        ),
    ),
    attrs(
        "UPDATE",
        "nodes",
        "n1",
        obj=node("n1", {"topology.kubernetes.io/zone": "z"}),
        old=node("n1"),
    ),
    attrs("UPDATE", "nodes", "n1", subresource="status", obj=node("n1"), old=node("n1")),
    attrs("DELETE", "nodes", "n1"),
    attrs("CREATE", "pods", namespace="ns", obj=mirror_pod()),
    attrs("DELETE", "pods", "mine", namespace="ns"),
    attrs(
        "UPDATE",
        "pods",
        "mine",
        subresource="status",
        namespace="ns",
        obj=PODS[("ns", "mine")],
        old=PODS[("ns", "mine")],
    ),
    attrs(
        "CREATE",
        "pods",
        "mine",
        subresource="eviction",
        namespace="ns",
        obj={"metadata": {"name": "mine"}},
    ),
    attrs(
        "CREATE",
        "serviceaccounts",
        "default",
        subresource="token",
        namespace="ns",
        obj=token("mine", "u-mine"),
    ),
    attrs(
        "UPDATE",
        "persistentvolumeclaims",
        "c",
        subresource="status",
        namespace="ns",
        obj=claim(capacity={"storage": "2Gi"}, conditions=[]),
        old=claim(),
    ),
    lease("CREATE", obj={"metadata": {"name": "n1"}}),
    lease("UPDATE", "n1", obj={}, old={}),
    attrs("CREATE", "csinodes", group="storage.k8s.io", obj={"metadata": {"name": "n1"}}),
    attrs("CREATE", "configmaps", "x", namespace="ns", obj={}),  # not this plugin's business
    attrs(
        "DELETE", "nodes", "n2", user=UserInfo("admin", groups=("system:masters",))
    ),  # not a node
]


@pytest.mark.parametrize("request_attrs", ALLOWED)
async def test_allowed(request_attrs: Attributes) -> None:
    await PLUGIN.admit(request_attrs)


FORBIDDEN: list[tuple[Attributes, str]] = [
    # nodes
    (
        attrs("UPDATE", "nodes", "n2", obj=node("n2"), old=node("n2")),
        'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    ),
    (
        attrs("DELETE", "nodes", "n2"),
        'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    ),
    (
        attrs("CREATE", "nodes", obj=node("n2")),
        'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    ),
    (
        attrs(
            "CREATE",
            "nodes",
            obj=node(
                "n1",
                {
                    "node-restriction.kubernetes.io/a": "",
                    "node-role.kubernetes.io/control-plane": "",
                },
            ),
        ),
        (
            'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: '
            "node-restriction.kubernetes.io/a, node-role.kubernetes.io/control-plane"
        ),
    ),
    (
        attrs("UPDATE", "nodes", "n1", obj=node("n1"), old=node("n1", {"foo.k8s.io/x": "1"})),
        'nodes "n1" is forbidden: is not allowed to modify labels: foo.k8s.io/x',
    ),
    (
        attrs(
            "UPDATE",
            "nodes",
            "n1",
            obj=node("n1"),
            old=node("n1", taints=[{"key": "k", "effect": "NoSchedule"}]),
        ),
        'nodes "n1" is forbidden: node "n1" is not allowed to modify taints',
    ),
    (
        attrs("CREATE", "nodes", obj={"metadata": {"name": "n1"}, "spec": {"configSource": {}}}),
        (
            'nodes "n1" is forbidden: node "n1" is not allowed to create pods with a non-nil '
            "configSource"
        ),
    ),
    # pods
    (
        attrs("CREATE", "pods", namespace="ns", obj=mirror_pod(metadata__annotations={})),
        (
            'pods "static" is forbidden: pod does not have "kubernetes.io/config.mirror" '
            'annotation, node "n1" can only create mirror pods'
        ),
    ),
    (
        attrs("CREATE", "pods", namespace="ns", obj=mirror_pod(spec__nodeName="n2")),
        (
            'pods "static" is forbidden: node "n1" can only create pods with spec.nodeName set to '
            "itself"
        ),
    ),
    (
        attrs("CREATE", "pods", namespace="ns", obj=mirror_pod(metadata__ownerReferences=[])),
        (
            'pods "static" is forbidden: node "n1" can only create pods with an owner reference '
            "set to itself"
        ),
    ),
    (
        attrs(
            "CREATE",
            "pods",
            namespace="ns",
            obj=mirror_pod(
                metadata__ownerReferences=[
                    {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "node-uid"}
                ]
            ),
        ),
        (
            'pods "static" is forbidden: node "n1" can only create pods with a controller owner '
            "reference set to itself"
        ),
    ),
    (
        attrs(
            "CREATE",
            "pods",
            namespace="ns",
            obj=mirror_pod(
                metadata__ownerReferences=[
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": "n1",
                        "uid": "other",
                        "controller": True,
                    }
                ]
            ),
        ),
        'pods "static" is forbidden: node n1 UID mismatch: expected other got node-uid',
    ),
    (
        attrs("CREATE", "pods", namespace="ns", obj=mirror_pod(spec__serviceAccountName="sa")),
        (
            'pods "static" is forbidden: node "n1" can not create pods that reference a service '
            "account"
        ),
    ),
    (
        attrs(
            "CREATE",
            "pods",
            namespace="ns",
            obj=mirror_pod(spec__volumes=[{"name": "v", "secret": {"secretName": "s"}}]),
        ),
        'pods "static" is forbidden: node "n1" can not create pods that reference secrets',
    ),
    (
        attrs(
            "CREATE",
            "pods",
            namespace="ns",
            obj=mirror_pod(spec__volumes=[{"name": "v", "configMap": {"name": "c"}}]),
        ),
        'pods "static" is forbidden: node "n1" can not create pods that reference configmaps',
    ),
    (
        attrs(
            "CREATE",
            "pods",
            namespace="ns",
            obj=mirror_pod(
                spec__volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": "c"}}]
            ),
        ),
        (
            'pods "static" is forbidden: node "n1" can not create pods that reference '
            "persistentvolumeclaims"
        ),
    ),
    (
        attrs("DELETE", "pods", "theirs", namespace="ns"),
        (
            'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to '
            "itself"
        ),
    ),
    (
        attrs("UPDATE", "pods", "mine", namespace="ns", obj={}, old={}),
        (
            'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create '
            "and delete mirror pods"
        ),
    ),
    (
        attrs(
            "UPDATE",
            "pods",
            "theirs",
            subresource="status",
            namespace="ns",
            obj=PODS[("ns", "theirs")],
            old=PODS[("ns", "theirs")],
        ),
        (
            'pods "theirs" is forbidden: node "n1" can only update pod status for pods with '
            "spec.nodeName set to itself"
        ),
    ),
    (
        attrs(
            "UPDATE",
            "pods",
            "mine",
            subresource="status",
            namespace="ns",
            obj={**PODS[("ns", "mine")], "metadata": {"labels": {"x": "y"}}},
            old=PODS[("ns", "mine")],
        ),
        'pods "mine" is forbidden: node "n1" cannot update labels through pod status',
    ),
    (
        attrs("CREATE", "pods", "theirs", subresource="eviction", namespace="ns", obj={}),
        'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself',
    ),
    (
        attrs("CREATE", "pods", "mine", subresource="binding", namespace="ns", obj={}),
        (
            'pods "mine" is forbidden: unexpected pod subresource "binding", only \'status\' and '
            "'eviction' are allowed"
        ),
    ),
    # tokens
    (
        attrs(
            "CREATE",
            "serviceaccounts",
            "default",
            subresource="token",
            namespace="ns",
            obj={"spec": {}},
        ),
        'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
    ),
    (
        attrs(
            "CREATE",
            "serviceaccounts",
            "default",
            subresource="token",
            namespace="ns",
            obj=token("mine", "u-mine", kind="Secret"),
        ),
        'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
    ),
    (
        attrs(
            "CREATE",
            "serviceaccounts",
            "default",
            subresource="token",
            namespace="ns",
            obj=token("mine", ""),
        ),
        (
            'serviceaccounts "default" is forbidden: node requested token with a pod binding '
            "without a uid"
        ),
    ),
    (
        attrs(
            "CREATE",
            "serviceaccounts",
            "default",
            subresource="token",
            namespace="ns",
            obj=token("theirs", "u-theirs"),
        ),
        (
            'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled '
            "on a different node"
        ),
    ),
    (
        attrs(
            "CREATE",
            "serviceaccounts",
            "default",
            subresource="token",
            namespace="ns",
            obj=token("mine", "old"),
        ),
        (
            'serviceaccounts "default" is forbidden: the UID in the bound object reference (old) '
            "does not match the UID in record. The object might have been deleted and then "
            "recreated"
        ),
    ),
    # claims
    (
        attrs("UPDATE", "persistentvolumeclaims", "c", namespace="ns", obj=claim(), old=claim()),
        'persistentvolumeclaims "c" is forbidden: may only update PVC status',
    ),
    (
        attrs(
            "UPDATE",
            "persistentvolumeclaims",
            "c",
            subresource="status",
            namespace="ns",
            obj=claim(phase="Lost"),
            old=claim(),
        ),
        (
            'persistentvolumeclaims "c" is forbidden: node "n1" is not allowed to update fields '
            "other than status.capacity and status.conditions: status.phase"
        ),
    ),
    # leases, csinodes
    (
        lease("CREATE", obj={"metadata": {"name": "n2"}}),
        (
            'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the '
            "same name as the requesting node"
        ),
    ),
    (
        lease("UPDATE", "n2", obj={}, old={}),
        (
            'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the '
            "same name as the requesting node"
        ),
    ),
    (
        attrs(
            "UPDATE",
            "leases",
            "n1",
            group="coordination.k8s.io",
            namespace="kube-system",
            obj={},
            old={},
        ),
        (
            'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the '
            '"kube-node-lease" system namespace'
        ),
    ),
    (
        attrs("DELETE", "csinodes", "n2", group="storage.k8s.io"),
        (
            'csinodes.storage.k8s.io "n2" is forbidden: can only access CSINode with the same name '
            "as the requesting node"
        ),
    ),
    # an unidentifiable node
    (
        attrs("DELETE", "nodes", "n1", user=UserInfo("system:node:", groups=("system:nodes",))),
        'nodes "n1" is forbidden: could not determine node from user "system:node:"',
    ),
]


@pytest.mark.parametrize(("request_attrs", "message"), FORBIDDEN)
async def test_forbidden(request_attrs: Attributes, message: str) -> None:
    with pytest.raises(StatusError) as raised:
        await PLUGIN.admit(request_attrs)
    assert raised.value.code == 403
    assert raised.value.status.message == message


@pytest.mark.parametrize(
    ("request_attrs", "message"),
    [
        (attrs("DELETE", "pods", "gone", namespace="ns"), 'pod "gone" not found'),
        (
            attrs("CREATE", "pods", "gone", subresource="eviction", namespace="ns", obj={}),
            'pod "gone" not found',
        ),
        (
            attrs(
                "CREATE",
                "serviceaccounts",
                "default",
                subresource="token",
                namespace="ns",
                obj=token("gone", "u"),
            ),
            'pod "gone" not found',
        ),
    ],
)
async def test_missing_pods_are_not_found(request_attrs: Attributes, message: str) -> None:
    with pytest.raises(StatusError) as raised:
        await PLUGIN.admit(request_attrs)
    assert raised.value.code == 404
    assert raised.value.status.message == message


def test_only_nodes_writes_are_looked_at() -> None:
    assert PLUGIN.handles(attrs("DELETE", "pods", "x"))
    assert not PLUGIN.handles(attrs("CONNECT", "pods", "x"))
    assert not PLUGIN.handles(attrs("DELETE", "pods", "x", user=UserInfo("alice")))


async def test_over_the_watch_caches() -> None:
    """``node_restriction(registry)`` reads pods and nodes from the API server's caches."""
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    pods = registry.lookup("", "v1", "pods")
    assert pods is not None
    theirs = {"metadata": {"namespace": "ns", "name": "theirs"}, "spec": {"nodeName": "n2"}}
    await pods.store.create(pods.key("ns", "theirs"), json.dumps(theirs).encode())
    await pods.watch_cache().ensure_started()
    plugin = node_restriction(registry)
    with pytest.raises(StatusError) as refused:
        await plugin.admit(attrs("DELETE", "pods", "theirs", namespace="ns"))
    assert refused.value.code == 403
    with pytest.raises(StatusError) as missing:
        await plugin.admit(attrs("DELETE", "pods", "gone", namespace="ns"))
    assert missing.value.code == 404
    await pods.watch_cache().stop()
