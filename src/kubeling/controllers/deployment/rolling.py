"""The RollingUpdate strategy (``rolling.go``).

Each sync takes one step and returns: scale the new ReplicaSet up as far as
``replicas + maxSurge`` allows; if it did not move, scale old ReplicaSets
down, first by their unavailable replicas, then as far as keeping
``replicas - maxUnavailable`` pods available allows; if nothing moved either,
the rollout may be complete and old ReplicaSets beyond the history limit go.
The ReplicaSets' own updates bring the next step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kubeling.api import errors
from kubeling.controllers.deployment.objects import spec_replicas, status
from kubeling.controllers.deployment.progress import deployment_complete
from kubeling.controllers.deployment.replicasets import RS, filter_active
from kubeling.controllers.deployment.scaling import (
    max_scaled_down,
    new_rs_new_replicas,
    old_scale_down,
    unhealthy_cleanup,
)
from kubeling.controllers.deployment.sync import DeploymentSync

__all__ = ["rollout_rolling"]

log = logging.getLogger(__name__)


async def rollout_rolling(s: DeploymentSync, rs_list: Sequence[RS]) -> None:
    new_rs, old_rss = await s.all_replica_sets_and_sync_revision(rs_list, create=True)
    assert new_rs is not None  # created, or the sync failed
    all_rss = [*old_rss, new_rs]
    if await _reconcile_new(s, all_rss, new_rs):
        await s.sync_rollout_status(all_rss, new_rs)
        return
    if await _reconcile_old(s, all_rss, filter_active(old_rss), new_rs):
        await s.sync_rollout_status(all_rss, new_rs)
        return
    if deployment_complete(s.d, status(s.d)):
        await s.cleanup(old_rss)
    await s.sync_rollout_status(all_rss, new_rs)


async def _reconcile_new(s: DeploymentSync, all_rss: Sequence[RS], new_rs: RS) -> bool:
    """Scale the new ReplicaSet towards ``replicas`` within the surge; True if it moved."""
    replicas = spec_replicas(s.d)
    if spec_replicas(new_rs) == replicas:
        return False
    if spec_replicas(new_rs) > replicas:
        scaled, _ = await s.scale_replica_set_and_record_event(new_rs, replicas)
        return scaled
    scaled, _ = await s.scale_replica_set_and_record_event(
        new_rs, new_rs_new_replicas(s.d, all_rss, new_rs)
    )
    return scaled


async def _reconcile_old(
    s: DeploymentSync, all_rss: Sequence[RS], old_rss: Sequence[RS], new_rs: RS
) -> bool:
    """Scale old ReplicaSets down as far as availability allows; True if any moved.

    As in Kubernetes, a failed write here ends the step without an error: the
    ReplicaSet's next update brings the Deployment back.
    """
    if sum(spec_replicas(rs) for rs in old_rss) == 0:
        return False
    limit = max_scaled_down(s.d, all_rss, new_rs)
    if limit <= 0:
        return False
    # Unavailable old replicas first: removing them costs no availability, and
    # they would otherwise block the rollout until its deadline.
    try:
        cleanup = unhealthy_cleanup(old_rss, limit)
    except ValueError as err:
        log.info("deployment %s: %s", s.d.get("metadata", {}).get("name"), err)
        return False
    remaining = {id(rs): rs for rs in old_rss}
    cleaned = 0
    for rs, size in cleanup:
        try:
            _, written = await s.scale_replica_set_and_record_event(rs, size)
        except errors.StatusError:
            return False
        cleaned += spec_replicas(rs) - size
        remaining[id(rs)] = written
    old_now = list(remaining.values())
    scaled = 0
    for rs, size in old_scale_down(s.d, [*old_now, new_rs], old_now):
        try:
            await s.scale_replica_set_and_record_event(rs, size)
        except errors.StatusError:
            return False
        scaled += spec_replicas(rs) - size
    return cleaned + scaled > 0
