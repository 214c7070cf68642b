"""The Node authorizer's graph: which objects a node reaches through its pods."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.podreferences import pod_references
from kubeling.apiserver.authz.node.graph import (
    CONFIG_MAP,
    POD,
    PV,
    PVC,
    RESOURCE_CLAIM,
    SECRET,
    SERVICE_ACCOUNT,
    NodeGraph,
)

Obj = dict[str, Any]


def pod(name: str, node: str, namespace: str = "ns", **spec: Any) -> Obj:
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"nodeName": node, **spec}}


FULL_POD = pod(
    "web",
    "n1",
    serviceAccountName="sa",
    imagePullSecrets=[{"name": "pull"}],
    initContainers=[{"env": [{"valueFrom": {"secretKeyRef": {"name": "init-env"}}}]}],
    containers=[
        {
            "envFrom": [{"secretRef": {"name": "from-s"}}, {"configMapRef": {"name": "from-cm"}}],
            "env": [{"valueFrom": {"configMapKeyRef": {"name": "env-cm"}}}],
        }
    ],
    ephemeralContainers=[{"envFrom": [{"secretRef": {"name": "debug"}}]}],
    volumes=[
        {"name": "a", "secret": {"secretName": "vol-s"}},
        {"name": "b", "configMap": {"name": "vol-cm"}},
        {
            "name": "c",
            "projected": {
                "sources": [{"secret": {"name": "proj-s"}}, {"configMap": {"name": "proj-cm"}}]
            },
        },
        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "e", "ephemeral": {"volumeClaimTemplate": {}}},
        {"name": "f", "csi": {"driver": "x", "nodePublishSecretRef": {"name": "csi-s"}}},
    ],
    resourceClaims=[{"name": "gpu", "resourceClaimName": "gpu-claim"}],
)


@pytest.mark.parametrize(
    ("kind", "name", "related"),
    [
        (POD, "web", True),
        (SECRET, "pull", True),
        (SECRET, "init-env", True),
        (SECRET, "from-s", True),
        (SECRET, "debug", True),
        (SECRET, "vol-s", True),
        (SECRET, "proj-s", True),
        (SECRET, "csi-s", True),
        (CONFIG_MAP, "from-cm", True),
        (CONFIG_MAP, "env-cm", True),
        (CONFIG_MAP, "vol-cm", True),
        (CONFIG_MAP, "proj-cm", True),
        (PVC, "data", True),
        (PVC, "web-e", True),
        (SERVICE_ACCOUNT, "sa", True),
        (RESOURCE_CLAIM, "gpu-claim", True),
        (SECRET, "other", False),
        (CONFIG_MAP, "vol-s", False),  # a secret's name is not a configmap's
        (PVC, "other", False),
        (SERVICE_ACCOUNT, "default", False),
    ],
)
def test_what_a_pod_uses_is_related_to_its_node(kind: str, name: str, related: bool) -> None:
    graph = NodeGraph()
    graph.set_pod(FULL_POD)
    assert graph.related("n1", kind, "ns", name) is related
    assert graph.related("n2", kind, "ns", name) is False
    assert graph.related("n1", kind, "other-ns", name) is False


def test_shared_objects_stay_until_the_last_pod_using_them_goes() -> None:
    graph = NodeGraph()
    one = pod("a", "n1", volumes=[{"secret": {"secretName": "s"}}])
    two = pod("b", "n1", volumes=[{"secret": {"secretName": "s"}}])
    graph.set_pod(one)
    graph.set_pod(two)
    graph.delete_pod("ns", "a")
    assert graph.related("n1", SECRET, "ns", "s")
    graph.delete_pod("ns", "b")
    assert not graph.related("n1", SECRET, "ns", "s")
    assert not graph.has_node("n1")


def test_a_pod_that_moves_or_changes_moves_its_edges() -> None:
    graph = NodeGraph()
    graph.set_pod(pod("a", "n1", volumes=[{"secret": {"secretName": "s"}}]))
    graph.set_pod(pod("a", "n2", volumes=[{"secret": {"secretName": "t"}}]))
    assert not graph.related("n1", SECRET, "ns", "s")
    assert graph.related("n2", SECRET, "ns", "t")
    assert not graph.related("n2", SECRET, "ns", "s")


def test_unscheduled_pods_reach_no_node() -> None:
    graph = NodeGraph()
    graph.set_pod(pod("a", "n1", volumes=[{"secret": {"secretName": "s"}}]))
    graph.set_pod(pod("a", "", volumes=[{"secret": {"secretName": "s"}}]))
    assert not graph.related("n1", SECRET, "ns", "s")
    assert graph.statistics()["pods"] == 0


def test_volumes_through_their_claims() -> None:
    graph = NodeGraph()
    graph.set_pod(pod("a", "n1", volumes=[{"persistentVolumeClaim": {"claimName": "c"}}]))
    graph.set_pv(
        {
            "metadata": {"name": "pv1"},
            "spec": {
                "claimRef": {"namespace": "ns", "name": "c"},
                "csi": {"nodeStageSecretRef": {"name": "stage", "namespace": "storage"}},
            },
        }
    )
    graph.set_pv(
        {"metadata": {"name": "pv2"}, "spec": {"claimRef": {"namespace": "ns", "name": "x"}}}
    )
    assert graph.related("n1", PV, "", "pv1")
    assert graph.related("n1", SECRET, "storage", "stage")
    assert not graph.related("n1", PV, "", "pv2")
    assert not graph.related("n2", PV, "", "pv1")
    graph.delete_pv("pv1")
    assert not graph.related("n1", SECRET, "storage", "stage")
    assert not graph.related("n1", PV, "", "pv1")


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"metadata": "x", "spec": []},
        {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": 3}},
        pod("p", "n1", volumes="no", containers=[{"env": "no"}, 5], imagePullSecrets=[{"name": 1}]),
    ],
)
def test_malformed_pods_name_nothing(bad: Obj) -> None:
    graph = NodeGraph()
    graph.set_pod(bad)
    assert not graph.related("n1", SECRET, "ns", "1")
    assert pod_references(bad).empty
