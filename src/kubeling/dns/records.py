"""What each API object puts into the cluster domain: pure functions, objects in, records out.

This is Kubernetes' DNS specification (github.com/kubernetes/dns,
docs/specification.md) as CoreDNS's ``kubernetes`` plugin serves it, for a zone
``<zone>`` (``cluster.local``) and a Service ``<svc>`` in namespace ``<ns>``;
``<base>`` is ``<svc>.<ns>.svc.<zone>``:

- a Service with a ClusterIP: A/AAAA ``<base>`` → each of its ``clusterIPs``;
  SRV ``_<port>._<proto>.<base>`` for each named port (priority 0, port = the
  Service's port, target ``<base>``), and SRV ``<base>`` for every port; PTR
  from each ClusterIP to ``<base>``;
- a headless Service (``clusterIP: None``): A/AAAA ``<base>`` → every *ready*
  endpoint address of its EndpointSlices (ready: ``conditions.ready`` true or
  unset, or every endpoint when the Service publishes not-ready addresses); SRV
  ``_<port>._<proto>.<base>`` for each named endpoint port and ready address,
  targeting the endpoint's own name; no ready endpoint means no name at all
  (NXDOMAIN, as the specification says);
- every ready endpoint address of any Service with endpoints:
  ``<hostname>.<base>`` → its address (A/AAAA, and SRV per endpoint port), where
  the hostname is the endpoint's ``hostname`` (a pod with ``hostname`` and a
  ``subdomain`` naming a headless Service, as StatefulSet pods are) or else the
  address with dashes (``10-1-0-5``, ``fd00--5``); PTR from the address to
  that name;
- an ExternalName Service: CNAME ``<base>`` → ``externalName`` (none when it is
  an IP address, as CoreDNS);
- a Namespace: ``<ns>.svc.<zone>`` (and ``<ns>.pod.<zone>`` unless pod records
  are disabled) exist without data, so they answer NODATA rather than NXDOMAIN;
- a Pod (only in ``verified`` mode): ``<a-b-c-d>.<ns>.pod.<zone>`` → its IPs; in
  ``insecure`` mode (the default of kubeadm's and k3s's CoreDNS configuration
  and what the specification requires) such names are answered for any address
  without looking at Pods, by :mod:`kubeling.dns.zone`.

SRV weights are CoreDNS's: ``100 // n`` (at least 1) for ``n`` records at a name.
Names are lowercased; every record has the zone's TTL (CoreDNS's default is 5 s),
except the schema version TXT (28800 s).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from kubeling.dns.message import (
    AAAA,
    CNAME,
    NS,
    SRV,
    TXT,
    A,
    AddressA,
    AddressAAAA,
    Rdata,
    ServiceLocation,
    Target,
    Text,
)

__all__ = [
    "DEFAULT_TTL",
    "SCHEMA_VERSION",
    "SCHEMA_VERSION_TTL",
    "SERVICE_NAME_LABEL",
    "Contribution",
    "PodRecords",
    "RRSet",
    "address_of_reverse_name",
    "dashed",
    "namespace_contribution",
    "pod_address",
    "pod_contribution",
    "service_contribution",
    "static_contribution",
]

DEFAULT_TTL: Final = 5
#: The schema version CoreDNS publishes at ``dns-version.<zone>``, and for how long.
SCHEMA_VERSION: Final = "1.1.0"
SCHEMA_VERSION_TTL: Final = 28800
#: The label tying an EndpointSlice to its Service.
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"
_TOLERATE_UNREADY: Final = "service.alpha.kubernetes.io/tolerate-unready-endpoints"

#: CoreDNS's ``pods`` option: no pod records, any address (``insecure``), or only
#: addresses of existing pods in that namespace (``verified``).
PodRecords = Literal["disabled", "insecure", "verified"]

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RRSet:
    """The records of one type at one name: one TTL, data in a stable order."""

    ttl: int
    items: tuple[Rdata, ...]


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one object adds to the zone.

    ``nodes`` maps each owner name to its record sets (an empty mapping: the name exists
    without data). ``cluster_ip_pointers`` (a Service's own addresses) outrank
    ``endpoint_pointers`` in reverse lookups, as in CoreDNS.
    """

    nodes: Mapping[str, Mapping[int, RRSet]] = field(default_factory=dict)
    cluster_ip_pointers: Mapping[str, str] = field(default_factory=dict)
    endpoint_pointers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class _Builder:
    """Collects records per name and type, without duplicates, in insertion order."""

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
        self.nodes: dict[str, dict[int, dict[Rdata, None]]] = {}
        self.srv: dict[str, dict[tuple[int, str], None]] = {}
        self.cluster_ip_pointers: dict[str, str] = {}
        self.endpoint_pointers: dict[str, dict[str, None]] = {}

    def name(self, owner: str) -> None:
        self.nodes.setdefault(owner, {})

    def add(self, owner: str, rtype: int, rdata: Rdata) -> None:
        self.nodes.setdefault(owner, {}).setdefault(rtype, {})[rdata] = None

    def address(self, owner: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
        if ip.version == 4:
            self.add(owner, A, AddressA(str(ip)))
        else:
            self.add(owner, AAAA, AddressAAAA(str(ip)))

    def service_location(self, owner: str, port: int, target: str) -> None:
        self.name(owner)
        self.srv.setdefault(owner, {})[(port, target)] = None

    def build(self) -> Contribution:
        for owner, locations in self.srv.items():
            weight = max(1, 100 // len(locations))
            for port, target in locations:
                self.add(owner, SRV, ServiceLocation(0, weight, port, target))
        return Contribution(
            nodes={
                owner: {rtype: RRSet(self.ttl, tuple(items)) for rtype, items in sets.items()}
                for owner, sets in self.nodes.items()
            },
            cluster_ip_pointers=self.cluster_ip_pointers,
            endpoint_pointers={ip: tuple(names) for ip, names in self.endpoint_pointers.items()},
        )


def _ip(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def dashed(ip: str) -> str:
    """The endpoint name CoreDNS gives an address without a hostname.

    >>> dashed("10.1.0.5"), dashed("fd00::5")
    ('10-1-0-5', 'fd00--5')
    """
    return ip.replace(".", "-").replace(":", "-")


def pod_address(label: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a ``<label>.<ns>.pod.<zone>`` name stands for, read as CoreDNS reads it:
    three dashes and no double dash make an IPv4 address, anything else is tried as IPv6.

    >>> pod_address("10-1-0-5"), pod_address("fd00--5"), pod_address("web")
    (IPv4Address('10.1.0.5'), IPv6Address('fd00::5'), None)
    """
    if label.count("-") == 3 and "--" not in label:
        return _ip(label.replace("-", "."))
    return _ip(label.replace("-", ":"))


def address_of_reverse_name(name: str) -> str | None:
    """The address a full ``in-addr.arpa`` or ``ip6.arpa`` name stands for (lowercase input).

    >>> address_of_reverse_name("10.0.96.127.in-addr.arpa")
    '127.96.0.10'
    >>> address_of_reverse_name("96.127.in-addr.arpa") is None
    True
    """
    if name.endswith(".in-addr.arpa"):
        octets = name[: -len(".in-addr.arpa")].split(".")
        if len(octets) != 4:
            return None
        for octet in octets:
            if not (octet.isascii() and octet.isdigit() and str(int(octet)) == octet):
                return None
            if int(octet) > 255:
                return None
        return ".".join(reversed(octets))
    if name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if len(nibbles) != 32 or any(len(n) != 1 or n not in "0123456789abcdef" for n in nibbles):
            return None
        return str(ipaddress.IPv6Address(int("".join(reversed(nibbles)), 16)))
    return None


@dataclass(frozen=True, slots=True)
class _EndpointAddress:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    hostname: str
    ports: tuple[tuple[str, str, int], ...]  # (name, protocol, port)


def _publishes_not_ready(service: Obj) -> bool:
    spec = service.get("spec") or {}
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    if spec.get("publishNotReadyAddresses"):
        return True
    return annotations.get(_TOLERATE_UNREADY) == "true"


def _ready_addresses(service: Obj, slices: Iterable[Obj]) -> Iterator[_EndpointAddress]:
    publish_all = _publishes_not_ready(service)
    for endpoint_slice in slices:
        if endpoint_slice.get("addressType") not in ("IPv4", "IPv6"):
            continue  # FQDN slices are deprecated and give no records, as in CoreDNS
        ports = tuple(
            (str(port.get("name") or "").lower(), str(port.get("protocol") or "TCP"), port["port"])
            for port in endpoint_slice.get("ports") or ()
            if isinstance(port.get("port"), int)
        )
        for endpoint in endpoint_slice.get("endpoints") or ():
            ready = (endpoint.get("conditions") or {}).get("ready")
            if not (publish_all or ready is None or ready):
                continue
            for text in endpoint.get("addresses") or ():
                ip = _ip(text)
                if ip is None:
                    continue
                hostname = str(endpoint.get("hostname") or "").lower() or dashed(str(ip))
                yield _EndpointAddress(ip, hostname, ports)


def _srv_name(port_name: str, protocol: str, base: str) -> str:
    return f"_{port_name}._{protocol.lower()}.{base}"


def service_contribution(
    service: Obj, slices: Iterable[Obj], *, zone: str, ttl: int = DEFAULT_TTL
) -> Contribution:
    """The records of one Service, from it and its EndpointSlices."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    base = f"{meta.get('name')}.{meta.get('namespace')}.svc.{zone}".lower()
    build = _Builder(ttl)
    if spec.get("type") == "ExternalName":
        target = str(spec.get("externalName") or "").rstrip(".").lower()
        if target and _ip(target) is None:
            build.add(base, CNAME, Target(target))
        return build.build()
    cluster_ips = [ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip]
    headless = cluster_ips[:1] == ["None"]
    endpoints = list(_ready_addresses(service, slices))
    if not headless:
        for text in cluster_ips:
            ip = _ip(text)
            if ip is not None:
                build.address(base, ip)
                build.cluster_ip_pointers[str(ip)] = base
        for port in spec.get("ports") or ():
            number = port.get("port")
            if not isinstance(number, int):
                continue
            build.service_location(base, number, base)
            if port.get("name"):
                protocol = str(port.get("protocol") or "TCP")
                owner = _srv_name(str(port["name"]).lower(), protocol, base)
                build.service_location(owner, number, base)
    for endpoint in endpoints:
        host = f"{endpoint.hostname}.{base}"
        build.address(host, endpoint.ip)
        build.endpoint_pointers.setdefault(str(endpoint.ip), {})[host] = None
        if headless:
            build.address(base, endpoint.ip)
        for port_name, protocol, number in endpoint.ports:
            build.service_location(host, number, host)
            if headless:
                build.service_location(base, number, host)
                if port_name:
                    build.service_location(_srv_name(port_name, protocol, base), number, host)
    return build.build()


def namespace_contribution(
    name: str, *, zone: str, pod_records: PodRecords = "insecure"
) -> Contribution:
    """A namespace's names: they exist (NODATA) even with nothing in them."""
    build = _Builder(DEFAULT_TTL)
    build.name(f"{name}.svc.{zone}".lower())
    if pod_records != "disabled":
        build.name(f"{name}.pod.{zone}".lower())
    return build.build()


def pod_contribution(pod: Obj, *, zone: str, ttl: int = DEFAULT_TTL) -> Contribution:
    """A pod's ``<dashed-ip>.<ns>.pod.<zone>`` names (the ``verified`` pod mode)."""
    namespace = (pod.get("metadata") or {}).get("namespace")
    status = pod.get("status") or {}
    texts = [entry.get("ip") for entry in status.get("podIPs") or ()] or [status.get("podIP")]
    build = _Builder(ttl)
    for text in texts:
        ip = _ip(text)
        if ip is not None:
            build.address(f"{dashed(str(ip))}.{namespace}.pod.{zone}".lower(), ip)
    return build.build()


def static_contribution(
    *, zone: str, dns_ips: Iterable[str], ttl: int = DEFAULT_TTL
) -> Contribution:
    """The zone's own names: its NS ``ns.dns.<zone>`` (the DNS service's addresses), the
    schema version, and ``svc.<zone>``/``pod.<zone>``, which always exist (NODATA). The SOA
    is made per answer (its serial changes)."""
    build = _Builder(ttl)
    nameserver = f"ns.dns.{zone}"
    build.add(zone, NS, Target(nameserver))
    build.name(nameserver)
    for text in dns_ips:
        ip = _ip(text)
        if ip is not None:
            build.address(nameserver, ip)
    build.name(f"svc.{zone}")
    build.name(f"pod.{zone}")
    contribution = build.build()
    nodes = dict(contribution.nodes)
    nodes[f"dns-version.{zone}"] = {
        TXT: RRSet(SCHEMA_VERSION_TTL, (Text((SCHEMA_VERSION.encode(),)),))
    }
    return Contribution(nodes=nodes)
