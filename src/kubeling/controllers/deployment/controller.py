"""The Deployment controller: informers, handlers and ``sync(key)`` (``deployment_controller.go``).

Handlers only enqueue the key of the Deployment concerned: a Deployment's
own changes; a ReplicaSet's changes, for the Deployment that controls it
(or, for an orphan, every Deployment whose selector matches it, to adopt
it); a pod's deletion, for a Recreate Deployment that has no pods left (its
new ReplicaSet may now be created).

``sync`` reads the Deployment from the cache, claims its ReplicaSets by
selector (adopting orphans, releasing what stopped matching), groups its
pods by ReplicaSet, then does one step, in Kubernetes' order:

1. being deleted: report the status only;
2. paused: record DeploymentPaused/DeploymentResumed, scale, no rollout;
3. the deprecated rollback annotation: roll back;
4. a scaling event (an active ReplicaSet sized for another ``replicas``):
   scale (proportionally during a rollout);
5. otherwise roll out with the strategy: Recreate or RollingUpdate.

Every step reads the caches and writes through the API; running it again
(after a crash, a conflict, a missed event) converges.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.labels import label_selector_as_selector
from kubeling.client import WARNING, DeletedFinalStateUnknown, split_key
from kubeling.client.resources import DEPLOYMENTS, PODS, REPLICASETS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.deployment.fenceposts import RECREATE, ROLLING_UPDATE, strategy_type
from kubeling.controllers.deployment.objects import Obj, metadata, spec, status, uid
from kubeling.controllers.deployment.recreate import rollout_recreate
from kubeling.controllers.deployment.replicasets import RS
from kubeling.controllers.deployment.rollback import rollback
from kubeling.controllers.deployment.rolling import rollout_rolling
from kubeling.controllers.deployment.sync import (
    DeploymentSync,
    Requeue,
    rollback_to,
)
from kubeling.controllers.ownership import (
    CLAIM_INDEXERS,
    CONTROLLER_UID_INDEX,
    claim,
    claim_candidates,
    controller_of,
    controller_uid_index,
)

__all__ = ["DeploymentController"]


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _unwrap(obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> Mapping[str, Any]:
    return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj


class DeploymentController(Controller):
    """Turns Deployments into ReplicaSets: rollouts, scaling, history, status."""

    name = "deployment"
    component = "deployment-controller"
    workers = 5  # --concurrent-deployment-syncs

    def __init__(
        self, ctx: ControllerContext, *, now: Callable[[], datetime.datetime] = _utc_now
    ) -> None:
        super().__init__(ctx)
        self.now = now
        self.deployments_api = self.client.resource(DEPLOYMENTS)
        self.replicasets_api = self.client.resource(REPLICASETS)
        self.deployments = self.informers.informer_for(DEPLOYMENTS)
        self.replicasets = self.informers.informer_for(REPLICASETS, indexers=CLAIM_INDEXERS)
        self.pods = self.informers.informer_for(
            PODS, indexers={CONTROLLER_UID_INDEX: controller_uid_index}
        )
        self.deployments.add_event_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.replicasets.add_event_handler(
            on_add=self._replica_set_added,
            on_update=self._replica_set_updated,
            on_delete=self._replica_set_deleted,
        )
        self.pods.add_event_handler(on_delete=self._pod_deleted)

    # -- handlers: which Deployment to look at ----------------------------------------------

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Obj | None:
        """The Deployment a controller reference names, if it is still that one (same uid)."""
        if ref.get("kind") != "Deployment":
            return None
        try:
            found = self.deployments.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return None
        return found if uid(found) == ref.get("uid") else None

    def _deployments_for(self, rs: Mapping[str, Any]) -> list[Obj]:
        """Deployments whose selector matches an orphan ReplicaSet (none if it has no labels)."""
        labels = metadata(rs).get("labels") or {}
        if not labels:
            return []
        found = []
        for d in self.deployments.lister.list(namespace=str(metadata(rs).get("namespace") or "")):
            try:
                selector = label_selector_as_selector(spec(d).get("selector"))
            except ValueError:
                continue
            # A nil or empty selector matches nothing here, not everything.
            if not selector.is_empty() and selector.matches(labels):
                found.append(d)
        return found

    def _replica_set_added(self, rs: Obj) -> None:
        if metadata(rs).get("deletionTimestamp"):
            # Seen for the first time already being deleted (after a restart).
            self._replica_set_deleted(rs)
            return
        ref = controller_of(rs)
        namespace = str(metadata(rs).get("namespace") or "")
        if ref is not None:
            d = self._resolve(namespace, ref)
            if d is not None:
                self.enqueue(d)
            return
        for d in self._deployments_for(rs):
            self.enqueue(d)

    def _replica_set_updated(self, old: Obj, cur: Obj) -> None:
        if metadata(old).get("resourceVersion") == metadata(cur).get("resourceVersion"):
            return  # a resync: nothing changed
        namespace = str(metadata(cur).get("namespace") or "")
        cur_ref, old_ref = controller_of(cur), controller_of(old)
        ref_changed = cur_ref != old_ref
        if ref_changed and old_ref is not None:
            previous = self._resolve(namespace, old_ref)
            if previous is not None:
                self.enqueue(previous)
        if cur_ref is not None:
            d = self._resolve(namespace, cur_ref)
            if d is not None:
                self.enqueue(d)
            return
        labels_changed = metadata(cur).get("labels") != metadata(old).get("labels")
        if labels_changed or ref_changed:
            for d in self._deployments_for(cur):
                self.enqueue(d)

    def _replica_set_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        rs = _unwrap(obj)
        ref = controller_of(rs)
        if ref is None:
            return  # nobody cares about an orphan going
        d = self._resolve(str(metadata(rs).get("namespace") or ""), ref)
        if d is not None:
            self.enqueue(d)

    def _pod_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        """A Recreate Deployment waits for its old pods to be gone; this is when."""
        pod = _unwrap(obj)
        namespace = str(metadata(pod).get("namespace") or "")
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        try:
            rs = self.replicasets.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return
        rs_ref = controller_of(rs)
        if uid(rs) != ref.get("uid") or rs_ref is None:
            return
        d = self._resolve(namespace, rs_ref)
        if d is None or strategy_type(d) != RECREATE:
            return
        try:
            owned = self._owned_replica_sets(d)
            pods = self._pod_map(d, owned)
        except ValueError:
            return
        if not any(pods.values()):
            self.enqueue(d)

    # -- reading what a Deployment has --------------------------------------------------------

    def _owned_replica_sets(self, d: Mapping[str, Any]) -> list[Obj]:
        """ReplicaSets matching the selector and controlled by ``d`` (no adoption)."""
        selector = label_selector_as_selector(spec(d).get("selector"))
        return [
            rs
            for rs in self.replicasets.lister.list(
                namespace=str(metadata(d).get("namespace") or ""), selector=selector
            )
            if (ref := controller_of(rs)) is not None and ref.get("uid") == uid(d)
        ]

    def _pod_map(self, d: Mapping[str, Any], rs_list: Sequence[RS]) -> dict[str, list[Obj]]:
        """The pods of each of ``rs_list`` by ReplicaSet uid (finished ones included:
        Recreate must see every old pod)."""
        selector = label_selector_as_selector(spec(d).get("selector"))
        namespace = str(metadata(d).get("namespace") or "")
        pods: dict[str, list[Obj]] = {}
        for rs in rs_list:
            # Each ReplicaSet's pods from the controller index, not the whole namespace.
            pods[uid(rs)] = [
                pod
                for pod in self.pods.indexer.by_index(CONTROLLER_UID_INDEX, uid(rs))
                if metadata(pod).get("namespace") == namespace
                and selector.matches(metadata(pod).get("labels") or {})
            ]
        return pods

    async def _claim_replica_sets(self, d: Obj) -> list[RS]:
        namespace = str(metadata(d).get("namespace") or "")
        try:
            selector = label_selector_as_selector(spec(d).get("selector"))
        except ValueError as err:
            raise ValueError(
                f"deployment {namespace}/{metadata(d).get('name')} has invalid label selector: "
                f"{err}"
            ) from err

        async def fresh() -> Mapping[str, Any]:
            return await self.deployments_api.get(str(metadata(d).get("name")), namespace=namespace)

        return list(
            await claim(
                d,
                api_version="apps/v1",
                kind="Deployment",
                selector=selector,
                candidates=claim_candidates(self.replicasets.indexer, namespace, uid(d)),
                client=self.replicasets_api,
                recheck_owner=fresh,
            )
        )

    def _cached_replica_set(self, namespace: str, name: str) -> Obj | None:
        try:
            return self.replicasets.lister.get(name, namespace=namespace)
        except errors.StatusError:
            return None

    # -- sync -------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            cached = self.deployments.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return  # deleted: its ReplicaSets go with the garbage collector
            raise
        d: Obj = copy.deepcopy(cached)
        try:
            await self._sync(d, key)
        except errors.StatusError as err:
            if errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                return  # every create would fail the same way: nothing to retry
            raise

    async def _sync(self, d: Obj, key: str) -> None:
        s = DeploymentSync(
            d,
            deployments=self.deployments_api,
            replicasets=self.replicasets_api,
            replicaset_cache=self._cached_replica_set,
            recorder=self.recorder,
            now=self.now,
            requeue=Requeue(
                after=lambda delay: self.queue.add_after(key, delay),
                rate_limited=lambda: self.queue.add_rate_limited(key),
            ),
        )
        selector = spec(d).get("selector")
        if (
            isinstance(selector, Mapping)
            and not selector.get("matchLabels")
            and not selector.get("matchExpressions")
        ):
            self.recorder.event(
                d,
                WARNING,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            generation = metadata(d).get("generation") or 0
            if (status(d).get("observedGeneration") or 0) < generation:
                d.setdefault("status", {})["observedGeneration"] = generation
                # Reported by the Event; Kubernetes ignores this error too.
                with contextlib.suppress(errors.StatusError):
                    await s.update_status()
            return
        rs_list = await self._claim_replica_sets(d)
        pod_map = self._pod_map(d, rs_list)
        if metadata(d).get("deletionTimestamp"):
            await s.sync_status_only(rs_list)
            return
        # Paused and resumed conditions first, so that a resumed rollout does not
        # count its pause against the progress deadline.
        await s.check_paused_conditions()
        if spec(d).get("paused"):
            await s.sync(rs_list)
            return
        # A rollback changes the template: do it before anything scales.
        if rollback_to(d) is not None:
            await rollback(s, rs_list)
            return
        if await s.is_scaling_event(rs_list):
            await s.sync(rs_list)
            return
        kind = strategy_type(d)
        if kind == RECREATE:
            await rollout_recreate(s, rs_list, pod_map)
        elif kind == ROLLING_UPDATE:
            await rollout_rolling(s, rs_list)
        else:
            raise ValueError(f"unexpected deployment strategy type: {kind}")
