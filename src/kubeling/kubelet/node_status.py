"""The kubelet's Node: its object at registration and its status, from the host's facts.

Pure functions, as Kubernetes' ``nodestatus`` setters fill them in:

- **labels**: ``kubernetes.io/hostname``, ``kubernetes.io/os``, ``kubernetes.io/arch`` and the
  ``beta.kubernetes.io/*`` twins, plus any ``--node-labels``;
- **capacity**: ``cpu``, ``memory``, ``ephemeral-storage`` (the filesystem of the kubelet's root
  directory), ``hugepages-*`` (0) and ``pods`` (110); **allocatable**: the same less the default
  hard eviction thresholds (``memory.available<100Mi``, ``nodefs.available<10%``);
- **conditions** MemoryPressure, DiskPressure, PIDPressure and Ready with Kubernetes' reasons
  and messages; ``lastHeartbeatTime`` is the time of the report, ``lastTransitionTime`` moves
  only when a condition's status does;
- **addresses** (InternalIP, Hostname), **nodeInfo** (kubelet and runtime versions, kernel, OS,
  architecture, machine/system/boot IDs), **daemonEndpoints** (the kubelet's port).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.kubelet.host import HostInfo

__all__ = [
    "EVICTION_MEMORY_BYTES",
    "KUBELET_VERSION",
    "NodeStatusInputs",
    "node_labels",
    "node_object",
    "node_status",
    "status_changed",
]

KUBELET_VERSION: Final = "v1.32.4+kubeling"
MAX_PODS: Final = 110
#: Default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%.
EVICTION_MEMORY_BYTES: Final = 100 * 1024 * 1024
EVICTION_STORAGE_FRACTION: Final = 0.10
#: Kubernetes' annotation telling controllers to attach and detach volumes.
ATTACH_DETACH_ANNOTATION: Final = "volumes.kubernetes.io/controller-managed-attach-detach"
#: kubeling's: what the process runtime can enforce on this node (cgroups, or why not).
RUNTIME_LIMITS_ANNOTATION: Final = "kubeling.io/runtime-limits"
#: How this node's containers see their volumes (bind mounts, or symlinks and why).
VOLUME_MOUNTS_ANNOTATION: Final = "kubeling.io/volume-mounts"
#: What a pod's containers see of its hostname and resolver (namespaces, or why not).
POD_ISOLATION_ANNOTATION: Final = "kubeling.io/pod-isolation"

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class NodeStatusInputs:
    node_name: str
    host: HostInfo
    addresses: Sequence[str]
    runtime_version: str
    now: str
    previous_conditions: Sequence[Obj] = ()
    runtime_ready: bool = True
    runtime_error: str = ""
    kubelet_port: int = 10250
    max_pods: int = MAX_PODS
    pid_available_threshold: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)


def node_labels(node_name: str, host: HostInfo, extra: Mapping[str, str]) -> dict[str, str]:
    """The labels a kubelet sets on its Node."""
    labels = {
        "beta.kubernetes.io/arch": host.architecture,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": host.architecture,
        "kubernetes.io/hostname": node_name,
        "kubernetes.io/os": "linux",
    }
    labels.update(extra)
    return labels


def _kib(value: int) -> str:
    return f"{value // 1024}Ki"


def _resources(host: HostInfo, max_pods: int) -> tuple[Obj, Obj]:
    capacity = {
        "cpu": str(host.cpus),
        "ephemeral-storage": _kib(host.storage_bytes),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": _kib(host.memory_bytes),
        "pods": str(max_pods),
    }
    storage = host.storage_bytes // 1024 * 1024
    allocatable = {
        **capacity,
        "ephemeral-storage": str(storage - int(storage * EVICTION_STORAGE_FRACTION)),
        "memory": _kib(max(host.memory_bytes - EVICTION_MEMORY_BYTES, 0)),
    }
    return capacity, allocatable


_PRESSURES: Final = (
    (
        "MemoryPressure",
        ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
    ),
    (
        "DiskPressure",
        ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("KubeletHasDiskPressure", "kubelet has disk pressure"),
    ),
    (
        "PIDPressure",
        ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
    ),
)


def _conditions(inputs: NodeStatusInputs) -> list[Obj]:
    host = inputs.host
    pressure = {
        "MemoryPressure": host.memory_available_bytes < EVICTION_MEMORY_BYTES,
        "DiskPressure": host.storage_available_bytes
        < host.storage_bytes * EVICTION_STORAGE_FRACTION,
        "PIDPressure": host.pid_max - host.processes < inputs.pid_available_threshold,
    }
    old = {c.get("type"): c for c in inputs.previous_conditions}
    conditions = []
    for kind, healthy, unhealthy in _PRESSURES:
        status = "True" if pressure[kind] else "False"
        reason, message = unhealthy if pressure[kind] else healthy
        conditions.append(_condition(kind, status, reason, message, old, inputs.now))
    if inputs.runtime_ready:
        ready = _condition(
            "Ready", "True", "KubeletReady", "kubelet is posting ready status", old, inputs.now
        )
    else:
        ready = _condition(
            "Ready",
            "False",
            "KubeletNotReady",
            f"container runtime is down: {inputs.runtime_error}",
            old,
            inputs.now,
        )
    conditions.append(ready)
    return conditions


def _condition(
    kind: str, status: str, reason: str, message: str, old: Mapping[object, Obj], now: str
) -> Obj:
    before = old.get(kind)
    transition = now
    if before is not None and before.get("status") == status and before.get("lastTransitionTime"):
        transition = before["lastTransitionTime"]
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": now,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }


def node_status(inputs: NodeStatusInputs) -> Obj:
    """The Node's status (see the module docstring)."""
    host = inputs.host
    capacity, allocatable = _resources(host, inputs.max_pods)
    addresses = [{"type": "InternalIP", "address": ip} for ip in inputs.addresses]
    addresses.append({"type": "Hostname", "address": host.hostname})
    return {
        "capacity": capacity,
        "allocatable": allocatable,
        "conditions": _conditions(inputs),
        "addresses": addresses,
        "daemonEndpoints": {"kubeletEndpoint": {"Port": inputs.kubelet_port}},
        "nodeInfo": {
            "machineID": host.machine_id,
            "systemUUID": host.system_uuid,
            "bootID": host.boot_id,
            "kernelVersion": host.kernel_version,
            "osImage": host.os_image,
            "containerRuntimeVersion": inputs.runtime_version,
            "kubeletVersion": KUBELET_VERSION,
            # Deprecated and left empty since 1.31, but the Go field has no omitempty: clients
            # (the kubernetes Python package) require the key.
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": host.architecture,
        },
    }


def node_object(
    inputs: NodeStatusInputs,
    *,
    labels: Mapping[str, str] = {},
    annotations: Mapping[str, str] = {},
    taints: Sequence[Obj] = (),
) -> Obj:
    """The Node a kubelet registers (with its status: Nodes keep the status they are created
    with)."""
    node: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": inputs.node_name,
            "labels": node_labels(inputs.node_name, inputs.host, labels),
            "annotations": {ATTACH_DETACH_ANNOTATION: "true", **annotations},
        },
        "spec": {},
        "status": node_status(inputs),
    }
    if taints:
        node["spec"]["taints"] = [dict(t) for t in taints]
    return node


def _without_heartbeats(status: Mapping[str, Any]) -> Obj:
    result = dict(status)
    result["conditions"] = [
        {k: v for k, v in c.items() if k != "lastHeartbeatTime"}
        for c in status.get("conditions") or []
    ]
    return result


def status_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether a report says anything new (heartbeat times aside): only then, or once every
    report period, does the kubelet write its Node's status."""
    keys = set(new)
    return _without_heartbeats({k: old.get(k) for k in keys}) != _without_heartbeats(new)
