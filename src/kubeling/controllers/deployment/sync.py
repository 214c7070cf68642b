"""One sync of one Deployment: the writes shared by every strategy (``sync.go``).

A :class:`DeploymentSync` holds a private copy of the Deployment (taken from
the cache at the start of the sync) and writes through the API:

- revision bookkeeping and the new ReplicaSet: find it, bring its
  annotations up to date, or create it as ``<name>-<pod-template-hash>``,
  bumping ``status.collisionCount`` when that name is taken by a ReplicaSet
  that is not this Deployment's (the next sync hashes again);
- scaling a ReplicaSet (``spec.replicas`` and the replicas annotations), with
  the ``ScalingReplicaSet`` Event;
- scaling events and paused Deployments: proportional scaling;
- cleanup of old ReplicaSets beyond ``revisionHistoryLimit``;
- status writes. Writes to ``/status`` also carry the Deployment's
  annotations (its ``revision``), as Kubernetes' status strategy allows.

After each write of the Deployment the copy becomes the server's answer, so
the next write of the same sync does not conflict with the previous one.
Like Kubernetes, a sync computes from the ReplicaSets it started with: what
it changed shows up in the next sync, triggered by those changes' events.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import NORMAL, WARNING, EventRecorder, ResourceClient
from kubeling.controllers.deployment import conditions as cond
from kubeling.controllers.deployment.fenceposts import is_rolling_update, max_surge
from kubeling.controllers.deployment.hashing import compute_hash
from kubeling.controllers.deployment.objects import (
    Obj,
    annotations_of,
    metadata,
    min_ready_seconds,
    name,
    spec,
    spec_replicas,
    status,
    status_count,
)
from kubeling.controllers.deployment.progress import (
    calculate_status,
    has_progress_deadline,
    has_revision_history_limit,
    requeue_after,
    rollout_status,
)
from kubeling.controllers.deployment.replicasets import (
    RS,
    by_revision,
    filter_active,
    find_active_or_latest,
    find_new_replica_set,
    find_old_replica_sets,
)
from kubeling.controllers.deployment.revisions import (
    REVISION,
    ROLLBACK_TO,
    desired_replicas,
    max_revision,
    parse_go_int,
    replicas_annotations_need_update,
    set_deployment_revision,
    set_new_replica_set_annotations,
    set_replicas_annotations,
)
from kubeling.controllers.deployment.scaling import (
    is_saturated,
    new_rs_new_replicas,
    proportional_sizes,
)
from kubeling.controllers.deployment.templates import (
    POD_TEMPLATE_HASH_LABEL,
    equal_ignore_hash,
    selector_with_label,
    template_with_label,
)
from kubeling.controllers.ownership import controller_of, new_controller_ref

__all__ = ["DeploymentSync", "Requeue", "rollback_to"]


class Requeue:
    """How a sync asks for its Deployment to be looked at again."""

    def __init__(self, *, after: Callable[[float], None], rate_limited: Callable[[], None]) -> None:
        self.after = after
        self.rate_limited = rate_limited


def rollback_to(deployment: Mapping[str, Any]) -> int | None:
    """The revision the deprecated rollback annotation asks for (0: the previous one);
    None when absent or not a number (``getRollbackTo``)."""
    value = annotations_of(deployment).get(ROLLBACK_TO)
    if not value:
        return None
    try:
        return parse_go_int(str(value))
    except ValueError:
        return None


class DeploymentSync:
    """The writes of one sync of one Deployment."""

    def __init__(
        self,
        deployment: Obj,
        *,
        deployments: ResourceClient,
        replicasets: ResourceClient,
        replicaset_cache: Callable[[str, str], Obj | None],
        recorder: EventRecorder,
        now: Callable[[], datetime.datetime],
        requeue: Requeue,
    ) -> None:
        self.d = deployment
        self.deployments = deployments
        self.replicasets = replicasets
        self.replicaset_cache = replicaset_cache
        self.recorder = recorder
        self.now = now
        self.requeue = requeue

    @property
    def namespace(self) -> str:
        return str(metadata(self.d).get("namespace") or "")

    # -- Deployment writes ---------------------------------------------------------------

    def _became(self, answer: Obj) -> None:
        self.d.clear()
        self.d.update(answer)

    async def update_status(self) -> None:
        """Write the copy's status (and annotations) to ``/status``."""
        self._became(await self.deployments.update_status(self.d, namespace=self.namespace))

    async def update(self) -> None:
        """Write the copy (spec and metadata)."""
        self._became(await self.deployments.update(self.d, namespace=self.namespace))

    def _status(self) -> Obj:
        found = self.d.get("status")
        if not isinstance(found, dict):
            found = self.d["status"] = {}
        return found

    # -- the new ReplicaSet and revisions --------------------------------------------------

    async def all_replica_sets_and_sync_revision(
        self, rs_list: Sequence[RS], *, create: bool
    ) -> tuple[RS | None, list[RS]]:
        """``(new, old)``: the new ReplicaSet (created if ``create``) with its revision
        brought up to date, and every old one."""
        old = find_old_replica_sets(self.d, rs_list)
        return await self.new_replica_set(rs_list, old, create=create), old

    async def new_replica_set(
        self, rs_list: Sequence[RS], old_rss: Sequence[RS], *, create: bool
    ) -> RS | None:
        """``getNewReplicaSet``: the ReplicaSet for the current template, or None."""
        new_revision = str(max_revision(old_rss) + 1)
        existing = find_new_replica_set(self.d, rs_list)
        if existing is not None:
            return await self._sync_existing(existing, new_revision)
        if not create:
            return None
        return await self._create_new(old_rss, new_revision)

    async def _sync_existing(self, existing: RS, new_revision: str) -> RS:
        rs: Obj = copy.deepcopy(dict(existing))
        annotations_changed = set_new_replica_set_annotations(self.d, rs, new_revision, exists=True)
        if annotations_changed or min_ready_seconds(rs) != min_ready_seconds(self.d):
            _set_min_ready_seconds(rs, min_ready_seconds(self.d))
            return await self.replicasets.update(rs, namespace=self.namespace)
        # The ReplicaSet's revision is the reliable one (the Deployment's may be stale).
        needs_update = set_deployment_revision(self.d, str(annotations_of(rs).get(REVISION, "")))
        if (
            has_progress_deadline(self.d)
            and cond.get_condition(self._status(), cond.PROGRESSING) is None
        ):
            # Progress was not tracked so far: count from when the ReplicaSet was found.
            cond.set_condition(
                self._status(),
                cond.new_condition(
                    cond.PROGRESSING,
                    "True",
                    cond.FOUND_NEW_RS,
                    f'Found new replica set "{name(rs)}"',
                    format_time(self.now()),
                ),
            )
            needs_update = True
        if needs_update:
            await self.update_status()
        return rs

    def _new_replica_set_body(self, old_rss: Sequence[RS], new_revision: str) -> Obj:
        d = self.d
        template = copy.deepcopy(spec(d).get("template") or {})
        collisions = status(d).get("collisionCount")
        pod_template_hash = compute_hash(
            template, collisions if isinstance(collisions, int) else None
        )
        template = template_with_label(template, POD_TEMPLATE_HASH_LABEL, pod_template_hash)
        rs_spec: Obj = {"replicas": 0}
        if min_ready_seconds(d):
            rs_spec["minReadySeconds"] = min_ready_seconds(d)
        rs_spec["selector"] = selector_with_label(
            spec(d).get("selector"), POD_TEMPLATE_HASH_LABEL, pod_template_hash
        )
        rs_spec["template"] = template
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                # A name from the hash makes the creation idempotent.
                "name": f"{name(d)}-{pod_template_hash}",
                "namespace": self.namespace,
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")],
            },
            "spec": rs_spec,
        }
        rs_spec["replicas"] = new_rs_new_replicas(d, [*old_rss, rs], rs)
        set_new_replica_set_annotations(d, rs, new_revision, exists=False)
        return rs

    async def _create_new(self, old_rss: Sequence[RS], new_revision: str) -> RS:
        d = self.d
        body = self._new_replica_set_body(old_rss, new_revision)
        rs_name = name(body)
        replicas = spec_replicas(body)
        try:
            created: RS = await self.replicasets.create(body, namespace=self.namespace)
            already_existed = False
        except errors.StatusError as err:
            if errors.is_already_exists(err):
                created = await self._ours_or_collision(body, err)
                already_existed = True
            elif errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                raise
            else:
                message = f'Failed to create new replica set "{rs_name}": {err.message}'
                if has_progress_deadline(d):
                    cond.set_condition(
                        self._status(),
                        cond.new_condition(
                            cond.PROGRESSING,
                            "False",
                            cond.FAILED_RS_CREATE,
                            message,
                            format_time(self.now()),
                        ),
                    )
                    # The failure to create is the one to report, not this one.
                    with contextlib.suppress(errors.StatusError):
                        await self.update_status()
                self.recorder.event(d, WARNING, cond.FAILED_RS_CREATE, message)
                raise
        if not already_existed and replicas > 0:
            self.recorder.event(
                d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled up replica set {name(created)} from 0 to {replicas}",
            )
        needs_update = set_deployment_revision(d, new_revision)
        if not already_existed and has_progress_deadline(d):
            cond.set_condition(
                self._status(),
                cond.new_condition(
                    cond.PROGRESSING,
                    "True",
                    cond.NEW_RS_CREATED,
                    f'Created new replica set "{name(created)}"',
                    format_time(self.now()),
                ),
            )
            needs_update = True
        if needs_update:
            await self.update_status()
        return created

    async def _ours_or_collision(self, body: RS, err: errors.StatusError) -> RS:
        """The name is taken: by our own new ReplicaSet (a stale cache) or by
        another template hashing alike, in which case collisionCount goes up and
        the error stands (the sync is retried with the new count)."""
        found = self.replicaset_cache(self.namespace, name(body))
        if found is None:
            raise err
        ref = controller_of(found)
        if (
            ref is not None
            and ref.get("uid") == metadata(self.d).get("uid")
            and equal_ignore_hash(
                spec(self.d).get("template") or {}, spec(found).get("template") or {}
            )
        ):
            return found
        current = status(self.d).get("collisionCount")
        self._status()["collisionCount"] = (current if isinstance(current, int) else 0) + 1
        with contextlib.suppress(errors.StatusError):
            await self.update_status()  # or with the next sync: it hits the same name
        raise err

    # -- scaling ---------------------------------------------------------------------------

    async def scale_replica_set(self, rs: RS, new_scale: int) -> tuple[bool, RS]:
        """Set ``rs``'s replicas and replicas annotations (``scaleReplicaSet``);
        ``(scaled, rs as written)``."""
        replicas = spec_replicas(self.d)
        most = replicas + max_surge(self.d)
        size_changed = spec_replicas(rs) != new_scale
        if not size_changed and not replicas_annotations_need_update(rs, replicas, most):
            return False, rs
        old_scale = spec_replicas(rs)
        changed: Obj = copy.deepcopy(dict(rs))
        changed.setdefault("spec", {})["replicas"] = new_scale
        set_replicas_annotations(changed, replicas, most)
        written = await self.replicasets.update(changed, namespace=self.namespace)
        if size_changed:
            direction = "up" if old_scale < new_scale else "down"
            self.recorder.event(
                self.d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {name(written)} from {old_scale} to {new_scale}",
            )
        return size_changed, written

    async def scale_replica_set_and_record_event(self, rs: RS, new_scale: int) -> tuple[bool, RS]:
        if spec_replicas(rs) == new_scale:
            return False, rs
        return await self.scale_replica_set(rs, new_scale)

    async def scale(self, new_rs: RS | None, old_rss: Sequence[RS]) -> None:
        """Scaling events and paused Deployments (``scale``): one active ReplicaSet
        takes the new size; a saturated new one takes all; otherwise a rolling
        Deployment spreads the change in proportion."""
        replicas = spec_replicas(self.d)
        only = find_active_or_latest(new_rs, old_rss)
        if only is not None:
            if spec_replicas(only) != replicas:
                await self.scale_replica_set_and_record_event(only, replicas)
            return
        if is_saturated(self.d, new_rs):
            for old in filter_active(old_rss):
                await self.scale_replica_set_and_record_event(old, 0)
            return
        if is_rolling_update(self.d):
            active = filter_active([*old_rss, new_rs])
            for rs, size in proportional_sizes(self.d, active):
                await self.scale_replica_set(rs, size)

    async def is_scaling_event(self, rs_list: Sequence[RS]) -> bool:
        """Whether an active ReplicaSet was sized for another ``spec.replicas``."""
        new_rs, old_rss = await self.all_replica_sets_and_sync_revision(rs_list, create=False)
        for rs in filter_active([*old_rss, new_rs]):
            desired = desired_replicas(rs)
            if desired is not None and desired != spec_replicas(self.d):
                return True
        return False

    async def cleanup(self, old_rss: Sequence[RS]) -> None:
        """Delete the oldest old ReplicaSets beyond ``revisionHistoryLimit`` that are
        scaled to zero and settled (``cleanupDeployment``)."""
        if not has_revision_history_limit(self.d):
            return
        alive = [rs for rs in old_rss if not metadata(rs).get("deletionTimestamp")]
        excess = len(alive) - int(spec(self.d)["revisionHistoryLimit"])
        for rs in by_revision(alive)[: max(0, excess)]:
            generation = metadata(rs).get("generation") or 0
            if (
                status_count(rs, "replicas")
                or spec_replicas(rs)
                or generation > status_count(rs, "observedGeneration")
            ):
                continue
            try:
                await self.replicasets.delete(name(rs), namespace=self.namespace)
            except errors.StatusError as err:
                if not errors.is_not_found(err):
                    raise

    # -- paths that only scale or only report ----------------------------------------------

    async def sync(self, rs_list: Sequence[RS]) -> None:
        """A scaling event or a paused Deployment: scale, and no rollout."""
        new_rs, old_rss = await self.all_replica_sets_and_sync_revision(rs_list, create=False)
        await self.scale(new_rs, old_rss)
        if spec(self.d).get("paused") and rollback_to(self.d) is None:
            await self.cleanup(old_rss)
        await self.sync_deployment_status(_all(old_rss, new_rs), new_rs)

    async def sync_status_only(self, rs_list: Sequence[RS]) -> None:
        """A Deployment being deleted: report, change nothing."""
        new_rs, old_rss = await self.all_replica_sets_and_sync_revision(rs_list, create=False)
        await self.sync_deployment_status(_all(old_rss, new_rs), new_rs)

    async def check_paused_conditions(self) -> None:
        """Progressing Unknown with DeploymentPaused / DeploymentResumed, so that time
        spent paused never counts against the progress deadline."""
        if not has_progress_deadline(self.d):
            return
        current = cond.get_condition(self._status(), cond.PROGRESSING)
        if current is not None and current.get("reason") == cond.TIMED_OUT:
            return  # a reported failure is not overwritten
        paused = bool(spec(self.d).get("paused"))
        paused_condition = current is not None and current.get("reason") == cond.PAUSED
        if paused and not paused_condition:
            reason, message = cond.PAUSED, "Deployment is paused"
        elif not paused and paused_condition:
            reason, message = cond.RESUMED, "Deployment is resumed"
        else:
            return
        cond.set_condition(
            self._status(),
            cond.new_condition(
                cond.PROGRESSING, "Unknown", reason, message, format_time(self.now())
            ),
        )
        await self.update_status()

    async def sync_deployment_status(self, all_rss: Sequence[RS], new_rs: RS | None) -> None:
        new_status = calculate_status(all_rss, new_rs, self.d, format_time(self.now()))
        if new_status != status(self.d):
            self.d["status"] = new_status
            await self.update_status()

    async def sync_rollout_status(self, all_rss: Sequence[RS], new_rs: RS | None) -> None:
        """The status after a rollout step, with Progressing; a rollout that did not
        move is looked at again when its deadline comes."""
        now = self.now()
        new_status = rollout_status(all_rss, new_rs, self.d, now)
        if new_status == status(self.d):
            delay = requeue_after(self.d, new_status, now)
            if delay == 0:
                self.requeue.rate_limited()
            elif delay is not None:
                self.requeue.after(delay)
            return
        self.d["status"] = new_status
        await self.update_status()


def _all(old_rss: Sequence[RS], new_rs: RS | None) -> list[RS]:
    return [*old_rss, new_rs] if new_rs is not None else list(old_rss)


def _set_min_ready_seconds(rs: Obj, seconds: int) -> None:
    rs_spec = rs.setdefault("spec", {})
    if seconds:
        rs_spec["minReadySeconds"] = seconds
    else:
        rs_spec.pop("minReadySeconds", None)
