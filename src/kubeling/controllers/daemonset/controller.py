"""The DaemonSet controller: informers, event routing and ``sync(key)``.

``DaemonSetsController`` of ``daemon_controller.go`` and ``update.go``. A
sync of one set:

1. reads the set and every node from the caches (an empty selector only gets
   a ``SelectingAll`` warning; a set being deleted is left alone);
2. builds its history: claims its ControllerRevisions, finds the one whose
   template is the set's (creating it, named ``<set>-<hash>``, or
   renumbering it to the latest); its hash labels the pods;
3. unless creations or deletions it made are still unseen (expectations),
   plans every node (:func:`~.nodes.plan_node`), deletes pods waiting for a
   node that is gone, and creates and deletes pods: creations in slow-start
   batches (1, 2, 4...), at most 250 of each per sync;
4. runs the rolling update step (:func:`~.rollout.plan_rollout`) unless the
   strategy is ``OnDelete``, then deletes history beyond
   ``revisionHistoryLimit`` that no pod uses;
5. writes the status (``observedGeneration`` only when step 3 ran).

Nodes added, deleted, relabelled or retainted queue the sets they concern.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.intstr import IntOrStringError
from kubeling.api.labels import Selector, SelectorParseError, label_selector_as_selector
from kubeling.client import DeletedFinalStateUnknown, PatchType, object_key, split_key
from kubeling.client.events import WARNING
from kubeling.client.resources import CONTROLLERREVISIONS, DAEMONSETS, NODES, PODS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.daemonset.nodes import (
    FailedPodBackoff,
    daemon_status,
    plan_node,
    unscheduled_pods_without_node,
)
from kubeling.controllers.daemonset.placement import (
    pod_template,
    replace_node_affinity,
    should_run,
    target_node,
    template_generation,
)
from kubeling.controllers.daemonset.rollout import (
    allows_surge,
    plan_rollout,
    surge_count,
    unavailable_count,
)
from kubeling.controllers.expectations import Expectations
from kubeling.controllers.history import (
    POD_REVISION_LABEL,
    History,
    encode_data,
    pod_template_hash,
    sort_revisions,
    template_patch,
    unused_revisions,
)
from kubeling.controllers.ownership import (
    CLAIM_INDEXERS,
    claim,
    claim_candidates,
    controller_of,
    new_controller_ref,
    resolve_controller_ref,
    selecting,
)
from kubeling.controllers.podcontrol import PodControl, pod_from_template
from kubeling.controllers.pods import is_pod_ready

__all__ = ["BURST_REPLICAS", "DaemonSetController", "DaemonSetError"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Pod = Mapping[str, Any]
#: Reads the set from the API (not the cache) before adopting anything.
Recheck = Callable[[], Awaitable[Mapping[str, Any]]]

API_VERSION: Final = "apps/v1"
KIND: Final = "DaemonSet"
#: The most pods one sync creates, and deletes.
BURST_REPLICAS: Final = 250
_STATUS_UPDATE_RETRIES: Final = 1


class DaemonSetError(Exception):
    """A failed sync, with a Go error's message."""


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _min_ready(ds: Mapping[str, Any]) -> int:
    return int(_spec(ds).get("minReadySeconds") or 0)


class DaemonSetController(Controller):
    """Keeps one pod of each DaemonSet on every node that should run it."""

    name = "daemonset"
    component = "daemonset-controller"
    workers = 2  # --concurrent-daemonset-syncs

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(ctx)
        self.now = now
        self.clock = clock
        self.sets = self.informers.informer_for(DAEMONSETS)
        self.pods = self.informers.informer_for(PODS, indexers=CLAIM_INDEXERS)
        self.nodes = self.informers.informer_for(NODES)
        revisions = self.informers.informer_for(CONTROLLERREVISIONS)
        self.set_client = self.client.resource(DAEMONSETS)
        self.pod_client = self.client.resource(PODS)
        self.revision_client = self.client.resource(CONTROLLERREVISIONS)
        self.history = History(
            self.revision_client, revisions.lister, api_version=API_VERSION, kind=KIND
        )
        self.pod_control = PodControl(self.pod_client, self.recorder)
        self.expectations = Expectations()
        self.backoff = FailedPodBackoff()
        self.sets.add_event_handler(
            on_add=self.enqueue,
            on_update=self._set_updated,
            on_delete=self._set_deleted,
        )
        revisions.add_event_handler(
            on_add=self._revision_added,
            on_update=self._revision_updated,
            on_delete=self._revision_deleted,
        )
        self.pods.add_event_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )
        self.nodes.add_event_handler(
            on_add=self._node_added, on_update=self._node_updated, on_delete=self._node_deleted
        )

    # -- event routing -------------------------------------------------------------------

    def _set_updated(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("uid") != _meta(new).get("uid"):
            self._set_deleted(DeletedFinalStateUnknown(object_key(old), old))
        self.enqueue(new)

    def _set_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        key = object_key(obj)
        self.expectations.forget(key)  # a new set of that name starts clean
        self.queue.add(key)

    def _owner(self, obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
        ref = controller_of(obj)
        if ref is None:
            return None
        return resolve_controller_ref(
            self.sets.lister, str(_meta(obj).get("namespace", "")), ref, KIND
        )

    def _enqueue_selecting(self, obj: Mapping[str, Any]) -> None:
        namespace = str(_meta(obj).get("namespace", ""))
        for ds in selecting(self.sets.lister, namespace, _meta(obj).get("labels") or {}):
            self.enqueue(ds)

    def _revision_added(self, revision: Obj) -> None:
        if _meta(revision).get("deletionTimestamp"):
            self._revision_deleted(revision)
        elif controller_of(revision) is None:
            self._enqueue_selecting(revision)  # an orphan someone may adopt

    def _revision_updated(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref != new_ref and old_ref is not None:
            previous = self._owner(old)
            if previous is not None:
                self.enqueue(previous)
        if new_ref is not None:
            owner = self._owner(new)
            if owner is not None:
                self.enqueue(owner)
            return
        if _meta(old).get("labels") != _meta(new).get("labels") or old_ref != new_ref:
            self._enqueue_selecting(new)

    def _revision_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        revision = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(revision, Mapping):
            owner = self._owner(revision)
            if owner is not None:
                self.enqueue(owner)

    def _pod_added(self, pod: Obj) -> None:
        if _meta(pod).get("deletionTimestamp"):
            self._pod_deleted(pod)  # seen first while being deleted: not a creation
            return
        if controller_of(pod) is not None:
            owner = self._owner(pod)
            if owner is not None:
                self.expectations.creation_observed(object_key(owner))
                self.enqueue(owner)
            return
        self._enqueue_selecting(pod)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return
        if _meta(new).get("deletionTimestamp"):
            # Graceful deletion has begun: act now, not when the kubelet is done with it.
            self._pod_deleted(new)
            return
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref != new_ref and old_ref is not None:
            previous = self._owner(old)
            if previous is not None:
                self.enqueue(previous)
        if new_ref is not None:
            owner = self._owner(new)
            if owner is None:
                return
            self.enqueue(owner)
            min_ready = _min_ready(owner)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                self.queue.add_after(object_key(owner), min_ready + 1)
            return
        if _meta(old).get("labels") != _meta(new).get("labels") or old_ref != new_ref:
            self._enqueue_selecting(new)

    def _pod_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if not isinstance(pod, Mapping):
            return
        owner = self._owner(pod)
        if owner is not None:
            self.expectations.deletion_observed(object_key(owner))
            self.enqueue(owner)

    def _node_added(self, node: Obj) -> None:
        for ds in self.sets.lister.list():
            if should_run(node, ds)[0]:
                self.enqueue(ds)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        # Only labels and taints decide where a daemon pod runs.
        if _meta(old).get("labels") == _meta(new).get("labels") and _spec(old).get(
            "taints"
        ) == _spec(new).get("taints"):
            return
        for ds in self.sets.lister.list():
            if should_run(old, ds) != should_run(new, ds):
                self.enqueue(ds)

    def _node_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        # Upstream leaves this to the pod garbage collector and the next resync; here the
        # sets look again at once, so pods still waiting for the node go promptly.
        for ds in self.sets.lister.list():
            self.enqueue(ds)

    # -- sync ----------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            ds = self.sets.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                self.expectations.forget(key)
                return
            raise
        self.backoff.gc(self.clock())
        nodes = self.nodes.lister.list()
        raw_selector = _spec(ds).get("selector")
        if isinstance(raw_selector, Mapping) and not (
            raw_selector.get("matchLabels") or raw_selector.get("matchExpressions")
        ):
            self.recorder.event(
                ds,
                WARNING,
                "SelectingAll",
                "This daemon set is selecting all pods. A non-empty selector is required.",
            )
            return
        if _meta(ds).get("deletionTimestamp"):
            return  # its history may be half gone: no status can be trusted
        try:
            selector = label_selector_as_selector(raw_selector)
        except SelectorParseError as err:
            log.warning("daemonset %s: bad selector, not syncing: %s", key, err)
            return

        async def recheck() -> Mapping[str, Any]:
            fresh = await self.set_client.get(name, namespace=namespace)
            return fresh

        current, old = await self._construct_history(ds, selector, recheck)
        hash_ = str((_meta(current).get("labels") or {}).get(POD_REVISION_LABEL, ""))
        if not self.expectations.satisfied(key):
            # Only the status: this generation has not been acted on.
            await self._update_status(ds, nodes, hash_, selector, recheck, observed=False)
            return
        failure: BaseException | None = None
        try:
            await self._update(ds, nodes, hash_, key, old, selector, recheck)
        except Exception as err:
            failure = err
        try:
            await self._update_status(ds, nodes, hash_, selector, recheck, observed=True)
        except Exception:
            if failure is None:
                raise
            log.exception("daemonset %s: failed to update status", key)
        if failure is not None:
            raise failure

    # -- pods by node --------------------------------------------------------------------

    async def _node_pods(
        self,
        ds: Mapping[str, Any],
        selector: Selector,
        recheck: Recheck,
        *,
        include_deleted_terminal: bool = False,
    ) -> dict[str, list[Pod]]:
        """``getNodesToDaemonPods``: the set's pods (claimed) by the node they are for."""
        namespace = str(_meta(ds).get("namespace", ""))
        pods = await claim(
            ds,
            api_version=API_VERSION,
            kind=KIND,
            selector=selector,
            candidates=claim_candidates(
                self.pods.indexer, namespace, str(_meta(ds).get("uid") or "")
            ),
            client=self.pod_client,
            recheck_owner=recheck,
        )
        by_node: dict[str, list[Pod]] = {}
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            terminal = phase in ("Succeeded", "Failed")
            if not include_deleted_terminal and terminal and _meta(pod).get("deletionTimestamp"):
                continue  # the kubelet or the pod collector finishes it off
            node = target_node(pod)
            if node is not None:
                by_node.setdefault(node, []).append(pod)
        return by_node

    async def _update(
        self,
        ds: Mapping[str, Any],
        nodes: Sequence[Mapping[str, Any]],
        hash_: str,
        key: str,
        old: Sequence[Mapping[str, Any]],
        selector: Selector,
        recheck: Recheck,
    ) -> None:
        """``updateDaemonSet``: manage, roll, clean up history."""
        await self._manage(ds, nodes, hash_, selector, recheck)
        if self.expectations.satisfied(key):
            strategy = (_spec(ds).get("updateStrategy") or {}).get("type")
            if strategy == "RollingUpdate":
                await self._rolling_update(ds, nodes, hash_, selector, recheck)
        await self._cleanup_history(ds, old, selector, recheck)

    async def _manage(
        self,
        ds: Mapping[str, Any],
        nodes: Sequence[Mapping[str, Any]],
        hash_: str,
        selector: Selector,
        recheck: Recheck,
    ) -> None:
        node_pods = await self._node_pods(ds, selector, recheck)
        surge = allows_surge(ds)
        generation = int((ds.get("status") or {}).get("observedGeneration") or 0)
        uid = str(_meta(ds).get("uid", ""))
        to_create: list[str] = []
        to_delete: list[str] = []
        for node in nodes:
            node_name = _name(node)
            run, keep = should_run(node, ds)
            plan = plan_node(
                node_name,
                node_pods.get(node_name),
                should_run=run,
                should_continue=keep,
                surge=surge,
                hash_=hash_,
                min_ready_seconds=_min_ready(ds),
                now=self.now(),
                backoff=self.backoff,
                backoff_key=f"{uid}/{generation}/{node_name}",
                clock=self.clock(),
            )
            for event_type, reason, message in plan.events:
                self.recorder.event(ds, event_type, reason, message)
            if plan.requeue_after is not None:
                self.queue.add_after(object_key(ds), plan.requeue_after)
            if plan.create:
                to_create.append(node_name)
            to_delete.extend(plan.delete)
        to_delete.extend(unscheduled_pods_without_node({_name(n) for n in nodes}, node_pods))
        await self._sync_nodes(ds, to_delete, to_create, hash_)

    async def _sync_nodes(
        self, ds: Mapping[str, Any], to_delete: Sequence[str], to_create: Sequence[str], hash_: str
    ) -> None:
        """``syncNodes``: create pods on ``to_create`` and delete ``to_delete``, at most
        :data:`BURST_REPLICAS` of each, expecting to see each one."""
        key = object_key(ds)
        creates = list(to_create[:BURST_REPLICAS])
        deletes = list(to_delete[:BURST_REPLICAS])
        self.expectations.expect(key, adds=len(creates), deletes=len(deletes))
        template = pod_template(_spec(ds).get("template") or {}, template_generation(ds), hash_)
        ref = new_controller_ref(ds, API_VERSION, KIND)
        failures: list[BaseException] = []

        async def create(node_name: str) -> None:
            pod = pod_from_template(template, ds, ref)
            spec = pod.setdefault("spec", {})
            spec["affinity"] = replace_node_affinity(spec.get("affinity"), node_name)
            try:
                await self.pod_control.create(ds, pod)
            except errors.StatusError as err:
                self.expectations.creation_observed(key)  # it will never be seen
                if not _namespace_terminating(err):
                    raise

        done, batch = 0, min(len(creates), 1)
        while batch > 0:
            results = await asyncio.gather(
                *(create(node) for node in creates[done : done + batch]), return_exceptions=True
            )
            errors_ = [r for r in results if isinstance(r, BaseException)]
            failures.extend(errors_)
            done += batch
            if errors_:
                # Slow start: one failure in a batch stops the rest (they would fail too).
                self.expectations.raise_expectations(key, adds=-(len(creates) - done))
                break
            batch = min(2 * batch, len(creates) - done)

        pods_by_name = {
            _name(p): p
            for p in self.pods.lister.list(namespace=str(_meta(ds).get("namespace", "")))
        }

        async def delete(pod_name: str) -> None:
            pod = pods_by_name.get(pod_name) or {
                "metadata": {"name": pod_name, "namespace": _meta(ds).get("namespace", "")}
            }
            try:
                await self.pod_control.delete(ds, pod)
            except errors.StatusError as err:
                self.expectations.deletion_observed(key)
                if not errors.is_not_found(err):
                    raise

        results = await asyncio.gather(*(delete(n) for n in deletes), return_exceptions=True)
        failures.extend(r for r in results if isinstance(r, BaseException))
        for failure in failures:
            if not isinstance(failure, Exception):
                raise failure
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise DaemonSetError("[" + ", ".join(str(f) for f in failures) + "]")

    async def _rolling_update(
        self,
        ds: Mapping[str, Any],
        nodes: Sequence[Mapping[str, Any]],
        hash_: str,
        selector: Selector,
        recheck: Recheck,
    ) -> None:
        node_pods = await self._node_pods(ds, selector, recheck)
        desired = 0
        for node in nodes:
            if should_run(node, ds)[0]:
                desired += 1
                node_pods.setdefault(_name(node), [])
        try:
            max_unavailable = unavailable_count(ds, desired)
            max_surge = surge_count(ds, desired)
        except IntOrStringError as err:
            raise DaemonSetError(f"couldn't get unavailable numbers: {err}") from err
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1  # an impossible configuration: accept one unavailable
        by_name = {_name(n): n for n in nodes}
        plan = plan_rollout(
            node_pods,
            hash_=hash_,
            generation=template_generation(ds),
            max_surge=max_surge,
            max_unavailable=max_unavailable,
            desired=desired,
            min_ready_seconds=_min_ready(ds),
            now=self.now(),
            should_run=lambda node: node in by_name and should_run(by_name[node], ds)[0],
        )
        await self._sync_nodes(ds, plan.delete, plan.create, hash_)

    # -- history -------------------------------------------------------------------------

    async def _construct_history(
        self, ds: Mapping[str, Any], selector: Selector, recheck: Recheck
    ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        """``constructHistory``: the current revision (created or renumbered as needed)
        and the old ones."""
        histories = await self.history.claim(ds, selector, recheck)
        patch = encode_data(template_patch(ds))
        current: list[Mapping[str, Any]] = []
        old: list[Mapping[str, Any]] = []
        for history in histories:
            if POD_REVISION_LABEL not in (_meta(history).get("labels") or {}):
                # Older revisions lack the label: their name stands in for the hash.
                body = copy.deepcopy(dict(history))
                body["metadata"].setdefault("labels", {})[POD_REVISION_LABEL] = _name(body)
                history = await self.revision_client.update(body)
            if encode_data(history.get("data")) == patch:
                current.append(history)
            else:
                old.append(history)
        number = max((int(h.get("revision") or 0) for h in old), default=0) + 1
        if not current:
            return await self._snapshot(ds, number), old
        keep = await self._dedup(ds, current, selector, recheck)
        if int(keep.get("revision") or 0) < number:
            body = copy.deepcopy(dict(keep))
            body["revision"] = number
            keep = await self.revision_client.update(body)
        return keep, old

    async def _dedup(
        self,
        ds: Mapping[str, Any],
        current: Sequence[Mapping[str, Any]],
        selector: Selector,
        recheck: Recheck,
    ) -> Mapping[str, Any]:
        """``dedupCurHistories``: keep the latest of several equal revisions, relabel the
        pods of the others, delete them."""
        if len(current) == 1:
            return current[0]
        keep = current[0]
        for history in current:
            if int(history.get("revision") or 0) >= int(keep.get("revision") or 0):
                keep = history
        keep_hash = (_meta(keep).get("labels") or {}).get(POD_REVISION_LABEL)
        for pods in (await self._node_pods(ds, selector, recheck)).values():
            for pod in pods:
                if (_meta(pod).get("labels") or {}).get(POD_REVISION_LABEL) != keep_hash:
                    await self.pod_client.patch(
                        _name(pod),
                        json.dumps({"metadata": {"labels": {POD_REVISION_LABEL: keep_hash}}}),
                        patch_type=PatchType.MERGE,
                        namespace=str(_meta(pod).get("namespace", "")),
                    )
        for history in current:
            if _name(history) != _name(keep):
                await self.history.delete(history)
        return keep

    async def _snapshot(self, ds: Mapping[str, Any], number: int) -> Mapping[str, Any]:
        """``snapshot``: record the set's template as revision ``number``."""
        status = ds.get("status") or {}
        collisions = status.get("collisionCount")
        template = _spec(ds).get("template") or {}
        hash_ = pod_template_hash(template, None if collisions is None else int(collisions))
        name = f"{_name(ds)}-{hash_}"
        namespace = str(_meta(ds).get("namespace", ""))
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[POD_REVISION_LABEL] = hash_
        meta: Obj = {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [new_controller_ref(ds, API_VERSION, KIND)],
        }
        if _meta(ds).get("annotations"):
            meta["annotations"] = dict(_meta(ds)["annotations"])
        body = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": meta,
            "data": template_patch(ds),
            "revision": number,
        }
        try:
            return await self.revision_client.create(body, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_already_exists(err):
                raise
            taken = err
        existing = await self.revision_client.get(name, namespace=namespace)
        if encode_data(existing.get("data")) == encode_data(body["data"]):
            return existing  # we made it before
        # Another template holds the name: count a collision (on the freshest set).
        fresh = await self.set_client.get(_name(ds), namespace=namespace)
        fresh_collisions = (fresh.get("status") or {}).get("collisionCount")
        if fresh_collisions != collisions:
            raise DaemonSetError(
                f"found a stale collision count ({collisions}, expected {fresh_collisions}) "
                f'of DaemonSet "{_name(ds)}" while processing; will retry until it is updated'
            )
        fresh.setdefault("status", {})["collisionCount"] = int(fresh_collisions or 0) + 1
        await self.set_client.update_status(fresh)
        raise taken

    async def _cleanup_history(
        self,
        ds: Mapping[str, Any],
        old: Sequence[Mapping[str, Any]],
        selector: Selector,
        recheck: Recheck,
    ) -> None:
        """``cleanupHistory``: delete the oldest revisions no pod uses beyond the limit."""
        limit = _spec(ds).get("revisionHistoryLimit")
        to_kill = len(old) - (10 if limit is None else int(limit))
        if to_kill <= 0:
            return
        node_pods = await self._node_pods(ds, selector, recheck, include_deleted_terminal=True)
        live = {
            str(labels[POD_REVISION_LABEL])
            for pods in node_pods.values()
            for pod in pods
            if (labels := _meta(pod).get("labels") or {}).get(POD_REVISION_LABEL)
        }
        unused = unused_revisions(sort_revisions(old), live=live, label=POD_REVISION_LABEL)
        for history in unused[:to_kill]:
            await self.history.delete(history)

    # -- status --------------------------------------------------------------------------

    async def _update_status(
        self,
        ds: Mapping[str, Any],
        nodes: Sequence[Mapping[str, Any]],
        hash_: str,
        selector: Selector,
        recheck: Recheck,
        *,
        observed: bool,
    ) -> None:
        """``updateDaemonSetStatus`` and ``storeDaemonSetStatus``."""
        node_pods = await self._node_pods(ds, selector, recheck)
        counts = daemon_status(
            [(_name(n), should_run(n, ds)[0]) for n in nodes],
            node_pods,
            hash_=hash_,
            generation=template_generation(ds),
            min_ready_seconds=_min_ready(ds),
            now=self.now(),
        )
        wanted = {
            "desiredNumberScheduled": counts.desired_number_scheduled,
            "currentNumberScheduled": counts.current_number_scheduled,
            "numberMisscheduled": counts.number_misscheduled,
            "numberReady": counts.number_ready,
            "updatedNumberScheduled": counts.updated_number_scheduled,
            "numberAvailable": counts.number_available,
            "numberUnavailable": counts.number_unavailable,
        }
        generation = int(_meta(ds).get("generation") or 0)
        have = ds.get("status") or {}
        if all(int(have.get(k) or 0) == v for k, v in wanted.items()) and (
            int(have.get("observedGeneration") or 0) >= generation
        ):
            if counts.number_ready != counts.number_available and _min_ready(ds) > 0:
                self.queue.add_after(object_key(ds), _min_ready(ds))
            return
        body: Obj = copy.deepcopy(dict(ds))
        for attempt in range(_STATUS_UPDATE_RETRIES + 1):
            status = body.setdefault("status", {})
            if observed:
                status["observedGeneration"] = generation
            for field, value in wanted.items():
                # Go leaves these out when zero (omitempty); the first four always show.
                if value or field in _ALWAYS_SHOWN:
                    status[field] = value
                else:
                    status.pop(field, None)
            try:
                await self.set_client.update_status(body)
                break
            except errors.StatusError:
                if attempt >= _STATUS_UPDATE_RETRIES:
                    raise
            body = await self.set_client.get(
                _name(ds), namespace=str(_meta(ds).get("namespace", ""))
            )
        if counts.number_ready != counts.number_available and _min_ready(ds) > 0:
            # availability comes with time, not with an event
            self.queue.add_after(object_key(ds), _min_ready(ds))


_ALWAYS_SHOWN: Final = frozenset(
    {"desiredNumberScheduled", "currentNumberScheduled", "numberMisscheduled", "numberReady"}
)


def _namespace_terminating(err: errors.StatusError) -> bool:
    """The namespace is being deleted: every further creation would fail the same way."""
    details = err.details
    causes = details.causes if details is not None else ()
    return any(c.reason == "NamespaceTerminating" for c in causes or ())
