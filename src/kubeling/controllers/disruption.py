"""The disruption controller (``disruption``): PodDisruptionBudget status.

For each budget, as Kubernetes 1.32's ``pkg/controller/disruption`` does:

- the pods its selector picks in its namespace;
- ``expectedPods``: for ``maxUnavailable``, or a percentage ``minAvailable``,
  the sum of the scales of the pods' controllers (Deployment through its
  ReplicaSets, ReplicaSet, StatefulSet, ReplicationController, or any
  resource with a ``scale`` subresource, custom ones included); for an integer
  ``minAvailable``, the number of pods. Pods with no controller are reported
  (``UnmanagedPods``) and left out of the scale;
- ``desiredHealthy``: ``minAvailable`` (percentages rounded up), or
  ``expectedPods - maxUnavailable`` (rounded up), at least 0;
- ``currentHealthy``: ready pods that are neither terminating nor in
  ``disruptedPods`` (evictions the API server approved in the last two
  minutes and the controller has not yet seen happen);
- ``disruptionsAllowed``: ``currentHealthy - desiredHealthy``, never below 0,
  and 0 while ``expectedPods`` is 0;
- ``observedGeneration`` and the ``DisruptionAllowed`` condition
  (``SufficientPods``/``InsufficientPods``).

When the status cannot be computed (no controller found for a pod, a
controller without a scale...), the fail-safe writes ``disruptionsAllowed:
0`` with ``DisruptionAllowed=False/SyncFailed`` so that evictions stop. An
entry of ``disruptedPods`` whose pod was not deleted within two minutes is
dropped (``NotDeleted`` event). A pod left with a ``DisruptionTarget``
condition but no deletion for two minutes gets the condition set False.
Events come from ``controllermanager``, as upstream's recorder names itself.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from kubeling.api import errors, labels
from kubeling.api.goformat import go_label_selector, go_quote
from kubeling.api.intstr import IntOrStringError, scaled_value
from kubeling.api.meta.conditions import set_status_condition
from kubeling.api.podconditions import DISRUPTION_TARGET, update_pod_condition
from kubeling.api.policy.budget import (
    DISRUPTION_ALLOWED,
    SYNC_FAILED,
    conditions_are_up_to_date,
    update_disruption_allowed_condition,
)
from kubeling.api.timestamps import format_time
from kubeling.client import (
    NORMAL,
    WARNING,
    DeletedFinalStateUnknown,
    ShutDown,
    WorkQueue,
    object_key,
    split_key,
)
from kubeling.client.ratelimit import default_controller_rate_limiter
from kubeling.client.resources import (
    DEPLOYMENTS,
    PODDISRUPTIONBUDGETS,
    PODS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    STATEFULSETS,
)
from kubeling.client.rest import NoKindMatchError
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.ownership import controller_of
from kubeling.controllers.pods import condition, is_pod_ready, parse_time
from kubeling.controllers.scale import get_scale, implements_scale

__all__ = [
    "DELETION_TIMEOUT",
    "DisruptionController",
    "SyncError",
    "count_healthy",
    "disrupted_pods_still_pending",
    "disruptions_allowed",
]

Obj = dict[str, Any]

#: How long an approved eviction may take to show as a deletion (``DeletionTimeout``).
DELETION_TIMEOUT: Final = 120.0
#: How long a DisruptionTarget condition may stay on a pod that is not being deleted.
STALE_POD_DISRUPTION_TIMEOUT: Final = 120.0


class SyncError(Exception):
    """The status cannot be computed; the message goes into the SyncFailed condition."""


def _epoch(value: object) -> float | None:
    moment = parse_time(value) if isinstance(value, str) else None
    return None if moment is None else moment.timestamp()


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


# -- pure decisions ---------------------------------------------------------------------


def disrupted_pods_still_pending(
    pods: Sequence[Mapping[str, Any]], disrupted: Mapping[str, str] | None, now: float
) -> tuple[dict[str, str], float | None, list[Mapping[str, Any]]]:
    """``buildDisruptedPodMap``: the ``disruptedPods`` entries to keep, when to look
    again (the earliest expiry, epoch seconds), and the pods whose eviction expired
    without a deletion."""
    kept: dict[str, str] = {}
    recheck: float | None = None
    expired: list[Mapping[str, Any]] = []
    if not disrupted:
        return kept, recheck, expired
    for pod in pods:
        meta = _meta(pod)
        if meta.get("deletionTimestamp"):
            continue  # being deleted: the eviction happened
        name = str(meta.get("name", ""))
        when = disrupted.get(name)
        if when is None:
            continue
        since = _epoch(when)
        expected_deletion = (since if since is not None else now) + DELETION_TIMEOUT
        if expected_deletion < now:
            expired.append(pod)
            continue
        if recheck is None or expected_deletion < recheck:
            recheck = expected_deletion
        kept[name] = when
    return kept, recheck, expired


def count_healthy(
    pods: Sequence[Mapping[str, Any]], disrupted: Mapping[str, str], now: float
) -> int:
    """Ready pods not being deleted and not about to be (``countHealthyPods``)."""
    healthy = 0
    for pod in pods:
        meta = _meta(pod)
        if meta.get("deletionTimestamp"):
            continue
        since = _epoch(disrupted.get(str(meta.get("name", ""))))
        if since is not None and since + DELETION_TIMEOUT > now:
            continue
        if is_pod_ready(pod):
            healthy += 1
    return healthy


def disruptions_allowed(current_healthy: int, desired_healthy: int, expected_pods: int) -> int:
    """How many pods may go now; 0 while no pod is expected (a budget that has not
    seen its pods yet must not allow anything).

    >>> disruptions_allowed(3, 2, 3), disruptions_allowed(1, 2, 3), disruptions_allowed(3, 0, 0)
    (1, 0, 0)
    """
    allowed = current_healthy - desired_healthy
    return 0 if expected_pods <= 0 or allowed <= 0 else allowed


def _selector(pdb: Mapping[str, Any]) -> labels.Selector:
    return labels.label_selector_as_selector((pdb.get("spec") or {}).get("selector"))


def budget_matches(pdb: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether the budget covers the pod: same namespace, selector matches (an empty
    selector matches every pod, a missing or invalid one none; a pod without
    labels is covered by none, as the PDB lister decides)."""
    pod_labels = _meta(pod).get("labels") or {}
    if not pod_labels or _meta(pdb).get("namespace") != _meta(pod).get("namespace"):
        return False
    try:
        return _selector(pdb).matches(pod_labels)
    except labels.SelectorParseError:
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class _Scaled:
    uid: str
    replicas: int


Finder = Callable[[Mapping[str, Any], str], Awaitable[_Scaled | None]]


def _group_of(api_version: object) -> str:
    text = str(api_version or "")
    return text.rpartition("/")[0] if "/" in text else ""


def _is(ref: Mapping[str, Any], kind: str, groups: Sequence[str]) -> bool:
    return ref.get("kind") == kind and _group_of(ref.get("apiVersion")) in groups


class DisruptionController(Controller):
    name: ClassVar[str] = "disruption"
    component: ClassVar[str] = "controllermanager"
    workers: ClassVar[int] = 1
    max_retries: ClassVar[int | None] = None

    def __init__(self, ctx: ControllerContext, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ctx)
        self._clock = clock
        self.budgets_client = self.client.resource(PODDISRUPTIONBUDGETS)
        self.pods_client = self.client.resource(PODS)
        self.budgets = self.informers.informer_for(PODDISRUPTIONBUDGETS)
        self.pods = self.informers.informer_for(PODS)
        self.rcs = self.informers.informer_for(REPLICATIONCONTROLLERS)
        self.replicasets = self.informers.informer_for(REPLICASETS)
        self.deployments = self.informers.informer_for(DEPLOYMENTS)
        self.statefulsets = self.informers.informer_for(STATEFULSETS)
        self.budgets.add_event_handler(
            on_add=self.enqueue,
            on_update=lambda _old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.pods.add_event_handler(
            on_add=self._pod_changed,
            on_update=lambda _old, new: self._pod_changed(new),
            on_delete=self._pod_deleted,
        )
        self.stale_queue: WorkQueue[str] = WorkQueue(
            rate_limiter=default_controller_rate_limiter(), name="stale_pod_disruption"
        )

    # -- handlers ------------------------------------------------------------------------

    def _budget_for_pod(self, pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
        namespace = str(_meta(pod).get("namespace") or "")
        matching = sorted(
            (
                pdb
                for pdb in self.budgets.lister.list(namespace=namespace)
                if budget_matches(pdb, pod)
            ),
            key=lambda pdb: str(_meta(pdb).get("name", "")),
        )
        if not matching:
            return None
        if len(matching) > 1:
            chosen = str(_meta(matching[0]).get("name", ""))
            self.recorder.event(
                pod,
                WARNING,
                "MultiplePodDisruptionBudgets",
                f"Pod {go_quote(namespace)}/{go_quote(str(_meta(pod).get('name', '')))} matches "
                f"multiple PodDisruptionBudgets.  Chose {go_quote(chosen)} arbitrarily.",
            )
        return matching[0]

    def _pod_changed(self, pod: Mapping[str, Any]) -> None:
        budget = self._budget_for_pod(pod)
        if budget is not None:
            self.enqueue(budget)
        wait = self._stale_disruption_wait(pod)
        if wait is not None:
            self.stale_queue.add_after(object_key(pod), wait)

    def _pod_deleted(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        budget = self._budget_for_pod(pod)
        if budget is not None:
            self.enqueue(budget)

    # -- loops ---------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(super().run(), name="disruption-workers")
                group.create_task(self._stale_worker(), name="disruption-stale-pods")
        finally:
            self.stale_queue.shutdown()

    async def _stale_worker(self) -> None:
        while True:
            try:
                key = await self.stale_queue.get()
            except ShutDown:
                return
            try:
                await self._sync_stale_pod_disruption(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stale_queue.add_rate_limited(key)
            else:
                self.stale_queue.forget(key)
            finally:
                self.stale_queue.done(key)

    # -- the budget's status ---------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            pdb = self.budgets.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        try:
            await self._try_sync(pdb)
        except errors.StatusError as err:
            if errors.is_conflict(err):
                raise  # retried without the fail-safe
            await self._fail_safe(pdb, err.message)
        except SyncError as err:
            await self._fail_safe(pdb, str(err))

    async def _try_sync(self, pdb: Mapping[str, Any]) -> None:
        namespace = str(_meta(pdb).get("namespace") or "")
        try:
            selector = _selector(pdb)
        except labels.SelectorParseError as err:
            self.recorder.event(pdb, WARNING, "NoPods", f"Failed to get pods: {err}")
            raise SyncError(str(err)) from err
        # a missing selector matches nothing, an empty one everything
        pods = self.pods.lister.list(namespace=namespace, selector=selector)
        if not pods:
            self.recorder.event(pdb, NORMAL, "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = await self._expected_pod_count(pdb, pods)
        except SyncError as err:
            self.recorder.event(
                pdb,
                WARNING,
                "CalculateExpectedPodCountFailed",
                f"Failed to calculate the number of expected pods: {err}",
            )
            raise
        if unmanaged:
            self.recorder.event(
                pdb,
                WARNING,
                "UnmanagedPods",
                "Pods selected by this PodDisruptionBudget (selector: "
                f"{go_label_selector((pdb.get('spec') or {}).get('selector'))}) were found "
                "to be unmanaged. As a result, the status of the PDB cannot be calculated "
                "correctly, which may result in undefined behavior. To account for these pods "
                'please set ".spec.minAvailable" field of the PDB to an integer value.',
            )
        now = self._clock()
        status = pdb.get("status") or {}
        disrupted, recheck, expired = disrupted_pods_still_pending(
            pods, status.get("disruptedPods"), now
        )
        for pod in expired:
            # upstream names the budget's namespace twice here; so do we
            self.recorder.event(
                pod,
                WARNING,
                "NotDeleted",
                f"Pod was expected by PDB {namespace}/{namespace} to be deleted but it wasn't",
            )
        healthy = count_healthy(pods, disrupted, now)
        await self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self.queue.add_after(object_key(pdb), max(0.0, recheck - now))

    async def _expected_pod_count(
        self, pdb: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]
    ) -> tuple[int, int, list[str]]:
        """(expectedPods, desiredHealthy, unmanaged pod names) (``getExpectedPodCount``)."""
        spec = pdb.get("spec") or {}
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        try:
            if max_unavailable is not None:
                expected, unmanaged = await self._expected_scale(pods)
                unavailable = scaled_value(max_unavailable, expected, round_up=True)
                return expected, max(0, expected - unavailable), unmanaged
            if isinstance(min_available, int) and not isinstance(min_available, bool):
                return len(pods), min_available, []
            if isinstance(min_available, str):
                expected, unmanaged = await self._expected_scale(pods)
                return expected, scaled_value(min_available, expected, round_up=True), unmanaged
        except IntOrStringError as err:
            raise SyncError(str(err)) from err
        return 0, 0, []

    async def _expected_scale(self, pods: Sequence[Mapping[str, Any]]) -> tuple[int, list[str]]:
        """The sum of the scales of the pods' controllers, and the pods without one."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        finders: tuple[Finder, ...] = (
            self._replication_controller,
            self._deployment,
            self._replica_set,
            self._stateful_set,
            self._scale_controller,
        )
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                unmanaged.append(str(_meta(pod).get("name", "")))
                continue
            if str(ref.get("uid", "")) in scales:
                continue
            namespace = str(_meta(pod).get("namespace") or "")
            for finder in finders:
                found = await finder(ref, namespace)
                if found is not None:
                    scales[found.uid] = found.replicas
                    break
            else:
                raise SyncError(
                    f"found no controllers for pod {go_quote(str(_meta(pod).get('name', '')))}"
                )
        return sum(scales.values()), unmanaged

    @staticmethod
    def _cached(informer: Any, name: str, namespace: str, uid: object) -> Mapping[str, Any] | None:
        try:
            obj: Mapping[str, Any] = informer.lister.get(name, namespace=namespace)
        except errors.StatusError:
            return None
        return obj if _meta(obj).get("uid") == uid else None

    @staticmethod
    def _replicas(obj: Mapping[str, Any]) -> int:
        replicas = (obj.get("spec") or {}).get("replicas")
        return replicas if isinstance(replicas, int) else 1

    async def _replication_controller(
        self, ref: Mapping[str, Any], namespace: str
    ) -> _Scaled | None:
        if not _is(ref, "ReplicationController", ("",)):
            return None
        rc = self._cached(self.rcs, str(ref.get("name")), namespace, ref.get("uid"))
        return None if rc is None else _Scaled(str(_meta(rc)["uid"]), self._replicas(rc))

    async def _deployment(self, ref: Mapping[str, Any], namespace: str) -> _Scaled | None:
        if not _is(ref, "ReplicaSet", ("apps", "extensions")):
            return None
        rs = self._cached(self.replicasets, str(ref.get("name")), namespace, ref.get("uid"))
        owner = controller_of(rs) if rs is not None else None
        if owner is None or not _is(owner, "Deployment", ("apps", "extensions")):
            return None
        deployment = self._cached(
            self.deployments, str(owner.get("name")), namespace, owner.get("uid")
        )
        if deployment is None:
            return None
        return _Scaled(str(_meta(deployment)["uid"]), self._replicas(deployment))

    async def _replica_set(self, ref: Mapping[str, Any], namespace: str) -> _Scaled | None:
        if not _is(ref, "ReplicaSet", ("apps", "extensions")):
            return None
        rs = self._cached(self.replicasets, str(ref.get("name")), namespace, ref.get("uid"))
        if rs is None:
            return None
        owner = controller_of(rs)
        if owner is not None and owner.get("kind") == "Deployment":
            return None  # counted through its Deployment
        return _Scaled(str(_meta(rs)["uid"]), self._replicas(rs))

    async def _stateful_set(self, ref: Mapping[str, Any], namespace: str) -> _Scaled | None:
        if not _is(ref, "StatefulSet", ("apps",)):
            return None
        sts = self._cached(self.statefulsets, str(ref.get("name")), namespace, ref.get("uid"))
        return None if sts is None else _Scaled(str(_meta(sts)["uid"]), self._replicas(sts))

    async def _scale_controller(self, ref: Mapping[str, Any], namespace: str) -> _Scaled | None:
        """Any other controller, through its scale subresource (custom resources)."""
        api_version, kind = str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
        try:
            resource = await self.client.find_resource(api_version, kind)
        except NoKindMatchError as err:
            raise SyncError(str(err)) from err
        try:
            scale = await get_scale(self.client, resource, namespace, str(ref.get("name")))
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            if not await implements_scale(self.client, resource):
                raise SyncError(
                    f"{resource.group_resource} does not implement the scale subresource"
                ) from err
            return None
        if _meta(scale).get("uid") != ref.get("uid"):
            return None
        replicas = (scale.get("spec") or {}).get("replicas")
        return _Scaled(str(_meta(scale).get("uid")), replicas if isinstance(replicas, int) else 0)

    async def _update_status(
        self,
        pdb: Mapping[str, Any],
        current: int,
        desired: int,
        expected: int,
        disrupted: Mapping[str, str],
    ) -> None:
        allowed = disruptions_allowed(current, desired, expected)
        status = pdb.get("status") or {}
        generation = int(_meta(pdb).get("generation") or 0)
        unchanged = (
            status.get("currentHealthy") == current
            and status.get("desiredHealthy") == desired
            and status.get("expectedPods") == expected
            and status.get("disruptionsAllowed") == allowed
            and dict(status.get("disruptedPods") or {}) == dict(disrupted)
            and int(status.get("observedGeneration") or 0) == generation
            and conditions_are_up_to_date(pdb)
        )
        if unchanged:
            return
        new_status: Obj = {}
        if generation:
            new_status["observedGeneration"] = generation
        if disrupted:
            new_status["disruptedPods"] = dict(disrupted)
        new_status.update(
            disruptionsAllowed=allowed,
            currentHealthy=current,
            desiredHealthy=desired,
            expectedPods=expected,
            conditions=copy.deepcopy(list(status.get("conditions") or [])),
        )
        update_disruption_allowed_condition(new_status, now=format_time(self._clock()))
        await self._write_status(pdb, new_status)

    async def _fail_safe(self, pdb: Mapping[str, Any], message: str) -> None:
        """Stop evictions when the status cannot be computed (``failSafe``)."""
        status = copy.deepcopy(dict(pdb.get("status") or {}))
        status["disruptionsAllowed"] = 0
        conditions = status.get("conditions")
        if not isinstance(conditions, list):
            conditions = status["conditions"] = []
        set_status_condition(
            conditions,
            {
                "type": DISRUPTION_ALLOWED,
                "status": "False",
                "reason": SYNC_FAILED,
                "message": message,
                "observedGeneration": int(status.get("observedGeneration") or 0),
            },
            now=format_time(self._clock()),
        )
        await self._write_status(pdb, status)

    async def _write_status(self, pdb: Mapping[str, Any], status: Obj) -> None:
        updated = copy.deepcopy(dict(pdb))
        updated["status"] = status
        # a failure is retried by the queue, from the cache's next view
        await self.budgets_client.update_status(updated)

    # -- stale DisruptionTarget conditions -------------------------------------------------

    def _stale_disruption_wait(self, pod: Mapping[str, Any]) -> float | None:
        """Seconds until the pod's DisruptionTarget condition counts as stale; None if
        it has none that can go stale (``nonTerminatingPodHasStaleDisruptionCondition``)."""
        if _meta(pod).get("deletionTimestamp"):
            return None
        target = condition(pod, DISRUPTION_TARGET)
        phase = (pod.get("status") or {}).get("phase")
        if (
            target is None
            or target.get("status") != "True"
            or target.get("reason") == "TerminationByKubelet"
            or phase in ("Succeeded", "Failed")
        ):
            return None
        since = _epoch(target.get("lastTransitionTime"))
        elapsed = self._clock() - since if since is not None else STALE_POD_DISRUPTION_TIMEOUT
        return max(0.0, STALE_POD_DISRUPTION_TIMEOUT - elapsed)

    async def _sync_stale_pod_disruption(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            pod = self.pods.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        wait = self._stale_disruption_wait(pod)
        if wait is None:
            return
        if wait > 0:
            self.stale_queue.add_after(key, wait)
            return
        updated = copy.deepcopy(dict(pod))
        status = updated.setdefault("status", {})
        cleared = {"type": DISRUPTION_TARGET, "status": "False"}
        if update_pod_condition(status, cleared, now=format_time(self._clock())):
            await self.pods_client.update_status(updated)
