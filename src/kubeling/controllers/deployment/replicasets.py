"""A Deployment's ReplicaSets: which is new, which are old, and how they are ordered.

The new ReplicaSet is the one whose pod template equals the Deployment's
(the hash label aside); if several do (possible after upgrades), the oldest
wins. Every other ReplicaSet the Deployment controls is old. The orders are
Kubernetes' (``controller_utils.go``): by creation time with the name as
tie-break; by size, larger first, ties going to the newer (scaling up) or the
older (scaling down) one; by revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubeling.controllers.deployment.objects import (
    creation_key,
    spec,
    spec_replicas,
    status_count,
    uid,
)
from kubeling.controllers.deployment.revisions import revision
from kubeling.controllers.deployment.templates import equal_ignore_hash

__all__ = [
    "RS",
    "actual_replica_count",
    "available_replica_count",
    "by_creation",
    "by_revision",
    "by_size_newer",
    "by_size_older",
    "filter_active",
    "find_active_or_latest",
    "find_new_replica_set",
    "find_old_replica_sets",
    "ready_replica_count",
    "replica_count",
]

RS = Mapping[str, Any]


def by_creation(replica_sets: Iterable[RS]) -> list[RS]:
    """Oldest first (``ReplicaSetsByCreationTimestamp``)."""
    return sorted(replica_sets, key=creation_key)


def by_size_newer(replica_sets: Iterable[RS]) -> list[RS]:
    """Largest first; among equals the newest first (``ReplicaSetsBySizeNewer``)."""
    newest_first = sorted(replica_sets, key=creation_key, reverse=True)
    return sorted(newest_first, key=spec_replicas, reverse=True)


def by_size_older(replica_sets: Iterable[RS]) -> list[RS]:
    """Largest first; among equals the oldest first (``ReplicaSetsBySizeOlder``)."""
    return sorted(by_creation(replica_sets), key=spec_replicas, reverse=True)


def by_revision(replica_sets: Iterable[RS]) -> list[RS]:
    """Lowest revision first; unparsable or equal revisions by creation
    (``ReplicaSetsByRevision``)."""

    def key(rs: RS) -> tuple[int, tuple[str, str]]:
        try:
            number = revision(rs)
        except ValueError:
            number = 0
        return (number, creation_key(rs))

    return sorted(replica_sets, key=key)


def filter_active(replica_sets: Iterable[RS | None]) -> list[RS]:
    """The ReplicaSets asked to run pods (``spec.replicas > 0``)."""
    return [rs for rs in replica_sets if rs is not None and spec_replicas(rs) > 0]


def find_new_replica_set(deployment: RS, replica_sets: Iterable[RS]) -> RS | None:
    """The oldest ReplicaSet whose template is the Deployment's, if any."""
    template = spec(deployment).get("template") or {}
    for rs in by_creation(replica_sets):
        if equal_ignore_hash(spec(rs).get("template") or {}, template):
            return rs
    return None


def find_old_replica_sets(deployment: RS, replica_sets: Sequence[RS]) -> list[RS]:
    """Every ReplicaSet but the new one, oldest first (``FindOldReplicaSets``' second
    result: Go's finding of the new one sorts the list in place)."""
    new = find_new_replica_set(deployment, replica_sets)
    return [rs for rs in by_creation(replica_sets) if new is None or uid(rs) != uid(new)]


def find_active_or_latest(new: RS | None, old: Sequence[RS]) -> RS | None:
    """The only ReplicaSet with replicas, or the newest when none has any; None when
    several have (they are then scaled proportionally)."""
    if new is None and not old:
        return None
    old_newest_first = sorted(old, key=creation_key, reverse=True)
    active = filter_active([*old_newest_first, new])
    if not active:
        return new if new is not None else old_newest_first[0]
    return active[0] if len(active) == 1 else None


def replica_count(replica_sets: Iterable[RS | None]) -> int:
    """Sum of ``spec.replicas``: what the ReplicaSets are asked to run."""
    return sum(spec_replicas(rs) for rs in replica_sets if rs is not None)


def _status_sum(replica_sets: Iterable[RS | None], field: str) -> int:
    return sum(status_count(rs, field) for rs in replica_sets if rs is not None)


def actual_replica_count(replica_sets: Iterable[RS | None]) -> int:
    """Sum of ``status.replicas``: the pods they have."""
    return _status_sum(replica_sets, "replicas")


def ready_replica_count(replica_sets: Iterable[RS | None]) -> int:
    return _status_sum(replica_sets, "readyReplicas")


def available_replica_count(replica_sets: Iterable[RS | None]) -> int:
    return _status_sum(replica_sets, "availableReplicas")
