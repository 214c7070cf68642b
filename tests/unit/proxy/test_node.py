"""The proxy's own node: addresses for node ports, zone for topology."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.proxy.node import NodeInfo, node_info


def node(*addresses: tuple[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "n1", "labels": labels or {}},
        "status": {"addresses": [{"type": t, "address": a} for t, a in addresses]},
    }


@pytest.mark.parametrize(
    ("obj", "addresses", "node_ports"),
    [
        (None, (), ("127.0.0.1",)),  # no Node yet: loopback, as kube-proxy assumes
        (node(("InternalIP", "127.0.0.1")), ("127.0.0.1",), ("127.0.0.1",)),
        (
            node(("InternalIP", "10.0.0.4"), ("ExternalIP", "203.0.113.4"), ("Hostname", "n1")),
            ("10.0.0.4", "203.0.113.4"),
            ("10.0.0.4", "203.0.113.4", "127.0.0.1"),
        ),
        (node(("InternalIP", "fd00::4"), ("InternalIP", "10.0.0.4")), ("10.0.0.4",), None),
        (node(("InternalIP", "10.0.0.4"), ("InternalIP", "10.0.0.4")), ("10.0.0.4",), None),
        (node(("InternalDNS", "n1.example")), (), ("127.0.0.1",)),
    ],
)
def test_addresses(
    obj: dict[str, Any] | None, addresses: tuple[str, ...], node_ports: tuple[str, ...] | None
) -> None:
    info = node_info(obj, name="n1")
    assert info.addresses == addresses
    if node_ports is not None:
        assert info.node_port_addresses == node_ports


def test_ipv6_node_ports_use_ipv6_loopback() -> None:
    info = node_info(node(("InternalIP", "fd00::4")), name="n1", family="IPv6")
    assert info.node_port_addresses == ("fd00::4", "::1")


def test_zone_label() -> None:
    labelled = node(labels={"topology.kubernetes.io/zone": "zone-a"})
    assert node_info(labelled, name="n1") == NodeInfo("n1", (), "zone-a")
