"""The Endpoints a service should have: subsets, readiness, ports, capacity, annotations."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.controllers.endpointsubsets import (
    MAX_CAPACITY,
    compute_subsets,
    desired_endpoints,
    repack_subsets,
    subsets_equal,
    truncate_subsets,
)

Obj = dict[str, Any]

HTTP = {"name": "http", "containerPort": 8080}


def pod(
    n: int,
    *,
    ready: bool = True,
    deleting: bool = False,
    ports: list[Obj] | None = None,
    ips: list[str] | None = None,
    **spec: Any,
) -> Obj:
    meta: Obj = {"name": f"p{n}", "namespace": "ns", "uid": f"uid-{n}", "labels": {"app": "a"}}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    addresses = ips if ips is not None else [f"10.0.0.{n}"]
    return {
        "metadata": meta,
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": "c", "ports": [HTTP] if ports is None else ports}],
            **spec,
        },
        "status": {
            "phase": "Running",
            "podIP": addresses[0] if addresses else "",
            "podIPs": [{"ip": ip} for ip in addresses],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": f"2024-01-01T00:00:0{n % 10}Z",
                }
            ],
        },
    }


def service(
    *,
    ports: list[Obj] | None = None,
    cluster_ip: str = "10.96.0.10",
    publish_not_ready: bool = False,
    families: list[str] | None = None,
    labels: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {
        "selector": {"app": "a"},
        "clusterIP": cluster_ip,
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
        if ports is None
        else ports,
        "ipFamilies": families or ["IPv4"],
    }
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    meta: Obj = {"name": "svc", "namespace": "ns", "creationTimestamp": "2024-01-01T00:00:00Z"}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "spec": spec}


def addr(n: int, **extra: Any) -> Obj:
    return {
        "ip": f"10.0.0.{n}",
        **extra,
        "nodeName": "node-1",
        "targetRef": {"kind": "Pod", "namespace": "ns", "name": f"p{n}", "uid": f"uid-{n}"},
    }


HTTP_8080 = {"name": "http", "port": 8080, "protocol": "TCP"}


@pytest.mark.parametrize(
    ("svc", "pods", "expected"),
    [
        pytest.param(
            service(),
            [pod(1), pod(2, ready=False)],
            [{"addresses": [addr(1)], "notReadyAddresses": [addr(2)], "ports": [HTTP_8080]}],
            id="ready-and-not-ready",
        ),
        pytest.param(
            service(publish_not_ready=True),
            [pod(1), pod(2, ready=False), pod(3, deleting=True)],
            [{"addresses": [addr(1), addr(2), addr(3)], "ports": [HTTP_8080]}],
            id="publish-not-ready-includes-unready-and-terminating",
        ),
        pytest.param(
            service(),
            [pod(1), pod(2, deleting=True)],
            [{"addresses": [addr(1)], "ports": [HTTP_8080]}],
            id="terminating-left-out",
        ),
        pytest.param(
            service(),
            [pod(1), pod(2, ports=[{"name": "http", "containerPort": 9090}]), pod(3, ports=[])],
            [
                {"addresses": [addr(1)], "ports": [HTTP_8080]},
                {
                    "addresses": [addr(2)],
                    "ports": [{"name": "http", "port": 9090, "protocol": "TCP"}],
                },
            ],
            id="named-port-resolved-per-pod-missing-left-out",
        ),
        pytest.param(
            service(cluster_ip="None", ports=[]),
            [pod(1), pod(2, ready=False)],
            [{"addresses": [addr(1)], "notReadyAddresses": [addr(2)]}],
            id="headless-without-ports",
        ),
        pytest.param(
            service(ports=[]),
            [pod(1)],
            [],
            id="cluster-ip-without-ports-has-none",
        ),
        pytest.param(
            service(cluster_ip="None"),
            [pod(1, hostname="db-0", subdomain="svc"), pod(2, hostname="db-1", subdomain="x")],
            [{"addresses": [addr(1, hostname="db-0"), addr(2)], "ports": [HTTP_8080]}],
            id="hostname-for-the-subdomain-service",
        ),
        pytest.param(
            service(families=["IPv6"], cluster_ip="fd00::10"),
            [pod(1, ips=["10.0.0.1", "fd00::1"]), pod(2)],
            [
                {
                    "addresses": [{**addr(1), "ip": "fd00::1"}],
                    "ports": [HTTP_8080],
                }
            ],
            id="address-of-the-service-family-only",
        ),
    ],
)
def test_compute_subsets(svc: Obj, pods: list[Obj], expected: list[Obj]) -> None:
    """Addresses by readiness, ports resolved per pod, repacked."""
    assert compute_subsets(svc, pods)[0] == expected


def test_ports_shared_by_the_same_addresses_share_a_subset() -> None:
    """Two service ports served by the same pods become one subset with both ports."""
    svc = service(
        ports=[
            {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "admin", "port": 81, "targetPort": 9090, "protocol": "TCP"},
        ]
    )
    subsets, ready, not_ready = compute_subsets(svc, [pod(2), pod(1)])
    assert subsets == [
        {
            "addresses": [addr(1), addr(2)],
            "ports": [{"name": "admin", "port": 9090, "protocol": "TCP"}, HTTP_8080],
        }
    ]
    assert (ready, not_ready) == (4, 0)  # address-port pairs


def test_repack_not_ready_wins_over_ready_for_one_port() -> None:
    """An address both ready and not ready on one port is not ready."""
    subsets = [
        {"addresses": [addr(1)], "ports": [HTTP_8080]},
        {"notReadyAddresses": [addr(1)], "ports": [HTTP_8080]},
    ]
    assert repack_subsets(subsets) == [{"notReadyAddresses": [addr(1)], "ports": [HTTP_8080]}]


def test_repack_is_independent_of_input_order() -> None:
    """The canonical form compares equal whatever order pods came in."""
    a = [{"addresses": [addr(n)], "ports": [HTTP_8080]} for n in (3, 1, 2)]
    b = [{"addresses": [addr(n)], "ports": [HTTP_8080]} for n in (2, 3, 1)]
    assert repack_subsets(a) == repack_subsets(b)


def _many(ready: int, not_ready: int) -> list[Obj]:
    return [
        {
            "addresses": [addr(n) for n in range(ready)],
            "notReadyAddresses": [addr(n) for n in range(ready, ready + not_ready)],
            "ports": [HTTP_8080],
        }
    ]


@pytest.mark.parametrize(
    ("ready", "not_ready", "kept_ready", "kept_not_ready", "truncated"),
    [
        (600, 400, 600, 400, False),
        (600, 500, 600, 400, True),  # not-ready addresses are cut first
        (1200, 30, 1000, 0, True),  # too many ready: they are cut, not-ready all go
    ],
)
def test_truncation_above_capacity(
    ready: int, not_ready: int, kept_ready: int, kept_not_ready: int, truncated: bool
) -> None:
    """At most 1000 addresses, ready ones first."""
    subsets, cut = truncate_subsets(_many(ready, not_ready))
    assert cut is truncated
    assert len(subsets[0]["addresses"]) == kept_ready
    assert len(subsets[0].get("notReadyAddresses") or []) == kept_not_ready


def test_truncation_spreads_over_subsets_in_proportion() -> None:
    """Each subset keeps its share of the capacity (rounded up, the last gets the rest)."""
    first = {"addresses": [addr(n) for n in range(900)], "ports": [HTTP_8080]}
    second = {"addresses": [addr(n) for n in range(900, 1200)], "ports": [{"port": 1}]}
    subsets, cut = truncate_subsets([first, second])
    assert cut
    assert [len(s["addresses"]) for s in subsets] == [750, 250]
    assert sum(len(s["addresses"]) for s in subsets) == MAX_CAPACITY


def test_subsets_equal_ignores_pod_resource_versions_and_empty_lists() -> None:
    """A pod's resourceVersion in its reference is no reason to rewrite the Endpoints."""
    with_rv = addr(1)
    with_rv["targetRef"] = {**with_rv["targetRef"], "resourceVersion": "42"}
    assert subsets_equal(
        [{"addresses": [with_rv], "notReadyAddresses": [], "ports": [HTTP_8080]}],
        [{"addresses": [addr(1)], "ports": [HTTP_8080]}],
    )
    assert not subsets_equal([{"addresses": [addr(1)]}], [{"notReadyAddresses": [addr(1)]}])


TRIGGER = datetime.datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=datetime.UTC)


def test_a_new_endpoints_object() -> None:
    """Named after the service, its labels, the trigger time, the subsets."""
    plan = desired_endpoints(service(labels={"team": "x"}), [pod(1)], None, TRIGGER)
    assert plan.create
    assert plan.endpoints == {
        "metadata": {
            "name": "svc",
            "labels": {"team": "x"},
            "namespace": "ns",
            "annotations": {
                "endpoints.kubernetes.io/last-change-trigger-time": "2024-05-06T07:08:09.5Z"
            },
        },
        "apiVersion": "v1",
        "kind": "Endpoints",
        "subsets": [{"addresses": [addr(1)], "ports": [HTTP_8080]}],
    }


def test_headless_endpoints_carry_the_headless_label() -> None:
    """A service without a cluster IP marks its Endpoints ``service.kubernetes.io/headless``."""
    plan = desired_endpoints(service(cluster_ip="None"), [pod(1)], None, None)
    assert plan.endpoints is not None
    assert plan.endpoints["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}
    assert "annotations" not in plan.endpoints["metadata"]


def _stored(svc: Obj, pods: list[Obj]) -> Obj:
    plan = desired_endpoints(svc, pods, None, TRIGGER)
    assert plan.endpoints is not None
    stored = dict(plan.endpoints)
    stored["metadata"] = {**stored["metadata"], "resourceVersion": "7", "uid": "e-uid"}
    return stored


def test_nothing_to_write_when_it_is_already_right() -> None:
    """Same subsets and labels (the headless label aside): no write."""
    svc = service(cluster_ip="None")
    stored = _stored(svc, [pod(1)])
    assert desired_endpoints(svc, [pod(1)], stored, None).endpoints is None


def test_an_update_keeps_the_stored_identity() -> None:
    """An update carries the stored object's resourceVersion (a conflict if it moved)."""
    svc = service()
    stored = _stored(svc, [pod(1)])
    plan = desired_endpoints(svc, [pod(1), pod(2)], stored, None)
    assert not plan.create
    assert plan.endpoints is not None
    assert plan.endpoints["metadata"]["resourceVersion"] == "7"
    assert "annotations" not in plan.endpoints["metadata"]  # no trigger time: removed
    assert plan.endpoints["subsets"][0]["addresses"] == [addr(1), addr(2)]


def test_over_capacity_is_annotated_and_cleared() -> None:
    """Beyond 1000 addresses: truncated and annotated; back under: the annotation goes."""
    svc = service(cluster_ip="None", ports=[])
    pods = [pod(n, ips=[f"10.1.{n // 250}.{n % 250}"]) for n in range(1001)]
    plan = desired_endpoints(svc, pods, None, None)
    assert plan.endpoints is not None
    annotations = plan.endpoints["metadata"]["annotations"]
    assert annotations["endpoints.kubernetes.io/over-capacity"] == "truncated"
    assert len(plan.endpoints["subsets"][0]["addresses"]) == MAX_CAPACITY
    stored = {**plan.endpoints, "metadata": {**plan.endpoints["metadata"], "resourceVersion": "3"}}
    again = desired_endpoints(svc, pods[:10], stored, None)
    assert again.endpoints is not None
    assert "annotations" not in again.endpoints["metadata"]
