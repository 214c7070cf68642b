"""Which pods are a service's endpoints, and which services a pod change concerns."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.serviceendpoints import (
    find_port,
    pod_ips,
    service_selects,
    services_to_update_on_pod_change,
    should_pod_be_in_endpoints,
    should_set_hostname,
)

Obj = dict[str, Any]


def pod(
    name: str = "p",
    *,
    labels: dict[str, str] | None = None,
    ip: str | None = "10.0.0.1",
    ready: bool = True,
    phase: str = "Running",
    deleting: bool = False,
    rv: str = "1",
    **spec: Any,
) -> Obj:
    meta: Obj = {"name": name, "namespace": "ns", "labels": labels or {}, "resourceVersion": rv}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    status: Obj = {"phase": phase}
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": meta, "spec": spec, "status": status}


def service(name: str, selector: dict[str, str] | None) -> Obj:
    spec: Obj = {} if selector is None else {"selector": selector}
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec}


@pytest.mark.parametrize(
    ("the_pod", "include_terminating", "expected"),
    [
        (pod(), False, True),
        (pod(ready=False), False, True),  # not ready is still an endpoint (not-ready)
        (pod(phase="Succeeded"), True, False),
        (pod(phase="Failed"), True, False),
        (pod(ip=None), True, False),
        (pod(deleting=True), False, False),
        (pod(deleting=True), True, True),
    ],
)
def test_which_pods_are_endpoints(the_pod: Obj, include_terminating: bool, expected: bool) -> None:
    """Finished pods, pods without an IP and (unless asked) terminating pods are left out."""
    assert should_pod_be_in_endpoints(the_pod, include_terminating=include_terminating) is expected


def test_pod_ips_read_pod_ips_then_pod_ip() -> None:
    """``podIPs`` wins; a bare ``podIP`` (not converted by this API server) also counts."""
    both = {"status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}}
    assert pod_ips(both) == ["10.0.0.1", "fd00::1"]
    assert pod_ips({"status": {"podIP": "10.0.0.2"}}) == ["10.0.0.2"]
    assert pod_ips({"status": {}}) == []


_CONTAINERS = [
    {
        "name": "a",
        "ports": [
            {"name": "http", "containerPort": 8080},
            {"name": "dns", "containerPort": 5353, "protocol": "UDP"},
        ],
    }
]
_SIDECAR = [
    {"name": "s", "restartPolicy": "Always", "ports": [{"name": "side", "containerPort": 9}]}
]
_INIT = [{"name": "i", "ports": [{"name": "init", "containerPort": 7}]}]


@pytest.mark.parametrize(
    ("service_port", "expected"),
    [
        ({"port": 80, "targetPort": 8081, "protocol": "TCP"}, 8081),
        ({"port": 80, "protocol": "TCP"}, 80),  # no targetPort: the port itself
        ({"port": 80, "targetPort": "http", "protocol": "TCP"}, 8080),
        ({"port": 53, "targetPort": "dns", "protocol": "UDP"}, 5353),
        ({"port": 53, "targetPort": "dns", "protocol": "TCP"}, None),  # protocol must match
        ({"port": 80, "targetPort": "missing", "protocol": "TCP"}, None),
        ({"port": 9, "targetPort": "side", "protocol": "TCP"}, 9),  # a sidecar's port
        ({"port": 7, "targetPort": "init", "protocol": "TCP"}, None),  # a plain init container
    ],
)
def test_find_port(service_port: Obj, expected: int | None) -> None:
    """Numbers as they are; names looked up in containers and sidecars, by protocol."""
    the_pod = {"spec": {"containers": _CONTAINERS, "initContainers": _SIDECAR + _INIT}}
    assert find_port(the_pod, service_port) == expected


def test_hostname_is_published_for_the_subdomain_service() -> None:
    """``hostname`` counts when ``subdomain`` names the service (same namespace)."""
    svc = service("db", {"app": "db"})
    assert should_set_hostname(pod(hostname="db-0", subdomain="db"), svc)
    assert not should_set_hostname(pod(hostname="db-0", subdomain="other"), svc)
    assert not should_set_hostname(pod(subdomain="db"), svc)


def test_an_empty_selector_is_no_selector() -> None:
    """Kubernetes stores an empty selector as none: such a service is managed by hand."""
    assert service_selects(service("a", None)) is None
    assert service_selects(service("a", {})) is None
    assert service_selects(service("a", {"app": "x"})) == {"app": "x"}


_SERVICES = [
    service("web", {"app": "web"}),
    service("api", {"app": "api"}),
    service("all", {"tier": "front"}),
    service("manual", None),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a resync (same resourceVersion) concerns nobody
        (pod(labels={"app": "web"}), pod(labels={"app": "web"}), set()),
        # an annotation-like change endpoints do not see
        (pod(labels={"app": "web"}), pod(labels={"app": "web"}, rv="2"), set()),
        # readiness changed: the services selecting it
        (
            pod(labels={"app": "web", "tier": "front"}, ready=False),
            pod(labels={"app": "web", "tier": "front"}, rv="2"),
            {"ns/web", "ns/all"},
        ),
        # IP assigned
        (pod(labels={"app": "web"}, ip=None), pod(labels={"app": "web"}, rv="2"), {"ns/web"}),
        # deletion started
        (pod(labels={"app": "web"}), pod(labels={"app": "web"}, rv="2", deleting=True), {"ns/web"}),
        # labels only: the services joined and left
        (
            pod(labels={"app": "web", "tier": "front"}),
            pod(labels={"app": "api", "tier": "front"}, rv="2"),
            {"ns/web", "ns/api"},
        ),
        # labels and readiness: every service before and after
        (
            pod(labels={"app": "web", "tier": "front"}),
            pod(labels={"app": "api", "tier": "front"}, rv="2", ready=False),
            {"ns/web", "ns/api", "ns/all"},
        ),
    ],
)
def test_services_to_update_on_pod_change(old: Obj, new: Obj, expected: set[str]) -> None:
    """Only changes that can alter endpoints or membership queue services."""
    assert services_to_update_on_pod_change(_SERVICES, old, new) == expected
