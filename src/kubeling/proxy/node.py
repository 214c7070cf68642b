"""What the proxy needs to know about its own node: name, addresses, zone.

Node ports are served on the node's addresses (its ``InternalIP`` and
``ExternalIP`` entries of the proxy's family, as kube-proxy's
``--nodeport-addresses primary``), and on the loopback address as
kube-proxy's iptables mode does by default (``--iptables-localhost-nodeports``).
Without a Node object (no kubelet registered it yet) the node is assumed to be
reachable on loopback only, as kube-proxy assumes when it cannot find its
node's IP. The zone label drives topology-aware routing.

    >>> node = {"metadata": {"name": "n1", "labels": {"topology.kubernetes.io/zone": "a"}},
    ...         "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.4"},
    ...                                  {"type": "Hostname", "address": "n1"}]}}
    >>> node_info(node, name="n1")
    NodeInfo(name='n1', addresses=('10.0.0.4',), zone='a')
    >>> node_info(None, name="n1").node_port_addresses
    ('127.0.0.1',)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.proxy.serviceports import IPV4, family_of

__all__ = ["ZONE_LABEL", "NodeInfo", "node_info"]

ZONE_LABEL: Final = "topology.kubernetes.io/zone"
_LOOPBACK: Final = {IPV4: "127.0.0.1", "IPv6": "::1"}


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """The proxy's node."""

    name: str
    #: The node's own addresses of the proxy's family (empty: not known).
    addresses: tuple[str, ...] = ()
    zone: str = ""

    @property
    def node_port_addresses(self) -> tuple[str, ...]:
        """Where node ports listen: the node's addresses and loopback."""
        family = family_of(self.addresses[0]) if self.addresses else IPV4
        loopback = _LOOPBACK[family or IPV4]
        return (*self.addresses, loopback) if loopback not in self.addresses else self.addresses


def node_info(node: Mapping[str, Any] | None, *, name: str, family: str = IPV4) -> NodeInfo:
    """The proxy's view of ``node`` (None when its Node object does not exist)."""
    if node is None:
        return NodeInfo(name=name)
    addresses: list[str] = []
    for entry in (node.get("status") or {}).get("addresses") or ():
        if not isinstance(entry, Mapping):
            continue
        address = entry.get("address")
        if (
            entry.get("type") in ("InternalIP", "ExternalIP")
            and isinstance(address, str)
            and family_of(address) == family
            and address not in addresses
        ):
            addresses.append(address)
    labels = (node.get("metadata") or {}).get("labels") or {}
    return NodeInfo(name=name, addresses=tuple(addresses), zone=str(labels.get(ZONE_LABEL) or ""))
