"""The StatefulSet update algorithm: one pass from the pods there are to the pods wanted.

``defaultStatefulSetControl`` of ``stateful_set_control.go``, step by step:

1. **Revisions.** The set's template is snapshotted as the *update revision*
   (an existing equal revision is reused, or renumbered if it is not the
   latest); ``status.currentRevision`` names the *current revision*, the
   update revision if there is none yet.
2. **Sort the pods.** Pods with ordinals ``start..start+replicas-1`` are the
   replicas; other ordinals are *condemned*. Missing replicas are planned
   from the current revision below the partition and from the update
   revision at and above it.
3. **Replicas, in ordinal order.** A failed or succeeded pod is deleted (to
   be recreated at the next pass); a missing pod is created with its claims.
   Under ``OrderedReady`` (*monotonic*) the pass stops at the first pod it
   creates, or that is terminating, not running and ready, or not available:
   pod N+1 is never created before pod N is ready. Under ``Parallel`` every
   replica is handled at once (in slow-start batches). Pods whose identity,
   storage or claim owners drifted are repaired.
4. **Condemned pods, highest ordinal first**, one at a time and only once
   every replica is healthy under ``OrderedReady``, all at once under
   ``Parallel``.
5. **Rolling update** (not ``OnDelete``): from the highest ordinal down to
   the partition, delete the first pod not at the update revision, then wait
   for the replacement to be healthy before the next. With
   ``maxUnavailable`` (the ``MaxUnavailableStatefulSet`` feature, alpha and off
   in 1.32, so off by default here too) up to that many are replaced at once.
6. **Status** is written if it changed; the history beyond
   ``revisionHistoryLimit`` is deleted, keeping every revision a pod, the
   current or the update revision uses.

API failures stop the pass and surface to the caller (which retries with
back-off) after the status has been written.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.api.apps.v1 import StatefulSet
from kubeling.api.intstr import IntOrStringError, scaled_value
from kubeling.api.labels import Selector, label_selector_as_selector
from kubeling.api.patch import apply_strategic_merge_patch
from kubeling.api.patch.declared import DeclaredPatchMeta
from kubeling.controllers.history import (
    equal_revision,
    find_equal_revisions,
    new_revision,
    next_revision,
    sort_revisions,
    template_patch,
    unused_revisions,
)
from kubeling.controllers.statefulset.identity import (
    API_VERSION,
    KIND,
    end_ordinal,
    identity_matches,
    in_ordinal_range,
    is_created,
    is_failed,
    is_healthy,
    is_pending,
    is_running_and_available,
    is_running_and_ready,
    is_succeeded,
    is_terminating,
    new_versioned_pod,
    ordinal_of,
    pod_revision,
    replicas_of,
    start_ordinal,
    storage_matches,
)
from kubeling.controllers.statefulset.podcontrol import StatefulSetError, aggregate
from kubeling.controllers.statefulset.status import (
    SetStatus,
    complete_rolling_update,
    count_pods,
    inconsistent,
)

__all__ = [
    "MAX_BATCH_SIZE",
    "PodWriter",
    "RevisionStore",
    "StatefulSetControl",
    "StatusWriter",
    "apply_revision",
]

Obj = dict[str, Any]
Pod = Mapping[str, Any]

#: The most pod operations a ``Parallel`` set has in flight at once.
MAX_BATCH_SIZE: Final = 500

_PATCH_META: Final = DeclaredPatchMeta(StatefulSet)


class PodWriter(Protocol):
    """What the algorithm asks of :class:`~.podcontrol.StatefulPodControl`."""

    async def create(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None: ...
    async def update(self, sts: Mapping[str, Any], pod: Obj) -> None: ...
    async def delete(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> None: ...
    def claims_match_retention_policy(
        self, sts: Mapping[str, Any], pod: Mapping[str, Any]
    ) -> bool: ...
    async def update_claims_for_retention_policy(
        self, sts: Mapping[str, Any], pod: Mapping[str, Any]
    ) -> None: ...
    def claim_is_stale(self, sts: Mapping[str, Any], pod: Mapping[str, Any]) -> bool: ...
    async def create_missing_claims(
        self, sts: Mapping[str, Any], pod: Mapping[str, Any]
    ) -> None: ...


class RevisionStore(Protocol):
    """What the algorithm asks of :class:`~kubeling.controllers.history.History`."""

    def list_for(self, owner: Mapping[str, Any], selector: Selector) -> list[Mapping[str, Any]]: ...
    async def create(
        self, owner: Mapping[str, Any], revision: Mapping[str, Any], collision_count: int
    ) -> tuple[Obj, int]: ...
    async def renumber(self, revision: Mapping[str, Any], number: int) -> Obj: ...
    async def delete(self, revision: Mapping[str, Any]) -> None: ...


class StatusWriter(Protocol):
    """Writes a set's status (retrying conflicts)."""

    async def write(self, sts: Mapping[str, Any], status: Obj) -> None: ...


def apply_revision(sts: Mapping[str, Any], revision: Mapping[str, Any]) -> Obj:
    """``ApplyRevision``: the set with the revision's patch (its template) applied."""
    return apply_strategic_merge_patch(
        copy.deepcopy(dict(sts)), copy.deepcopy(revision.get("data")), _PATCH_META
    )


def _spec(sts: Mapping[str, Any]) -> Mapping[str, Any]:
    return sts.get("spec") or {}


def _min_ready(sts: Mapping[str, Any]) -> int:
    return int(_spec(sts).get("minReadySeconds") or 0)


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


@dataclass(slots=True)
class _Revisions:
    current: Mapping[str, Any] | None = None
    update: Mapping[str, Any] | None = None


async def _slow_start(count: int, fn: Callable[[int], Awaitable[bool]]) -> None:
    """``slowStartBatch(1, ...)``: batches of 1, 2, 4... (at most 500) at once; stop
    after a batch with failures and raise them."""
    done, batch = 0, min(count, 1)
    while batch > 0:
        results = await asyncio.gather(
            *(fn(i) for i in range(done, done + batch)), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            if not isinstance(failure, Exception):
                raise failure  # cancellation and the like are not pod errors
        if failures:
            raise aggregate(failures)
        done += batch
        batch = min(2 * batch, count - done, MAX_BATCH_SIZE)


async def _run_for_all(
    count: int, fn: Callable[[int], Awaitable[bool]], *, monotonic: bool
) -> bool:
    """Run ``fn`` over the pods: in order, stopping when it says so (monotonic), or all
    at once. True when the pass must end here."""
    if monotonic:
        for i in range(count):
            if await fn(i):
                return True
        return False
    await _slow_start(count, fn)
    return False


class StatefulSetControl:
    """One StatefulSet's update pass, over injected pod, revision and status writers."""

    def __init__(
        self,
        *,
        pods: PodWriter,
        history: RevisionStore,
        status: StatusWriter,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        max_unavailable: bool = False,
    ) -> None:
        self.pods = pods
        self.history = history
        self.status_writer = status
        self.now = now
        #: The ``MaxUnavailableStatefulSet`` feature gate (alpha, off in Kubernetes 1.32).
        self.max_unavailable = max_unavailable

    async def update(self, sts: Mapping[str, Any], pods: Sequence[Pod]) -> SetStatus | None:
        """``UpdateStatefulSet``: one pass; the status it wrote (None if it failed early)."""
        owned: Obj = copy.deepcopy(dict(sts))
        selector = label_selector_as_selector(_spec(owned).get("selector"))
        revisions = sort_revisions(self.history.list_for(owned, selector))
        chosen = _Revisions()
        try:
            status = await self._perform_update(owned, pods, revisions, chosen)
        except Exception as err:
            try:
                await self._truncate_history(owned, pods, revisions, chosen)
            except Exception as truncate_err:
                raise aggregate([err, truncate_err]) from err
            raise
        await self._truncate_history(owned, pods, revisions, chosen)
        return status

    async def _perform_update(
        self,
        sts: Obj,
        pods: Sequence[Pod],
        revisions: list[Mapping[str, Any]],
        chosen: _Revisions,
    ) -> SetStatus:
        current, update, collision_count = await self._revisions(sts, revisions)
        chosen.current, chosen.update = current, update
        status, failure = await self._update_pods(sts, current, update, collision_count, pods)
        try:
            await self._write_status(sts, status)
        except Exception:
            if failure is None:
                raise
        if failure is not None:
            raise failure
        return status

    async def _revisions(
        self, sts: Obj, revisions: list[Mapping[str, Any]]
    ) -> tuple[Mapping[str, Any], Mapping[str, Any], int]:
        """``getStatefulSetRevisions``: the current and update revisions, creating or
        renumbering the update revision as needed, and the collision count."""
        collision_count = int((sts.get("status") or {}).get("collisionCount") or 0)
        update: Mapping[str, Any] = new_revision(
            sts,
            api_version=API_VERSION,
            kind=KIND,
            data=template_patch(sts),
            revision=next_revision(revisions),
            collision_count=collision_count,
        )
        equal = find_equal_revisions(revisions, update)
        if equal and equal_revision(revisions[-1], equal[-1]):
            update = revisions[-1]  # the template did not change
        elif equal:
            # back to an earlier template: it becomes the latest revision again
            update = await self.history.renumber(equal[-1], int(update["revision"]))
        else:
            update, collision_count = await self.history.create(sts, update, collision_count)
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if _name(r) == wanted), update)
        return current, update, collision_count

    async def _update_pods(
        self,
        sts: Obj,
        current: Mapping[str, Any],
        update: Mapping[str, Any],
        collision_count: int,
        pods: Sequence[Pod],
    ) -> tuple[SetStatus, Exception | None]:
        """``updateStatefulSet``: the pod writes of one pass, and the status they leave."""
        now = self.now()
        current_set = apply_revision(sts, current)
        update_set = apply_revision(sts, update)
        current_name, update_name = _name(current), _name(update)
        status = SetStatus(
            observed_generation=int((sts.get("metadata") or {}).get("generation") or 0),
            current_revision=current_name,
            update_revision=update_name,
            collision_count=collision_count,
        )

        def recount(*lists: Sequence[Pod]) -> None:
            count_pods(
                status,
                [pod for pods_ in lists for pod in pods_],
                min_ready_seconds=_min_ready(sts),
                current_revision=current_name,
                update_revision=update_name,
                now=now,
            )

        recount(pods)
        start = start_ordinal(sts)
        replicas: list[Pod | None] = [None] * max(replicas_of(sts), 0)
        condemned: list[Pod] = []
        for pod in pods:
            if in_ordinal_range(pod, sts):
                replicas[ordinal_of(pod) - start] = pod
            elif ordinal_of(pod) >= 0:
                condemned.append(pod)
        for ordinal in range(start, end_ordinal(sts) + 1):
            if replicas[ordinal - start] is None:
                replicas[ordinal - start] = new_versioned_pod(
                    current_set, update_set, current_name, update_name, ordinal
                )
        members: list[Pod] = [pod for pod in replicas if pod is not None]
        condemned.sort(key=ordinal_of, reverse=True)
        first_unhealthy = next(
            (p for p in [*members, *reversed(condemned)] if not is_healthy(p)), None
        )
        if (sts.get("metadata") or {}).get("deletionTimestamp"):
            return status, None  # being deleted: report, change nothing

        monotonic = _spec(sts).get("podManagementPolicy") != "Parallel"
        try:

            async def replica(i: int) -> bool:
                return await self._process_replica(sts, update_set, monotonic, members[i], now)

            if await _run_for_all(len(members), replica, monotonic=monotonic):
                recount(members, condemned)
                return status, None

            async def fix_claims(i: int) -> bool:
                if not self.pods.claims_match_retention_policy(update_set, condemned[i]):
                    await self.pods.update_claims_for_retention_policy(update_set, condemned[i])
                return False

            await _run_for_all(len(condemned), fix_claims, monotonic=monotonic)

            async def condemn(i: int) -> bool:
                return await self._process_condemned(
                    sts, first_unhealthy, monotonic, condemned[i], now
                )

            if await _run_for_all(len(condemned), condemn, monotonic=monotonic):
                recount(members, condemned)
                return status, None
        except Exception as err:
            recount(members, condemned)
            return status, err

        recount(members, condemned)
        strategy = _spec(sts).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return status, None  # pods change revision only when deleted by hand
        try:
            if self.max_unavailable:
                await self._roll_with_max_unavailable(sts, members, update_name, status)
            else:
                await self._roll_one(sts, members, update_name, status)
        except Exception as err:
            return status, err
        return status, None

    async def _process_replica(
        self,
        sts: Obj,
        update_set: Obj,
        monotonic: bool,
        pod: Pod,
        now: datetime.datetime,
    ) -> bool:
        """One replica; True when a monotonic pass must stop at it."""
        if is_failed(pod) or is_succeeded(pod):
            # Whatever the exit code, a finished pod is replaced (by the next pass).
            if not is_terminating(pod):
                await self.pods.delete(sts, pod)
            return True
        if not is_created(pod):
            if self.pods.claim_is_stale(sts, pod):
                return True  # wait for the collector to remove the old claim
            await self.pods.create(sts, pod)
            if monotonic:
                return True
        if is_pending(pod):
            await self.pods.create_missing_claims(sts, pod)
        if monotonic and (
            is_terminating(pod)
            or not is_running_and_ready(pod)
            or not is_running_and_available(pod, _min_ready(sts), now)
        ):
            return True
        try:
            retention_ok = self.pods.claims_match_retention_policy(update_set, pod)
        except errors.StatusError:
            retention_ok = True  # expected while the pod is still being updated
        if identity_matches(sts, pod) and storage_matches(sts, pod) and retention_ok:
            return False
        await self.pods.update(update_set, copy.deepcopy(dict(pod)))
        return False

    async def _process_condemned(
        self,
        sts: Obj,
        first_unhealthy: Pod | None,
        monotonic: bool,
        pod: Pod,
        now: datetime.datetime,
    ) -> bool:
        """One pod past the wanted ordinals; True when a monotonic pass must stop."""
        if is_terminating(pod):
            return monotonic  # wait for it to go before the next
        if monotonic and pod is not first_unhealthy:
            if not is_running_and_ready(pod):
                return True
            if not is_running_and_available(pod, _min_ready(sts), now):
                return True
        await self.pods.delete(sts, pod)
        return True

    def _partition(self, sts: Mapping[str, Any]) -> int:
        rolling = (_spec(sts).get("updateStrategy") or {}).get("rollingUpdate")
        return int((rolling or {}).get("partition") or 0) if rolling is not None else 0

    async def _delete_for_update(self, sts: Obj, pod: Pod, status: SetStatus) -> None:
        try:
            await self.pods.delete(sts, pod)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
        status.current_replicas -= 1

    async def _roll_one(
        self, sts: Obj, replicas: Sequence[Pod], update_name: str, status: SetStatus
    ) -> None:
        """Replace the highest-ordinal outdated pod at or above the partition, once every
        pod above it is healthy."""
        for target in range(len(replicas) - 1, self._partition(sts) - 1, -1):
            pod = replicas[target]
            if pod_revision(pod) != update_name and not is_terminating(pod):
                await self._delete_for_update(sts, pod, status)
                return
            if not is_healthy(pod):
                return  # wait for the replacement

    async def _roll_with_max_unavailable(
        self, sts: Obj, replicas: Sequence[Pod], update_name: str, status: SetStatus
    ) -> None:
        """``updateStatefulSetAfterInvariantEstablished``: replace outdated pods, highest
        ordinal first, while fewer than ``maxUnavailable`` pods are unhealthy."""
        rolling = (_spec(sts).get("updateStrategy") or {}).get("rollingUpdate")
        max_unavailable = 1
        if rolling is not None:
            raw = rolling.get("maxUnavailable")
            try:
                max_unavailable = scaled_value(
                    1 if raw is None else raw, replicas_of(sts), round_up=False
                )
            except IntOrStringError as err:
                raise StatefulSetError(str(err)) from err
            max_unavailable = max(max_unavailable, 1)
        unavailable = sum(1 for pod in replicas if not is_healthy(pod))
        budget = max_unavailable - unavailable
        for target in range(len(replicas) - 1, self._partition(sts) - 1, -1):
            if budget <= 0:
                return
            pod = replicas[target]
            if pod_revision(pod) != update_name and not is_terminating(pod):
                await self._delete_for_update(sts, pod, status)
                budget -= 1

    async def _write_status(self, sts: Mapping[str, Any], status: SetStatus) -> None:
        """``updateStatefulSetStatus``: complete a finished rolling update; write if changed."""
        complete_rolling_update(sts, status)
        if inconsistent(sts, status):
            await self.status_writer.write(sts, status.to_json())

    async def _truncate_history(
        self,
        sts: Mapping[str, Any],
        pods: Sequence[Pod],
        revisions: Sequence[Mapping[str, Any]],
        chosen: _Revisions,
    ) -> None:
        """Delete the oldest revisions no pod uses beyond ``revisionHistoryLimit``."""
        live = {pod_revision(pod) for pod in pods}
        live.update(_name(r) for r in (chosen.current, chosen.update) if r is not None)
        unused = unused_revisions(revisions, live=live)
        limit = _spec(sts).get("revisionHistoryLimit")
        excess = len(unused) - (10 if limit is None else int(limit))
        for revision in unused[: max(excess, 0)]:
            await self.history.delete(revision)
