"""A StatefulSet's status: counting its pods, and when a rolling update is complete.

Pure, after ``stateful_set_control.go``: ``replicas`` counts created pods,
``readyReplicas`` the running and ready ones, ``availableReplicas`` those
ready for ``minReadySeconds``, ``currentReplicas``/``updatedReplicas`` the
live ones labelled with the current/update revision. A rolling update is
complete when every wanted pod is updated and ready: the update revision
then becomes the current one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.controllers.statefulset.identity import (
    is_created,
    is_running_and_available,
    is_running_and_ready,
    is_terminating,
    pod_revision,
    replicas_of,
)

__all__ = ["SetStatus", "complete_rolling_update", "count_pods", "inconsistent"]

Obj = dict[str, Any]


@dataclass(slots=True)
class SetStatus:
    """``StatefulSetStatus`` (conditions are not set by the controller)."""

    observed_generation: int = 0
    replicas: int = 0
    ready_replicas: int = 0
    current_replicas: int = 0
    updated_replicas: int = 0
    available_replicas: int = 0
    current_revision: str = ""
    update_revision: str = ""
    collision_count: int | None = None

    @classmethod
    def of(cls, sts: Mapping[str, Any]) -> SetStatus:
        """The status the set has now."""
        status = sts.get("status") or {}
        collisions = status.get("collisionCount")
        return cls(
            observed_generation=int(status.get("observedGeneration") or 0),
            replicas=int(status.get("replicas") or 0),
            ready_replicas=int(status.get("readyReplicas") or 0),
            current_replicas=int(status.get("currentReplicas") or 0),
            updated_replicas=int(status.get("updatedReplicas") or 0),
            available_replicas=int(status.get("availableReplicas") or 0),
            current_revision=str(status.get("currentRevision") or ""),
            update_revision=str(status.get("updateRevision") or ""),
            collision_count=None if collisions is None else int(collisions),
        )

    def to_json(self) -> Obj:
        """As Go serializes it: zero ``omitempty`` fields left out."""
        out: Obj = {}
        if self.observed_generation:
            out["observedGeneration"] = self.observed_generation
        out["replicas"] = self.replicas
        for key, value in (
            ("readyReplicas", self.ready_replicas),
            ("currentReplicas", self.current_replicas),
            ("updatedReplicas", self.updated_replicas),
            ("currentRevision", self.current_revision),
            ("updateRevision", self.update_revision),
        ):
            if value:
                out[key] = value
        if self.collision_count is not None:
            out["collisionCount"] = self.collision_count
        out["availableReplicas"] = self.available_replicas
        return out


def count_pods(
    status: SetStatus,
    pods: Iterable[Mapping[str, Any]],
    *,
    min_ready_seconds: int,
    current_revision: str,
    update_revision: str,
    now: datetime.datetime,
) -> None:
    """``updateStatus``: recount the pod fields of ``status`` from ``pods``."""
    status.replicas = status.ready_replicas = status.available_replicas = 0
    status.current_replicas = status.updated_replicas = 0
    for pod in pods:
        created = is_created(pod)
        if created:
            status.replicas += 1
        if is_running_and_ready(pod):
            status.ready_replicas += 1
            if is_running_and_available(pod, min_ready_seconds, now):
                status.available_replicas += 1
        if created and not is_terminating(pod):
            revision = pod_revision(pod)
            if revision == current_revision:
                status.current_replicas += 1
            if revision == update_revision:
                status.updated_replicas += 1


def complete_rolling_update(sts: Mapping[str, Any], status: SetStatus) -> None:
    """Once every wanted pod is updated and ready, the update revision is current."""
    strategy = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("type")
    wanted = replicas_of(sts)
    if (
        strategy == "RollingUpdate"
        and status.updated_replicas == wanted
        and status.ready_replicas == wanted
        and status.replicas == wanted
    ):
        status.current_replicas = status.updated_replicas
        status.current_revision = status.update_revision


def inconsistent(sts: Mapping[str, Any], status: SetStatus) -> bool:
    """``inconsistentStatus``: whether ``status`` says something the set's does not
    (the collision count alone does not count, as upstream)."""
    have = SetStatus.of(sts)
    return (
        status.observed_generation > have.observed_generation
        or status.replicas != have.replicas
        or status.current_replicas != have.current_replicas
        or status.ready_replicas != have.ready_replicas
        or status.updated_replicas != have.updated_replicas
        or status.current_revision != have.current_revision
        or status.available_replicas != have.available_replicas
        or status.update_revision != have.update_revision
    )
