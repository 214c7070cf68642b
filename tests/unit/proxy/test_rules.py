"""The proxy's rules as tables: Service ports and endpoints in, routes and frontends out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.node import NodeInfo
from kubeling.proxy.rules import (
    Route,
    Verdict,
    Via,
    compute_rules,
    frontends,
    rule_for,
    source_allowed,
)
from kubeling.proxy.serviceports import ServicePort, ServicePortName
from tests.unit.proxy.builders import endpoint, endpoint_slice, service

NAME = ServicePortName("ns", "web", "http", "TCP")

# Endpoints: L* on this node, R* elsewhere; ready unless said otherwise.
L1 = Endpoint("10.0.0.1", 80, "node-1", local=True)
L2 = Endpoint("10.0.0.2", 80, "node-1", local=True)
R1 = Endpoint("10.0.1.1", 80, "node-2")
R2 = Endpoint("10.0.1.2", 80, "node-2")
L_TERMINATING = Endpoint("10.0.0.3", 80, "node-1", True, ready=False, terminating=True)
R_TERMINATING = Endpoint("10.0.1.3", 80, "node-2", ready=False, terminating=True)
R_NOT_SERVING = Endpoint("10.0.1.4", 80, "node-2", ready=False, serving=False)
L_NOT_READY = Endpoint("10.0.0.5", 80, "node-1", True, ready=False, serving=False)


def port(**kw: Any) -> ServicePort:
    return ServicePort(NAME, "127.96.0.5", 80, "TCP", **kw)


def to(*endpoints: Endpoint) -> Route:
    return Route(Verdict.FORWARD, tuple(endpoints))


REJECT = Route(Verdict.REJECT, reason="ns/web:http has no endpoints")
DROP = Route(Verdict.DROP, reason="ns/web:http has no local endpoints")
NODE_PORT = {"node_port": 30080}
ITP_LOCAL = {"internal_policy_local": True}
ETP_LOCAL = {"node_port": 30080, "external_policy_local": True}


@pytest.mark.parametrize(
    ("spec", "endpoints", "internal", "external", "from_host"),
    [
        pytest.param({}, [], REJECT, REJECT, REJECT, id="no endpoints: rejected"),
        pytest.param({}, [L1, R1], to(L1, R1), to(L1, R1), to(L1, R1), id="all ready"),
        pytest.param({}, [L1, L_NOT_READY], to(L1), to(L1), to(L1), id="not ready: left out"),
        pytest.param({}, [L_NOT_READY, R_NOT_SERVING], REJECT, REJECT, REJECT, id="none usable"),
        pytest.param(
            {},
            [R_TERMINATING, R_NOT_SERVING],
            to(R_TERMINATING),
            to(R_TERMINATING),
            to(R_TERMINATING),
            id="no ready: serving terminating ones",
        ),
        pytest.param(
            {}, [L1, R_TERMINATING], to(L1), to(L1), to(L1), id="ready ones before terminating"
        ),
        pytest.param(ITP_LOCAL, [L1, R1], to(L1), to(L1), to(L1), id="internal Local: this node's"),
        pytest.param(ITP_LOCAL, [R1], DROP, DROP, DROP, id="internal Local, none here: dropped"),
        pytest.param(
            ITP_LOCAL,
            [L_TERMINATING, R1],
            to(L_TERMINATING),
            to(L_TERMINATING),
            to(L_TERMINATING),
            id="internal Local: terminating local before dropping",
        ),
        pytest.param(
            ETP_LOCAL,
            [L1, R1],
            to(L1, R1),
            to(L1),
            to(L1, R1),
            id="external Local: this node's, host traffic short-circuited to all",
        ),
        pytest.param(
            ETP_LOCAL,
            [R1],
            to(R1),
            DROP,
            to(R1),
            id="external Local, none here: dropped but from this host",
        ),
        pytest.param(ETP_LOCAL, [], REJECT, REJECT, REJECT, id="external Local, none at all"),
        pytest.param(
            NODE_PORT, [L1, R1], to(L1, R1), to(L1, R1), to(L1, R1), id="external Cluster"
        ),
        pytest.param(
            {**NODE_PORT, **ITP_LOCAL},
            [L1, R1],
            to(L1),
            to(L1, R1),
            to(L1, R1),
            id="internal Local, external Cluster",
        ),
        pytest.param(
            {**NODE_PORT, **ITP_LOCAL},
            [R1],
            DROP,
            to(R1),
            to(R1),
            id="internal Local, external Cluster, none here",
        ),
    ],
)
def test_routes(
    spec: dict[str, Any],
    endpoints: list[Endpoint],
    internal: Route,
    external: Route,
    from_host: Route,
) -> None:
    rule = rule_for(port(**spec), endpoints)
    assert (rule.internal, rule.external, rule.external_from_host) == (
        internal,
        external,
        from_host,
    )


def zoned(endpoint: Endpoint, *zones: str) -> Endpoint:
    return Endpoint(
        endpoint.ip, endpoint.port, endpoint.node_name, endpoint.local, zone_hints=frozenset(zones)
    )


@pytest.mark.parametrize(
    ("endpoints", "zone", "expected"),
    [
        pytest.param(
            [zoned(L1, "a"), zoned(R1, "b")], "a", to(zoned(L1, "a")), id="hints for this zone"
        ),
        pytest.param(
            [zoned(L1, "a", "b"), zoned(R1, "b")],
            "b",
            to(zoned(L1, "a", "b"), zoned(R1, "b")),
            id="several zones hinted",
        ),
        pytest.param(
            [zoned(L1, "a"), R1], "a", to(zoned(L1, "a"), R1), id="one without hints: ignored"
        ),
        pytest.param(
            [zoned(L1, "a"), zoned(R1, "a")],
            "c",
            to(zoned(L1, "a"), zoned(R1, "a")),
            id="none for this zone: ignored",
        ),
        pytest.param(
            [zoned(L1, "a"), zoned(R1, "b")],
            "",
            to(zoned(L1, "a"), zoned(R1, "b")),
            id="node without zone: ignored",
        ),
    ],
)
def test_topology_hints(endpoints: list[Endpoint], zone: str, expected: Route) -> None:
    assert rule_for(port(), endpoints, zone=zone).internal == expected


def test_topology_does_not_narrow_the_local_set() -> None:
    rule = rule_for(port(**ETP_LOCAL), [zoned(L1, "b"), zoned(R1, "a")], zone="a")
    assert rule.internal == to(zoned(R1, "a"))
    assert rule.external == to(zoned(L1, "b"))
    assert rule.reachable_endpoints == (zoned(L1, "b"), zoned(R1, "a"))


def test_compute_rules_joins_services_and_slices() -> None:
    services = [
        service("web"),
        service("db", cluster_ip="127.96.0.6", ports=[{"port": 5432, "protocol": "TCP"}]),
        service("headless", cluster_ip="None"),
    ]
    slices = [
        endpoint_slice("web", endpoint("10.0.0.1"), endpoint("10.0.0.2", ready=False)),
        endpoint_slice("headless", endpoint("10.0.0.9")),
        endpoint_slice("gone", endpoint("10.0.0.8")),  # a Service that does not exist (yet)
    ]
    rules = compute_rules(services, slices, NodeInfo("node-1"))
    summary = [(str(r.name), r.internal.verdict, [*map(str, r.internal.endpoints)]) for r in rules]
    assert summary == [
        ("ns/db", Verdict.REJECT, []),
        ("ns/web:http", Verdict.FORWARD, ["10.0.0.1:8080"]),
    ]


def test_frontends() -> None:
    svc = service(
        type="LoadBalancer",
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}],
        externalIPs=["192.0.2.7"],
        externalTrafficPolicy="Local",
        ingress=[{"ip": "127.0.0.1", "ipMode": "VIP"}],
    )
    node = NodeInfo("node-1", addresses=("10.1.0.4",))
    (rule,) = compute_rules([svc], [endpoint_slice("web", endpoint("10.0.0.1"))], node)
    found = frontends([rule], node)
    assert [(f.via, f.ip, f.port, f.protocol) for f in found] == [
        (Via.CLUSTER_IP, "127.96.0.5", 80, "TCP"),
        (Via.EXTERNAL_IP, "192.0.2.7", 80, "TCP"),
        (Via.LOAD_BALANCER, "127.0.0.1", 80, "TCP"),
        (Via.NODE_PORT, "10.1.0.4", 30080, "TCP"),
        (Via.NODE_PORT, "127.0.0.1", 30080, "TCP"),
    ]
    assert str(found[3]) == "nodePort for ns/web:http (10.1.0.4:30080/TCP)"
    cluster, external = found[0], found[1]
    assert cluster.route is rule.internal
    assert cluster.host_route is rule.internal
    assert external.route is rule.external
    assert external.host_route is rule.external_from_host


@pytest.mark.parametrize(
    ("ranges", "via", "client", "allowed"),
    [
        ([], Via.LOAD_BALANCER, "203.0.113.9", True),
        (["10.0.0.0/8"], Via.LOAD_BALANCER, "10.2.3.4", True),
        (["10.0.0.0/8"], Via.LOAD_BALANCER, "203.0.113.9", False),
        (["10.0.0.0/8"], Via.NODE_PORT, "203.0.113.9", True),  # node ports ignore them
        (["10.0.0.0/8"], Via.CLUSTER_IP, "203.0.113.9", True),
        # A range holding the node's address admits traffic from the (local) VIP itself.
        (["10.1.0.0/16"], Via.LOAD_BALANCER, "192.0.2.80", True),
        (["10.2.0.0/16"], Via.LOAD_BALANCER, "192.0.2.80", False),
        (["10.0.0.0/8"], Via.LOAD_BALANCER, "not-an-ip", False),
    ],
)
def test_load_balancer_source_ranges(
    ranges: list[str], via: Via, client: str, allowed: bool
) -> None:
    svc = service(
        type="LoadBalancer",
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}],
        loadBalancerSourceRanges=ranges,
        ingress=[{"ip": "192.0.2.80"}],
    )
    node = NodeInfo("node-1", addresses=("10.1.0.4",))
    (rule,) = compute_rules([svc], [endpoint_slice("web", endpoint("10.0.0.1"))], node)
    frontend = next(f for f in frontends([rule], node) if f.via is via)
    assert source_allowed(frontend, client, node) is allowed


endpoints_strategy = st.lists(
    st.builds(
        Endpoint,
        ip=st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.1.2"]),
        port=st.just(80),
        node_name=st.sampled_from(["node-1", "node-2"]),
        local=st.booleans(),
        ready=st.booleans(),
        serving=st.booleans(),
        terminating=st.booleans(),
        zone_hints=st.frozensets(st.sampled_from(["a", "b"]), max_size=2),
    ),
    max_size=6,
)


@given(
    endpoints=endpoints_strategy,
    internal_local=st.booleans(),
    external_local=st.booleans(),
    node_port=st.sampled_from([0, 30080]),
    zone=st.sampled_from(["", "a", "b"]),
)
def test_routes_are_always_consistent(
    endpoints: list[Endpoint], internal_local: bool, external_local: bool, node_port: int, zone: str
) -> None:
    """Whatever the endpoints: a forwarding route has endpoints, all of them usable (ready,
    or serving while terminating), ready ones whenever some ready one is eligible, and
    a Service with no usable endpoint is rejected everywhere."""
    rule = rule_for(
        port(
            node_port=node_port,
            internal_policy_local=internal_local,
            external_policy_local=external_local and bool(node_port),
        ),
        endpoints,
        zone=zone,
    )
    usable = [e for e in endpoints if e.ready or (e.serving and e.terminating)]
    for route in (rule.internal, rule.external, rule.external_from_host):
        if not usable:
            assert route.verdict is Verdict.REJECT
        if route.verdict is Verdict.FORWARD:
            assert route.endpoints
            assert set(route.endpoints) <= set(usable)
            if any(e.ready for e in route.endpoints):
                assert all(e.ready for e in route.endpoints)
        else:
            assert route.endpoints == ()
    if internal_local:
        assert all(e.local for e in rule.internal.endpoints)
