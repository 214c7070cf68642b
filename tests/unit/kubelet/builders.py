"""Pods, runtime containers and sandboxes for the kubelet's unit tests."""

from __future__ import annotations

from typing import Any

from kubeling.kubelet.podutil import container_hash
from kubeling.kubelet.runtime.interface import (
    ContainerState,
    ContainerStatus,
    PodSandboxMetadata,
    PodSandboxStatus,
    SandboxState,
)
from kubeling.kubelet.runtimestatus import HASH_ANNOTATION, PodRuntimeStatus

Obj = dict[str, Any]

RUNNING = ContainerState.RUNNING
EXITED = ContainerState.EXITED
CREATED = ContainerState.CREATED
UNKNOWN = ContainerState.UNKNOWN


def spec_container(name: str, **extra: Any) -> Obj:
    return {"name": name, "image": "img", "command": ["run", name], **extra}


def pod(
    *names: str,
    init: tuple[str, ...] = (),
    sidecars: tuple[str, ...] = (),
    restart: str = "Always",
    deleting: bool = False,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A pod with regular containers ``names``, init containers ``init`` and the sidecars
    (restartable init containers) ``sidecars``, in that order after ``init``."""
    inits = [spec_container(n) for n in init]
    inits += [spec_container(n, restartPolicy="Always") for n in sidecars]
    meta: Obj = {"name": "p", "namespace": "ns", "uid": "uid-1"}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    body: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "restartPolicy": restart,
            "containers": [spec_container(n) for n in names],
            **spec,
        },
        "status": status or {"phase": "Pending", "qosClass": "BestEffort"},
    }
    if inits:
        body["spec"]["initContainers"] = inits
    return body


def find_spec(body: Obj, name: str) -> Obj:
    spec = body["spec"]
    for c in [*(spec.get("initContainers") or []), *spec["containers"]]:
        if c["name"] == name:
            result: Obj = c
            return result
    raise KeyError(name)


def container(
    name: str,
    state: ContainerState,
    *,
    attempt: int = 0,
    exit_code: int = 0,
    reason: str = "",
    created: float = 0.0,
    of: Obj | None = None,
) -> ContainerStatus:
    """A runtime container; newer attempts are created later unless ``created`` says."""
    created = created or 1000.0 + attempt * 10
    annotations = {HASH_ANNOTATION: container_hash(find_spec(of, name))} if of else {}
    exited = state is ContainerState.EXITED
    return ContainerStatus(
        id=f"{name}-{attempt}",
        sandbox_id="sb-0",
        name=name,
        attempt=attempt,
        state=state,
        created_at=created,
        started_at=created + 1 if state is not ContainerState.CREATED else 0.0,
        finished_at=created + 5 if exited else 0.0,
        exit_code=exit_code,
        reason=reason or (("Completed" if exit_code == 0 else "Error") if exited else ""),
        image="img",
        annotations=annotations,
    )


def sandbox(state: SandboxState = SandboxState.READY, *, attempt: int = 0) -> PodSandboxStatus:
    return PodSandboxStatus(
        id=f"sb-{attempt}",
        metadata=PodSandboxMetadata("p", "ns", "uid-1", attempt),
        state=state,
        created_at=500.0 + attempt,
        ips=("10.0.0.5",),
    )


def runtime(
    *containers: ContainerStatus, sandboxes: tuple[PodSandboxStatus, ...] | None = None
) -> PodRuntimeStatus:
    return PodRuntimeStatus.of(
        "uid-1", list((sandbox(),) if sandboxes is None else sandboxes), list(containers)
    )
