"""Objects as the API returns them, and records as text, for the DNS tests."""

from __future__ import annotations

from typing import Any

from kubeling.dns.message import (
    AddressA,
    AddressAAAA,
    MailExchange,
    Opaque,
    Rdata,
    Record,
    ServiceLocation,
    StartOfAuthority,
    Target,
    Text,
    type_name,
)

Obj = dict[str, Any]


def service(
    name: str,
    *,
    namespace: str = "default",
    cluster_ip: str | None = "10.96.0.5",
    cluster_ips: list[str] | None = None,
    ports: list[Obj] | None = None,
    type: str = "ClusterIP",
    external_name: str | None = None,
    publish_not_ready: bool = False,
    annotations: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {"type": type}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
        spec["clusterIPs"] = cluster_ips or [cluster_ip]
    if ports is not None:
        spec["ports"] = ports
    if external_name is not None:
        spec["externalName"] = external_name
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    meta: Obj = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def port(name: str, number: int, protocol: str = "TCP") -> Obj:
    return (
        {"name": name, "port": number, "protocol": protocol}
        if name
        else {
            "port": number,
            "protocol": protocol,
        }
    )


def endpoint(*addresses: str, ready: bool | None = True, hostname: str | None = None) -> Obj:
    value: Obj = {"addresses": list(addresses)}
    if ready is not None:
        value["conditions"] = {"ready": ready}
    if hostname:
        value["hostname"] = hostname
    return value


def endpoint_slice(
    service_name: str,
    endpoints: list[Obj],
    *,
    ports: list[Obj] | None = None,
    name: str | None = None,
    namespace: str = "default",
    address_type: str = "IPv4",
) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name or f"{service_name}-abcde",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": address_type,
        "endpoints": endpoints,
        "ports": ports if ports is not None else [],
    }


def rdata_text(rdata: Rdata) -> str:
    """Record data in zone-file form (names without the final dot)."""
    match rdata:
        case AddressA(address) | AddressAAAA(address):
            return address
        case Target(name):
            return name
        case ServiceLocation(priority, weight, port, target):
            return f"{priority} {weight} {port} {target}"
        case StartOfAuthority(mname, rname, _serial, refresh, retry, expire, minimum):
            return f"{mname} {rname} SERIAL {refresh} {retry} {expire} {minimum}"
        case Text(strings):
            return " ".join(f'"{s.decode()}"' for s in strings)
        case MailExchange(preference, exchange):
            return f"{preference} {exchange}"
        case Opaque(data):
            return data.hex()


def record_text(record: Record) -> str:
    """``name TTL TYPE data``, as dig prints it (without the class and final dots)."""
    return f"{record.name} {record.ttl} {type_name(record.rtype)} {rdata_text(record.rdata)}"
