"""A Deployment's status: counts from its ReplicaSets, and whether the rollout moves.

``calculate_status`` sums the ReplicaSets' status (``updatedReplicas`` are the
new ReplicaSet's) and sets ``Available``: True with MinimumReplicasAvailable
when at least ``replicas - maxUnavailable`` pods are available.

``rollout_status`` adds ``Progressing`` when the Deployment has a
``progressDeadlineSeconds``, as ``syncRolloutStatus`` does:

- the rollout is complete (all replicas updated and available, no old pods,
  generation observed): True, NewReplicaSetAvailable;
- something moved since the last status (more updated, ready or available
  pods, fewer old ones): True, ReplicaSetUpdated, with a fresh
  ``lastUpdateTime``;
- nothing moved for ``progressDeadlineSeconds`` since that time: False,
  ProgressDeadlineExceeded (for good, until the next rollout).

A stuck rollout is checked again when its deadline comes
(:func:`requeue_after`). Counts are written as Go writes them: zero values
are left out (``omitempty``).
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.timestamps import format_time
from kubeling.controllers.deployment import conditions as cond
from kubeling.controllers.deployment.fenceposts import max_unavailable
from kubeling.controllers.deployment.objects import (
    Obj,
    metadata,
    name,
    spec,
    spec_replicas,
    status,
)
from kubeling.controllers.deployment.replicasets import (
    RS,
    actual_replica_count,
    available_replica_count,
    ready_replica_count,
    replica_count,
)

__all__ = [
    "NO_DEADLINE",
    "calculate_status",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "has_progress_deadline",
    "has_revision_history_limit",
    "requeue_after",
    "rollout_status",
]

#: ``math.MaxInt32``: a deadline or history limit that means "none".
NO_DEADLINE: Final = 2**31 - 1


def has_progress_deadline(deployment: Mapping[str, Any]) -> bool:
    value = spec(deployment).get("progressDeadlineSeconds")
    return isinstance(value, int) and value != NO_DEADLINE


def has_revision_history_limit(deployment: Mapping[str, Any]) -> bool:
    value = spec(deployment).get("revisionHistoryLimit")
    return isinstance(value, int) and value != NO_DEADLINE


def _generation(deployment: Mapping[str, Any]) -> int:
    value = metadata(deployment).get("generation")
    return int(value) if isinstance(value, int) else 0


def calculate_status(
    all_rss: Sequence[RS], new_rs: RS | None, deployment: Mapping[str, Any], now: str
) -> Obj:
    """The status the ReplicaSets make for the Deployment (conditions carried over,
    ``Available`` recomputed)."""
    available = available_replica_count(all_rss)
    unavailable = max(0, replica_count(all_rss) - available)
    counts = (
        ("observedGeneration", _generation(deployment)),
        ("replicas", actual_replica_count(all_rss)),
        ("updatedReplicas", actual_replica_count([new_rs])),
        ("readyReplicas", ready_replica_count(all_rss)),
        ("availableReplicas", available),
        ("unavailableReplicas", unavailable),
    )
    new: Obj = {key: value for key, value in counts if value}
    old = status(deployment)
    if old.get("conditions"):
        new["conditions"] = copy.deepcopy(list(old["conditions"]))
    if old.get("collisionCount") is not None:
        new["collisionCount"] = old["collisionCount"]
    minimum = spec_replicas(deployment) - max_unavailable(deployment)
    if available >= minimum:
        condition = cond.new_condition(
            cond.AVAILABLE,
            "True",
            cond.MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.",
            now,
        )
    else:
        condition = cond.new_condition(
            cond.AVAILABLE,
            "False",
            cond.MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    cond.set_condition(new, condition)
    return new


def _count(counts: Mapping[str, Any], field: str) -> int:
    value = counts.get(field)
    return int(value) if isinstance(value, int) else 0


def deployment_complete(deployment: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """All replicas updated and available, no others, and the spec observed."""
    replicas = spec_replicas(deployment)
    return (
        _count(new_status, "updatedReplicas") == replicas
        and _count(new_status, "replicas") == replicas
        and _count(new_status, "availableReplicas") == replicas
        and _count(new_status, "observedGeneration") >= _generation(deployment)
    )


def deployment_progressing(deployment: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """Whether ``new_status`` shows progress over the Deployment's current status."""
    old = status(deployment)
    old_old = _count(old, "replicas") - _count(old, "updatedReplicas")
    new_old = _count(new_status, "replicas") - _count(new_status, "updatedReplicas")
    return (
        _count(new_status, "updatedReplicas") > _count(old, "updatedReplicas")
        or new_old < old_old
        or _count(new_status, "readyReplicas") > _count(old, "readyReplicas")
        or _count(new_status, "availableReplicas") > _count(old, "availableReplicas")
    )


def _parse_time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _deadline(deployment: Mapping[str, Any], condition: Mapping[str, Any]) -> datetime.datetime:
    since = _parse_time(condition.get("lastUpdateTime")) or datetime.datetime.min.replace(
        tzinfo=datetime.UTC
    )
    seconds = int(spec(deployment).get("progressDeadlineSeconds") or 0)
    return since + datetime.timedelta(seconds=seconds)


def deployment_timed_out(
    deployment: Mapping[str, Any], new_status: Mapping[str, Any], now: datetime.datetime
) -> bool:
    """Whether the rollout made no progress for ``progressDeadlineSeconds``."""
    if not has_progress_deadline(deployment):
        return False
    condition = cond.get_condition(new_status, cond.PROGRESSING)
    if condition is None:
        return False
    # A completed rollout is not judged (the cache may lag the new one).
    if condition.get("reason") == cond.NEW_RS_AVAILABLE:
        return False
    if condition.get("reason") == cond.TIMED_OUT:
        return True
    return _deadline(deployment, condition) < now


def rollout_status(
    all_rss: Sequence[RS],
    new_rs: RS | None,
    deployment: Mapping[str, Any],
    now: datetime.datetime,
) -> Obj:
    """The status a rollout step leaves (``syncRolloutStatus`` without the write)."""
    stamp = format_time(now)
    new = calculate_status(all_rss, new_rs, deployment, stamp)
    if not has_progress_deadline(deployment):
        cond.remove_condition(new, cond.PROGRESSING)
    current = cond.get_condition(status(deployment), cond.PROGRESSING)
    complete = (
        _count(new, "replicas") == _count(new, "updatedReplicas")
        and current is not None
        and current.get("reason") == cond.NEW_RS_AVAILABLE
    )
    subject = (
        f'ReplicaSet "{name(new_rs)}"' if new_rs is not None else f'Deployment "{name(deployment)}"'
    )
    if has_progress_deadline(deployment) and not complete:
        if deployment_complete(deployment, new):
            cond.set_condition(
                new,
                cond.new_condition(
                    cond.PROGRESSING,
                    "True",
                    cond.NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.",
                    stamp,
                ),
            )
        elif deployment_progressing(deployment, new):
            # Progress refreshes lastUpdateTime even with the same reason, so the
            # condition is replaced rather than set (which would keep the old one).
            condition = cond.new_condition(
                cond.PROGRESSING, "True", cond.RS_UPDATED, f"{subject} is progressing.", stamp
            )
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                cond.remove_condition(new, cond.PROGRESSING)
            cond.set_condition(new, condition)
        elif deployment_timed_out(deployment, new, now):
            cond.set_condition(
                new,
                cond.new_condition(
                    cond.PROGRESSING,
                    "False",
                    cond.TIMED_OUT,
                    f"{subject} has timed out progressing.",
                    stamp,
                ),
            )
    failures = _replica_failures(all_rss, new_rs)
    if failures:
        cond.set_condition(new, failures[0])
    else:
        cond.remove_condition(new, cond.REPLICA_FAILURE)
    return new


def _replica_failures(all_rss: Sequence[RS], new_rs: RS | None) -> list[Obj]:
    """ReplicaFailure conditions of the new ReplicaSet, else of any, as Deployment conditions."""

    def of(rs: RS) -> list[Obj]:
        return [
            {
                "type": c.get("type"),
                "status": c.get("status"),
                "lastUpdateTime": c.get("lastTransitionTime"),
                "lastTransitionTime": c.get("lastTransitionTime"),
                "reason": c.get("reason"),
                "message": c.get("message"),
            }
            for c in status(rs).get("conditions") or ()
            if isinstance(c, Mapping) and c.get("type") == cond.REPLICA_FAILURE
        ]

    if new_rs is not None and (found := of(new_rs)):
        return found
    return [c for rs in all_rss for c in of(rs)]


def requeue_after(
    deployment: Mapping[str, Any], new_status: Mapping[str, Any], now: datetime.datetime
) -> float | None:
    """When to look at a rollout again for its deadline: None (no need), 0 (now,
    rate-limited) or seconds (the deadline, plus one for clock skew)."""
    current = cond.get_condition(status(deployment), cond.PROGRESSING)
    if not has_progress_deadline(deployment) or current is None:
        return None
    if deployment_complete(deployment, new_status) or current.get("reason") == cond.TIMED_OUT:
        return None
    after = (_deadline(deployment, current) - now).total_seconds()
    if after < 1:
        return 0.0
    return after + 1
