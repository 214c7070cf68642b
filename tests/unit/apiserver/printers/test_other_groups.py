"""Printers of the remaining groups, the default table and the registry."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.printers import DEFAULT, printer_for
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.storage.memory import MemoryStore
from tests.unit.apiserver.printers._support import NOW, ago


def meta(name: str = "x", age: float = 60, **extra: Any) -> dict[str, Any]:
    return {"name": name, "creationTimestamp": ago(age), **extra}


@pytest.mark.parametrize(
    ("group", "plural", "obj", "cells"),
    [
        pytest.param(
            "coordination.k8s.io",
            "leases",
            {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "node1_abc"}},
            ["kube-scheduler", "node1_abc", "60s"],
            id="lease",
        ),
        pytest.param(
            "discovery.k8s.io",
            "endpointslices",
            {
                "metadata": meta("web-abc"),
                "addressType": "IPv4",
                "ports": [{"port": 80}, {"name": "metrics"}, {}, {"port": 9}],
                "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}],
            },
            ["web-abc", "IPv4", "80,metrics,* + 1 more...", "10.0.0.1,10.0.0.2", "60s"],
            id="endpointslice",
        ),
        pytest.param(
            "discovery.k8s.io",
            "endpointslices",
            {"metadata": meta("empty"), "addressType": "IPv4"},
            ["empty", "IPv4", "<unset>", "<unset>", "60s"],
            id="endpointslice-empty",
        ),
        pytest.param(
            "networking.k8s.io",
            "ingresses",
            {
                "metadata": meta("web"),
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [
                        {"host": "a.example.com"},
                        {},
                        {"host": "b.example.com"},
                        {"host": "c.example.com"},
                        {"host": "d.example.com"},
                    ],
                    "tls": [{"hosts": ["a.example.com"]}],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}},
            },
            [
                "web",
                "nginx",
                "a.example.com,b.example.com,c.example.com + 2 more...",
                "203.0.113.7",
                "80, 443",
                "60s",
            ],
            id="ingress",
        ),
        pytest.param(
            "networking.k8s.io",
            "ingresses",
            {"metadata": meta("bare"), "spec": {}},
            ["bare", "<none>", "*", "", "80", "60s"],
            id="ingress-bare",
        ),
        pytest.param(
            "networking.k8s.io",
            "ingressclasses",
            {
                "metadata": meta("nginx"),
                "spec": {
                    "controller": "k8s.io/ingress-nginx",
                    "parameters": {"apiGroup": "k8s.example.com", "kind": "Params", "name": "p"},
                },
            },
            ["nginx", "k8s.io/ingress-nginx", "Params.k8s.example.com/p", "60s"],
            id="ingressclass",
        ),
        pytest.param(
            "networking.k8s.io",
            "networkpolicies",
            {"metadata": meta("deny"), "spec": {"podSelector": {}}},
            ["deny", "<none>", "60s"],
            id="networkpolicy",
        ),
        pytest.param(
            "rbac.authorization.k8s.io",
            "rolebindings",
            {
                "metadata": meta("rb"),
                "roleRef": {"kind": "Role", "name": "reader"},
                "subjects": [
                    {"kind": "User", "name": "alice"},
                    {"kind": "Group", "name": "devs"},
                    {"kind": "ServiceAccount", "namespace": "ci", "name": "bot"},
                    {"kind": "User", "name": "bob"},
                ],
            },
            ["rb", "Role/reader", "60s", "alice, bob", "devs", "ci/bot"],
            id="rolebinding",
        ),
        pytest.param(
            "rbac.authorization.k8s.io",
            "clusterroles",
            {"metadata": {"name": "admin", "creationTimestamp": "2024-05-30T10:00:00Z"}},
            ["admin", "2024-05-30T10:00:00Z"],
            id="clusterrole-default",
        ),
        pytest.param(
            "policy",
            "poddisruptionbudgets",
            {
                "metadata": meta("pdb"),
                "spec": {"minAvailable": "50%"},
                "status": {"disruptionsAllowed": 1},
            },
            ["pdb", "50%", "N/A", 1, "60s"],
            id="pdb",
        ),
        pytest.param(
            "storage.k8s.io",
            "storageclasses",
            {
                "metadata": meta(
                    "standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}
                ),
                "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            },
            [
                "standard (default)",
                "rancher.io/local-path",
                "Delete",
                "WaitForFirstConsumer",
                False,
                "60s",
            ],
            id="storageclass-default",
        ),
        pytest.param(
            "storage.k8s.io",
            "storageclasses",
            {
                "metadata": meta("fast"),
                "provisioner": "csi.example.com",
                "allowVolumeExpansion": True,
            },
            ["fast", "csi.example.com", "Delete", "Immediate", True, "60s"],
            id="storageclass",
        ),
        pytest.param(
            "scheduling.k8s.io",
            "priorityclasses",
            {
                "metadata": meta("system-node-critical"),
                "value": 2000001000,
                "preemptionPolicy": "PreemptLowerPriority",
            },
            ["system-node-critical", 2000001000, False, "60s", "PreemptLowerPriority"],
            id="priorityclass",
        ),
        pytest.param(
            "autoscaling",
            "horizontalpodautoscalers",
            {
                "metadata": meta("web"),
                "spec": {
                    "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                    "minReplicas": 1,
                    "maxReplicas": 10,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 80},
                            },
                        }
                    ],
                },
                "status": {
                    "currentReplicas": 2,
                    "currentMetrics": [
                        {
                            "type": "Resource",
                            "resource": {"name": "cpu", "current": {"averageUtilization": 41}},
                        }
                    ],
                },
            },
            ["web", "Deployment/web", "cpu: 41%/80%", "1", 10, 2, "60s"],
            id="hpa-v2",
        ),
        pytest.param(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            {
                "metadata": {
                    "name": "widgets.example.com",
                    "creationTimestamp": "2024-06-01T11:00:00Z",
                }
            },
            ["widgets.example.com", "2024-06-01T11:00:00Z"],
            id="crd-default",
        ),
        pytest.param(
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            {"metadata": meta("hooks"), "webhooks": [{"name": "a"}, {"name": "b"}]},
            ["hooks", 2, "60s"],
            id="webhooks",
        ),
        pytest.param(
            "certificates.k8s.io",
            "certificatesigningrequests",
            {
                "metadata": meta("csr-1"),
                "spec": {
                    "signerName": "kubernetes.io/kube-apiserver-client",
                    "username": "alice",
                    "expirationSeconds": 86400,
                },
                "status": {"conditions": [{"type": "Approved"}], "certificate": "LS0t"},
            },
            [
                "csr-1",
                "60s",
                "kubernetes.io/kube-apiserver-client",
                "alice",
                "24h",
                "Approved,Issued",
            ],
            id="csr",
        ),
        pytest.param(
            "node.k8s.io",
            "runtimeclasses",
            {"metadata": meta("gvisor"), "handler": "runsc"},
            ["gvisor", "runsc", "60s"],
            id="runtimeclass",
        ),
    ],
)
def test_group_printers(group: str, plural: str, obj: dict[str, Any], cells: list[Any]) -> None:
    """Each group's printer renders upstream's cells."""
    assert printer_for(group, plural).cells(obj, NOW) == cells


@pytest.mark.parametrize(
    ("group", "version", "plural", "obj", "cells"),
    [
        pytest.param(
            "autoscaling",
            "v1",
            "horizontalpodautoscalers",
            {
                "metadata": meta("web"),
                "spec": {
                    "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                    "maxReplicas": 5,
                    "targetCPUUtilizationPercentage": 50,
                },
                "status": {"currentReplicas": 1},
            },
            ["web", "Deployment/web", "cpu: <unknown>/50%", "<unset>", 5, 1, "60s"],
            id="hpa-v1",
        ),
        pytest.param(
            "events.k8s.io",
            "v1",
            "events",
            {
                "metadata": {"name": "e1"},
                "regarding": {"kind": "Pod", "name": "web"},
                "note": "Started container",
                "reason": "Started",
                "type": "Normal",
                "reportingController": "kubelet",
                "reportingInstance": "node1",
                "eventTime": "2024-06-01T11:59:30.000000Z",
            },
            [
                "30s",
                "Normal",
                "Started",
                "pod/web",
                "",
                "kubelet, node1",
                "Started container",
                "30s",
                1,
                "e1",
            ],
            id="events.k8s.io",
        ),
    ],
)
def test_converted_versions_print_like_their_storage_version(
    group: str, version: str, plural: str, obj: dict[str, Any], cells: list[Any]
) -> None:
    """A version served by conversion prints its storage version's table, over the
    object converted back (as Kubernetes prints every version from its internal one)."""
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    rest = registry.lookup(group, version, plural)
    assert rest is not None
    assert rest.printer is not None
    assert rest.printer.cells(obj, NOW) == cells
    assert rest.printer.columns == printer_for(rest.resource.storage_gvk.group, plural).columns


def test_hpa_more_than_two_metrics() -> None:
    """TARGETS shows two metrics then counts the rest."""
    metric = {
        "type": "Pods",
        "pods": {
            "metric": {"name": "qps"},
            "target": {"type": "AverageValue", "averageValue": "1k"},
        },
    }
    obj = {
        "metadata": meta("web"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "w"},
            "maxReplicas": 3,
            "metrics": [metric] * 3,
        },
    }
    cells = printer_for("autoscaling", "horizontalpodautoscalers").cells(obj, NOW)
    assert cells[2] == "<unknown>/1k, <unknown>/1k + 1 more..."


def test_unknown_resource_gets_default_table() -> None:
    """Resources without a printer get NAME and CREATED AT (a date column)."""
    assert printer_for("example.com", "widgets") is DEFAULT
    assert [(c.name, c.type, c.format) for c in DEFAULT.columns] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]


def test_ipaddress_sends_age_beyond_its_columns() -> None:
    """Upstream's ipaddresses row has an extra age cell that kubectl ignores."""
    printer = printer_for("networking.k8s.io", "ipaddresses")
    obj = {
        "metadata": meta("10.96.0.1"),
        "spec": {
            "parentRef": {
                "group": "",
                "resource": "services",
                "namespace": "default",
                "name": "kubernetes",
            }
        },
    }
    assert [c.name for c in printer.columns] == ["Name", "ParentRef"]
    assert printer.cells(obj, NOW) == ["10.96.0.1", "services/default/kubernetes", "60s"]
