"""The built-in load balancer's decisions: which Services, which addresses, when to let go."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.servicelb import (
    LOAD_BALANCER_CLASS,
    LOAD_BALANCER_FINALIZER,
    load_balancer_ingress,
    needs_cleanup,
    wants_load_balancer,
)

Obj = dict[str, Any]


def service(
    type: str = "LoadBalancer",
    *,
    finalizers: list[str] | None = None,
    deleting: bool = False,
    **spec: Any,
) -> Obj:
    meta: Obj = {"name": "web", "namespace": "ns", "finalizers": finalizers or []}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {"metadata": meta, "spec": {"type": type, "ipFamilies": ["IPv4"], **spec}}


def node(name: str, *addresses: tuple[str, str], labels: dict[str, str] | None = None) -> Obj:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "status": {"addresses": [{"type": t, "address": a} for t, a in addresses]},
    }


def slice_of(*endpoints: tuple[str, bool]) -> Obj:
    return {
        "endpoints": [
            {
                "addresses": ["10.0.0.1"],
                "conditions": {"ready": ready},
                "nodeName": node_name,
                "targetRef": {"kind": "Pod", "name": "p"},
            }
            for node_name, ready in endpoints
        ]
    }


@pytest.mark.parametrize(
    ("svc", "wanted"),
    [
        (service(), True),
        (service(loadBalancerClass=LOAD_BALANCER_CLASS), True),
        (service(loadBalancerClass="example.com/other"), False),  # another implementation's
        (service("NodePort"), False),
        (service("ClusterIP"), False),
    ],
)
def test_which_services_it_serves(svc: Obj, wanted: bool) -> None:
    assert wants_load_balancer(svc) is wanted


@pytest.mark.parametrize(
    ("svc", "cleanup"),
    [
        (service(), False),
        (service(finalizers=[LOAD_BALANCER_FINALIZER]), False),
        (service(finalizers=[LOAD_BALANCER_FINALIZER], deleting=True), True),
        (service("ClusterIP", finalizers=[LOAD_BALANCER_FINALIZER]), True),
        (service("ClusterIP"), False),  # never ours
        (service(deleting=True), False),
    ],
)
def test_when_it_lets_go(svc: Obj, cleanup: bool) -> None:
    assert needs_cleanup(svc) is cleanup


N1 = node("n1", ("InternalIP", "10.0.0.1"), ("Hostname", "n1"))
N2 = node("n2", ("InternalIP", "10.0.0.2"), ("ExternalIP", "203.0.113.2"))
N3 = node("n3", ("InternalIP", "10.0.0.3"))
EXCLUDED = node(
    "n4",
    ("InternalIP", "10.0.0.4"),
    labels={"node.kubernetes.io/exclude-from-external-load-balancers": ""},
)
LOCAL = {"externalTrafficPolicy": "Local"}


@pytest.mark.parametrize(
    ("spec", "nodes", "slices", "ips"),
    [
        ({}, [N1, N3], [], ["10.0.0.1", "10.0.0.3"]),
        ({}, [N3, N1, EXCLUDED], [], ["10.0.0.1", "10.0.0.3"]),
        ({}, [N1, N2], [], ["203.0.113.2"]),  # external addresses win when any node has one
        ({}, [], [], []),
        (LOCAL, [N1, N3], [slice_of(("n3", True), ("n1", False))], ["10.0.0.3"]),
        (LOCAL, [N1, N3], [], []),
        ({"ipFamilies": ["IPv6"]}, [N1], [], []),
        (
            {"ipFamilies": ["IPv6", "IPv4"]},
            [node("n5", ("InternalIP", "fd00::5"), ("InternalIP", "10.0.0.5"))],
            [],
            ["fd00::5", "10.0.0.5"],
        ),
    ],
)
def test_ingress_addresses(spec: Obj, nodes: list[Obj], slices: list[Obj], ips: list[str]) -> None:
    ingress = load_balancer_ingress(service(**spec), nodes, slices)
    assert ingress == [{"ip": ip, "ipMode": "VIP"} for ip in ips]
