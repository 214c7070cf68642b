"""EndpointSlices as the proxy sees them: endpoints per Service port.

Kubernetes' ``pkg/proxy/endpointslicecache.go``, as a pure function of the
slices. A slice belongs to the Service named by its
``kubernetes.io/service-name`` label; slices of another address family than
the proxy's are ignored. Each slice port (which needs a name, "" for an unnamed
one, and a number) joins the Service port of the same name and protocol: the
EndpointSlice controller has already resolved a named ``targetPort`` per pod,
and groups pods by the port numbers they resolve to, so two slices of one
Service can carry the same port name with different numbers. Each endpoint
keeps its conditions as the API defines their absence (``ready`` and
``serving`` true, ``terminating`` false), its node and its zone hints; an
endpoint seen in two slices is kept once, preferring the one not terminating.
Endpoints come out sorted by address, so the same slices always give the same
rules.

    >>> slice_ = {"metadata": {"namespace": "ns", "name": "web-1",
    ...                        "labels": {"kubernetes.io/service-name": "web"}},
    ...           "addressType": "IPv4",
    ...           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    ...           "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]}
    >>> [(str(k), [str(e) for e in v]) for k, v in endpoints_by_port([slice_]).items()]
    [('ns/web:http', ['127.0.0.1:8080'])]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.proxy.serviceports import IPV4, ServicePortName

__all__ = ["SERVICE_NAME_LABEL", "Endpoint", "endpoints_by_port"]

SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"


@dataclass(frozen=True, slots=True, order=True)
class Endpoint:
    """One address and port traffic can be sent to, with its EndpointSlice conditions."""

    ip: str
    port: int
    node_name: str = ""
    #: On the proxy's own node (its ``nodeName`` is the proxy's).
    local: bool = False
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    zone_hints: frozenset[str] = frozenset()

    def __str__(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def _condition(conditions: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = conditions.get(name)
    return default if value is None else bool(value)


def _endpoint(raw: Mapping[str, Any], port: int, node_name: str) -> Endpoint | None:
    addresses = raw.get("addresses") or ()
    if not addresses or not isinstance(addresses[0], str):
        return None
    conditions = raw.get("conditions") or {}
    node = str(raw.get("nodeName") or "")
    hints = (raw.get("hints") or {}).get("forZones") or ()
    return Endpoint(
        ip=addresses[0],
        port=port,
        node_name=node,
        local=bool(node_name) and node == node_name,
        ready=_condition(conditions, "ready", default=True),
        serving=_condition(conditions, "serving", default=True),
        terminating=_condition(conditions, "terminating", default=False),
        zone_hints=frozenset(
            str(h["name"]) for h in hints if isinstance(h, Mapping) and h.get("name")
        ),
    )


def endpoints_by_port(
    slices: Iterable[Mapping[str, Any]], *, node_name: str = "", family: str = IPV4
) -> dict[ServicePortName, tuple[Endpoint, ...]]:
    """Every Service port's endpoints from ``slices`` (of any Services), sorted by address;
    ``node_name`` is the proxy's node, which makes endpoints on it local."""
    found: dict[ServicePortName, dict[str, Endpoint]] = {}
    for slice_ in slices:
        meta = slice_.get("metadata") or {}
        service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if not service or slice_.get("addressType") != family:
            continue
        for port in slice_.get("ports") or ():
            name, number = port.get("name"), port.get("port")
            if name is None or not number:
                continue  # as Kubernetes: a port needs a name ("" too) and a number
            key = ServicePortName(
                str(meta.get("namespace") or ""),
                str(service),
                str(name),
                str(port.get("protocol") or "TCP"),
            )
            into = found.setdefault(key, {})
            for raw in slice_.get("endpoints") or ():
                endpoint = _endpoint(raw, int(number), node_name)
                if endpoint is None:
                    continue
                # An address in two slices (moving between them, or reused by a new pod
                # while the old one terminates): keep the one that is not terminating.
                if str(endpoint) not in into or not endpoint.terminating:
                    into[str(endpoint)] = endpoint
    return {
        key: tuple(sorted(by_address.values(), key=str))
        for key, by_address in found.items()
        if by_address
    }
