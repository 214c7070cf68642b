"""The Recreate strategy (``recreate.go``): all old pods go before any new one comes.

Old ReplicaSets are scaled to 0; while any old pod still runs (a pod not yet
Succeeded or Failed, or an old ReplicaSet still reporting replicas) nothing
else happens. Only then is the new ReplicaSet created, so that old and new
pods never run side by side, and scaled to ``replicas``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubeling.controllers.deployment.objects import spec_replicas, status, uid
from kubeling.controllers.deployment.progress import deployment_complete
from kubeling.controllers.deployment.replicasets import (
    RS,
    actual_replica_count,
    filter_active,
)
from kubeling.controllers.deployment.sync import DeploymentSync

__all__ = ["old_pods_running", "rollout_recreate"]

PodMap = Mapping[str, Sequence[Mapping[str, Any]]]


def old_pods_running(new_rs: RS | None, old_rss: Sequence[RS], pod_map: PodMap) -> bool:
    """Whether an old ReplicaSet reports pods, or a pod not of the new one has not finished.

    ``pod_map`` maps a ReplicaSet uid to the pods it controls. A pod in phase
    Unknown counts as running: nobody can tell it stopped.
    """
    if actual_replica_count(old_rss) > 0:
        return True
    new_uid = uid(new_rs) if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False


async def rollout_recreate(s: DeploymentSync, rs_list: Sequence[RS], pod_map: PodMap) -> None:
    # No new ReplicaSet yet: creating it now could scale up before scaling down.
    new_rs, old_rss = await s.all_replica_sets_and_sync_revision(rs_list, create=False)
    all_rss = [*old_rss, *([new_rs] if new_rs is not None else [])]
    scaled_down = False
    for rs in filter_active(old_rss):
        scaled, _ = await s.scale_replica_set_and_record_event(rs, 0)
        scaled_down = scaled_down or scaled
    if scaled_down:
        await s.sync_rollout_status(all_rss, new_rs)
        return
    if old_pods_running(new_rs, old_rss, pod_map):
        await s.sync_rollout_status(all_rss, new_rs)
        return
    if new_rs is None:
        new_rs, old_rss = await s.all_replica_sets_and_sync_revision(rs_list, create=True)
        assert new_rs is not None
        all_rss = [*old_rss, new_rs]
    await s.scale_replica_set_and_record_event(new_rs, spec_replicas(s.d))
    if deployment_complete(s.d, status(s.d)):
        await s.cleanup(old_rss)
    await s.sync_rollout_status(all_rss, new_rs)
