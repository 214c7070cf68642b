"""Small facts about pods that several parts of the kubelet need."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "Obj",
    "all_containers",
    "container_field_path",
    "container_hash",
    "find_container",
    "format_pod",
    "grace_period_seconds",
    "is_restartable_init_container",
    "should_restart_on_failure",
    "stable_key",
]

Obj = dict[str, Any]


def spec_of(pod: Mapping[str, Any]) -> Obj:
    spec: Obj = pod.get("spec") or {}
    return spec


def is_restartable_init_container(container: Mapping[str, Any]) -> bool:
    """A sidecar: an init container with ``restartPolicy: Always``."""
    return container.get("restartPolicy") == "Always"


def all_containers(pod: Mapping[str, Any]) -> Iterator[tuple[Obj, bool]]:
    """Every container of the pod with whether it is an init container, init ones first."""
    spec = spec_of(pod)
    for container in spec.get("initContainers") or []:
        yield container, True
    for container in spec.get("containers") or []:
        yield container, False


def find_container(pod: Mapping[str, Any], name: str) -> tuple[Obj, bool] | None:
    """The container called ``name`` and whether it is an init container."""
    for container, is_init in all_containers(pod):
        if container.get("name") == name:
            return container, is_init
    return None


def container_field_path(pod: Mapping[str, Any], name: str) -> str:
    """What an Event about a container names: ``spec.containers{web}``."""
    found = find_container(pod, name)
    kind = "initContainers" if found and found[1] else "containers"
    return f"spec.{kind}{{{name}}}"


def format_pod(pod: Mapping[str, Any]) -> str:
    """How the kubelet names a pod in messages: ``name_namespace(uid)``."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"


def container_hash(container: Mapping[str, Any]) -> str:
    """A digest of a container's spec: a running container whose spec changed (a new image)
    is restarted."""
    text = json.dumps(container, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stable_key(pod: Mapping[str, Any], container: Mapping[str, Any]) -> str:
    """The crash-loop back-off key of a container: pod and container identity and spec."""
    meta = pod.get("metadata") or {}
    return (
        f"{meta.get('name')}_{meta.get('namespace')}_{meta.get('uid')}_"
        f"{container.get('name')}_{container_hash(container)}"
    )


def should_restart_on_failure(pod: Mapping[str, Any]) -> bool:
    return spec_of(pod).get("restartPolicy") != "Never"


def grace_period_seconds(pod: Mapping[str, Any]) -> int:
    """How long the pod's containers get between SIGTERM and SIGKILL: the deletion's grace
    period if it is being deleted, else its ``terminationGracePeriodSeconds`` (default 30)."""
    meta = pod.get("metadata") or {}
    deletion = meta.get("deletionGracePeriodSeconds")
    if isinstance(deletion, int):
        return deletion
    configured = spec_of(pod).get("terminationGracePeriodSeconds")
    return configured if isinstance(configured, int) else 30
