"""Which pods a ReplicaSet deletes first when it has too many.

Kubernetes 1.32 sorts the active pods (``controller.ActivePodsWithRanks``, with
its default feature gates PodDeletionCost and LogarithmicScaleDown) so that the
ones cheapest to lose come first; for two pods, the first rule that tells them
apart decides:

1. not yet scheduled (no ``nodeName``) before scheduled;
2. phase Pending before Unknown before Running;
3. not ready before ready;
4. lower ``controller.kubernetes.io/pod-deletion-cost`` annotation first;
5. higher rank first: the rank is the number of active *related* pods on the
   pod's node, so doubled-up nodes are thinned first (related pods are those of
   every ReplicaSet with the same controller, e.g. a Deployment's old and new
   ReplicaSets; a ReplicaSet without a controller has none, so all ranks tie);
6. both ready: ready for less time first;
7. more container restarts first;
8. newer before older.

Times in 6 and 8 compare on a logarithmic scale (the whole part of log2 of the
age in nanoseconds): pods of about the same age tie, and ties are broken by
uid, a pseudo-random but stable order, so that a scale-down does not always
pick the very newest pods. An unset time counts as the newest.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.controllers.pods import (
    is_pod_active,
    is_pod_ready,
    max_restarts,
    parse_time,
    phase_ordinal,
    ready_since,
)

__all__ = [
    "POD_DELETION_COST",
    "colocation_ranks",
    "deletion_cost",
    "pods_to_delete",
]

Pod = Mapping[str, Any]

#: The annotation that orders a ReplicaSet's pods for deletion (lower: deleted first).
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"

_INT32 = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class _Ranked:
    pod: Pod
    rank: int


def deletion_cost(pod: Pod) -> int:
    """The pod's deletion cost: its annotation as an int32, 0 if absent or malformed."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    if not isinstance(value, str) or not _INT32.fullmatch(value):
        return 0
    cost = int(value)
    return cost if -(2**31) <= cost < 2**31 else 0


def colocation_ranks(pods: Sequence[Pod], related: Sequence[Pod]) -> list[int]:
    """Each pod's rank: how many active ``related`` pods share its node."""
    on_node: dict[str, int] = {}
    for pod in related:
        if is_pod_active(pod):
            node = _node(pod)
            on_node[node] = on_node.get(node, 0) + 1
    return [on_node.get(_node(pod), 0) for pod in pods]


def pods_to_delete(
    pods: Sequence[Pod], related: Sequence[Pod], count: int, now: datetime.datetime
) -> list[Pod]:
    """The ``count`` pods of ``pods`` to delete first (all of them if that is as many)."""
    if count >= len(pods):
        return list(pods)
    ranks = colocation_ranks(pods, related)
    ranked = [_Ranked(pod, rank) for pod, rank in zip(pods, ranks, strict=True)]
    ranked.sort(key=functools.cmp_to_key(functools.partial(_compare, now=now)))
    return [r.pod for r in ranked[:count]]


def _compare(a: _Ranked, b: _Ranked, *, now: datetime.datetime) -> int:
    if _first(a, b, now):
        return -1
    if _first(b, a, now):
        return 1
    return 0


def _first(a: _Ranked, b: _Ranked, now: datetime.datetime) -> bool:
    """Kubernetes' ``Less``: whether ``a`` should be deleted before ``b``."""
    pa, pb = a.pod, b.pod
    node_a, node_b = _node(pa), _node(pb)
    if node_a != node_b and (not node_a or not node_b):
        return not node_a
    phase_a, phase_b = phase_ordinal(pa), phase_ordinal(pb)
    if phase_a != phase_b:
        return phase_a < phase_b
    ready_a, ready_b = is_pod_ready(pa), is_pod_ready(pb)
    if ready_a != ready_b:
        return not ready_a
    cost_a, cost_b = deletion_cost(pa), deletion_cost(pb)
    if cost_a != cost_b:
        return cost_a < cost_b
    if a.rank != b.rank:
        return a.rank > b.rank
    if ready_a and ready_b:
        since_a, since_b = ready_since(pa), ready_since(pb)
        if since_a != since_b:
            return _more_recent(since_a, since_b, pa, pb, now)
    restarts_a, restarts_b = max_restarts(pa), max_restarts(pb)
    if restarts_a != restarts_b:
        return restarts_a > restarts_b
    created_a, created_b = _created(pa), _created(pb)
    if created_a != created_b:
        return _more_recent(created_a, created_b, pa, pb, now)
    return False


def _more_recent(
    t1: datetime.datetime | None,
    t2: datetime.datetime | None,
    pa: Pod,
    pb: Pod,
    now: datetime.datetime,
) -> bool:
    """``t1`` is the more recent time on the logarithmic scale (unset: most recent)."""
    if t1 is None or t2 is None:
        return t1 is None
    diff = _log_age(t1, now) - _log_age(t2, now)
    if diff == 0:
        return _uid(pa) < _uid(pb)
    return diff < 0


def _log_age(moment: datetime.datetime, now: datetime.datetime) -> int:
    age = (now - moment) // datetime.timedelta(microseconds=1) * 1000  # nanoseconds, as Go
    return int(math.log2(age)) if age > 0 else -1


def _node(pod: Pod) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def _created(pod: Pod) -> datetime.datetime | None:
    return parse_time((pod.get("metadata") or {}).get("creationTimestamp"))


def _uid(pod: Pod) -> str:
    return str((pod.get("metadata") or {}).get("uid") or "")
