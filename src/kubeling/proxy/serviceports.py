"""Services as the proxy sees them: one :class:`ServicePort` per port of a Service.

Kubernetes' ``pkg/proxy/serviceport.go`` and the service change tracker, without
their bookkeeping. A Service gets no rules when it has no cluster IP (headless:
DNS hands out the pods themselves) or is an ExternalName (DNS answers it with a
CNAME). Everything a proxy needs about a port is read here once: the cluster IP
of the proxy's address family, the node port, the external IPs and the
load-balancer VIPs of that family (ingress entries with ``ipMode: Proxy`` are
left to their load balancer), the source ranges, ClientIP affinity and its
timeout, the traffic policies and the health check node port.

    >>> svc = {"metadata": {"namespace": "ns", "name": "web"},
    ...        "spec": {"type": "ClusterIP", "clusterIP": "127.96.0.5",
    ...                 "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
    >>> [str(p) for p in service_ports(svc)]
    ['ns/web:http']
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "IPV4",
    "IPV6",
    "ServicePort",
    "ServicePortName",
    "family_of",
    "service_ports",
]

IPV4: Final = "IPv4"
IPV6: Final = "IPv6"

#: Node ports, load balancers and external IPs: reachable from outside the cluster.
_EXTERNAL_TYPES: Final = ("NodePort", "LoadBalancer")


@dataclass(frozen=True, slots=True, order=True)
class ServicePortName:
    """Which port of which Service: the key that joins Services and EndpointSlices."""

    namespace: str
    name: str
    port: str  # the port's name: "" for the single unnamed port of a Service
    protocol: str

    def __str__(self) -> str:
        suffix = f":{self.port}" if self.port else ""
        return f"{self.namespace}/{self.name}{suffix}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One port of a Service, with everything that decides how its traffic is routed."""

    name: ServicePortName
    cluster_ip: str
    port: int
    protocol: str
    node_port: int = 0
    external_ips: tuple[str, ...] = ()
    load_balancer_ips: tuple[str, ...] = ()
    source_ranges: tuple[str, ...] = ()
    #: ClientIP session affinity: seconds a client sticks to its endpoint; 0 for none.
    affinity_seconds: int = 0
    external_policy_local: bool = False
    internal_policy_local: bool = False
    health_check_node_port: int = 0

    @property
    def externally_accessible(self) -> bool:
        """Reachable other than by its cluster IP (node port, external IP, load balancer)."""
        return bool(self.node_port or self.load_balancer_ips or self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        """Whether some traffic goes to endpoints on any node ("Cluster" policy). External
        traffic from this host is short-circuited to them even under "Local" policy."""
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        """Whether some traffic goes only to endpoints on this node ("Local" policy)."""
        return self.internal_policy_local or (
            self.external_policy_local and self.externally_accessible
        )

    def __str__(self) -> str:
        return str(self.name)


def family_of(ip: str) -> str | None:
    """``IPv4`` or ``IPv6`` for an address, None for anything else."""
    try:
        return IPV4 if ipaddress.ip_address(ip.strip()).version == 4 else IPV6
    except ValueError:
        return None


def _cluster_ip(spec: Mapping[str, Any], family: str | None) -> str | None:
    """The service's cluster IP of ``family`` (its primary one when None)."""
    ips = [ip for ip in spec.get("clusterIPs") or () if isinstance(ip, str)]
    primary = spec.get("clusterIP")
    if not ips and isinstance(primary, str):
        ips = [primary]
    if not ips or ips[0] in ("", "None"):
        return None  # headless (or not allocated)
    for ip in ips:
        if family is None or family_of(ip) == family:
            return ip
    return None


def _ips_of(values: Sequence[Any], family: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if isinstance(v, str) and family_of(v) == family)


def _load_balancer_vips(status: Mapping[str, Any], family: str) -> tuple[str, ...]:
    """Ingress IPs that behave as VIPs: traffic to them arrives with them as destination."""
    vips: list[str] = []
    for ingress in (status.get("loadBalancer") or {}).get("ingress") or ():
        if not isinstance(ingress, Mapping):
            continue
        ip = ingress.get("ip")
        if not ip or ingress.get("ipMode", "VIP") != "VIP":
            continue  # a hostname, or a proxying load balancer that rewrites the destination
        if family_of(ip) == family:
            vips.append(ip)
    return tuple(vips)


def _source_ranges(spec: Mapping[str, Any], family: str) -> tuple[str, ...]:
    ranges: list[str] = []
    for value in spec.get("loadBalancerSourceRanges") or ():
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            continue
        if (network.version == 4) == (family == IPV4):
            ranges.append(str(network))
    return tuple(ranges)


def _affinity_seconds(spec: Mapping[str, Any]) -> int:
    if spec.get("sessionAffinity") != "ClientIP":
        return 0
    config = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
    return int(config.get("timeoutSeconds") or 10800)


def service_ports(service: Mapping[str, Any], *, family: str | None = None) -> list[ServicePort]:
    """The proxied ports of ``service`` for ``family`` (default: its primary family); none
    for headless and ExternalName Services, or when it has no cluster IP of that family."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    if kind == "ExternalName":
        return []
    cluster_ip = _cluster_ip(spec, family)
    if cluster_ip is None:
        return []
    family = family_of(cluster_ip)
    if family is None:
        return []
    external_ips = _ips_of(spec.get("externalIPs") or (), family)
    externally_reachable = kind in _EXTERNAL_TYPES or bool(spec.get("externalIPs"))
    external_local = externally_reachable and spec.get("externalTrafficPolicy") == "Local"
    lb_vips = _load_balancer_vips(service.get("status") or {}, family)
    health_port = 0
    if kind == "LoadBalancer" and external_local:
        health_port = int(spec.get("healthCheckNodePort") or 0)
    ports: list[ServicePort] = []
    for port in spec.get("ports") or ():
        if not isinstance(port, Mapping) or not port.get("port"):
            continue
        protocol = str(port.get("protocol") or "TCP")
        name = ServicePortName(
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
            str(port.get("name") or ""),
            protocol,
        )
        ports.append(
            ServicePort(
                name=name,
                cluster_ip=cluster_ip,
                port=int(port["port"]),
                protocol=protocol,
                node_port=int(port.get("nodePort") or 0),
                external_ips=external_ips,
                load_balancer_ips=lb_vips,
                source_ranges=_source_ranges(spec, family),
                affinity_seconds=_affinity_seconds(spec),
                external_policy_local=external_local,
                internal_policy_local=spec.get("internalTrafficPolicy") == "Local",
                health_check_node_port=health_port,
            )
        )
    return ports
