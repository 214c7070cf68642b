"""What a pod needs done next: the kubelet's ``computePodActions``, as a pure function.

Given the pod and what the runtime has of it, decide (Kubernetes 1.32,
``kuberuntime_manager.go`` with sidecar containers on):

- whether a (new) sandbox is needed: none yet, or the newest is not the one ready sandbox; then
  everything is killed and started again from the first init container, unless the pod's
  containers have all run and must not run again;
- the init containers to start: the first not yet started, in order, one at a time; a failed
  one again (with back-off) unless ``restartPolicy: Never`` (then the pod is killed: Failed);
  sidecars (init containers with ``restartPolicy: Always``) are kept running once started and
  the next init container starts when the sidecar has started;
- once initialized, the regular containers to (re)start, per the restart policy, and the
  running ones to kill: a changed spec (restart whatever the policy), a failed liveness or
  startup probe (restart per policy);
- when no regular container runs or will start again, kill the pod (sidecars included).

Back-off is not decided here: a container "to start" may still be held back by
:mod:`~kubeling.kubelet.backoff` when the kubelet tries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeling.kubelet.podutil import (
    container_hash,
    is_restartable_init_container,
    should_restart_on_failure,
    spec_of,
)
from kubeling.kubelet.probes import ProbeResults
from kubeling.kubelet.runtime.interface import ContainerState, ContainerStatus
from kubeling.kubelet.runtimestatus import HASH_ANNOTATION, PodRuntimeStatus
from kubeling.kubelet.status import should_container_be_restarted

__all__ = ["ContainerToKill", "PodActions", "compute_pod_actions", "init_container_failed"]


@dataclass(frozen=True, slots=True)
class ContainerToKill:
    container_id: str
    name: str
    #: The Killing event's message ("Container web failed liveness probe, will be restarted").
    message: str
    #: Why, for the status: "" or the probe that failed.
    reason: str = ""


@dataclass(slots=True)
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    #: The newest sandbox ("" if none): the one to use, or the one to replace.
    sandbox_id: str = ""
    #: The attempt number of the sandbox to create.
    attempt: int = 0
    init_containers_to_start: list[int] = field(default_factory=list)
    containers_to_start: list[int] = field(default_factory=list)
    containers_to_kill: dict[str, ContainerToKill] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.kill_pod
            or self.create_sandbox
            or self.init_containers_to_start
            or self.containers_to_start
            or self.containers_to_kill
        )


def init_container_failed(status: ContainerStatus) -> bool:
    """An init container that must run again (``isInitContainerFailed``)."""
    if status.reason == "OOMKilled":
        return True
    if status.state is ContainerState.EXITED and status.exit_code != 0:
        return True
    return status.state is ContainerState.UNKNOWN


def _state_name(status: ContainerStatus) -> str:
    """The kubelet's name of a container state (``unknown``), as its messages print it."""
    return status.state.value.removeprefix("CONTAINER_").lower()


def _changed(container: Mapping[str, Any], status: ContainerStatus) -> bool:
    recorded = status.annotations.get(HASH_ANNOTATION)
    return bool(recorded) and recorded != container_hash(container)


def _init_done(pod: Mapping[str, Any], runtime: PodRuntimeStatus) -> bool:
    """Whether initialization is complete (``findNextInitContainerToRun``'s ``done``)."""
    spec = spec_of(pod)
    inits = spec.get("initContainers") or []
    if not inits:
        return True
    for container in spec.get("containers") or []:
        status = runtime.find(container["name"])
        if status is not None and status.state is ContainerState.RUNNING:
            return True
    if any((s := runtime.find(c["name"])) is not None and init_container_failed(s) for c in inits):
        return False
    for i in range(len(inits) - 1, -1, -1):
        status = runtime.find(inits[i]["name"])
        if status is None:
            continue
        if status.state is ContainerState.RUNNING:
            return False
        if status.state is ContainerState.EXITED:
            return i == len(inits) - 1
    return False


def _succeeded(container: Mapping[str, Any], runtime: PodRuntimeStatus) -> bool:
    status = runtime.find(container["name"])
    return status is not None and status.state is ContainerState.EXITED and status.exit_code == 0


def _probe_id(runtime_name: str, status: ContainerStatus) -> str:
    return f"{runtime_name}://{status.id}"


def _compute_init_actions(
    pod: Mapping[str, Any],
    runtime: PodRuntimeStatus,
    actions: PodActions,
    probes: ProbeResults,
    runtime_name: str,
) -> bool:
    """Fill in the init container actions; whether the pod has been initialized."""
    spec = spec_of(pod)
    inits = spec.get("initContainers") or []
    if not inits:
        return True
    initialized = any(
        (s := runtime.find(c["name"])) is not None
        and s.state in (ContainerState.CREATED, ContainerState.RUNNING)
        for c in spec.get("containers") or []
    )
    previously_initialized = initialized
    restart_on_failure = should_restart_on_failure(pod)
    to_start: list[int] = []
    for i in range(len(inits) - 1, -1, -1):
        container = inits[i]
        sidecar = is_restartable_init_container(container)
        status = runtime.find(container["name"])
        if status is None:
            if previously_initialized and sidecar:
                to_start.append(i)
            continue
        if previously_initialized and not sidecar:
            continue  # after initialization only sidecars are kept running
        if status.state is ContainerState.CREATED:
            to_start.append(i)
        elif status.state is ContainerState.RUNNING:
            if sidecar:
                probe_id = _probe_id(runtime_name, status)
                failure = probes.failed(pod, container["name"], probe_id)
                if failure == "startup":
                    actions.containers_to_kill[status.id] = ContainerToKill(
                        status.id,
                        container["name"],
                        f"Init container {container['name']} failed startup probe",
                        "startup",
                    )
                    to_start.append(i)
                elif not probes.started(pod, container["name"], probe_id):
                    pass  # wait for its startup probe
                else:
                    if i == len(inits) - 1:
                        initialized = True
                    elif not previously_initialized:
                        to_start.append(i + 1)
                    if _changed(container, status):
                        actions.containers_to_kill[status.id] = ContainerToKill(
                            status.id,
                            container["name"],
                            f"Init container {container['name']} definition changed",
                        )
                        to_start.append(i)
                    elif failure == "liveness":
                        actions.containers_to_kill[status.id] = ContainerToKill(
                            status.id,
                            container["name"],
                            f"Init container {container['name']} failed liveness probe",
                            "liveness",
                        )
                        to_start.append(i)
        elif status.state is ContainerState.EXITED:
            if sidecar:
                to_start.append(i)
            elif init_container_failed(status):
                if not restart_on_failure:
                    actions.kill_pod = True
                    actions.init_containers_to_start = []
                    return False
                to_start.append(i)
            elif i == len(inits) - 1:
                initialized = True
            else:
                to_start.append(i + 1)
        else:  # unknown: kill it, then start it again
            if not sidecar and not restart_on_failure:
                actions.kill_pod = True
                actions.init_containers_to_start = []
                return False
            actions.containers_to_kill[status.id] = ContainerToKill(
                status.id,
                container["name"],
                f'Init container is in "{_state_name(status)}" state, try killing it '
                "before restart",
            )
            to_start.append(i)
        previously_initialized = True
    if not previously_initialized:
        to_start.append(0)
    actions.init_containers_to_start = list(reversed(to_start))
    return initialized


def compute_pod_actions(
    pod: Mapping[str, Any],
    runtime: PodRuntimeStatus,
    probes: ProbeResults,
    *,
    runtime_name: str = "process",
) -> PodActions:
    """What to do next for ``pod`` (see the module docstring)."""
    spec = spec_of(pod)
    containers = spec.get("containers") or []
    newest = runtime.sandboxes[0] if runtime.sandboxes else None
    create = runtime.ready_sandbox is None
    attempt = 0
    if newest is not None:
        attempt = newest.metadata.attempt + 1 if create else newest.metadata.attempt
    actions = PodActions(
        kill_pod=create,
        create_sandbox=create,
        sandbox_id=newest.id if newest else "",
        attempt=attempt,
    )
    if create:
        if not should_restart_on_failure(pod) and attempt != 0 and runtime.containers:
            actions.create_sandbox = False  # it ran and must not run again
            return actions
        to_start = [
            i
            for i, c in enumerate(containers)
            if not (spec.get("restartPolicy") == "OnFailure" and _succeeded(c, runtime))
        ]
        if not to_start and _init_done(pod, runtime):
            actions.create_sandbox = False
            return actions
        if spec.get("initContainers"):
            actions.init_containers_to_start = [0]
            return actions
        actions.containers_to_start = to_start
        return actions

    initialized = _compute_init_actions(pod, runtime, actions, probes, runtime_name)
    if actions.kill_pod or not initialized:
        return actions

    keep = 0
    for index, container in enumerate(containers):
        name = container["name"]
        status = runtime.find(name)
        if status is None or status.state is not ContainerState.RUNNING:
            if should_container_be_restarted(container, pod, runtime):
                actions.containers_to_start.append(index)
                if status is not None and status.state is ContainerState.UNKNOWN:
                    actions.containers_to_kill[status.id] = ContainerToKill(
                        status.id,
                        name,
                        f'Container is in "{_state_name(status)}" state, try killing it '
                        "before restart",
                    )
            continue
        restart = should_restart_on_failure(pod)
        failure = probes.failed(pod, name, _probe_id(runtime_name, status))
        if _changed(container, status):
            message, reason, restart = f"Container {name} definition changed", "", True
        elif failure == "liveness":
            message, reason = f"Container {name} failed liveness probe", "liveness"
        elif failure == "startup":
            message, reason = f"Container {name} failed startup probe", "startup"
        else:
            keep += 1
            continue
        if restart:
            message += ", will be restarted"
            actions.containers_to_start.append(index)
        actions.containers_to_kill[status.id] = ContainerToKill(status.id, name, message, reason)

    if keep == 0 and not actions.containers_to_start:
        actions.kill_pod = True
        actions.init_containers_to_start = []
    return actions
