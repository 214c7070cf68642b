"""The proxy's rules: Services and EndpointSlices in, routing decisions out (sans-IO).

Everything kube-proxy decides before it writes a single iptables line is
decided here, by pure functions, and every backend translates the result:

- :func:`compute_rules` gives one :class:`ServiceRule` per Service port (see
  :mod:`~kubeling.proxy.serviceports`), with its Cluster and Local endpoint sets
  (:mod:`~kubeling.proxy.topology`) and three :class:`Route` s, as kube-proxy's
  iptables proxier builds them:

  * ``internal``, for traffic to the cluster IP: the Cluster endpoints, or the
    Local ones with ``internalTrafficPolicy: Local``;
  * ``external``, for traffic to node ports, external IPs and load-balancer IPs
    from elsewhere: the Cluster endpoints, or the Local ones with
    ``externalTrafficPolicy: Local``;
  * ``external_from_host``, the same traffic when it starts on this node: always
    the Cluster endpoints ("short-circuited", as if it went out to the load
    balancer and came back).

  A Service with no usable endpoint anywhere is *rejected* (iptables ``REJECT``:
  the client is refused at once); a Local policy with endpoints elsewhere only is
  *dropped* (iptables ``DROP``).
- :func:`frontends` lists every address and port the rules capture: the cluster
  IP, the node port on each node port address, each external IP and each
  load-balancer VIP, each with the route that applies there.

An iptables backend writes ``KUBE-SERVICES`` lines from the frontends, a
``KUBE-SVC``/``KUBE-SVL`` chain per endpoint set and a ``KUBE-SEP`` chain per
endpoint (``affinity_seconds`` becoming ``-m recent``); the userspace backend
listens on the frontends and picks endpoints from the routes.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.proxy.endpoints import Endpoint, endpoints_by_port
from kubeling.proxy.node import NodeInfo
from kubeling.proxy.serviceports import IPV4, ServicePort, ServicePortName, service_ports
from kubeling.proxy.topology import categorize_endpoints

__all__ = [
    "Frontend",
    "Route",
    "ServiceRule",
    "Verdict",
    "Via",
    "compute_rules",
    "frontends",
    "rule_for",
    "source_allowed",
]


class Verdict(enum.StrEnum):
    """What happens to a new connection (or datagram flow)."""

    FORWARD = "FORWARD"  # to one of the route's endpoints
    REJECT = "REJECT"  # refused at once: no endpoint anywhere
    DROP = "DROP"  # silently discarded: Local policy, no endpoint on this node


class Via(enum.StrEnum):
    """How traffic reached a Service (the words of kube-proxy's rule comments)."""

    CLUSTER_IP = "cluster IP"
    NODE_PORT = "nodePort"
    EXTERNAL_IP = "external IP"
    LOAD_BALANCER = "loadbalancer IP"


@dataclass(frozen=True, slots=True)
class Route:
    """Where new traffic goes: forwarded to ``endpoints``, or rejected or dropped (``reason``)."""

    verdict: Verdict
    endpoints: tuple[Endpoint, ...] = ()
    reason: str = ""

    @classmethod
    def to(cls, endpoints: tuple[Endpoint, ...]) -> Route:
        return cls(Verdict.FORWARD, endpoints)


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """How one Service port's traffic is routed from this node."""

    port: ServicePort
    #: Endpoints for "Cluster" traffic policy (kube-proxy's ``KUBE-SVC`` chain).
    cluster_endpoints: tuple[Endpoint, ...]
    #: Endpoints for "Local" traffic policy (``KUBE-SVL``).
    local_endpoints: tuple[Endpoint, ...]
    internal: Route
    external: Route
    external_from_host: Route

    @property
    def name(self) -> ServicePortName:
        return self.port.name

    @property
    def reachable_endpoints(self) -> tuple[Endpoint, ...]:
        """Every endpoint some route may use (kube-proxy's ``KUBE-SEP`` chains)."""
        seen = dict.fromkeys((*self.cluster_endpoints, *self.local_endpoints))
        return tuple(sorted(seen, key=str))


def rule_for(port: ServicePort, endpoints: Sequence[Endpoint], *, zone: str = "") -> ServiceRule:
    """The rule of one Service port given all its endpoints (ready or not)."""
    sets = categorize_endpoints(endpoints, port, zone=zone)
    if not sets.has_any:
        rejected = Route(Verdict.REJECT, reason=f"{port.name} has no endpoints")
        return ServiceRule(port, sets.cluster, sets.local, rejected, rejected, rejected)
    no_local = Route(Verdict.DROP, reason=f"{port.name} has no local endpoints")
    local = Route.to(sets.local) if sets.local else no_local
    if not port.uses_cluster_endpoints:
        # Internal Local policy and no external frontend: only the Local set exists.
        return ServiceRule(port, sets.cluster, sets.local, local, local, local)
    cluster = Route.to(sets.cluster)
    internal = local if port.internal_policy_local else cluster
    external = local if port.external_policy_local else cluster
    return ServiceRule(
        port=port,
        cluster_endpoints=sets.cluster,
        local_endpoints=sets.local,
        internal=internal,
        external=external,
        # Traffic from this host to an external address takes the Cluster endpoints.
        external_from_host=cluster if port.external_policy_local else external,
    )


def compute_rules(
    services: Iterable[Mapping[str, Any]],
    slices: Iterable[Mapping[str, Any]],
    node: NodeInfo,
    *,
    family: str = IPV4,
) -> tuple[ServiceRule, ...]:
    """Every Service port's rule, sorted by name: the whole state a backend applies."""
    endpoints = endpoints_by_port(slices, node_name=node.name, family=family)
    rules = [
        rule_for(port, endpoints.get(port.name, ()), zone=node.zone)
        for service in services
        for port in service_ports(service, family=family)
    ]
    return tuple(sorted(rules, key=lambda r: r.name))


@dataclass(frozen=True, slots=True)
class Frontend:
    """An address and port where a Service port is reached, and the rule behind it."""

    via: Via
    ip: str
    port: int
    protocol: str
    rule: ServiceRule

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.ip, self.port, self.protocol)

    @property
    def route(self) -> Route:
        """The route for traffic from elsewhere."""
        return self.rule.internal if self.via is Via.CLUSTER_IP else self.rule.external

    @property
    def host_route(self) -> Route:
        """The route for traffic that starts on this node."""
        return self.rule.internal if self.via is Via.CLUSTER_IP else self.rule.external_from_host

    def __str__(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{self.via} for {self.rule.name} ({host}:{self.port}/{self.protocol})"


def frontends(rules: Iterable[ServiceRule], node: NodeInfo) -> list[Frontend]:
    """Every frontend of ``rules``: cluster IPs, node ports (on each node port address),
    external IPs and load-balancer VIPs."""
    found: list[Frontend] = []
    for rule in rules:
        port = rule.port
        found.append(Frontend(Via.CLUSTER_IP, port.cluster_ip, port.port, port.protocol, rule))
        for ip in port.external_ips:
            found.append(Frontend(Via.EXTERNAL_IP, ip, port.port, port.protocol, rule))
        for ip in port.load_balancer_ips:
            found.append(Frontend(Via.LOAD_BALANCER, ip, port.port, port.protocol, rule))
        if port.node_port:
            for ip in node.node_port_addresses:
                found.append(Frontend(Via.NODE_PORT, ip, port.node_port, port.protocol, rule))
    return found


def source_allowed(frontend: Frontend, client_ip: str, node: NodeInfo) -> bool:
    """Whether ``loadBalancerSourceRanges`` let ``client_ip`` in through ``frontend`` (they
    apply to load-balancer VIPs only; a range holding the node's address also admits the
    VIPs themselves, which is how traffic from the node looks when the VIP is local)."""
    ranges = frontend.rule.port.source_ranges
    if frontend.via is not Via.LOAD_BALANCER or not ranges:
        return True
    try:
        client = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    networks = [ipaddress.ip_network(r) for r in ranges]
    if any(client in n for n in networks):
        return True
    node_ips = [ipaddress.ip_address(a) for a in node.addresses]
    from_node_allowed = any(ip in n for ip in node_ips for n in networks)
    return from_node_allowed and client_ip in frontend.rule.port.load_balancer_ips
