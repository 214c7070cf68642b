"""The ``kubernetes`` Service's Endpoints and EndpointSlice: where the API server listens.

Kubernetes' ``pkg/controlplane/reconcilers`` (the ``EndpointsAdapter``): the Service
``default/kubernetes`` has no selector, so no controller finds its endpoints; each API
server writes them itself once it serves, so that pods reach it at the Service's
ClusterIP (``KUBERNETES_SERVICE_HOST``) through the service proxy. Two objects, both named
``kubernetes``:

- the Endpoints, labelled ``endpointslice.kubernetes.io/skip-mirror: "true"`` (the
  mirroring controller leaves it alone), one subset with the advertised address and the
  ``https`` port;
- the EndpointSlice, labelled ``kubernetes.io/service-name: kubernetes`` (what the proxy
  reads), one ready endpoint per address.

An object that already says so is left alone; one that differs (a restart on another
port, a hand edit) is replaced, and a write lost to a concurrent one is retried on the
fresh object. Unlike Kubernetes' lease reconciler, each API server writes only its own
address and port (see docs/differences.md), once at start.

    >>> endpoints_for("127.0.0.1", 6443)["subsets"]
    [{'addresses': [{'ip': '127.0.0.1'}], 'ports': [{'name': 'https', 'port': 6443, \
'protocol': 'TCP'}]}]
    >>> endpoint_slice_for("127.0.0.1", 6443)["endpoints"]
    [{'addresses': ['127.0.0.1'], 'conditions': {'ready': True}}]
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, Final

from kubeling.api import errors
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["SERVICE_NAME", "endpoint_slice_for", "endpoints_for", "reconcile_service_endpoints"]

log = logging.getLogger(__name__)

SERVICE_NAME: Final = "kubernetes"
SERVICE_NAMESPACE: Final = "default"
PORT_NAME: Final = "https"
SKIP_MIRROR_LABEL: Final = "endpointslice.kubernetes.io/skip-mirror"
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"
#: Conflicts (another API server writing at the same time) before giving up.
ATTEMPTS: Final = 5

Obj = dict[str, Any]


def _ports(port: int) -> list[Obj]:
    return [{"name": PORT_NAME, "port": port, "protocol": "TCP"}]


def endpoints_for(ip: str, port: int) -> Obj:
    """The ``kubernetes`` Endpoints for an API server at ``ip:port``."""
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": SERVICE_NAME,
            "namespace": SERVICE_NAMESPACE,
            "labels": {SKIP_MIRROR_LABEL: "true"},
        },
        "subsets": [{"addresses": [{"ip": ip}], "ports": _ports(port)}],
    }


def endpoint_slice_for(ip: str, port: int) -> Obj:
    """The ``kubernetes`` EndpointSlice for an API server at ``ip:port``."""
    family = "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": SERVICE_NAME,
            "namespace": SERVICE_NAMESPACE,
            "labels": {SERVICE_NAME_LABEL: SERVICE_NAME},
        },
        "addressType": family,
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": _ports(port),
    }


#: The fields each kind's reconciler owns (Kubernetes compares these, and the labels).
_OWNED: Final = {"Endpoints": ("subsets",), "EndpointSlice": ("addressType", "endpoints", "ports")}


def _differs(current: Obj, desired: Obj) -> bool:
    labels = (current.get("metadata") or {}).get("labels") or {}
    if labels != desired["metadata"]["labels"]:
        return True
    return any(current.get(key) != desired[key] for key in _OWNED[desired["kind"]])


async def _ensure(store: ResourceStore, desired: Obj) -> None:
    """Create ``desired`` or bring the stored object to it, retrying lost races."""
    lost: errors.StatusError | None = None
    for _ in range(ATTEMPTS):
        try:
            current = await store.get(SERVICE_NAMESPACE, SERVICE_NAME)
        except errors.StatusError as err:
            if err.code != 404:
                raise
            try:
                await store.create(SERVICE_NAMESPACE, desired, WriteOptions())
                return
            except errors.StatusError as err:
                if err.code != 409:
                    raise
                lost = err
                continue  # created meanwhile: compare with that one
        if not _differs(current, desired):
            return
        log.warning("resetting %s %s/%s", desired["kind"], SERVICE_NAMESPACE, SERVICE_NAME)
        body = {**current, **{key: desired[key] for key in _OWNED[desired["kind"]]}}
        body["metadata"] = {**current["metadata"], "labels": desired["metadata"]["labels"]}
        try:
            await store.update(SERVICE_NAMESPACE, SERVICE_NAME, body, WriteOptions())
            return
        except errors.StatusError as err:
            if err.code not in (404, 409):
                raise
            lost = err
    assert lost is not None
    raise lost


async def reconcile_service_endpoints(registry: Registry, *, ip: str, port: int) -> None:
    """Point the ``kubernetes`` Service's Endpoints and EndpointSlice at ``ip:port``."""
    endpoints = registry.lookup("", "v1", "endpoints")
    slices = registry.lookup("discovery.k8s.io", "v1", "endpointslices")
    assert endpoints is not None
    assert slices is not None
    await _ensure(endpoints, endpoints_for(ip, port))
    await _ensure(slices, endpoint_slice_for(ip, port))
