"""A pod's API status, computed from what the runtime reports: phase, conditions, containers.

Pure functions over the pod (the API object), the runtime's view of it
(:class:`~kubeling.kubelet.runtimestatus.PodRuntimeStatus`) and the previous status, following
Kubernetes 1.32's ``generateAPIPodStatus`` (``pkg/kubelet/kubelet_pods.go``) and
``pkg/kubelet/status/generate.go``:

- **container statuses** (``convertToAPIContainerStatuses``): the latest container of each name
  gives ``state`` (Running with ``startedAt``; Terminated with ``exitCode``, ``reason``,
  ``startedAt``, ``finishedAt``; Waiting while created), the one before it ``lastState``, its
  ``attempt`` the ``restartCount``; a container without one waits with ``ContainerCreating``
  (``PodInitializing`` when the pod has init containers); a container the kubelet will
  restart shows the reason its last start attempt failed or is delayed (``CrashLoopBackOff``,
  ``CreateContainerConfigError``, ...) as Waiting, its previous end as ``lastState``;
- ``started``/``ready`` as the probe manager sets them (with no probes: started and ready
  while running; a completed regular init container is ready);
- **phase** (``getPhase``): Pending until every regular container has started, Running while
  one runs or will be restarted, Succeeded/Failed when all are done for good; a terminal phase
  never changes again;
- **conditions** the kubelet owns (PodReadyToStartContainers, Initialized, Ready,
  ContainersReady, PodScheduled), after those it does not own; ``lastTransitionTime`` changes
  only when a condition's status does;
- the node's IPs as ``hostIP(s)`` and, since pods share the node's network, ``podIP(s)``;
  ``startTime`` once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.timestamps import format_time
from kubeling.kubelet.podutil import (
    Obj,
    is_restartable_init_container,
    spec_of,
)
from kubeling.kubelet.probes import NoProbes, ProbeResults
from kubeling.kubelet.runtime.interface import ContainerState, ContainerStatus
from kubeling.kubelet.runtimestatus import PodRuntimeStatus

__all__ = [
    "KUBELET_CONDITIONS",
    "StatusInputs",
    "generate_pod_status",
    "get_phase",
    "should_container_be_restarted",
    "terminate_pod_status",
]

CONTAINER_CREATING: Final = "ContainerCreating"
POD_INITIALIZING: Final = "PodInitializing"
STATUS_UNKNOWN: Final = "ContainerStatusUnknown"

#: The status fields the kubelet computes; any other (set by someone else) is kept as it is.
KUBELET_STATUS_FIELDS: Final = frozenset(
    {
        "phase",
        "conditions",
        "message",
        "reason",
        "hostIP",
        "hostIPs",
        "podIP",
        "podIPs",
        "startTime",
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
        "qosClass",
    }
)
#: The condition types the kubelet writes (it keeps every other one as it finds it).
KUBELET_CONDITIONS: Final = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
)


@dataclass(frozen=True, slots=True)
class StatusInputs:
    """Everything :func:`generate_pod_status` reads besides the pod and the runtime."""

    #: The status the kubelet wrote last (or the API's): kept times, restart counts, phase.
    previous: Obj
    #: Container name → (reason, message) of its last failed or delayed start.
    reasons: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    probes: ProbeResults = field(default_factory=NoProbes)
    runtime_name: str = "process"
    host_ips: Sequence[str] = ()
    #: Now, as the API writes it (``2024-01-02T03:04:05Z``).
    now: str = ""
    pod_is_terminal: bool = False


def _in(status: Mapping[str, Any], field: str, kind: str) -> bool:
    """Whether a container status's ``state`` (or ``lastState``) is of ``kind``: ``running``,
    ``terminated`` or ``waiting`` (present, even if empty)."""
    return kind in (status.get(field) or {})


def _time(seconds: float) -> str | None:
    return format_time(seconds) if seconds > 0 else None


def _container_id(runtime_name: str, status: ContainerStatus) -> str:
    return f"{runtime_name}://{status.id}"


def _volume_mounts(container: Mapping[str, Any]) -> list[Obj]:
    """``status.volumeMounts`` (Kubernetes 1.32, RecursiveReadOnlyMounts beta)."""
    mounts = []
    for mount in container.get("volumeMounts") or []:
        entry: Obj = {"name": mount["name"], "mountPath": mount["mountPath"]}
        if mount.get("readOnly"):
            entry["readOnly"] = True
            entry["recursiveReadOnly"] = "Disabled"
        mounts.append(entry)
    return mounts


def _terminated(status: ContainerStatus, container_id: str) -> Obj:
    state: Obj = {"exitCode": status.exit_code}
    if status.reason:
        state["reason"] = status.reason
    if status.message:
        state["message"] = status.message
    state["startedAt"] = _time(status.started_at)
    state["finishedAt"] = _time(status.finished_at)
    state["containerID"] = container_id
    return state


def _convert_one(status: ContainerStatus, old: Obj | None, inputs: StatusInputs) -> Obj:
    """One runtime container as an API container status (``convertContainerStatus``)."""
    container_id = _container_id(inputs.runtime_name, status)
    converted: Obj = {
        "name": status.name,
        "state": {},
        "lastState": {},
        "ready": False,
        "restartCount": status.attempt,
        "image": status.image,
        "imageID": status.image_ref,
        "containerID": container_id,
    }
    if old is not None and old.get("volumeMounts"):
        converted["volumeMounts"] = copy.deepcopy(old["volumeMounts"])
    if status.state is ContainerState.RUNNING:
        converted["state"] = {"running": {"startedAt": _time(status.started_at)}}
    elif status.state is ContainerState.EXITED:
        converted["state"] = {"terminated": _terminated(status, container_id)}
    elif status.state is ContainerState.UNKNOWN and old and _in(old, "state", "running"):
        # It ran and cannot be found now: show it ended rather than waiting (so that a pod
        # that must run once is not taken for one that never ran).
        converted["state"] = {
            "terminated": {
                "exitCode": 137,
                "reason": STATUS_UNKNOWN,
                "message": "The container could not be located when the pod was terminated",
                "startedAt": None,
                "finishedAt": None,
            }
        }
        converted["restartCount"] = int(old.get("restartCount") or 0) + 1
    else:
        converted["state"] = {"waiting": {}}
    return converted


def should_container_be_restarted(
    container: Mapping[str, Any], pod: Mapping[str, Any], runtime: PodRuntimeStatus
) -> bool:
    """Whether the kubelet (re)starts the container (``ShouldContainerBeRestarted``)."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    status = runtime.find(container["name"])
    if status is None:
        return True
    if status.state is ContainerState.RUNNING:
        return False
    if status.state in (ContainerState.UNKNOWN, ContainerState.CREATED):
        return True
    policy = spec_of(pod).get("restartPolicy") or "Always"
    if policy == "Never":
        return False
    return not (policy == "OnFailure" and status.exit_code == 0)


def _has_any_regular_container_created(pod: Mapping[str, Any], runtime: PodRuntimeStatus) -> bool:
    names = {c["name"] for c in spec_of(pod).get("containers") or []}
    return any(c.name in names for c in runtime.containers)


def _convert_container_statuses(
    pod: Mapping[str, Any],
    runtime: PodRuntimeStatus,
    previous: Sequence[Obj],
    containers: Sequence[Obj],
    inputs: StatusInputs,
    *,
    is_init: bool,
) -> list[Obj]:
    """``convertToAPIContainerStatuses`` for the regular or the init containers."""
    has_init = bool(spec_of(pod).get("initContainers"))
    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    default_reason = POD_INITIALIZING if has_init else CONTAINER_CREATING
    old = {s["name"]: s for s in previous if isinstance(s, dict) and "name" in s}
    statuses: dict[str, Obj] = {}
    for container in containers:
        name = container["name"]
        status: Obj = {
            "name": name,
            "state": {"waiting": {"reason": default_reason}},
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "image": container.get("image", ""),
            "imageID": "",
        }
        mounts = _volume_mounts(container)
        if mounts:
            status["volumeMounts"] = mounts
        previous_status = old.get(name)
        if previous_status is not None:
            if _in(previous_status, "state", "terminated"):
                status = copy.deepcopy(previous_status)
            else:
                status["restartCount"] = previous_status.get("restartCount", 0)
                status["lastState"] = copy.deepcopy(previous_status.get("lastState") or {})
        statuses[name] = status

    # A container that used to run and that the runtime no longer knows: it ended somehow.
    for container in containers:
        name = container["name"]
        previous_status = old.get(name)
        if runtime.find(name) is not None or previous_status is None:
            continue
        if _in(previous_status, "state", "terminated") or not _in(
            previous_status, "state", "running"
        ):
            continue
        status = statuses[name]
        waiting = (status.get("state") or {}).get("waiting")
        if waiting is None or waiting.get("reason") != default_reason:
            continue
        if _in(status, "lastState", "terminated"):
            continue
        status["lastState"] = {
            "terminated": {
                "exitCode": 137,
                "reason": STATUS_UNKNOWN,
                "message": "The container could not be located when the pod was deleted.  "
                "The container used to be Running",
                "startedAt": None,
                "finishedAt": None,
            }
        }
        if not deleting:
            status["restartCount"] = int(status.get("restartCount") or 0) + 1

    seen: dict[str, int] = {}
    for runtime_status in runtime.containers:  # newest first
        name = runtime_status.name
        if name not in statuses or seen.get(name, 0) >= 2:
            continue
        converted = _convert_one(runtime_status, old.get(name), inputs)
        if "volumeMounts" in statuses[name] and "volumeMounts" not in converted:
            converted["volumeMounts"] = statuses[name]["volumeMounts"]
        if not seen.get(name):
            statuses[name] = converted
        else:
            statuses[name]["lastState"] = converted["state"]
        seen[name] = seen.get(name, 0) + 1

    for container in containers:
        name = container["name"]
        if is_init:
            latest = runtime.find(name)
            if latest and latest.state is ContainerState.EXITED and latest.exit_code == 0:
                continue
            if (
                latest is None
                and _has_any_regular_container_created(pod, runtime)
                and not is_restartable_init_container(container)
                and "waiting" in statuses[name]["state"]
            ):
                statuses[name]["state"] = {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "message": "Unable to get init container status from container "
                        "runtime and pod has been initialized, treat it as exited normally",
                        "startedAt": None,
                        "finishedAt": None,
                    }
                }
                continue
        if not should_container_be_restarted(container, pod, runtime):
            continue
        reason = inputs.reasons.get(name)
        if reason is None:
            continue
        status = statuses[name]
        if _in(status, "state", "terminated"):
            status["lastState"] = status["state"]
        waiting_state: Obj = {"reason": reason[0]}
        if reason[1]:
            waiting_state["message"] = reason[1]
        status["state"] = {"waiting": waiting_state}

    if is_init:
        return [statuses[c["name"]] for c in containers]
    return [statuses[name] for name in sorted(statuses)]


def _apply_probes(
    pod: Mapping[str, Any],
    statuses: list[Obj],
    init_statuses: list[Obj],
    probes: ProbeResults,
) -> None:
    """``started`` and ``ready`` (the probe manager's ``UpdatePodStatus``)."""

    def started(status: Obj) -> bool:
        if not _in(status, "state", "running"):
            return False
        return probes.started(pod, status["name"], status.get("containerID", ""))

    def ready(status: Obj) -> bool:
        if not _in(status, "state", "running"):
            return False
        return probes.ready(pod, status["name"], status.get("containerID", ""))

    for status in statuses:
        status["started"] = started(status)
        if status["started"]:
            status["ready"] = ready(status)
    sidecars = {
        c["name"]
        for c in spec_of(pod).get("initContainers") or []
        if is_restartable_init_container(c)
    }
    for status in init_statuses:
        status["started"] = started(status)
        if status["name"] not in sidecars:
            terminated = (status.get("state") or {}).get("terminated")
            status["ready"] = bool(terminated and terminated.get("exitCode") == 0)
            continue
        if status["started"]:
            status["ready"] = ready(status)


def _status_named(statuses: Iterable[Obj], name: str) -> Obj | None:
    return next((s for s in statuses if s.get("name") == name), None)


def get_phase(
    pod: Mapping[str, Any],
    statuses: Sequence[Obj],
    *,
    pod_is_terminal: bool,
    pod_has_initialized: bool,
) -> str:
    """The pod's phase from its container statuses (Kubernetes 1.32's ``getPhase``)."""
    spec = spec_of(pod)
    policy = spec.get("restartPolicy") or "Always"
    pending_regular_init = pending_sidecars = failed_init = 0
    init_containers = spec.get("initContainers") or []
    for container in init_containers:
        if is_restartable_init_container(container):
            continue
        status = _status_named(statuses, container["name"])
        if status is None:
            pending_regular_init += 1
            continue
        state, last = status.get("state") or {}, status.get("lastState") or {}
        if "running" in state:
            pending_regular_init += 1
        elif "terminated" in state:
            if state["terminated"].get("exitCode") != 0:
                failed_init += 1
        elif "waiting" in state:
            if "terminated" in last:
                if last["terminated"].get("exitCode") != 0:
                    failed_init += 1
            else:
                pending_regular_init += 1
        else:
            pending_regular_init += 1

    unknown = running = waiting = stopped = succeeded = 0
    for container in init_containers:
        if not is_restartable_init_container(container):
            continue
        status = _status_named(statuses, container["name"])
        if status is None:
            unknown += 1
            continue
        state, last = status.get("state") or {}, status.get("lastState") or {}
        if "running" in state:
            if not status.get("started"):
                pending_sidecars += 1
            running += 1
        elif "terminated" in state:
            pass  # an ended sidecar does not count for the phase
        elif "waiting" in state:
            if "terminated" not in last:
                pending_sidecars += 1
                waiting += 1
        else:
            pending_sidecars += 1
            unknown += 1

    for container in spec.get("containers") or []:
        status = _status_named(statuses, container["name"])
        if status is None:
            unknown += 1
            continue
        state, last = status.get("state") or {}, status.get("lastState") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif "waiting" in state:
            if "terminated" in last:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1

    if failed_init and policy == "Never":
        return "Failed"
    if pending_regular_init or (pending_sidecars and not pod_has_initialized) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(kind: str, status: bool, reason: str = "", message: str = "") -> Obj:
    condition: Obj = {"type": kind, "status": "True" if status else "False"}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _names(names: list[str]) -> str:
    """A Go ``%s`` of a string slice: ``[a b]``."""
    return "[" + " ".join(names) + "]"


def _containers_ready(pod: Mapping[str, Any], statuses: Sequence[Obj], phase: str) -> Obj:
    spec = spec_of(pod)
    unknown: list[str] = []
    unready: list[str] = []
    watched = [c for c in spec.get("initContainers") or [] if is_restartable_init_container(c)]
    for container in [*watched, *(spec.get("containers") or [])]:
        status = _status_named(statuses, container["name"])
        if status is None:
            unknown.append(container["name"])
        elif not status.get("ready"):
            unready.append(container["name"])
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        return _condition("ContainersReady", False, reason)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_names(unready)}")
    if messages:
        return _condition("ContainersReady", False, "ContainersNotReady", ", ".join(messages))
    return _condition("ContainersReady", True)


def _pod_ready(
    pod: Mapping[str, Any], conditions: Sequence[Obj], statuses: Sequence[Obj], phase: str
) -> Obj:
    containers_ready = _containers_ready(pod, statuses, phase)
    if containers_ready["status"] != "True":
        return {**containers_ready, "type": "Ready"}
    messages = []
    for gate in spec_of(pod).get("readinessGates") or []:
        kind = gate.get("conditionType", "")
        condition = next((c for c in conditions if c.get("type") == kind), None)
        if condition is None:
            messages.append(
                f'corresponding condition of pod readiness gate "{kind}" does not exist.'
            )
        elif condition.get("status") != "True":
            messages.append(
                f'the status of pod readiness gate "{kind}" is not "True", '
                f"but {condition.get('status')}"
            )
    if messages:
        return _condition("Ready", False, "ReadinessGatesNotReady", ", ".join(messages))
    return _condition("Ready", True)


def _has_any_regular_container_started(pod: Mapping[str, Any], statuses: Sequence[Obj]) -> bool:
    names = {c["name"] for c in spec_of(pod).get("containers") or []}
    return any(
        s.get("name") in names and (_in(s, "state", "running") or _in(s, "state", "terminated"))
        for s in statuses
    )


def _initialized(pod: Mapping[str, Any], statuses: Sequence[Obj], phase: str) -> Obj:
    unknown: list[str] = []
    incomplete: list[str] = []
    for container in spec_of(pod).get("initContainers") or []:
        status = _status_named(statuses, container["name"])
        if status is None:
            unknown.append(container["name"])
            continue
        done = (
            bool(status.get("started"))
            if is_restartable_init_container(container)
            else bool(status.get("ready"))
        )
        if not done:
            incomplete.append(container["name"])
    if phase == "Succeeded" and not unknown:
        return _condition("Initialized", True, "PodCompleted")
    if _has_any_regular_container_started(pod, statuses):
        return _condition("Initialized", True)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_names(incomplete)}")
    if messages:
        return _condition("Initialized", False, "ContainersNotInitialized", ", ".join(messages))
    return _condition("Initialized", True)


def _with_transition_times(conditions: list[Obj], previous: Sequence[Obj], now: str) -> None:
    """``lastTransitionTime`` moves only when a condition's status changes."""
    old = {c.get("type"): c for c in previous if isinstance(c, dict)}
    for condition in conditions:
        if condition["type"] not in KUBELET_CONDITIONS:
            continue
        before = old.get(condition["type"])
        same = before is not None and before.get("status") == condition["status"]
        condition["lastProbeTime"] = None
        condition["lastTransitionTime"] = (
            before.get("lastTransitionTime") if same and before else None
        ) or now


def generate_pod_status(
    pod: Mapping[str, Any], runtime: PodRuntimeStatus, inputs: StatusInputs
) -> Obj:
    """The pod's status as the kubelet writes it (see the module docstring)."""
    spec = spec_of(pod)
    api_status: Obj = pod.get("status") or {}
    previous = inputs.previous or api_status
    status: Obj = {}
    pod_ips = list(runtime.ips)
    containers = _convert_container_statuses(
        pod,
        runtime,
        previous.get("containerStatuses") or [],
        spec.get("containers") or [],
        inputs,
        is_init=False,
    )
    init_statuses = _convert_container_statuses(
        pod,
        runtime,
        previous.get("initContainerStatuses") or [],
        spec.get("initContainers") or [],
        inputs,
        is_init=True,
    )
    _apply_probes(pod, containers, init_statuses, inputs.probes)
    all_statuses = [*containers, *init_statuses]
    regular_names = {c["name"] for c in spec.get("containers") or []}
    phase = get_phase(
        pod,
        all_statuses,
        pod_is_terminal=inputs.pod_is_terminal,
        pod_has_initialized=any(c.name in regular_names for c in runtime.containers),
    )
    terminal = ("Succeeded", "Failed")
    if phase not in terminal:
        if previous.get("phase") in terminal:
            phase = previous["phase"]
        elif api_status.get("phase") in terminal:
            phase = api_status["phase"]
    if api_status.get("phase") in terminal:
        phase = api_status["phase"]  # pods never leave a terminal phase
    status["phase"] = phase
    if phase == previous.get("phase"):
        for key in ("reason", "message"):
            value = previous.get(key) or api_status.get(key)
            if value:
                status[key] = value

    conditions = [
        copy.deepcopy(c)
        for c in api_status.get("conditions") or []
        if isinstance(c, dict) and c.get("type") not in KUBELET_CONDITIONS
    ]
    conditions.append(_condition("PodReadyToStartContainers", runtime.ready_sandbox is not None))
    conditions.append(_initialized(pod, all_statuses, phase))
    conditions.append(_pod_ready(pod, conditions, all_statuses, phase))
    conditions.append(_containers_ready(pod, all_statuses, phase))
    conditions.append(_condition("PodScheduled", True))
    _with_transition_times(conditions, previous.get("conditions") or [], inputs.now)
    status["conditions"] = conditions

    host_ips = list(inputs.host_ips)
    if host_ips:
        status["hostIP"] = host_ips[0]
        status["hostIPs"] = [{"ip": ip} for ip in host_ips]
    if pod_ips:
        status["podIP"] = pod_ips[0]
        status["podIPs"] = [{"ip": ip} for ip in pod_ips]
    elif previous.get("podIP"):
        status["podIP"] = previous["podIP"]
        status["podIPs"] = copy.deepcopy(previous.get("podIPs") or [{"ip": previous["podIP"]}])
    status["startTime"] = previous.get("startTime") or api_status.get("startTime") or inputs.now
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = containers
    if api_status.get("qosClass"):
        status["qosClass"] = api_status["qosClass"]
    for key, value in api_status.items():
        if key not in KUBELET_STATUS_FIELDS:
            status[key] = copy.deepcopy(value)
    return status


def terminate_pod_status(pod: Mapping[str, Any], status: Obj) -> Obj:
    """The status of a pod the kubelet is done with (the status manager's ``TerminatePod``):
    a terminal phase, and every container that has not ended reported as ended."""
    result = copy.deepcopy(status)
    if result.get("phase") not in ("Succeeded", "Failed"):
        result["phase"] = "Failed"
    unknown = {
        "terminated": {
            "exitCode": 137,
            "reason": STATUS_UNKNOWN,
            "message": "The container could not be located when the pod was terminated",
            "startedAt": None,
            "finishedAt": None,
        }
    }
    initialized = _has_any_regular_container_started(
        pod, result.get("containerStatuses") or []
    ) or not (spec_of(pod).get("initContainers"))
    if initialized:
        for container in result.get("containerStatuses") or []:
            if not _in(container, "state", "terminated"):
                container["state"] = copy.deepcopy(unknown)
    # Init containers: all but the trailing ones that never started are marked ended.
    inits = result.get("initContainerStatuses") or []
    last_started = max(
        (
            i
            for i, s in enumerate(inits)
            if _in(s, "state", "running")
            or _in(s, "state", "terminated")
            or _in(s, "lastState", "terminated")
        ),
        default=-1,
    )
    for container in inits[: last_started + 1]:
        if not _in(container, "state", "terminated"):
            container["state"] = copy.deepcopy(unknown)
    return result
