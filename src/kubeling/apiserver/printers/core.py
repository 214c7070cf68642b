"""Printers of the core (``""``) API group, transcribed from upstream's ``printers.go``.

The pod printer carries most of the logic kubectl users read every day:

* READY counts ready regular containers plus started-and-ready restartable
  init containers (sidecars), out of regular containers plus sidecars.
* STATUS starts from ``status.reason`` or the phase, becomes
  ``SchedulingGated`` when the PodScheduled condition says so, then the first
  unfinished init container (``Init:0/2``, ``Init:Error``,
  ``Init:CrashLoopBackOff``, ``Init:ExitCode:3``...) and, once initialised,
  the last container with a waiting or terminated reason (scanning from the
  end, so the first container wins). ``Completed`` with a container still
  running becomes ``Running`` or ``NotReady``; a deleted pod is
  ``Terminating`` (``Unknown`` when its node was lost).
* RESTARTS is a string, ``"3 (20s ago)"`` once a container has restarted and
  its last termination time is known.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    NONE,
    UNSET,
    condition_true,
    creation_timestamp,
    deleting,
    format_labels,
    has,
    integer,
    layout_container_cells,
    mapping,
    maps,
    name,
    quantity_string,
    template_containers,
    text,
)
from kubeling.apiserver.printers.age import (
    UNKNOWN,
    human_duration,
    timestamp,
    translate_timestamp_since,
)
from kubeling.apiserver.printers.interface import (
    Cell,
    Column,
    Printer,
    RowConditionDict,
    age_column,
    name_column,
)

__all__ = ["PRINTERS"]

_CONTAINERS_COLUMN: Final = Column(
    "Containers", "string", "Names of each container in the template.", priority=1
)
_IMAGES_COLUMN: Final = Column(
    "Images", "string", "Images referenced by each container in the template.", priority=1
)

# --- pods -----------------------------------------------------------------------------------

_NODE_UNREACHABLE_POD_REASON: Final = "NodeLost"


def _is_restartable(container: Mapping[str, Any] | None) -> bool:
    return container is not None and container.get("restartPolicy") == "Always"


def _later(
    current: datetime.datetime | None, status: Mapping[str, Any]
) -> datetime.datetime | None:
    """Keep the latest ``lastState.terminated.finishedAt`` seen so far."""
    terminated = mapping(status, "lastState").get("terminated")
    if not isinstance(terminated, Mapping):
        return current
    finished = timestamp(terminated.get("finishedAt"))
    if finished is None:
        return current
    if current is None or current < finished:
        return finished
    return current


def _terminated_reason(terminated: Mapping[str, Any], prefix: str) -> str:
    reason = text(terminated, "reason")
    if reason:
        return prefix + reason
    signal = integer(terminated, "signal")
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{integer(terminated, 'exitCode')}"


def _pod_row(pod: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(pod, "spec")
    status = mapping(pod, "status")
    conditions = maps(status, "conditions")
    init_specs = maps(spec, "initContainers")

    restarts = 0
    restartable_restarts = 0
    total = len(maps(spec, "containers"))
    ready = 0
    last_restart: datetime.datetime | None = None
    last_restartable_restart: datetime.datetime | None = None

    phase = text(status, "phase")
    reason = text(status, "reason") or phase
    for condition in conditions:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_by_name: dict[str, Mapping[str, Any]] = {}
    for container in init_specs:
        init_by_name[text(container, "name")] = container
        if _is_restartable(container):
            total += 1

    initializing = False
    for index, container_status in enumerate(maps(status, "initContainerStatuses")):
        restarts += integer(container_status, "restartCount")
        last_restart = _later(last_restart, container_status)
        restartable = _is_restartable(init_by_name.get(text(container_status, "name")))
        if restartable:
            restartable_restarts += integer(container_status, "restartCount")
            last_restartable_restart = _later(last_restartable_restart, container_status)
        state = mapping(container_status, "state")
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(terminated, Mapping) and integer(terminated, "exitCode") == 0:
            continue
        if restartable and container_status.get("started") is True:
            if container_status.get("ready") is True:
                ready += 1
            continue
        if isinstance(terminated, Mapping):
            reason = _terminated_reason(terminated, "Init:")
        elif (
            isinstance(waiting, Mapping)
            and text(waiting, "reason")
            and text(waiting, "reason") != "PodInitializing"
        ):
            reason = "Init:" + text(waiting, "reason")
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or condition_true(conditions, "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for container_status in reversed(maps(status, "containerStatuses")):
            restarts += integer(container_status, "restartCount")
            last_restart = _later(last_restart, container_status)
            state = mapping(container_status, "state")
            terminated = state.get("terminated")
            waiting = state.get("waiting")
            if isinstance(waiting, Mapping) and text(waiting, "reason"):
                reason = text(waiting, "reason")
            elif isinstance(terminated, Mapping):
                reason = _terminated_reason(terminated, "")
            elif container_status.get("ready") is True and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if condition_true(conditions, "Ready") else "NotReady"

    if deleting(pod) and text(status, "reason") == _NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting(pod) and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"

    ips = maps(status, "podIPs")
    pod_ip = text(ips[0], "ip") if ips else text(status, "podIP")
    return [
        name(pod),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        translate_timestamp_since(creation_timestamp(pod), now),
        pod_ip or NONE,
        text(spec, "nodeName") or NONE,
        text(status, "nominatedNodeName") or NONE,
        _readiness_gates(spec, conditions),
    ]


def _readiness_gates(spec: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]]) -> str:
    gates = maps(spec, "readinessGates")
    if not gates:
        return NONE
    true_conditions = 0
    for gate in gates:
        for condition in conditions:
            if condition.get("type") == gate.get("conditionType"):
                if condition.get("status") == "True":
                    true_conditions += 1
                break
    return f"{true_conditions}/{len(gates)}"


def _pod_conditions(pod: Mapping[str, Any]) -> list[RowConditionDict]:
    phase = text(mapping(pod, "status"), "phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


POD: Final = Printer(
    (
        name_column(),
        Column(
            "Ready", "string", "The aggregate readiness state of this pod for accepting traffic."
        ),
        Column("Status", "string", "The aggregate status of the containers in this pod."),
        Column(
            "Restarts",
            "string",
            "The number of times the containers in this pod have been restarted and when the "
            "last container in this pod has restarted.",
        ),
        age_column(),
        Column("IP", "string", "podIP address allocated to the pod.", priority=1),
        Column("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
        Column(
            "Nominated Node",
            "string",
            "nominatedNodeName is set only when this pod preempts other pods on the node.",
            1,
        ),
        Column(
            "Readiness Gates",
            "string",
            "If specified, all readiness gates will be evaluated for pod readiness.",
            1,
        ),
    ),
    _pod_row,
    _pod_conditions,
)

# --- pod templates --------------------------------------------------------------------------


def _pod_template_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    names, images = layout_container_cells(template_containers(obj, "template"))
    return [name(obj), names, images, format_labels(mapping(obj, "template", "metadata", "labels"))]


POD_TEMPLATE: Final = Printer(
    (
        name_column(),
        Column("Containers", "string", "Names of each container in the template."),
        Column("Images", "string", "Images referenced by each container in the template."),
        Column("Pod Labels", "string", "The labels for the pod template."),
    ),
    _pod_template_row,
)

# --- replication controllers ----------------------------------------------------------------


def _replication_controller_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        integer(spec, "replicas", 1),
        integer(status, "replicas"),
        integer(status, "readyReplicas"),
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        format_labels(mapping(spec, "selector")),
    ]


REPLICATION_CONTROLLER: Final = Printer(
    (
        name_column(),
        Column("Desired", "integer", "Replicas is the number of desired replicas."),
        Column("Current", "integer", "Replicas is the most recently observed number of replicas."),
        Column("Ready", "integer", "The number of ready replicas for this replication controller."),
        age_column(),
        _CONTAINERS_COLUMN,
        _IMAGES_COLUMN,
        Column("Selector", "string", "Selector is a label query over pods.", priority=1),
    ),
    _replication_controller_row,
)

# --- services -------------------------------------------------------------------------------


def load_balancer_ingress(status: Mapping[str, Any]) -> str:
    """Sorted, de-duplicated ingress IPs (or hostnames), comma-joined; never clipped.

    The server renders the wide form, where upstream skips the 16-character clip.
    """
    found: set[str] = set()
    for ingress in maps(mapping(status, "loadBalancer"), "ingress"):
        value = text(ingress, "ip") or text(ingress, "hostname")
        if value:
            found.add(value)
    return ",".join(sorted(found))


def _service_external_ip(spec: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    service_type = text(spec, "type", "ClusterIP")
    external_ips = [ip for ip in spec.get("externalIPs") or [] if isinstance(ip, str)]
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else NONE
    if service_type == "LoadBalancer":
        lb_ips = load_balancer_ingress(status)
        if external_ips:
            return ",".join([*(lb_ips.split(",") if lb_ips else []), *external_ips])
        return lb_ips or "<pending>"
    if service_type == "ExternalName":
        return text(spec, "externalName")
    return UNKNOWN


def _service_ports(ports: Sequence[Mapping[str, Any]]) -> str:
    pieces = []
    for port in ports:
        protocol = text(port, "protocol", "TCP")
        node_port = integer(port, "nodePort")
        if node_port > 0:
            pieces.append(f"{integer(port, 'port')}:{node_port}/{protocol}")
        else:
            pieces.append(f"{integer(port, 'port')}/{protocol}")
    return ",".join(pieces)


def _service_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    cluster_ips = [ip for ip in spec.get("clusterIPs") or [] if isinstance(ip, str)]
    cluster_ip = cluster_ips[0] if cluster_ips else text(spec, "clusterIP")
    return [
        name(obj),
        text(spec, "type", "ClusterIP"),
        cluster_ip or NONE,
        _service_external_ip(spec, mapping(obj, "status")),
        _service_ports(maps(spec, "ports")) or NONE,
        translate_timestamp_since(creation_timestamp(obj), now),
        format_labels(mapping(spec, "selector")),
    ]


SERVICE: Final = Printer(
    (
        name_column(),
        Column("Type", "string", "type determines how the Service is exposed."),
        Column("Cluster-IP", "string", "clusterIP is the IP address of the service."),
        Column(
            "External-IP",
            "string",
            "externalIPs is a list of IP addresses for which nodes "
            "in the cluster will also accept traffic for this service.",
        ),
        Column("Port(s)", "string", "The list of ports that are exposed by this service."),
        age_column(),
        Column(
            "Selector",
            "string",
            "Route service traffic to pods with label keys and values matching this selector.",
            priority=1,
        ),
    ),
    _service_row,
)

# --- endpoints ------------------------------------------------------------------------------


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_endpoints(subsets: Sequence[Mapping[str, Any]]) -> str:
    """``formatEndpoints`` with every port: the first three ``ip:port``, then ``+ N more...``."""
    if not subsets:
        return NONE
    limit = 3
    shown: list[str] = []
    more = False
    count = 0
    for subset in subsets:
        addresses = maps(subset, "addresses")
        ports = maps(subset, "ports")
        if not ports:
            count += len(addresses)
            for address in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(text(address, "ip"))
            continue
        for port in ports:
            count += len(addresses)
            for address in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(_join_host_port(text(address, "ip"), integer(port, "port")))
    joined = ",".join(shown)
    if more:
        return f"{joined} + {count - limit} more..."
    return joined


def _endpoints_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        format_endpoints(maps(obj, "subsets")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


ENDPOINTS: Final = Printer(
    (
        name_column(),
        Column("Endpoints", "string", "The set of all endpoints is the union of all subsets."),
        age_column(),
    ),
    _endpoints_row,
)

# --- nodes ----------------------------------------------------------------------------------

_NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
_NODE_ROLE_LABEL: Final = "kubernetes.io/role"


def node_roles(labels: Mapping[str, Any]) -> list[str]:
    """Roles from ``node-role.kubernetes.io/<role>`` keys and ``kubernetes.io/role`` values."""
    roles: set[str] = set()
    for key, value in labels.items():
        if key.startswith(_NODE_ROLE_PREFIX):
            role = key.removeprefix(_NODE_ROLE_PREFIX)
            if role:
                roles.add(role)
        elif key == _NODE_ROLE_LABEL and value:
            roles.add(str(value))
    return sorted(roles)


def _node_address(status: Mapping[str, Any], address_type: str) -> str:
    for address in maps(status, "addresses"):
        if address.get("type") == address_type:
            return text(address, "address")
    return NONE


def _node_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    status = mapping(obj, "status")
    ready: Mapping[str, Any] | None = None
    for condition in maps(status, "conditions"):
        if condition.get("type") == "Ready":
            ready = condition  # the last one wins, as upstream's condition map does
    states = []
    if ready is not None:
        states.append("Ready" if ready.get("status") == "True" else "NotReady")
    else:
        states.append("Unknown")
    if mapping(obj, "spec").get("unschedulable") is True:
        states.append("SchedulingDisabled")
    info = mapping(status, "nodeInfo")
    return [
        name(obj),
        ",".join(states),
        ",".join(node_roles(mapping(obj, "metadata", "labels"))) or NONE,
        translate_timestamp_since(creation_timestamp(obj), now),
        text(info, "kubeletVersion"),
        _node_address(status, "InternalIP"),
        _node_address(status, "ExternalIP"),
        text(info, "osImage") or UNKNOWN,
        text(info, "kernelVersion") or UNKNOWN,
        text(info, "containerRuntimeVersion") or UNKNOWN,
    ]


_ADDRESSES: Final = "List of addresses reachable to the node."

NODE: Final = Printer(
    (
        name_column(),
        Column("Status", "string", "The status of the node"),
        Column("Roles", "string", "The roles of the node"),
        age_column(),
        Column("Version", "string", "Kubelet Version reported by the node."),
        Column("Internal-IP", "string", _ADDRESSES, priority=1),
        Column("External-IP", "string", _ADDRESSES, priority=1),
        Column(
            "OS-Image",
            "string",
            "OS Image reported by the node from /etc/os-release "
            "(e.g. Debian GNU/Linux 7 (wheezy)).",
            priority=1,
        ),
        Column(
            "Kernel-Version",
            "string",
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
            priority=1,
        ),
        Column(
            "Container-Runtime",
            "string",
            "ContainerRuntime Version reported by the node "
            "through runtime remote API (e.g. containerd://1.4.2).",
            priority=1,
        ),
    ),
    _node_row,
)

# --- events ---------------------------------------------------------------------------------


def _event_source(event: Mapping[str, Any]) -> str:
    source = mapping(event, "source")
    component = text(source, "component") or text(event, "reportingComponent")
    instance = text(source, "host") or text(event, "reportingInstance")
    return f"{component}, {instance}" if instance else component


def _event_row(event: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    first_seen = translate_timestamp_since(event.get("firstTimestamp"), now)
    if timestamp(event.get("firstTimestamp")) is None:
        first_seen = translate_timestamp_since(event.get("eventTime"), now)
    last_seen = translate_timestamp_since(event.get("lastTimestamp"), now)
    if timestamp(event.get("lastTimestamp")) is None:
        last_seen = first_seen
    count = integer(event, "count")
    series = event.get("series")
    if isinstance(series, Mapping):
        last_seen = translate_timestamp_since(series.get("lastObservedTime"), now)
        count = integer(series, "count")
    elif count == 0:
        count = 1  # singleton events have no count in the new API
    involved = mapping(event, "involvedObject")
    kind = text(involved, "kind").lower()
    target = f"{kind}/{text(involved, 'name')}" if text(involved, "name") else kind
    return [
        last_seen,
        text(event, "type"),
        text(event, "reason"),
        target,
        text(involved, "fieldPath"),
        _event_source(event),
        text(event, "message").strip(),
        first_seen,
        count,
        name(event),
    ]


EVENT: Final = Printer(
    (
        Column(
            "Last Seen",
            "string",
            "The time at which the most recent occurrence of this event was recorded.",
        ),
        Column(
            "Type",
            "string",
            "Type of this event (Normal, Warning), new types could be added in the future",
        ),
        Column(
            "Reason",
            "string",
            "This should be a short, machine understandable string "
            "that gives the reason for the transition into the object's current status.",
        ),
        Column("Object", "string", "The object that this event is about."),
        Column(
            "Subobject",
            "string",
            "If referring to a piece of an object instead of an "
            "entire object, this string should contain a valid JSON/Go field access "
            "statement, such as desiredState.manifest.containers[2].",
            priority=1,
        ),
        Column(
            "Source",
            "string",
            "The component reporting this event. Should be a short machine understandable string.",
            priority=1,
        ),
        Column(
            "Message", "string", "A human-readable description of the status of this operation."
        ),
        Column(
            "First Seen",
            "string",
            "The time at which the event was first recorded. "
            "(Time of server receipt is in TypeMeta.)",
            priority=1,
        ),
        Column("Count", "string", "The number of times this event has occurred.", priority=1),
        Column("Name", "string", name_column().description, priority=1, format="name"),
    ),
    _event_row,
)

# --- namespaces, secrets, config maps, service accounts -------------------------------------


def _namespace_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        text(mapping(obj, "status"), "phase"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


NAMESPACE: Final = Printer(
    (name_column(), Column("Status", "string", "The status of the namespace"), age_column()),
    _namespace_row,
)


def _secret_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        text(obj, "type"),
        len(mapping(obj, "data")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


SECRET: Final = Printer(
    (
        name_column(),
        Column("Type", "string", "Used to facilitate programmatic handling of secret data."),
        Column("Data", "string", "Data contains the secret data."),
        age_column(),
    ),
    _secret_row,
)


def _config_map_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        len(mapping(obj, "data")) + len(mapping(obj, "binaryData")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


CONFIG_MAP: Final = Printer(
    (
        name_column(),
        Column("Data", "string", "Data contains the configuration data."),
        age_column(),
    ),
    _config_map_row,
)


def _service_account_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        len(maps(obj, "secrets")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


SERVICE_ACCOUNT: Final = Printer(
    (
        name_column(),
        Column(
            "Secrets",
            "string",
            "Secrets is a list of the secrets in the same namespace "
            "that pods running using this ServiceAccount are allowed to use.",
        ),
        age_column(),
    ),
    _service_account_row,
)

# --- persistent volumes and claims ----------------------------------------------------------

_ACCESS_MODES: Final = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)
_BETA_STORAGE_CLASS_ANNOTATION: Final = "volume.beta.kubernetes.io/storage-class"


def access_modes(modes: Sequence[Any]) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX,RWX,RWOP`` in that fixed order."""
    return ",".join(short for mode, short in _ACCESS_MODES if mode in modes)


def _storage_class(obj: Mapping[str, Any]) -> str:
    annotations = mapping(obj, "metadata", "annotations")
    if _BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return str(annotations[_BETA_STORAGE_CLASS_ANNOTATION])
    return text(mapping(obj, "spec"), "storageClassName")


def _optional(spec: Mapping[str, Any], key: str) -> str:
    """A pointer-to-string field: its value, or ``<unset>`` when nil."""
    return text(spec, key) if has(spec, key) else UNSET


def _persistent_volume_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    claim = ""
    claim_ref = spec.get("claimRef")
    if isinstance(claim_ref, Mapping):
        claim = f"{text(claim_ref, 'namespace')}/{text(claim_ref, 'name')}"
    return [
        name(obj),
        quantity_string(mapping(spec, "capacity").get("storage")),
        access_modes(spec.get("accessModes") or []),
        text(spec, "persistentVolumeReclaimPolicy"),
        "Terminating" if deleting(obj) else text(status, "phase"),
        claim,
        _storage_class(obj),
        _optional(spec, "volumeAttributesClassName"),
        text(status, "reason"),
        translate_timestamp_since(creation_timestamp(obj), now),
        _optional(spec, "volumeMode"),
    ]


PERSISTENT_VOLUME: Final = Printer(
    (
        name_column(),
        Column(
            "Capacity",
            "string",
            "capacity is the description of the persistent volume's resources and capacity.",
        ),
        Column(
            "Access Modes", "string", "accessModes contains all ways the volume can be mounted."
        ),
        Column(
            "Reclaim Policy",
            "string",
            "persistentVolumeReclaimPolicy defines what happens "
            "to a persistent volume when released from its claim.",
        ),
        Column(
            "Status",
            "string",
            "phase indicates if a volume is available, bound to a claim, or released by a claim.",
        ),
        Column(
            "Claim",
            "string",
            "claimRef is part of a bi-directional binding between "
            "PersistentVolume and PersistentVolumeClaim.",
        ),
        Column("StorageClass", "string", "StorageClass of the pv"),
        Column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
        Column(
            "Reason",
            "string",
            "reason is a brief CamelCase string that describes any "
            "failure and is meant for machine parsing and tidy display in the CLI.",
        ),
        age_column(),
        Column(
            "VolumeMode",
            "string",
            "volumeMode defines if a volume is intended to be used "
            "with a formatted filesystem or to remain in raw block state.",
            priority=1,
        ),
    ),
    _persistent_volume_row,
)


def _persistent_volume_claim_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    capacity = ""
    modes = ""
    if text(spec, "volumeName"):
        modes = access_modes(status.get("accessModes") or [])
        capacity = quantity_string(mapping(status, "capacity").get("storage"))
    return [
        name(obj),
        "Terminating" if deleting(obj) else text(status, "phase"),
        text(spec, "volumeName"),
        capacity,
        modes,
        _storage_class(obj),
        _optional(spec, "volumeAttributesClassName"),
        translate_timestamp_since(creation_timestamp(obj), now),
        _optional(spec, "volumeMode"),
    ]


PERSISTENT_VOLUME_CLAIM: Final = Printer(
    (
        name_column(),
        Column("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
        Column(
            "Volume",
            "string",
            "volumeName is the binding reference to the PersistentVolume backing this claim.",
        ),
        Column(
            "Capacity",
            "string",
            "capacity represents the actual resources of the underlying volume.",
        ),
        Column(
            "Access Modes",
            "string",
            "accessModes contains the actual access modes the volume backing the PVC has.",
        ),
        Column("StorageClass", "string", "StorageClass of the pvc"),
        Column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
        age_column(),
        Column(
            "VolumeMode",
            "string",
            "volumeMode defines what type of volume is required by the claim.",
            priority=1,
        ),
    ),
    _persistent_volume_claim_row,
)

# --- resource quotas and component statuses -------------------------------------------------


def _resource_quota_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    status = mapping(obj, "status")
    hard = mapping(status, "hard")
    used = mapping(status, "used")
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        column = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        column.append(
            f"{resource}: {quantity_string(used.get(resource))}/{quantity_string(hard[resource])}"
        )
    return [
        name(obj),
        ", ".join(requests),
        ", ".join(limits),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


RESOURCE_QUOTA: Final = Printer(
    (
        name_column(),
        Column(
            "Request",
            "string",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
        ),
        Column(
            "Limit",
            "string",
            "Limits control the maximum amount of cpu/memory that a "
            "container may use independent of contention on the node.",
        ),
        age_column(),
    ),
    _resource_quota_row,
)


def _component_status_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    status, message, error = "Unknown", "", ""
    for condition in maps(obj, "conditions"):
        if condition.get("type") == "Healthy":
            status = "Healthy" if condition.get("status") == "True" else "Unhealthy"
            message = text(condition, "message")
            error = text(condition, "error")
            break
    return [name(obj), status, message, error]


COMPONENT_STATUS: Final = Printer(
    (
        name_column(),
        Column("Status", "string", "Status of the component conditions"),
        Column("Message", "string", "Message of the component conditions"),
        Column("Error", "string", "Error of the component conditions"),
    ),
    _component_status_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "pods": POD,
    "podtemplates": POD_TEMPLATE,
    "replicationcontrollers": REPLICATION_CONTROLLER,
    "services": SERVICE,
    "endpoints": ENDPOINTS,
    "nodes": NODE,
    "events": EVENT,
    "namespaces": NAMESPACE,
    "secrets": SECRET,
    "configmaps": CONFIG_MAP,
    "serviceaccounts": SERVICE_ACCOUNT,
    "persistentvolumes": PERSISTENT_VOLUME,
    "persistentvolumeclaims": PERSISTENT_VOLUME_CLAIM,
    "resourcequotas": RESOURCE_QUOTA,
    "componentstatuses": COMPONENT_STATUS,
}
"""Core printers by resource plural; ``limitranges`` has none (upstream uses the default)."""
