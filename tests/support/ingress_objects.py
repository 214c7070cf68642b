"""Objects for the ingress tests: Ingresses, Services, EndpointSlices, Secrets, classes."""

from __future__ import annotations

import base64
from typing import Any

Obj = dict[str, Any]


def backend(service: str, port: int | str) -> Obj:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": service, "port": {key: port}}}


def path(p: str | None, service: str, port: int | str = 80, kind: str = "Prefix") -> Obj:
    item: Obj = {"pathType": kind, "backend": backend(service, port)}
    if p is not None:
        item["path"] = p
    return item


def rule(host: str | None, *paths: Obj) -> Obj:
    out: Obj = {"http": {"paths": list(paths)}}
    if host is not None:
        out["host"] = host
    return out


def ingress(
    name: str,
    *rules: Obj,
    namespace: str = "ns",
    created: str = "2024-01-01T00:00:00Z",
    class_name: str | None = None,
    default: Obj | None = None,
    tls: list[Obj] | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    spec: Obj = {"rules": list(rules)}
    if class_name is not None:
        spec["ingressClassName"] = class_name
    if default is not None:
        spec["defaultBackend"] = default
    if tls is not None:
        spec["tls"] = tls
    meta: Obj = {"name": name, "namespace": namespace, "creationTimestamp": created}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": spec}


def service(
    name: str, *ports: tuple[str, int], namespace: str = "ns", kind: str = "ClusterIP"
) -> Obj:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "type": kind,
            "clusterIP": "127.96.0.9",
            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports],
        },
    }


def endpoint_slice(
    service_name: str,
    port_name: str,
    port: int,
    *addresses: str,
    ready: bool = True,
    namespace: str = "ns",
) -> Obj:
    return {
        "metadata": {
            "name": f"{service_name}-{port}",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [a], "conditions": {"ready": ready}} for a in addresses],
    }


def tls_secret(name: str, cert: bytes, key: bytes, *, namespace: str = "ns") -> Obj:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": base64.b64encode(cert).decode(),
            "tls.key": base64.b64encode(key).decode(),
        },
    }


def ingress_class(name: str, controller: str, *, default: bool = False) -> Obj:
    meta: Obj = {"name": name}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {"metadata": meta, "spec": {"controller": controller}}
