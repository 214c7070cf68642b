"""Which Service ports the proxy serves, and what it reads from each."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.proxy.serviceports import ServicePort, ServicePortName, service_ports
from tests.unit.proxy.builders import service

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("svc", "expected"),
    [
        (service(), ["ns/web:http"]),
        (service(cluster_ip="None"), []),  # headless: DNS returns the pods
        (service(cluster_ip=""), []),  # not allocated
        (service(type="ExternalName", cluster_ip="", externalName="example.com"), []),
        (
            service(ports=[{"port": 53, "protocol": "UDP"}]),
            ["ns/web"],  # the single unnamed port
        ),
        (
            service(
                ports=[
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                ]
            ),
            ["ns/web:dns", "ns/web:dns-tcp"],
        ),
        (service(ports=[{"name": "bad"}]), []),  # no port number: nothing to serve
    ],
)
def test_which_services_are_proxied(svc: Obj, expected: list[str]) -> None:
    assert [str(p) for p in service_ports(svc)] == expected


def test_a_port_carries_what_routing_needs() -> None:
    svc = service(
        type="LoadBalancer",
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}],
        externalIPs=["192.0.2.7", "2001:db8::7"],
        loadBalancerSourceRanges=[" 10.0.0.0/8 ", "2001:db8::/32"],
        externalTrafficPolicy="Local",
        internalTrafficPolicy="Local",
        healthCheckNodePort=32000,
        sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}},
        ingress=[
            {"ip": "127.0.0.1", "ipMode": "VIP"},
            {"ip": "198.51.100.1", "ipMode": "Proxy"},  # a proxying LB rewrites the destination
            {"hostname": "lb.example.com"},
            {"ip": "198.51.100.2"},  # no ipMode: a VIP
        ],
    )
    assert service_ports(svc) == [
        ServicePort(
            name=ServicePortName("ns", "web", "http", "TCP"),
            cluster_ip="127.96.0.5",
            port=80,
            protocol="TCP",
            node_port=30080,
            external_ips=("192.0.2.7",),
            load_balancer_ips=("127.0.0.1", "198.51.100.2"),
            source_ranges=("10.0.0.0/8",),
            affinity_seconds=60,
            external_policy_local=True,
            internal_policy_local=True,
            health_check_node_port=32000,
        )
    ]


def test_client_ip_affinity_defaults_to_three_hours() -> None:
    (port,) = service_ports(service(sessionAffinity="ClientIP"))
    assert port.affinity_seconds == 10800
    (port,) = service_ports(service(sessionAffinity="None"))
    assert port.affinity_seconds == 0


@pytest.mark.parametrize(
    ("spec", "external_local", "health_port"),
    [
        ({"type": "NodePort", "externalTrafficPolicy": "Local"}, True, 0),
        ({"type": "LoadBalancer", "externalTrafficPolicy": "Local"}, True, 31000),
        ({"type": "LoadBalancer", "externalTrafficPolicy": "Cluster"}, False, 0),
        # A ClusterIP Service is external only through externalIPs.
        ({"type": "ClusterIP", "externalTrafficPolicy": "Local"}, False, 0),
        (
            {"type": "ClusterIP", "externalTrafficPolicy": "Local", "externalIPs": ["192.0.2.1"]},
            True,
            0,
        ),
    ],
)
def test_external_traffic_policy(spec: Obj, external_local: bool, health_port: int) -> None:
    kind = spec.pop("type")
    (port,) = service_ports(service(type=kind, healthCheckNodePort=31000, **spec))
    assert port.external_policy_local is external_local
    assert port.health_check_node_port == health_port


@pytest.mark.parametrize(
    ("port", "uses_cluster", "uses_local"),
    [
        (ServicePort(ServicePortName("n", "s", "", "TCP"), "1.1.1.1", 80, "TCP"), True, False),
        (
            ServicePort(
                ServicePortName("n", "s", "", "TCP"),
                "1.1.1.1",
                80,
                "TCP",
                internal_policy_local=True,
            ),
            False,
            True,
        ),
        (
            # External traffic from this host still goes to Cluster endpoints.
            ServicePort(
                ServicePortName("n", "s", "", "TCP"),
                "1.1.1.1",
                80,
                "TCP",
                node_port=30000,
                internal_policy_local=True,
                external_policy_local=True,
            ),
            True,
            True,
        ),
        (
            ServicePort(
                ServicePortName("n", "s", "", "TCP"),
                "1.1.1.1",
                80,
                "TCP",
                node_port=30000,
                external_policy_local=True,
            ),
            True,
            True,
        ),
    ],
)
def test_which_endpoint_sets_a_port_uses(
    port: ServicePort, uses_cluster: bool, uses_local: bool
) -> None:
    assert port.uses_cluster_endpoints is uses_cluster
    assert port.uses_local_endpoints is uses_local


def test_dual_stack_service_per_family() -> None:
    svc = service(cluster_ip="127.96.0.5")
    svc["spec"]["clusterIPs"] = ["127.96.0.5", "fd00::5"]
    assert [p.cluster_ip for p in service_ports(svc, family="IPv6")] == ["fd00::5"]
    assert [p.cluster_ip for p in service_ports(svc)] == ["127.96.0.5"]
    single = service(cluster_ip="127.96.0.5")
    assert service_ports(single, family="IPv6") == []
