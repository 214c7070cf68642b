"""Which EndpointSlices mirror a hand-written Endpoints: the pure half of the mirroring controller.

A Service without a selector gets its Endpoints from its user; Kubernetes'
EndpointSlice mirroring controller copies them into EndpointSlices (managed
by ``endpointslicemirroring-controller.k8s.io``) so that slice consumers see
them too. Per Endpoints:

- every subset's addresses become endpoints of the slice for their address
  type (IPv4 or IPv6, from the IP; an invalid IP is skipped and counted) and
  that subset's ports; ``ready`` is whether they were ``addresses`` or
  ``notReadyAddresses``; ``nodeName``, ``hostname`` and ``targetRef`` are
  copied;
- at most ``maxEndpointsPerSubset`` (1000) addresses of one subset are
  mirrored, the rest skipped and counted;
- one slice per address type and port set: the first existing one is kept
  (rewritten when its endpoints, labels or annotations differ), others
  deleted; an emptied group loses its slices; a create and a delete of the
  same address type become an update of the slice to be deleted;
- the slices carry the Endpoints' labels and annotations (not the trigger
  time or kubectl's last-applied configuration), the service-name and
  managed-by labels, and a controller reference to the Endpoints.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.equality import semantic_equal
from kubeling.controllers.endpointslicereconciler import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    endpoint_key,
    endpoints_equal_beyond_key,
    port_map_key,
    slice_name_prefix,
)
from kubeling.controllers.triggertime import LAST_CHANGE_TRIGGER_TIME

__all__ = [
    "MAX_ENDPOINTS_PER_SUBSET",
    "MIRRORING_CONTROLLER_NAME",
    "MirrorChanges",
    "mirror_slices",
]

Obj = dict[str, Any]
EndpointKey = tuple[tuple[str, ...], str, str, str]

MIRRORING_CONTROLLER_NAME: Final = "endpointslicemirroring-controller.k8s.io"
#: ``--mirroring-max-endpoints-per-subset`` default.
MAX_ENDPOINTS_PER_SUBSET: Final = 1000
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_NOT_MIRRORED_ANNOTATIONS: Final = frozenset({LAST_CHANGE_TRIGGER_TIME, LAST_APPLIED})


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


@dataclass
class MirrorChanges:
    """The slice writes, and how many addresses were invalid or over the limit."""

    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)
    delete: list[Obj] = field(default_factory=list)
    invalid: int = 0
    skipped: int = 0


def _address_type(ip: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return "IPv6"
    return "IPv4"


def _address_to_endpoint(address: Mapping[str, Any], *, ready: bool) -> Obj | None:
    ip = str(address.get("ip") or "")
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped  # Go prints an IPv4-mapped address as IPv4
    endpoint: Obj = {"addresses": [str(parsed)], "conditions": {"ready": ready}}
    if address.get("hostname"):
        endpoint["hostname"] = address["hostname"]
    if address.get("targetRef"):
        endpoint["targetRef"] = dict(address["targetRef"])
    if address.get("nodeName") is not None:
        endpoint["nodeName"] = address["nodeName"]
    return endpoint


def _slice_ports(ports: Sequence[Mapping[str, Any]]) -> list[Obj]:
    out: list[Obj] = []
    for port in ports:
        converted: Obj = {
            "name": str(port.get("name") or ""),
            "protocol": str(port.get("protocol") or "TCP"),
            "port": port.get("port"),
        }
        if port.get("appProtocol"):
            converted["appProtocol"] = port["appProtocol"]
        out.append(converted)
    return out


def _mirrored_annotations(endpoints: Mapping[str, Any]) -> Obj:
    return {
        k: v
        for k, v in (_meta(endpoints).get("annotations") or {}).items()
        if k not in _NOT_MIRRORED_ANNOTATIONS
    }


def _new_slice(endpoints: Mapping[str, Any], ports: list[Obj], address_type: str, name: str) -> Obj:
    meta = _meta(endpoints)
    labels = dict(meta.get("labels") or {})
    labels[SERVICE_NAME_LABEL] = meta.get("name", "")
    labels[MANAGED_BY_LABEL] = MIRRORING_CONTROLLER_NAME
    slice_meta: Obj = {
        "namespace": meta.get("namespace", ""),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "name": meta.get("name", ""),
                "uid": meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    annotations = _mirrored_annotations(endpoints)
    if annotations:
        slice_meta["annotations"] = annotations
    if name:
        slice_meta["name"] = name
    else:
        slice_meta["generateName"] = slice_name_prefix(str(meta.get("name", "")))
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": slice_meta,
        "addressType": address_type,
        "endpoints": [],
        "ports": ports,
    }


def _unchanged(
    endpoints: Mapping[str, Any], slice_: Mapping[str, Any], desired: Mapping[EndpointKey, Obj]
) -> bool:
    """The slice already holds exactly ``desired``, and the Endpoints' labels and annotations."""
    existing = list(slice_.get("endpoints") or ())
    matched = 0
    for endpoint in existing:
        wanted = desired.get(endpoint_key(endpoint))
        if wanted is None or not endpoints_equal_beyond_key(wanted, endpoint):
            return False
        matched += 1
    if matched != len(desired):
        return False
    labels = {
        k: v
        for k, v in (_meta(slice_).get("labels") or {}).items()
        if k not in (MANAGED_BY_LABEL, SERVICE_NAME_LABEL)
    }
    # nil and empty maps are equal here: compare as maps
    return semantic_equal(_meta(endpoints).get("labels") or {}, labels) and semantic_equal(
        _mirrored_annotations(endpoints), _meta(slice_).get("annotations") or {}
    )


def mirror_slices(
    endpoints: Mapping[str, Any],
    existing: Sequence[Mapping[str, Any]],
    *,
    max_per_subset: int = MAX_ENDPOINTS_PER_SUBSET,
) -> MirrorChanges:
    """The writes that make ``existing`` (this controller's slices for the Endpoints'
    name) mirror ``endpoints``."""
    changes = MirrorChanges()
    desired: dict[str, dict[EndpointKey, Obj]] = {}
    ports_by_key: dict[str, tuple[list[Obj], str]] = {}
    for subset in endpoints.get("subsets") or ():
        ports = _slice_ports(subset.get("ports") or ())
        keys = {t: f"{t}/{port_map_key(ports)}" for t in ("IPv4", "IPv6")}
        for address_type, key in keys.items():
            desired.setdefault(key, {})
            ports_by_key[key] = (ports, address_type)
        addresses = [(a, True) for a in subset.get("addresses") or ()] + [
            (a, False) for a in subset.get("notReadyAddresses") or ()
        ]
        added = 0
        for address, ready in addresses:
            if added >= max_per_subset:
                break
            endpoint = _address_to_endpoint(address, ready=ready)
            family = _address_type(str(address.get("ip") or ""))
            if endpoint is None or family is None:
                changes.invalid += 1
                continue
            desired[keys[family]][endpoint_key(endpoint)] = endpoint
            added += 1
        changes.skipped += len(addresses) - added
    existing_by_key: dict[str, list[Mapping[str, Any]]] = {}
    for slice_ in existing:
        key = f"{slice_.get('addressType', '')}/{port_map_key(slice_.get('ports') or ())}"
        existing_by_key.setdefault(key, []).append(slice_)
    for key, wanted in desired.items():
        slices = existing_by_key.get(key, [])
        if not wanted:
            changes.delete += [dict(s) for s in slices]
            continue
        changes.delete += [dict(s) for s in slices[1:]]
        if slices and _unchanged(endpoints, slices[0], wanted):
            continue
        ports, address_type = ports_by_key[key]
        name = str(_meta(slices[0]).get("name", "")) if slices else ""
        new = _new_slice(endpoints, ports, address_type, name)
        new["endpoints"] = list(wanted.values())[:max_per_subset]
        (changes.update if name else changes.create).append(new)
    for key, slices in existing_by_key.items():
        if key not in desired:
            changes.delete += [dict(s) for s in slices]
    _recycle(changes)
    return changes


def _recycle(changes: MirrorChanges) -> None:
    """Per address type, turn create + delete pairs into updates of the doomed slice."""
    for address_type in ("IPv4", "IPv6"):
        creates = [s for s in changes.create if s["addressType"] == address_type]
        deletes = [s for s in changes.delete if s.get("addressType") == address_type]
        for new, doomed in zip(creates, deletes, strict=False):
            changes.create.remove(new)
            changes.delete.remove(doomed)
            new["metadata"].pop("generateName", None)
            new["metadata"]["name"] = _meta(doomed).get("name")
            changes.update.append(new)
