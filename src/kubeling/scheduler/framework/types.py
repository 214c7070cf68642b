"""The scheduler's view of pods and nodes: parsed once, counted as integers.

``PodInfo`` wraps a pod object (the JSON the API returns) with everything the plugins
read on every cycle already extracted: requests, host ports, tolerations, parsed
affinity terms. ``NodeInfo`` is one node plus the pods the scheduler believes run on
it (bound, or assumed while their binding is in flight), with the sums that the
filters compare against allocatable. Both mirror upstream's ``framework.PodInfo`` and
``framework.NodeInfo``; pod and node objects are never modified.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from kubeling.api.labels import SelectorParseError
from kubeling.api.node_affinity import RequiredNodeAffinity
from kubeling.scheduler.framework.pod_affinity import (
    AffinityTerm,
    WeightedAffinityTerm,
    parse_terms,
    parse_weighted_terms,
)
from kubeling.scheduler.framework.resources import (
    CPU,
    MEMORY,
    Resource,
    pod_requests,
)

__all__ = [
    "MAX_NODE_SCORE",
    "HostPortInfo",
    "NodeInfo",
    "NodeScore",
    "Obj",
    "PodInfo",
    "PostFilterResult",
    "PreFilterResult",
    "QueuedPodInfo",
    "pod_key",
]

Obj = Mapping[str, Any]
# Scores are normalized to [0, MAX_NODE_SCORE] before weights apply (upstream MaxNodeScore).
MAX_NODE_SCORE: Final = 100
_DEFAULT_BIND_ALL_IP: Final = "0.0.0.0"


def pod_key(pod: Obj) -> str:
    """The pod's identity in the scheduler: its UID, or ``namespace/name`` without one."""
    metadata: Obj = pod.get("metadata") or {}
    uid = metadata.get("uid")
    if uid:
        return str(uid)
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _host_ports(spec: Obj) -> tuple[tuple[str, str, int], ...]:
    ports: list[tuple[str, str, int]] = []
    for container in spec.get("containers") or ():
        for port in container.get("ports") or ():
            host_port = int(port.get("hostPort") or 0)
            if host_port > 0:
                ip = port.get("hostIP") or _DEFAULT_BIND_ALL_IP
                ports.append((str(ip), str(port.get("protocol") or "TCP"), host_port))
    return tuple(ports)


def _claims(pod_name: str, spec: Obj) -> tuple[tuple[str, bool], ...]:
    """(claim name, is a generic ephemeral volume's claim) per claim-backed volume."""
    claims: list[tuple[str, bool]] = []
    for volume in spec.get("volumes") or ():
        claim = volume.get("persistentVolumeClaim")
        if claim is not None:
            claims.append((str(claim.get("claimName", "")), False))
        elif volume.get("ephemeral") is not None:
            # Generic ephemeral volumes get a claim named after the pod and the volume.
            claims.append((f"{pod_name}-{volume.get('name', '')}", True))
    return tuple(claims)


class PodInfo:
    """A pod object and the fields the scheduler derives from it."""

    def __init__(self, pod: Obj) -> None:
        """Parse ``pod``; affinity terms that do not parse are recorded in ``parse_error``."""
        self.pod = pod
        metadata: Obj = pod.get("metadata") or {}
        spec: Obj = pod.get("spec") or {}
        status: Obj = pod.get("status") or {}
        self.key = pod_key(pod)
        self.uid = str(metadata.get("uid", ""))
        self.namespace = str(metadata.get("namespace", ""))
        self.name = str(metadata.get("name", ""))
        self.labels: Mapping[str, str] = metadata.get("labels") or {}
        self.owner_references: Sequence[Obj] = metadata.get("ownerReferences") or ()
        self.deleting = metadata.get("deletionTimestamp") is not None
        self.node_name = str(spec.get("nodeName") or "")
        self.scheduler_name = str(spec.get("schedulerName") or "default-scheduler")
        self.priority = int(spec.get("priority") or 0)
        self.preemption_policy = str(spec.get("preemptionPolicy") or "PreemptLowerPriority")
        self.nominated_node_name = str(status.get("nominatedNodeName") or "")
        self.start_time: str = str(status.get("startTime") or "")
        self.tolerations: Sequence[Obj] = spec.get("tolerations") or ()
        self.scheduling_gates: Sequence[Obj] = spec.get("schedulingGates") or ()
        self.host_ports = _host_ports(spec)
        self.claims = _claims(self.name, spec)
        self.claim_names = tuple(name for name, _ in self.claims)
        self.requests = Resource.from_amounts(pod_requests(spec))
        non_zero = pod_requests(spec, non_zero=True)
        self.non0_cpu = non_zero.get(CPU, 0)
        self.non0_mem = non_zero.get(MEMORY, 0)
        self.parse_error: str | None = None
        affinity: Obj = spec.get("affinity") or {}
        self.has_pod_affinity = bool(affinity.get("podAffinity") or affinity.get("podAntiAffinity"))
        pod_affinity: Obj = affinity.get("podAffinity") or {}
        pod_anti: Obj = affinity.get("podAntiAffinity") or {}
        required = "requiredDuringSchedulingIgnoredDuringExecution"
        preferred = "preferredDuringSchedulingIgnoredDuringExecution"
        self.required_affinity_terms = self._terms(pod_affinity.get(required))
        self.required_anti_affinity_terms = self._terms(pod_anti.get(required))
        self.preferred_affinity_terms = self._weighted(pod_affinity.get(preferred))
        self.preferred_anti_affinity_terms = self._weighted(pod_anti.get(preferred))

    def _terms(self, raw: Sequence[Obj] | None) -> tuple[AffinityTerm, ...]:
        try:
            return parse_terms(self.namespace, raw or ())
        except SelectorParseError as err:
            self.parse_error = str(err)
            return ()

    def _weighted(self, raw: Sequence[Obj] | None) -> tuple[WeightedAffinityTerm, ...]:
        try:
            return parse_weighted_terms(self.namespace, raw or ())
        except SelectorParseError as err:
            self.parse_error = str(err)
            return ()

    @cached_property
    def requests_key(self) -> tuple[object, ...]:
        """Everything the pod asks for, hashable: pods with equal keys fit the same nodes
        and score the same on them in the resource plugins."""
        requests = self.requests
        return (
            requests.milli_cpu,
            requests.memory,
            requests.ephemeral_storage,
            tuple(sorted(requests.scalar.items())),
            self.non0_cpu,
            self.non0_mem,
        )

    @cached_property
    def tolerations_key(self) -> str:
        """The tolerations, hashable (pods with equal keys tolerate the same taints)."""
        return json.dumps(self.tolerations, sort_keys=True)

    @cached_property
    def node_affinity_key(self) -> str:
        """``nodeSelector`` and node affinity, hashable (equal keys: the same nodes match)."""
        spec: Obj = self.pod.get("spec") or {}
        affinity = (spec.get("affinity") or {}).get("nodeAffinity")
        return json.dumps([spec.get("nodeSelector"), affinity], sort_keys=True)

    @cached_property
    def required_node_affinity(self) -> RequiredNodeAffinity:
        """The pod's ``nodeSelector`` and required node affinity, parsed."""
        return RequiredNodeAffinity.of(self.pod)

    def bound_to(self, node_name: str) -> PodInfo:
        """This pod as if bound to ``node_name`` (the assumed pod), without parsing it again."""
        pod = self.pod
        copy = PodInfo.__new__(PodInfo)
        copy.__dict__.update(self.__dict__)
        copy.pod = {**pod, "spec": {**(pod.get("spec") or {}), "nodeName": node_name}}
        copy.node_name = node_name
        return copy

    def controller_ref(self) -> Obj | None:
        """The owner reference marked ``controller: true``, if any."""
        for ref in self.owner_references:
            if ref.get("controller"):
                return ref
        return None

    def __repr__(self) -> str:
        return f"PodInfo({self.namespace}/{self.name})"


_generation = itertools.count(1)


def next_generation() -> int:
    """A process-wide increasing number stamped on every NodeInfo change."""
    return next(_generation)


class HostPortInfo:
    """Host ports in use on a node: ip → {(protocol, port)} (upstream ``HostPortInfo``).

    ``0.0.0.0`` conflicts with every address on the same protocol and port.

    >>> ports = HostPortInfo()
    >>> ports.add("127.0.0.1", "TCP", 80)
    >>> ports.conflicts("0.0.0.0", "TCP", 80), ports.conflicts("10.0.0.1", "TCP", 80)
    (True, False)
    """

    __slots__ = ("_by_ip",)

    def __init__(self) -> None:
        self._by_ip: dict[str, set[tuple[str, int]]] = {}

    def add(self, ip: str, protocol: str, port: int) -> None:
        """Mark a port used."""
        self._by_ip.setdefault(ip or _DEFAULT_BIND_ALL_IP, set()).add((protocol or "TCP", port))

    def remove(self, ip: str, protocol: str, port: int) -> None:
        """Release a port."""
        ip = ip or _DEFAULT_BIND_ALL_IP
        used = self._by_ip.get(ip)
        if used is not None:
            used.discard((protocol or "TCP", port))
            if not used:
                del self._by_ip[ip]

    def conflicts(self, ip: str, protocol: str, port: int) -> bool:
        """Whether binding ``ip:port/protocol`` collides with a used port."""
        ip = ip or _DEFAULT_BIND_ALL_IP
        wanted = (protocol or "TCP", port)
        if ip == _DEFAULT_BIND_ALL_IP:
            return any(wanted in used for used in self._by_ip.values())
        return wanted in self._by_ip.get(ip, ()) or wanted in self._by_ip.get(
            _DEFAULT_BIND_ALL_IP, ()
        )

    def __len__(self) -> int:
        return sum(len(used) for used in self._by_ip.values())

    def clone(self) -> HostPortInfo:
        """An independent copy."""
        copy = HostPortInfo()
        copy._by_ip = {ip: set(used) for ip, used in self._by_ip.items()}
        return copy


class NodeInfo:
    """A node and the pods the scheduler counts on it."""

    # Slots keep a node's fields together in memory: a cycle reads them on hundreds of
    # nodes, and scattered attribute dictionaries cost cache misses.
    __slots__ = (
        "allocatable",
        "generation",
        "labels",
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "pvc_ref_counts",
        "requested",
        "taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Obj | None = None) -> None:
        """An empty NodeInfo, optionally for ``node``."""
        self.node: Obj | None = None
        self.name = ""
        self.labels: Mapping[str, str] = {}
        self.taints: Sequence[Obj] = ()
        self.unschedulable = False
        self.allocatable = Resource()
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.pods: list[PodInfo] = []
        self.pods_with_affinity: list[PodInfo] = []
        self.pods_with_required_anti_affinity: list[PodInfo] = []
        self.used_ports = HostPortInfo()
        self.pvc_ref_counts: dict[str, int] = {}
        self.generation = next_generation()
        if node is not None:
            self.set_node(node)

    def set_node(self, node: Obj) -> None:
        """Replace the node object (its labels, taints and allocatable)."""
        metadata: Obj = node.get("metadata") or {}
        spec: Obj = node.get("spec") or {}
        self.node = node
        self.name = str(metadata.get("name", ""))
        self.labels = metadata.get("labels") or {}
        self.taints = spec.get("taints") or ()
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = Resource.from_list((node.get("status") or {}).get("allocatable"))
        self.generation = next_generation()

    def remove_node(self) -> None:
        """Forget the node object, keeping its pods until they are removed too."""
        self.node = None
        self.generation = next_generation()

    def add_pod(self, pod: PodInfo) -> None:
        """Count ``pod`` on this node."""
        self.pods.append(pod)
        if pod.has_pod_affinity:
            self.pods_with_affinity.append(pod)
        if pod.required_anti_affinity_terms:
            self.pods_with_required_anti_affinity.append(pod)
        self._update(pod, 1)

    def remove_pod(self, key: str) -> PodInfo | None:
        """Stop counting the pod with ``key``; returns it, or None if it was not here."""
        for index, pod in enumerate(self.pods):
            if pod.key == key:
                del self.pods[index]
                break
        else:
            return None
        self.pods_with_affinity = [p for p in self.pods_with_affinity if p.key != key]
        self.pods_with_required_anti_affinity = [
            p for p in self.pods_with_required_anti_affinity if p.key != key
        ]
        self._update(pod, -1)
        return pod

    def _update(self, pod: PodInfo, sign: int) -> None:
        self.requested.add(pod.requests, sign)
        self.non_zero_requested.milli_cpu += sign * pod.non0_cpu
        self.non_zero_requested.memory += sign * pod.non0_mem
        for ip, protocol, port in pod.host_ports:
            if sign > 0:
                self.used_ports.add(ip, protocol, port)
            else:
                self.used_ports.remove(ip, protocol, port)
        for claim in pod.claim_names:
            key = f"{pod.namespace}/{claim}"
            count = self.pvc_ref_counts.get(key, 0) + sign
            if count > 0:
                self.pvc_ref_counts[key] = count
            else:
                self.pvc_ref_counts.pop(key, None)
        self.generation = next_generation()

    def clone(self) -> NodeInfo:
        """A copy whose pod list and sums can change independently (``Snapshot()``)."""
        copy = NodeInfo.__new__(NodeInfo)
        copy.copy_from(self)
        return copy

    def copy_from(self, source: NodeInfo) -> None:
        """Become an independent copy of ``source``, keeping this object's identity (the
        snapshot's NodeInfos are updated in place)."""
        self.node = source.node
        self.name = source.name
        self.labels = source.labels
        self.taints = source.taints
        self.unschedulable = source.unschedulable
        self.allocatable = source.allocatable.clone()
        self.requested = source.requested.clone()
        self.non_zero_requested = source.non_zero_requested.clone()
        self.pods = list(source.pods)
        self.pods_with_affinity = list(source.pods_with_affinity)
        self.pods_with_required_anti_affinity = list(source.pods_with_required_anti_affinity)
        self.used_ports = source.used_ports.clone()
        self.pvc_ref_counts = dict(source.pvc_ref_counts)
        self.generation = source.generation

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


@dataclass(slots=True)
class QueuedPodInfo:
    """A pod waiting in the scheduling queue, with its attempt history."""

    pod_info: PodInfo
    # When it entered (or re-entered) the queue, on the scheduler's monotonic clock.
    timestamp: float
    attempts: int = 0
    initial_attempt_timestamp: float | None = None
    # Plugins that rejected it in its last attempt (Filter, PreFilter, Permit ...).
    unschedulable_plugins: set[str] = field(default_factory=set)
    # True while a PreEnqueue plugin (scheduling gates) holds it back.
    gated: bool = False
    gating_plugin: str = ""

    @property
    def pod(self) -> Obj:
        """The pod object."""
        return self.pod_info.pod


@dataclass(frozen=True, slots=True)
class PreFilterResult:
    """Node names a PreFilter plugin restricts the cycle to; None means all nodes."""

    node_names: frozenset[str] | None = None

    def all_nodes(self) -> bool:
        """True when the result does not restrict anything."""
        return self.node_names is None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        """The intersection of two results (upstream ``PreFilterResult.Merge``)."""
        if other is None or other.node_names is None:
            return self
        if self.node_names is None:
            return other
        return PreFilterResult(self.node_names & other.node_names)


@dataclass(frozen=True, slots=True)
class PostFilterResult:
    """What a PostFilter plugin (preemption) decided.

    ``nominated_node_name`` is None to leave the pod's nomination unchanged, ``""``
    to clear it, or the node the pod should wait for. ``victims`` are the pods to
    evict so that it fits there; the scheduler carries the evictions out.
    """

    nominated_node_name: str | None = None
    victims: tuple[PodInfo, ...] = ()


@dataclass(slots=True)
class NodeScore:
    """One node's score from one plugin."""

    name: str
    score: int
