"""What a Service's Endpoints object should hold: the pure half of the Endpoints controller.

Kubernetes' Endpoints controller, step by step (``syncService``):

1. Each selected pod that should be in endpoints (running, with an IP, and not
   terminating unless ``publishNotReadyAddresses``) gives one address: its IP
   of the service's first IP family, ``nodeName``, a ``targetRef`` to the pod,
   and its ``hostname`` when its ``subdomain`` is the service.
2. For each service port the pod has (a named ``targetPort`` resolved on the
   pod; a pod without it is left out of that port), the address joins a
   one-address subset, in ``addresses`` when the pod is ready (or the service
   publishes not-ready addresses), else in ``notReadyAddresses``. A headless
   service without ports gets port-less subsets.
3. :func:`repack_subsets` regroups them canonically: one subset per set of
   addresses sharing exactly the same ports, addresses de-duplicated by IP and
   pod uid (not-ready wins over ready), everything sorted.
4. Above 1000 addresses the Endpoints is truncated (:func:`truncate_subsets`,
   ready addresses first, spread over subsets in proportion) and annotated
   ``endpoints.kubernetes.io/over-capacity: truncated``.

:func:`desired_endpoints` puts the object together and says whether the stored
one must change. (The Go code orders subsets and ports by an MD5 of their
printed form; here the order is by their content: equally stable, not the
same sequence.) The 1.24 removal of ``service.alpha.kubernetes.io/tolerate-
unready-endpoints`` holds: only ``publishNotReadyAddresses`` publishes
not-ready pods.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.equality import semantic_equal
from kubeling.controllers.pods import is_pod_ready
from kubeling.controllers.serviceendpoints import (
    find_port,
    is_ipv6,
    pod_ips,
    should_pod_be_in_endpoints,
    should_set_hostname,
)
from kubeling.controllers.triggertime import LAST_CHANGE_TRIGGER_TIME, format_trigger_time

__all__ = [
    "HEADLESS_LABEL",
    "MAX_CAPACITY",
    "OVER_CAPACITY",
    "EndpointsPlan",
    "compute_subsets",
    "desired_endpoints",
    "is_headless",
    "repack_subsets",
    "subsets_equal",
    "truncate_subsets",
]

Obj = dict[str, Any]

#: Addresses an Endpoints object holds at most (``maxCapacity``).
MAX_CAPACITY: Final = 1000
OVER_CAPACITY: Final = "endpoints.kubernetes.io/over-capacity"
TRUNCATED: Final = "truncated"
#: The label marking the endpoints of a service without a cluster IP.
HEADLESS_LABEL: Final = "service.kubernetes.io/headless"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def is_headless(service: Mapping[str, Any]) -> bool:
    """No cluster IP (``None`` or unset): ``!IsServiceIPSet``."""
    return _spec(service).get("clusterIP") in (None, "", "None")


def _address_family_is_ipv6(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    families = _spec(service).get("ipFamilies") or []
    if families:
        return bool(families[0] == "IPv6")  # the primary family, headful or headless
    cluster_ip = str(_spec(service).get("clusterIP") or "")
    if cluster_ip and cluster_ip != "None":
        return is_ipv6(cluster_ip)
    ips = pod_ips(pod)
    return bool(ips) and is_ipv6(ips[0])


def _address(service: Mapping[str, Any], pod: Mapping[str, Any]) -> Obj | None:
    """The pod's EndpointAddress for ``service``, None without an IP of its family."""
    want_v6 = _address_family_is_ipv6(service, pod)
    ip = next((ip for ip in pod_ips(pod) if is_ipv6(ip) == want_v6), None)
    if ip is None:
        return None
    meta = _meta(pod)
    address: Obj = {"ip": ip}
    if should_set_hostname(pod, service):
        address["hostname"] = _spec(pod)["hostname"]
    node = _spec(pod).get("nodeName")
    if node:
        address["nodeName"] = node
    address["targetRef"] = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    return address


def _endpoint_port(service_port: Mapping[str, Any], number: int) -> Obj:
    port: Obj = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol") or "TCP"
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def compute_subsets(
    service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]
) -> tuple[list[Obj], int, int]:
    """The repacked subsets for ``service`` from its selected ``pods``, with the
    numbers of ready and not-ready address-port pairs."""
    publish_not_ready = bool(_spec(service).get("publishNotReadyAddresses"))
    ports = [p for p in _spec(service).get("ports") or () if isinstance(p, Mapping)]
    subsets: list[Obj] = []
    ready_count = not_ready_count = 0
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=publish_not_ready):
            continue
        address = _address(service, pod)
        if address is None:
            continue  # no IP of the service's family (a half dual-stack cluster)
        ready = publish_not_ready or is_pod_ready(pod)
        field = "addresses" if ready else "notReadyAddresses"
        if not ports:
            if is_headless(service):  # a headless service may have no ports
                subsets.append({field: [address], "ports": []})
                ready_count += ready
                not_ready_count += not ready
            continue
        for service_port in ports:
            number = find_port(pod, service_port)
            if number is None:
                continue  # the pod lacks the named port: no endpoint for it
            subsets.append(
                {field: [copy.deepcopy(address)], "ports": [_endpoint_port(service_port, number)]}
            )
            ready_count += ready
            not_ready_count += not ready
    return repack_subsets(subsets), ready_count, not_ready_count


# -- repacking ----------------------------------------------------------------------------

_NO_PORT: Final = ("", -1, "", "")  # the sentinel of port-less subsets


def _port_key(port: Mapping[str, Any]) -> tuple[str, int, str, str]:
    return (
        str(port.get("name") or ""),
        int(port.get("port") or 0),
        str(port.get("protocol") or ""),
        str(port.get("appProtocol") or ""),
    )


def _port_of(key: tuple[str, int, str, str]) -> Obj:
    name, number, protocol, app_protocol = key
    port: Obj = {}
    if name:
        port["name"] = name
    port["port"] = number
    if protocol:
        port["protocol"] = protocol
    if app_protocol:
        port["appProtocol"] = app_protocol
    return port


def _address_key(address: Mapping[str, Any]) -> tuple[str, str]:
    ref = address.get("targetRef")
    return str(address.get("ip", "")), str(ref.get("uid", "")) if isinstance(ref, Mapping) else ""


def _address_order(address: Mapping[str, Any]) -> tuple[bytes, int, str]:
    # LessEndpointAddress: IP bytes, then an address without a targetRef first, then uid
    ref = address.get("targetRef")
    has_ref = isinstance(ref, Mapping)
    uid = str(ref.get("uid", "")) if isinstance(ref, Mapping) else ""
    return str(address.get("ip", "")).encode(), int(has_ref), uid


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def repack_subsets(subsets: Sequence[Mapping[str, Any]]) -> list[Obj]:
    """``RepackSubsets``: one subset per distinct set of addresses sharing exactly
    the same ports; not-ready wins when an address is both on one port.

    >>> a = {"ip": "10.0.0.1"}
    >>> repack_subsets([{"addresses": [a], "ports": [{"port": 80}]},
    ...                 {"addresses": [a], "ports": [{"port": 81}]}])
    [{'addresses': [{'ip': '10.0.0.1'}], 'ports': [{'port': 80}, {'port': 81}]}]
    """
    addresses: dict[tuple[str, str], Mapping[str, Any]] = {}
    by_port: dict[tuple[str, int, str, str], dict[tuple[str, str], bool]] = {}
    for subset in subsets:
        ports = [_port_key(p) for p in subset.get("ports") or () if isinstance(p, Mapping)]
        for port in ports or [_NO_PORT]:
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for address in subset.get(field) or ():
                    key = _address_key(address)
                    addresses.setdefault(key, address)
                    readiness = by_port.setdefault(port, {})
                    if readiness.get(key, True):  # unseen, or ready so far
                        readiness[key] = ready
    # group the ports by the exact set of (address, readiness) they serve
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[tuple[str, int, str, str]]] = {}
    for port, readiness in by_port.items():
        members = groups.setdefault(frozenset(readiness.items()), [])
        if port != _NO_PORT:
            members.append(port)
    final: list[Obj] = []
    for members_key, group_ports in groups.items():
        ready_addresses = [dict(addresses[k]) for k, r in members_key if r]
        not_ready_addresses = [dict(addresses[k]) for k, r in members_key if not r]
        repacked: Obj = {}
        if ready_addresses:
            repacked["addresses"] = sorted(ready_addresses, key=_address_order)
        if not_ready_addresses:
            repacked["notReadyAddresses"] = sorted(not_ready_addresses, key=_address_order)
        if group_ports:
            repacked["ports"] = [_port_of(p) for p in sorted(group_ports)]
        final.append(copy.deepcopy(repacked))
    return sorted(final, key=_canonical)


# -- capacity -----------------------------------------------------------------------------


def _count(subsets: Sequence[Mapping[str, Any]], field: str) -> int:
    return sum(len(s.get(field) or ()) for s in subsets)


def truncate_subsets(subsets: Sequence[Mapping[str, Any]]) -> tuple[list[Obj], bool]:
    """``truncateEndpoints``: at most :data:`MAX_CAPACITY` addresses, ready ones kept
    first, each subset keeping its share (rounded up) of what can be kept;
    ``True`` when something was cut."""
    out = [dict(s) for s in subsets]
    ready, not_ready = _count(out, "addresses"), _count(out, "notReadyAddresses")
    if ready + not_ready <= MAX_CAPACITY:
        return out, False
    truncate_ready = ready > MAX_CAPACITY
    keep = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - ready
    total = ready if truncate_ready else not_ready
    field = "addresses" if truncate_ready else "notReadyAddresses"
    room = keep
    for subset in out:
        share = math.ceil(len(subset.get(field) or ()) / total * keep)
        kept = list(subset.get(field) or ())[: min(share, room)]
        subset[field] = kept
        if truncate_ready:
            subset["notReadyAddresses"] = []
        room -= len(kept)
    return out, True


def _capacity_annotation_correct(
    annotations: Mapping[str, Any], subsets: Sequence[Mapping[str, Any]]
) -> bool:
    if _count(subsets, "addresses") + _count(subsets, "notReadyAddresses") > MAX_CAPACITY:
        return False  # must be truncated (and annotated) now
    return OVER_CAPACITY not in annotations


def _without_ref_versions(subsets: Sequence[Mapping[str, Any]]) -> list[Obj]:
    out = copy.deepcopy([dict(s) for s in subsets])
    for subset in out:
        for field in ("addresses", "notReadyAddresses"):
            for address in subset.get(field) or ():
                if isinstance(address.get("targetRef"), dict):
                    address["targetRef"].pop("resourceVersion", None)
    return out


def subsets_equal(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool:
    """Semantically equal, a pod reference's ``resourceVersion`` aside (a pod's
    unrelated changes must not rewrite its service's Endpoints)."""
    return semantic_equal(_without_ref_versions(a), _without_ref_versions(b))


# -- the object ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndpointsPlan:
    """What to write: ``endpoints`` to create (``create``) or to update, or nothing."""

    endpoints: Obj | None
    create: bool = False
    ready: int = 0
    not_ready: int = 0


def desired_endpoints(
    service: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    current: Mapping[str, Any] | None,
    trigger_time: datetime.datetime | None,
) -> EndpointsPlan:
    """The Endpoints ``service`` should have, given the stored one (``current``, None
    when there is none); ``EndpointsPlan(None)`` when it is already right."""
    subsets, ready, not_ready = compute_subsets(service, pods)
    service_labels: Obj = dict(_meta(service).get("labels") or {})
    create = current is None
    if current is None:
        current = {"metadata": {"name": _meta(service).get("name", ""), "labels": service_labels}}
    current_meta = _meta(current)
    # The headless label is ours: not on the service, so not part of the comparison.
    compare_labels = {
        k: v for k, v in (current_meta.get("labels") or {}).items() if k != HEADLESS_LABEL
    }
    annotations = current_meta.get("annotations") or {}
    if (
        not create
        and subsets_equal(current.get("subsets") or [], subsets)
        and semantic_equal(compare_labels, service_labels)
        and _capacity_annotation_correct(annotations, current.get("subsets") or [])
    ):
        return EndpointsPlan(None, ready=ready, not_ready=not_ready)
    new = copy.deepcopy(dict(current))
    new.setdefault("apiVersion", "v1")
    new.setdefault("kind", "Endpoints")
    meta = new.setdefault("metadata", {})
    meta["namespace"] = _meta(service).get("namespace", "")
    new_annotations = dict(meta.get("annotations") or {})
    if trigger_time is not None:
        new_annotations[LAST_CHANGE_TRIGGER_TIME] = format_trigger_time(trigger_time)
    else:
        new_annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
    new_subsets, truncated = truncate_subsets(subsets)
    if truncated:
        new_annotations[OVER_CAPACITY] = TRUNCATED
    else:
        new_annotations.pop(OVER_CAPACITY, None)
    labels = dict(service_labels)
    if is_headless(service):
        labels[HEADLESS_LABEL] = ""
    # Go leaves empty maps out of the JSON
    for key, value in (("labels", labels), ("annotations", new_annotations)):
        if value:
            meta[key] = value
        else:
            meta.pop(key, None)
    new["subsets"] = new_subsets
    return EndpointsPlan(new, create=create, ready=ready, not_ready=not_ready)
