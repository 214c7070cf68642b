"""Which EndpointSlices to create, update and delete for one Service: the pure reconciler.

This is Kubernetes' ``k8s.io/endpointslice`` ``Reconciler`` without its I/O.
For each address family the service has (``IPv4``/``IPv6`` from
``ipFamilies``), the selected pods become endpoints (:func:`pod_to_endpoint`:
the pod's addresses of that family, ``ready``/``serving``/``terminating``
conditions, ``targetRef``, ``nodeName``, the node's
``topology.kubernetes.io/zone``, the ``hostname`` when published). Terminating
pods stay, marked ``terminating`` and not ready. Endpoints are grouped by the
set of ports they expose (a named ``targetPort`` resolves per pod), and each
group is spread over slices of at most ``maxEndpointsPerSlice`` (100)
endpoints with the reconciler's minimal churn:

1. in each existing slice of the group, endpoints no longer wanted are dropped
   and changed ones (conditions, node, zone) updated in place; a slice left
   empty is deleted; a slice whose labels no longer mirror the service's is
   updated;
2. remaining new endpoints first fill the slices already being updated
   (fullest first), so an update that must happen anyway carries them;
3. what is left goes to the untouched slice that it fills closest to full
   (when less than a slice's worth), else to new slices.

Slices of port sets no longer wanted, of address families the service lost,
or not owned by the service (same name, older uid) are deleted; a create and a
delete of the same family become one update of the slice to be deleted
(fewer writes, stable names). A service with no endpoints keeps one empty
placeholder slice per family. Nothing is created for a service being deleted.
Topology hints are not computed: any found are removed.

Objects are the API's JSON; the caller writes the result and tracks what it
wrote.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.equality import semantic_equal
from kubeling.api.naming import name_is_dns_subdomain
from kubeling.controllers.endpointsubsets import HEADLESS_LABEL, is_headless
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
    "CONTROLLER_NAME",
    "MANAGED_BY_LABEL",
    "MAX_ENDPOINTS_PER_SLICE",
    "SERVICE_NAME_LABEL",
    "ZONE_LABEL",
    "SliceChanges",
    "address_types",
    "endpoint_key",
    "endpoint_ports",
    "endpoints_equal_beyond_key",
    "owned_by",
    "pod_to_endpoint",
    "port_map_key",
    "reconcile_slices",
    "slice_labels",
    "slice_name_prefix",
]

Obj = dict[str, Any]
NodeLookup = Callable[[str], Mapping[str, Any] | None]

SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"
MANAGED_BY_LABEL: Final = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME: Final = "endpointslice-controller.k8s.io"
ZONE_LABEL: Final = "topology.kubernetes.io/zone"
#: ``--max-endpoints-per-slice`` default.
MAX_ENDPOINTS_PER_SLICE: Final = 100

_RESERVED_LABELS: Final = frozenset({SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL})


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


# -- what the service and its pods want ---------------------------------------------------


def address_types(service: Mapping[str, Any]) -> list[str]:
    """The address types of the service's slices, from ``ipFamilies`` (or, for a
    service stored without them, its cluster IP; a headless one gets both)."""
    families = [
        {"IPv4": "IPv4", "IPv6": "IPv6"}[f]
        for f in _spec(service).get("ipFamilies") or ()
        if f in ("IPv4", "IPv6")
    ]
    if families:
        return list(dict.fromkeys(families))
    cluster_ip = str(_spec(service).get("clusterIP") or "")
    if cluster_ip and cluster_ip != "None":
        return ["IPv6" if is_ipv6(cluster_ip) else "IPv4"]
    return ["IPv4", "IPv6"]


def endpoint_ports(service: Mapping[str, Any], pod: Mapping[str, Any]) -> list[Obj]:
    """The slice ports ``pod`` offers for ``service`` (``getEndpointPorts``); a
    service port whose named target the pod lacks is left out."""
    ports = [p for p in _spec(service).get("ports") or () if isinstance(p, Mapping)]
    if not ports and _spec(service).get("clusterIP") == "None":
        return []  # a headless service may have no ports
    out: list[Obj] = []
    for service_port in ports:
        number = find_port(pod, service_port)
        if number is None:
            continue
        port: Obj = {
            "name": str(service_port.get("name") or ""),
            "protocol": str(service_port.get("protocol") or "TCP"),
            "port": number,
        }
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        out.append(port)
    return out


def pod_to_endpoint(
    pod: Mapping[str, Any],
    node: Mapping[str, Any] | None,
    service: Mapping[str, Any],
    address_type: str,
) -> Obj:
    """The pod as an endpoint of ``address_type`` (``podToEndpoint``).

    ``serving`` is the pod's readiness; ``ready`` is serving and not
    terminating, or always with ``publishNotReadyAddresses``.
    """
    serving = is_pod_ready(pod)
    terminating = bool(_meta(pod).get("deletionTimestamp"))
    ready = bool(_spec(service).get("publishNotReadyAddresses")) or (serving and not terminating)
    addresses = []
    for ip in pod_ips(pod):
        try:
            parsed = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if (parsed.version == 6) == (address_type == "IPv6"):
            addresses.append(str(parsed))  # re-printed: an irregular form becomes canonical
    meta = _meta(pod)
    endpoint: Obj = {
        "addresses": addresses,
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    if should_set_hostname(pod, service):
        endpoint["hostname"] = _spec(pod)["hostname"]
    endpoint["targetRef"] = {
        "kind": "Pod",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
    }
    if _spec(pod).get("nodeName"):
        endpoint["nodeName"] = _spec(pod)["nodeName"]
    zone = ((node or {}).get("metadata") or {}).get("labels", {}).get(ZONE_LABEL)
    if zone:
        endpoint["zone"] = zone
    return endpoint


def slice_labels(slice_: Mapping[str, Any], service: Mapping[str, Any]) -> tuple[Obj, bool]:
    """The labels a slice of ``service`` must carry, and whether they differ from
    ``slice_``'s in the service-mirrored part (``setEndpointSliceLabels``): the
    service's labels (reserved keys aside), the headless marker, the service
    name and the managing controller."""
    current = {
        k: v for k, v in (_meta(slice_).get("labels") or {}).items() if k not in _RESERVED_LABELS
    }
    wanted = {
        k: v for k, v in (_meta(service).get("labels") or {}).items() if k not in _RESERVED_LABELS
    }
    changed = not semantic_equal(current, wanted)
    if is_headless(service):
        wanted[HEADLESS_LABEL] = ""
    wanted[SERVICE_NAME_LABEL] = _meta(service).get("name", "")
    wanted[MANAGED_BY_LABEL] = CONTROLLER_NAME
    return wanted, changed


def owned_by(slice_: Mapping[str, Any], service: Mapping[str, Any]) -> bool:
    """Whether ``slice_`` has an owner reference to this very service (its uid)."""
    uid = _meta(service).get("uid")
    return any(
        isinstance(ref, Mapping)
        and ref.get("uid") == uid
        and ref.get("kind") == "Service"
        and ref.get("apiVersion") == "v1"
        for ref in _meta(slice_).get("ownerReferences") or ()
    )


def slice_name_prefix(service_name: str) -> str:
    """The ``generateName`` of a service's slices: the name and a dash, when that
    leaves a valid name prefix."""
    prefix = f"{service_name}-"
    return service_name if name_is_dns_subdomain(prefix, prefix=True) else prefix


def _new_slice(service: Mapping[str, Any], ports: list[Obj], address_type: str) -> Obj:
    meta = _meta(service)
    slice_: Obj = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "generateName": slice_name_prefix(str(meta.get("name", ""))),
            "namespace": meta.get("namespace", ""),
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "name": meta.get("name", ""),
                    "uid": meta.get("uid", ""),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "addressType": address_type,
        "endpoints": [],
        "ports": copy.deepcopy(ports),
    }
    slice_["metadata"]["labels"] = slice_labels(slice_, service)[0]
    return slice_


# -- keys and comparisons -----------------------------------------------------------------


def port_map_key(ports: Sequence[Mapping[str, Any]]) -> str:
    """Identifies a set of slice ports, whatever their order (the API server
    defaults ``name`` to "" and ``protocol`` to TCP: compared in that form)."""
    normalized = sorted(
        (
            str(p.get("name") or ""),
            str(p.get("protocol") or "TCP"),
            p.get("port"),
            p.get("appProtocol"),
        )
        for p in ports
    )
    return json.dumps(normalized)


def endpoint_key(endpoint: Mapping[str, Any]) -> tuple[tuple[str, ...], str, str, str]:
    """What identifies an endpoint: its addresses, hostname and target; everything
    else (conditions, node, zone) is updated in place."""
    ref = endpoint.get("targetRef") if isinstance(endpoint.get("targetRef"), Mapping) else {}
    assert isinstance(ref, Mapping)
    return (
        tuple(sorted(str(a) for a in endpoint.get("addresses") or ())),
        str(endpoint.get("hostname") or ""),
        str(ref.get("namespace") or ""),
        str(ref.get("name") or ""),
    )


def _ref_without_version(endpoint: Mapping[str, Any]) -> object:
    ref = endpoint.get("targetRef")
    if not isinstance(ref, Mapping):
        return ref
    return {k: v for k, v in ref.items() if k != "resourceVersion"}


def endpoints_equal_beyond_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``EndpointsEqualBeyondHash``: node, zone, conditions and the pod reference."""
    if a.get("nodeName") != b.get("nodeName") or a.get("zone") != b.get("zone"):
        return False
    a_conditions, b_conditions = a.get("conditions") or {}, b.get("conditions") or {}
    for condition in ("ready", "serving", "terminating"):
        if a_conditions.get(condition) != b_conditions.get(condition):
            return False
    return semantic_equal(_ref_without_version(a), _ref_without_version(b))


def _is_placeholder_of(slice_: Mapping[str, Any], placeholder: Mapping[str, Any]) -> bool:
    """The existing slice is the placeholder this sync would create anyway."""
    a, b = _meta(slice_), _meta(placeholder)
    return (
        a.get("namespace") == b.get("namespace")
        and (a.get("labels") or {}) == (b.get("labels") or {})
        and semantic_equal(a.get("ownerReferences"), b.get("ownerReferences"))
        and slice_.get("addressType") == placeholder.get("addressType")
        and semantic_equal(slice_.get("endpoints") or [], placeholder.get("endpoints") or [])
        and semantic_equal(slice_.get("ports") or [], placeholder.get("ports") or [])
    )


# -- reconciling --------------------------------------------------------------------------


@dataclass
class SliceChanges:
    """The writes that bring a service's slices to the desired state, and the
    problems met (each makes the sync fail after the writes, to retry)."""

    create: list[Obj] = field(default_factory=list)
    update: list[Obj] = field(default_factory=list)
    delete: list[Obj] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def extend(self, other: SliceChanges) -> None:
        self.create += other.create
        self.update += other.update
        self.delete += other.delete
        self.errors += other.errors


def _slices_to_fill(candidates: Sequence[Obj], wanted: int, max_endpoints: int) -> Obj | None:
    """``getSliceToFill``: the slice ``wanted`` more endpoints fill closest to full."""
    best: Obj | None = None
    best_room = max_endpoints
    for candidate in candidates:
        room = max_endpoints - (wanted + len(candidate.get("endpoints") or ()))
        if 0 <= room < best_room:
            best, best_room = candidate, room
            if room == 0:
                break
    return best


def _reconcile_port_group(
    service: Mapping[str, Any],
    existing: Sequence[Mapping[str, Any]],
    desired: dict[tuple[tuple[str, ...], str, str, str], Obj],
    ports: list[Obj],
    address_type: str,
    max_endpoints: int,
) -> SliceChanges:
    """``reconcileByPortMapping``: the slices of one port set."""
    by_name: dict[str, Obj] = {}
    unchanged: list[str] = []
    to_update: list[str] = []
    to_delete: list[str] = []
    desired = dict(desired)  # consumed as endpoints find a place
    # 1. keep wanted endpoints where they are (updated in place), drop the rest
    for slice_ in existing:
        name = str(_meta(slice_).get("name", ""))
        by_name[name] = dict(slice_)
        kept: list[Obj] = []
        changed = False
        for endpoint in slice_.get("endpoints") or ():
            key = endpoint_key(endpoint)
            wanted = desired.pop(key, None)
            if wanted is None:
                continue
            kept.append(wanted)
            changed = changed or not endpoints_equal_beyond_key(wanted, endpoint)
        labels, labels_changed = slice_labels(slice_, service)
        if changed or len(kept) != len(slice_.get("endpoints") or ()):
            if not kept:
                to_delete.append(name)
                continue
            updated = copy.deepcopy(dict(slice_))
            updated["endpoints"] = kept
            updated["metadata"]["labels"] = labels
            by_name[name] = updated
            to_update.append(name)
        elif labels_changed:
            updated = copy.deepcopy(dict(slice_))
            updated["metadata"]["labels"] = labels
            by_name[name] = updated
            to_update.append(name)
        else:
            unchanged.append(name)
    remaining = list(desired.values())
    # 2. top up the slices being updated anyway, fullest first
    if remaining and to_update:
        for name in sorted(to_update, key=lambda n: -len(by_name[n]["endpoints"])):
            slice_ = by_name[name]
            while remaining and len(slice_["endpoints"]) < max_endpoints:
                slice_["endpoints"].append(remaining.pop(0))
    # 3. the rest: into the untouched slice they fill best, else new slices
    creates: list[Obj] = []
    while remaining:
        target: Obj | None = None
        if len(remaining) < max_endpoints and unchanged:
            target = _slices_to_fill([by_name[n] for n in unchanged], len(remaining), max_endpoints)
        if target is None:
            target = _new_slice(service, ports, address_type)
        else:
            target = copy.deepcopy(target)
            by_name[str(target["metadata"]["name"])] = target
        target.setdefault("endpoints", [])
        while remaining and len(target["endpoints"]) < max_endpoints:
            target["endpoints"].append(remaining.pop(0))
        name = str(_meta(target).get("name") or "")
        if name:
            to_update.append(name)
            unchanged.remove(name)
        else:
            creates.append(target)
    return SliceChanges(
        create=creates,
        update=[by_name[n] for n in to_update],
        delete=[by_name[n] for n in to_delete],
    )


def _reconcile_address_type(
    service: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    existing: Sequence[Mapping[str, Any]],
    address_type: str,
    nodes: NodeLookup,
    max_endpoints: int,
) -> SliceChanges:
    changes = SliceChanges()
    existing_by_ports: dict[str, list[Mapping[str, Any]]] = {}
    for slice_ in existing:
        if owned_by(slice_, service):
            key = port_map_key(slice_.get("ports") or ())
            existing_by_ports.setdefault(key, []).append(slice_)
        else:
            changes.delete.append(dict(slice_))  # an older service's, same name
    desired_by_ports: dict[str, dict[tuple[tuple[str, ...], str, str, str], Obj]] = {}
    ports_by_key: dict[str, list[Obj]] = {}
    publish_not_ready = bool(_spec(service).get("publishNotReadyAddresses"))
    service_key = f"{_meta(service).get('namespace', '')}/{_meta(service).get('name', '')}"
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = endpoint_ports(service, pod)
        key = port_map_key(ports)
        group = desired_by_ports.setdefault(key, {})
        ports_by_key.setdefault(key, ports)
        node_name = str(_spec(pod).get("nodeName") or "")
        node = nodes(node_name)
        if node is None and not publish_not_ready:
            # Update the slices without it, and fail the sync so that it comes back.
            changes.errors.append(
                f"skipping Pod {_meta(pod).get('name', '')} for Service {service_key}: "
                f"Node {node_name} Not Found"
            )
            continue
        endpoint = pod_to_endpoint(pod, node, service, address_type)
        if endpoint["addresses"]:
            group[endpoint_key(endpoint)] = endpoint
    for key, desired in desired_by_ports.items():
        changes.extend(
            _reconcile_port_group(
                service,
                existing_by_ports.get(key, []),
                desired,
                ports_by_key[key],
                address_type,
                max_endpoints,
            )
        )
    for key, slices in existing_by_ports.items():
        if key not in desired_by_ports:
            changes.delete += [dict(s) for s in slices]
    if len(existing) == len(changes.delete) and not changes.create:
        # Nothing would be left: keep (or make) one empty placeholder slice.
        placeholder = _new_slice(service, [], address_type)
        if len(changes.delete) == 1 and _is_placeholder_of(changes.delete[0], placeholder):
            changes.delete = []
        else:
            changes.create.append(placeholder)
    _remove_hints(changes, existing)
    return changes


def _remove_hints(changes: SliceChanges, existing: Sequence[Mapping[str, Any]]) -> None:
    """No topology hints: strip them from what is written, and rewrite untouched
    slices that still carry some."""
    touched = {str(_meta(s).get("name", "")) for s in changes.update + changes.delete}
    for slice_ in existing:
        name = str(_meta(slice_).get("name", ""))
        if name not in touched and any(
            "hints" in e for e in slice_.get("endpoints") or () if isinstance(e, Mapping)
        ):
            changes.update.append(copy.deepcopy(dict(slice_)))
    for slice_ in changes.create + changes.update:
        for endpoint in slice_.get("endpoints") or ():
            endpoint.pop("hints", None)


def _finalize(
    service: Mapping[str, Any], changes: SliceChanges, trigger_time: datetime.datetime | None
) -> SliceChanges:
    """Turn create+delete pairs into updates; no creates for a service being
    deleted; stamp the trigger time on every slice written."""
    creates, updates, deletes = list(changes.create), list(changes.update), []
    for doomed in changes.delete:
        if (
            creates
            and doomed.get("addressType") == creates[-1].get("addressType")
            and owned_by(doomed, service)
        ):
            replacement = creates.pop()
            replacement["metadata"]["name"] = _meta(doomed).get("name")
            updates.append(replacement)
        else:
            deletes.append(doomed)
    if _meta(service).get("deletionTimestamp"):
        creates = []  # racing the garbage collector would recreate what it deletes
    for slice_ in creates + updates:
        annotations = dict(slice_["metadata"].get("annotations") or {})
        if trigger_time is not None:
            annotations[LAST_CHANGE_TRIGGER_TIME] = format_trigger_time(trigger_time)
        else:
            annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
        if annotations:
            slice_["metadata"]["annotations"] = annotations
        else:
            slice_["metadata"].pop("annotations", None)
    return SliceChanges(create=creates, update=updates, delete=deletes, errors=changes.errors)


def reconcile_slices(
    service: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    existing: Sequence[Mapping[str, Any]],
    *,
    nodes: NodeLookup,
    trigger_time: datetime.datetime | None,
    max_endpoints: int = MAX_ENDPOINTS_PER_SLICE,
) -> SliceChanges:
    """The writes that make ``existing`` (the service's slices managed by this
    controller, none being deleted) represent ``pods`` (those it selects).

    ``nodes`` finds a node by name (None when unknown). Every returned object
    is a fresh copy: the caller may send it as is.
    """
    wanted_types = address_types(service)
    changes = SliceChanges()
    by_type: dict[str, list[Mapping[str, Any]]] = {t: [] for t in wanted_types}
    lost: list[Obj] = []
    for slice_ in existing:
        address_type = str(slice_.get("addressType", ""))
        if address_type in by_type:
            by_type[address_type].append(slice_)
        else:
            lost.append(dict(slice_))  # the service no longer has this family
    for address_type in wanted_types:
        changes.extend(
            _finalize(
                service,
                _reconcile_address_type(
                    service, pods, by_type[address_type], address_type, nodes, max_endpoints
                ),
                trigger_time,
            )
        )
    changes.delete += lost
    return changes
