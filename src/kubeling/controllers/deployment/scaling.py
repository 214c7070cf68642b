"""How many replicas each ReplicaSet gets: the arithmetic of rollouts and scaling.

Pure decisions over the cached ReplicaSets, applied by the sync code:

- :func:`new_rs_new_replicas`: how far a rolling update may scale the new
  ReplicaSet up (never past ``replicas + maxSurge`` pods in all, never past
  ``replicas``); Recreate scales it straight to ``replicas``.
- :func:`unhealthy_cleanup` and :func:`old_scale_down`: which old replicas a
  rolling update may remove: first those not available (removing them costs
  no availability), then available ones down to ``replicas - maxUnavailable``
  available pods in all, oldest ReplicaSet first.
- :func:`proportional_sizes`: a Deployment scaled in the middle of a rollout
  spreads the difference over its active ReplicaSets in proportion to their
  size (``max-replicas`` annotation), the leftover going to the largest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubeling.controllers.deployment.fenceposts import (
    RECREATE,
    ROLLING_UPDATE,
    max_surge,
    max_unavailable,
    scaled_value,
    strategy_type,
)
from kubeling.controllers.deployment.objects import (
    annotations_of,
    name,
    spec,
    spec_replicas,
    status_count,
)
from kubeling.controllers.deployment.replicasets import (
    RS,
    available_replica_count,
    by_creation,
    by_size_newer,
    by_size_older,
    replica_count,
)
from kubeling.controllers.deployment.revisions import DESIRED_REPLICAS, max_replicas, parse_go_int

__all__ = [
    "is_saturated",
    "max_scaled_down",
    "new_rs_new_replicas",
    "old_scale_down",
    "proportion",
    "proportional_sizes",
    "replica_set_fraction",
    "round_half_away",
    "unhealthy_cleanup",
]


def round_half_away(numerator: int, denominator: int) -> int:
    """``math.Round(numerator / denominator)``: halves away from zero (``denominator > 0``).

    >>> round_half_away(5, 2), round_half_away(-5, 2), round_half_away(7, 3)
    (3, -3, 2)
    """
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


def new_rs_new_replicas(deployment: Mapping[str, Any], all_rss: Sequence[RS], new_rs: RS) -> int:
    """The new ReplicaSet's next size (``NewRSNewReplicas``); ValueError for an
    unknown strategy or a bad maxSurge."""
    replicas = spec_replicas(deployment)
    kind = strategy_type(deployment)
    if kind == ROLLING_UPDATE:
        rolling = (spec(deployment).get("strategy") or {}).get("rollingUpdate") or {}
        surge = scaled_value(rolling.get("maxSurge"), replicas, round_up=True)
        current = replica_count(all_rss)
        most = replicas + surge
        if current >= most:
            return spec_replicas(new_rs)
        return spec_replicas(new_rs) + min(most - current, replicas - spec_replicas(new_rs))
    if kind == RECREATE:
        return replicas
    raise ValueError(f"deployment type {kind} isn't supported")


def is_saturated(deployment: Mapping[str, Any], rs: RS | None) -> bool:
    """The ReplicaSet has (and was meant to have) all the Deployment's replicas, all available."""
    if rs is None:
        return False
    try:
        desired = parse_go_int(str(annotations_of(rs).get(DESIRED_REPLICAS, "")))
    except ValueError:
        return False
    replicas = spec_replicas(deployment)
    return (
        spec_replicas(rs) == replicas
        and desired == replicas
        and status_count(rs, "availableReplicas") == replicas
    )


def replica_set_fraction(rs: RS, deployment: Mapping[str, Any]) -> int:
    """How many replicas ``rs`` gains (or loses) to keep its share of the new size."""
    replicas = spec_replicas(deployment)
    if replicas == 0:
        return -spec_replicas(rs)
    deployment_replicas = replicas + max_surge(deployment)
    annotated = max_replicas(rs)
    if annotated is None:
        # Without the annotation, assume the Deployment's current size; the
        # min/max in proportion() keeps the result within bounds anyway.
        annotated = status_count(deployment, "replicas")
    if annotated <= 0:
        # Go divides by zero here (an undefined conversion); a ReplicaSet
        # with replicas never has max-replicas 0, so give it nothing.
        return 0
    size = round_half_away(spec_replicas(rs) * deployment_replicas, annotated)
    return size - spec_replicas(rs)


def proportion(rs: RS | None, deployment: Mapping[str, Any], to_add: int, added: int) -> int:
    """``rs``'s part of ``to_add`` when ``added`` is already given out (``GetProportion``)."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replica_set_fraction(rs, deployment)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def proportional_sizes(deployment: Mapping[str, Any], active: Sequence[RS]) -> list[tuple[RS, int]]:
    """The size of each active ReplicaSet after a scaling event of a rolling Deployment,
    in the order they are to be scaled."""
    replicas = spec_replicas(deployment)
    allowed = replicas + max_surge(deployment) if replicas > 0 else 0
    to_add = allowed - replica_count(active)
    if to_add > 0:
        ordered = by_size_newer(active)
    elif to_add < 0:
        ordered = by_size_older(active)
    else:
        ordered = list(active)
    sizes: dict[str, int] = {}
    added = 0
    for rs in ordered:
        share = proportion(rs, deployment, to_add, added) if to_add else 0
        sizes[name(rs)] = spec_replicas(rs) + share
        added += share
    if ordered and to_add:
        first = name(ordered[0])
        sizes[first] = max(0, sizes[first] + to_add - added)
    return [(rs, sizes[name(rs)]) for rs in ordered]


def max_scaled_down(deployment: Mapping[str, Any], all_rss: Sequence[RS], new_rs: RS) -> int:
    """Old replicas a rolling update may remove now: all pods, less the minimum
    available, less the new ReplicaSet's pods that are not available yet (those
    would not make up for removed old ones)."""
    minimum = spec_replicas(deployment) - max_unavailable(deployment)
    new_unavailable = spec_replicas(new_rs) - status_count(new_rs, "availableReplicas")
    return replica_count(all_rss) - minimum - new_unavailable


def unhealthy_cleanup(old_rss: Sequence[RS], limit: int) -> list[tuple[RS, int]]:
    """Old ReplicaSets to shrink by their unavailable replicas, at most ``limit`` in all,
    oldest first (``cleanupUnhealthyReplicas``); ValueError if one would grow."""
    plan: list[tuple[RS, int]] = []
    total = 0
    for rs in by_creation(old_rss):
        if total >= limit:
            break
        replicas = spec_replicas(rs)
        available = status_count(rs, "availableReplicas")
        if replicas == 0 or replicas == available:
            continue
        count = min(limit - total, replicas - available)
        new_count = replicas - count
        if new_count > replicas:
            raise ValueError(
                "when cleaning up unhealthy replicas, got invalid request to scale down "
                f"{_ref(rs)} {replicas} -> {new_count}"
            )
        plan.append((rs, new_count))
        total += count
    return plan


def old_scale_down(
    deployment: Mapping[str, Any], all_rss: Sequence[RS], old_rss: Sequence[RS]
) -> list[tuple[RS, int]]:
    """Old ReplicaSets to shrink while keeping ``replicas - maxUnavailable`` pods
    available, oldest first (``scaleDownOldReplicaSetsForRollingUpdate``)."""
    minimum = spec_replicas(deployment) - max_unavailable(deployment)
    available = available_replica_count(all_rss)
    if available <= minimum:
        return []
    wanted = available - minimum
    plan: list[tuple[RS, int]] = []
    total = 0
    for rs in by_creation(old_rss):
        if total >= wanted:
            break
        replicas = spec_replicas(rs)
        if replicas == 0:
            continue
        count = min(replicas, wanted - total)
        plan.append((rs, replicas - count))
        total += count
    return plan


def _ref(rs: RS) -> str:
    meta = rs.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"
