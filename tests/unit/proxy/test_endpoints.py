"""EndpointSlices into endpoints per Service port, as kube-proxy's slice cache reads them."""

from __future__ import annotations

from kubeling.proxy.endpoints import Endpoint, endpoints_by_port
from kubeling.proxy.serviceports import ServicePortName
from tests.unit.proxy.builders import endpoint, endpoint_slice

HTTP = ServicePortName("ns", "web", "http", "TCP")


def test_conditions_default_as_the_api_defines_them() -> None:
    """An absent ``ready`` or ``serving`` means true, an absent ``terminating`` false."""
    slices = [endpoint_slice("web", endpoint("10.0.0.1", ready=None))]
    assert endpoints_by_port(slices, node_name="node-1") == {
        HTTP: (Endpoint("10.0.0.1", 8080, "node-1", local=True),)
    }


def test_endpoints_keep_their_conditions_and_come_sorted() -> None:
    slices = [
        endpoint_slice(
            "web",
            endpoint("10.0.0.2", ready=False, serving=True, terminating=True, node="node-2"),
            endpoint("10.0.0.1", zones=["zone-a"]),
        )
    ]
    assert endpoints_by_port(slices, node_name="node-1")[HTTP] == (
        Endpoint("10.0.0.1", 8080, "node-1", local=True, zone_hints=frozenset({"zone-a"})),
        Endpoint("10.0.0.2", 8080, "node-2", ready=False, serving=True, terminating=True),
    )


def test_a_named_target_port_resolves_per_endpoint() -> None:
    """Pods resolving a named ``targetPort`` to different numbers land in different slices
    under one port name; each endpoint keeps its own number."""
    slices = [
        endpoint_slice("web", endpoint("10.0.0.1"), name="web-a", port=8080),
        endpoint_slice("web", endpoint("10.0.0.2"), name="web-b", port=9090),
    ]
    assert [str(e) for e in endpoints_by_port(slices)[HTTP]] == [
        "10.0.0.1:8080",
        "10.0.0.2:9090",
    ]


def test_an_endpoint_in_two_slices_is_kept_once_preferring_not_terminating() -> None:
    old = endpoint("10.0.0.1", ready=False, terminating=True)
    new = endpoint("10.0.0.1", ready=True)
    for order in ([old, new], [new, old]):
        slices = [endpoint_slice("web", e, name=f"web-{i}") for i, e in enumerate(order)]
        (only,) = endpoints_by_port(slices)[HTTP]
        assert only.ready
        assert not only.terminating


def test_what_is_ignored() -> None:
    slices = [
        endpoint_slice("web", endpoint("10.0.0.1"), port_name=None),  # a port needs a name
        endpoint_slice("web", endpoint("10.0.0.2"), port=0),  # and a number
        endpoint_slice("web", endpoint("fd00::1"), address_type="IPv6"),  # other family
        endpoint_slice("web", endpoint("a.example"), address_type="FQDN"),
        endpoint_slice("web", {"addresses": [], "conditions": {}}),  # no address
    ]
    unlabelled = endpoint_slice("web", endpoint("10.0.0.3"))
    unlabelled["metadata"]["labels"] = {}
    assert endpoints_by_port([*slices, unlabelled]) == {}


def test_unnamed_ports_and_protocols_are_separate_service_ports() -> None:
    slices = [
        endpoint_slice("dns", endpoint("10.0.0.1"), port=53, port_name="", protocol="UDP"),
        endpoint_slice("dns", endpoint("10.0.0.1"), port=53, port_name="", protocol="TCP"),
    ]
    assert set(endpoints_by_port(slices)) == {
        ServicePortName("ns", "dns", "", "UDP"),
        ServicePortName("ns", "dns", "", "TCP"),
    }


def test_ipv6_endpoints_print_bracketed() -> None:
    slices = [endpoint_slice("web", endpoint("fd00::1"), address_type="IPv6")]
    (only,) = endpoints_by_port(slices, family="IPv6")[HTTP]
    assert str(only) == "[fd00::1]:8080"


def test_locality_needs_a_node_name() -> None:
    slices = [endpoint_slice("web", endpoint("10.0.0.1", node=None))]
    assert not endpoints_by_port(slices, node_name="")[HTTP][0].local
    assert not endpoints_by_port(slices, node_name="node-1")[HTTP][0].local
