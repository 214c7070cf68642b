"""Services, EndpointSlices and Nodes as the API returns them, for the proxy's tests."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def service(
    name: str = "web",
    *,
    namespace: str = "ns",
    type: str = "ClusterIP",
    cluster_ip: str = "127.96.0.5",
    ports: list[Obj] | None = None,
    ingress: list[Obj] | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> Obj:
    """A Service as stored (defaults applied the way the API server applies them)."""
    body: Obj = {
        "type": type,
        "clusterIP": cluster_ip,
        "clusterIPs": [cluster_ip] if cluster_ip else [],
        "ports": ports if ports is not None else [{"name": "http", "port": 80, "protocol": "TCP"}],
        **spec,
    }
    meta: Obj = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": body,
        "status": {"loadBalancer": {"ingress": ingress} if ingress else {}},
    }


def endpoint(
    ip: str,
    *,
    ready: bool | None = True,
    serving: bool | None = None,
    terminating: bool | None = None,
    node: str | None = "node-1",
    zones: list[str] | None = None,
) -> Obj:
    conditions: Obj = {}
    for key, value in (("ready", ready), ("serving", serving), ("terminating", terminating)):
        if value is not None:
            conditions[key] = value
    body: Obj = {"addresses": [ip], "conditions": conditions}
    if node is not None:
        body["nodeName"] = node
    if zones is not None:
        body["hints"] = {"forZones": [{"name": z} for z in zones]}
    return body


def endpoint_slice(
    service: str = "web",
    *endpoints: Obj,
    name: str | None = None,
    namespace: str = "ns",
    port: int = 8080,
    port_name: str | None = "http",
    protocol: str = "TCP",
    address_type: str = "IPv4",
    labels: dict[str, str] | None = None,
) -> Obj:
    slice_port: Obj = {"port": port, "protocol": protocol}
    if port_name is not None:
        slice_port["name"] = port_name
    all_labels = {"kubernetes.io/service-name": service, **(labels or {})}
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name or f"{service}-abc",
            "namespace": namespace,
            "labels": all_labels,
        },
        "addressType": address_type,
        "ports": [slice_port],
        "endpoints": list(endpoints),
    }
