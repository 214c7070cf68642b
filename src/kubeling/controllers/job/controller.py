"""The Job controller: run a Job's pods to completion, count them exactly once, finish the Job.

Kubernetes 1.32's ``pkg/controller/job/job_controller.go``, sync by sync:

1. Read the Job from the cache (skip it if another controller manages it or it is
   finished), claim its pods (adopting orphans with the tracking finalizer), and
   count what finished since the last sync.
2. Decide whether the Job is done: a ``FailJob`` rule of its pod failure policy,
   more failures than ``backoffLimit`` (restarts too with ``OnFailure``), the
   ``activeDeadlineSeconds`` passed, too many failed indexes, its success policy,
   or enough completions. A finished Job gets its interim condition
   (``FailureTarget``/``SuccessCriteriaMet``) and its running pods deleted.
3. Otherwise manage the pods: delete them all while suspended, delete extras
   (and duplicated or invalid indexes), create what is missing in slow-start
   batches, after the pod-failure back-off (10 s doubling, at most 10 minutes).
4. Track (:mod:`.status`): move finished pods into ``uncountedTerminatedPods``,
   remove their finalizers, fold them into the counters, and once nothing is
   uncounted or terminating, write ``Complete`` or ``Failed``.

Pod writes (slow start, expectations, index annotations) are :mod:`.pods`'; the
Job's spec is read through :mod:`.jobs`.

Pod events wake a Job after a one-second batching delay, Job spec changes at
once. Orphan pods that still carry the tracking finalizer (their Job is gone or
finished) are released on keys of their own, ``orphan-pod:<namespace>/<name>``
(Kubernetes uses a second queue for them). The clock and the back-off are
injectable for tests.
"""

from __future__ import annotations

import copy
import datetime
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.api.timestamps import format_time
from kubeling.client import (
    NORMAL,
    WARNING,
    DeletedFinalStateUnknown,
    WorkQueue,
    object_key,
    split_key,
)
from kubeling.client.ratelimit import ItemExponentialFailureRateLimiter
from kubeling.client.resources import JOBS, PODS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.clock import Clock, utc_now
from kubeling.controllers.expectations import Expectations
from kubeling.controllers.job.backoff import (
    DEFAULT_POD_FAILURE_BACKOFF,
    MAX_POD_FAILURE_BACKOFF,
    BackoffStore,
    finish_time,
    remaining_backoff,
)
from kubeling.controllers.job.conditions import (
    COMPLETIONS_REACHED,
    COMPLETIONS_REACHED_MESSAGE,
    ensure_condition,
    new_condition,
    true_condition,
)
from kubeling.controllers.job.indexes import (
    UNKNOWN_INDEX,
    Intervals,
    completion_index,
    first_pending_indexes,
    index_failure_counts,
    indexes_of,
    split_duplicated_indexes,
)
from kubeling.controllers.job.jobs import (
    completions_of,
    has_backoff_limit_per_index,
    is_indexed,
    is_managed_elsewhere,
    is_pod_failed,
    is_suspended,
    meta_of,
    only_replace_failed_pods,
    past_backoff_limit_on_failure,
    phase_of,
    spec_of,
    uid_of,
)
from kubeling.controllers.job.pods import JobPods
from kubeling.controllers.job.policies import match_pod_failure_policy, match_success_policy
from kubeling.controllers.job.state import SyncState
from kubeling.controllers.job.status import StatusTracker
from kubeling.controllers.job.tracking import (
    FinalizerExpectations,
    has_tracking_finalizer,
)
from kubeling.controllers.job.util import (
    JOB_TRACKING_FINALIZER,
    is_job_finished,
)
from kubeling.controllers.ownership import CLAIM_INDEXERS, claim, claim_candidates, controller_of
from kubeling.controllers.podcontrol import PodControl
from kubeling.controllers.pods import (
    compare_active_pods,
    is_pod_active,
    is_pod_ready,
    is_pod_terminating,
    parse_time,
)

__all__ = ["JobController"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Pod = Mapping[str, Any]

#: Pod events wake their Job this much later, so a burst of them makes one sync.
SYNC_BATCH_PERIOD: Final = 1.0
#: At most this many pod creations or deletions per sync.
MAX_POD_CREATE_DELETE_PER_SYNC: Final = 500
ORPHAN_POD_PREFIX: Final = "orphan-pod:"
_API_VERSION: Final = "batch/v1"
_KIND: Final = "Job"


class JobController(Controller):
    """Kubernetes' ``job`` controller."""

    name = "job"
    component = "job-controller"
    workers = 5  # --concurrent-job-syncs
    max_retries = None  # retried with back-off for as long as it fails, as upstream

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        clock: Clock = utc_now,
        pod_failure_backoff: tuple[float, float] = (
            DEFAULT_POD_FAILURE_BACKOFF,
            MAX_POD_FAILURE_BACKOFF,
        ),
        sync_batch_period: float = SYNC_BATCH_PERIOD,
    ) -> None:
        super().__init__(ctx)
        # API failures back off from 1 s to a minute (DefaultJobApiBackOff, MaxJobApiBackOff).
        self.queue = WorkQueue(
            rate_limiter=ItemExponentialFailureRateLimiter(1.0, 60.0), name="job"
        )
        self.clock = clock
        self.backoff_base, self.backoff_cap = pod_failure_backoff
        self.sync_batch_period = sync_batch_period
        self.job_client = self.client.resource(JOBS)
        self.pod_client = self.client.resource(PODS)
        self.expectations = Expectations()
        self.finalizer_expectations = FinalizerExpectations()
        self.backoff_store = BackoffStore()
        self.job_pods = JobPods(
            PodControl(self.pod_client, self.recorder), self.pod_client, self.expectations
        )
        self.status = StatusTracker(
            job_client=self.job_client,
            pods=self.job_pods,
            finalizer_expectations=self.finalizer_expectations,
            backoff_store=self.backoff_store,
            recorder=self.recorder,
        )
        self.jobs = self.informers.informer_for(JOBS)
        self.pods = self.informers.informer_for(PODS, indexers=CLAIM_INDEXERS)
        self.jobs.add_event_handler(
            on_add=self._enqueue_now, on_update=self._update_job, on_delete=self._delete_job
        )
        self.pods.add_event_handler(
            on_add=self._add_pod,
            on_update=self._update_pod,
            on_delete=lambda obj: self._delete_pod(obj, final=True),
        )

    # -- informer handlers: they only queue keys ----------------------------------------------

    def _enqueue_now(self, job: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        self.queue.add(object_key(job))

    def _enqueue_batched(self, job: Mapping[str, Any]) -> None:
        self.queue.add_after(object_key(job), self.sync_batch_period)

    def _enqueue_orphan(self, pod: Pod) -> None:
        self.queue.add(ORPHAN_POD_PREFIX + object_key(pod))

    def _update_job(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if meta_of(old).get("generation") == meta_of(new).get("generation"):
            self._enqueue_batched(new)  # a status change, most likely from our own sync
        else:
            self._enqueue_now(new)
        if is_job_finished(new):
            self._cleanup_pod_finalizers(new)  # a backup: finishing removes them already
        start = parse_time((new.get("status") or {}).get("startTime"))
        deadline = spec_of(new).get("activeDeadlineSeconds")
        changed = spec_of(old).get("activeDeadlineSeconds") != deadline
        if start is not None and deadline is not None and changed:
            passed = (self.clock() - start).total_seconds()
            self.queue.add_after(object_key(new), deadline - passed)

    def _delete_job(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        self._enqueue_now(obj)
        job = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(job, Mapping):
            self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: Mapping[str, Any]) -> None:
        """Queue the Job's pods that still hold the finalizer, to release them."""
        try:
            selector = label_selector_as_selector(spec_of(job).get("selector"))
        except SelectorParseError:
            return
        namespace = str(meta_of(job).get("namespace") or "")
        for pod in self.pods.lister.list(namespace=namespace, selector=selector):
            ref = controller_of(pod)
            if ref is not None and ref.get("uid") == uid_of(job) and has_tracking_finalizer(pod):
                self._enqueue_orphan(pod)

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The cached Job a controller reference names, if it is still that Job."""
        if ref.get("kind") != _KIND:
            return None
        try:
            job = self.jobs.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return None
        return job if uid_of(job) == ref.get("uid") else None

    def _jobs_selecting(self, pod: Pod) -> list[Mapping[str, Any]]:
        """``GetPodJobs``: the Jobs in the pod's namespace whose selector matches it."""
        labels = meta_of(pod).get("labels") or {}
        if not labels:
            return []
        found: list[Mapping[str, Any]] = []
        for job in self.jobs.lister.list(namespace=str(meta_of(pod).get("namespace") or "")):
            try:
                selector = label_selector_as_selector(spec_of(job).get("selector"))
            except SelectorParseError:
                continue
            if not selector.is_empty() and selector.matches(labels):
                found.append(job)
        return found

    def _add_pod(self, pod: Pod) -> None:
        if meta_of(pod).get("deletionTimestamp"):
            # A pod already being deleted (seen at a restart) is no creation to observe.
            self._delete_pod(pod, final=False)
            return
        namespace = str(meta_of(pod).get("namespace") or "")
        ref = controller_of(pod)
        if ref is not None:
            job = self._resolve(namespace, ref)
            if job is not None:
                self.expectations.creation_observed(object_key(job))
                self._enqueue_batched(job)
            return
        if has_tracking_finalizer(pod):
            self._enqueue_orphan(pod)
        for job in self._jobs_selecting(pod):  # someone may want to adopt it
            self._enqueue_batched(job)

    def _update_pod(self, old: Pod, new: Pod) -> None:
        if meta_of(old).get("resourceVersion") == meta_of(new).get("resourceVersion"):
            return  # a resync
        if meta_of(new).get("deletionTimestamp"):
            # Graceful deletion starts: act now rather than when the pod is finally gone.
            self._delete_pod(new, final=False)
            return
        namespace = str(meta_of(new).get("namespace") or "")
        # Whatever the old pod said: ownership changes may re-add and remove the finalizer.
        finalizer_removed = not has_tracking_finalizer(new)
        new_ref, old_ref = controller_of(new), controller_of(old)
        ref_changed = new_ref != old_ref
        if ref_changed and old_ref is not None:
            old_job = self._resolve(namespace, old_ref)
            if old_job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.removal_observed(object_key(old_job), uid_of(new))
                self._enqueue_batched(old_job)
        if new_ref is not None:
            job = self._resolve(namespace, new_ref)
            if job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.removal_observed(object_key(job), uid_of(new))
                self._enqueue_batched(job)
            return
        if has_tracking_finalizer(new):
            self._enqueue_orphan(new)
        labels_changed = meta_of(old).get("labels") != meta_of(new).get("labels")
        if labels_changed or ref_changed:
            for job in self._jobs_selecting(new):
                self._enqueue_batched(job)

    def _delete_pod(self, obj: Pod | DeletedFinalStateUnknown, *, final: bool) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if not isinstance(pod, Mapping):
            return
        ref = controller_of(pod)
        with_finalizer = has_tracking_finalizer(pod)
        if ref is None:
            if with_finalizer:  # perhaps a Job's pod whose reference the GC removed
                self._enqueue_orphan(pod)
            return
        job = self._resolve(str(meta_of(pod).get("namespace") or ""), ref)
        if job is None or is_job_finished(job):
            if with_finalizer:  # no sync will release it
                self._enqueue_orphan(pod)
            return
        key = object_key(job)
        self.expectations.deletion_observed(key)
        # Gone for good, or only marked for deletion: then the finalizer tells.
        if final or not with_finalizer:
            self.finalizer_expectations.removal_observed(key, uid_of(pod))
        self._enqueue_batched(job)

    # -- sync ---------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        if key.startswith(ORPHAN_POD_PREFIX):
            await self._sync_orphan_pod(key.removeprefix(ORPHAN_POD_PREFIX))
            return
        namespace, name = split_key(key)
        if not namespace or not name:
            raise ValueError(f"invalid job key {key!r}: either namespace or name is missing")
        try:
            cached = self.jobs.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            self.expectations.forget(key)
            self.finalizer_expectations.forget(key)
            self.backoff_store.remove(key)
            return
        if is_managed_elsewhere(cached):
            return
        job: Obj = copy.deepcopy(dict(cached))
        if is_job_finished(job):
            self.backoff_store.remove(key)
            return
        mode = spec_of(job).get("completionMode")
        if mode is not None and mode not in ("NonIndexed", "Indexed"):
            self.recorder.event(
                job,
                WARNING,
                "UnknownCompletionMode",
                "Skipped Job sync because completion mode is unknown",
            )
            return
        await self._sync_job(key, job)

    async def _sync_job(self, key: str, job: Obj) -> None:
        now = self.clock()
        status: Obj = job.setdefault("status", {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        status["uncountedTerminatedPods"] = {
            "succeeded": list(uncounted.get("succeeded") or ()),
            "failed": list(uncounted.get("failed") or ()),
        }
        # Read the expectations before the pods: a pod arriving in between only delays us.
        satisfied = self.expectations.satisfied(key)
        pods = await self._pods_for_job(job)
        active_pods = [p for p in pods if is_pod_active(p)]
        state = SyncState(
            job=job,
            pods=pods,
            active_pods=active_pods,
            ready=sum(1 for p in active_pods if is_pod_ready(p)),
            terminating=sum(1 for p in pods if is_pod_terminating(p)),
            uncounted_succeeded=frozenset(status["uncountedTerminatedPods"]["succeeded"]),
            uncounted_failed=frozenset(status["uncountedTerminatedPods"]["failed"]),
            expected_rm_finalizers=self.finalizer_expectations.expected(key),
        )
        active = len(active_pods)
        new_succeeded, new_failed = self._new_finished_pods(state)
        state.succeeded = (
            int(status.get("succeeded") or 0) + len(new_succeeded) + len(state.uncounted_succeeded)
        )
        state.failed = (
            int(status.get("failed") or 0)
            + self._counted_failures(job, new_failed)
            + len(state.uncounted_failed)
        )
        if status.get("startTime") is None and not is_suspended(job):
            status["startTime"] = format_time(now)
        state.backoff_record = self.backoff_store.new_record(key, new_succeeded, new_failed)

        self._judge_failure(key, state, now)
        if is_indexed(job):
            self._judge_indexes(state, now)

        manage_error: Exception | None = None
        suspend_changed = False
        if state.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self.job_pods.delete_keeping_finalizers(
                job, state.active_pods
            )
            if deleted != active or not satisfied:
                # Pods may still hold finalizers or not be in the cache yet: not finished.
                state.finished_condition = None
            active -= deleted
            state.terminating += deleted
            state.ready -= deleted_ready
        else:
            managed = False
            if satisfied and not meta_of(job).get("deletionTimestamp"):
                active, manage_error = await self._manage_job(key, state, now)
                managed = True
            completions = completions_of(job)
            if completions is None:
                # Work-queue Jobs: done once any pod succeeded and the rest have stopped.
                complete = state.succeeded > 0 and active == 0
            else:
                complete = state.succeeded >= completions and active == 0
            if complete:
                state.finished_condition = new_condition(
                    "SuccessCriteriaMet",
                    "True",
                    COMPLETIONS_REACHED,
                    COMPLETIONS_REACHED_MESSAGE,
                    now,
                )
            elif managed:
                suspend_changed = self._update_suspended(job, now)

        needs_update = (
            suspend_changed
            or active != int(status.get("active") or 0)
            or state.ready != status.get("ready")
            or state.terminating != status.get("terminating")
        )
        status["active"] = active
        status["ready"] = state.ready
        status["terminating"] = state.terminating
        await self.status.track(key, state, needs_update, now)
        if manage_error is not None:
            raise manage_error

    def _judge_failure(self, key: str, state: SyncState, now: datetime.datetime) -> None:
        """Set the condition that ends the Job, if something ends it, and arm the deadline."""
        job = state.job
        spec = spec_of(job)
        success = true_condition(job, "SuccessCriteriaMet")
        if success is not None:
            # Success was decided in an earlier sync: nothing can fail the Job now.
            state.finished_condition = dict(success)
            return
        target = true_condition(job, "FailureTarget")
        if target is not None:
            state.finished_condition = new_condition(
                "Failed", "True", target.get("reason", ""), target.get("message", ""), now
            )
            return
        message = self._fail_job_message(job, state.pods)
        if message is not None:
            state.finished_condition = new_condition(
                "FailureTarget", "True", "PodFailurePolicy", message, now
            )
            return
        if state.failed > int(spec.get("backoffLimit") or 0) or past_backoff_limit_on_failure(
            job, state.pods
        ):
            state.finished_condition = new_condition(
                "FailureTarget",
                "True",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            )
        elif self._past_active_deadline(job, now):
            state.finished_condition = new_condition(
                "FailureTarget",
                "True",
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
                now,
            )
        elif spec.get("activeDeadlineSeconds") is not None and not is_suspended(job):
            start = parse_time((job.get("status") or {}).get("startTime")) or now
            left = int(spec["activeDeadlineSeconds"]) - (now - start).total_seconds()
            self.queue.add_after(key, left)

    def _judge_indexes(self, state: SyncState, now: datetime.datetime) -> None:
        """Indexed Jobs: count indexes, fail on failed indexes, succeed by success policy."""
        job = state.job
        spec = spec_of(job)
        completions = completions_of(job) or 0
        status = job.get("status") or {}
        state.prev_succeeded_indexes = Intervals.parse(status.get("completedIndexes"), completions)
        newly = {
            completion_index(p)
            for p in state.pods
            if phase_of(p) == "Succeeded"
            and 0 <= completion_index(p) < completions
            and has_tracking_finalizer(p)
        }
        state.succeeded_indexes = state.prev_succeeded_indexes.with_indexes(sorted(newly))
        state.succeeded = state.succeeded_indexes.total()
        if has_backoff_limit_per_index(job):
            failed = Intervals.parse(status.get("failedIndexes"), completions)
            newly_failed = {
                completion_index(p)
                for p in state.pods
                if 0 <= completion_index(p) < completions
                and has_tracking_finalizer(p)
                and self._is_index_failed(job, p)
            }
            state.failed_indexes = failed.with_indexes(sorted(newly_failed))
            if state.finished_condition is None:
                max_failed = spec.get("maxFailedIndexes")
                total_failed = state.failed_indexes.total()
                if max_failed is not None and total_failed > int(max_failed):
                    state.finished_condition = new_condition(
                        "FailureTarget",
                        "True",
                        "MaxFailedIndexesExceeded",
                        "Job has exceeded the specified maximal number of failed indexes",
                        now,
                    )
                elif total_failed > 0 and total_failed + state.succeeded >= completions:
                    state.finished_condition = new_condition(
                        "FailureTarget", "True", "FailedIndexes", "Job has failed indexes", now
                    )
            state.delayed_per_index = self._pods_with_delayed_deletion(state)
        if state.finished_condition is None:
            message = match_success_policy(
                spec.get("successPolicy"), completions, state.succeeded_indexes
            )
            if message is not None:
                state.finished_condition = new_condition(
                    "SuccessCriteriaMet", "True", "SuccessPolicy", message, now
                )

    def _update_suspended(self, job: Obj, now: datetime.datetime) -> bool:
        """Keep the ``Suspended`` condition in step with ``spec.suspend``; True if changed."""
        conditions: list[Obj] = job["status"].setdefault("conditions", [])
        if is_suspended(job):
            changed = ensure_condition(
                conditions, "Suspended", "True", "JobSuspended", "Job suspended", now
            )
            if changed:
                self.recorder.event(job, NORMAL, "Suspended", "Job suspended")
            return changed
        changed = ensure_condition(
            conditions, "Suspended", "False", "JobResumed", "Job resumed", now
        )
        if changed:
            self.recorder.event(job, NORMAL, "Resumed", "Job resumed")
            # activeDeadlineSeconds counts continuous activity: a resumed Job starts afresh.
            job["status"]["startTime"] = format_time(now)
        return changed

    # -- reading the pods ---------------------------------------------------------------------

    async def _pods_for_job(self, job: Obj) -> list[Pod]:
        """The Job's pods, claiming orphans that match (with the tracking finalizer) and
        releasing its pods that no longer match."""
        selector = label_selector_as_selector(spec_of(job).get("selector"))
        namespace = str(meta_of(job).get("namespace") or "")
        name = str(meta_of(job).get("name") or "")

        async def recheck() -> Mapping[str, Any]:
            return await self.job_client.get(name, namespace=namespace)

        return await claim(
            job,
            api_version=_API_VERSION,
            kind=_KIND,
            selector=selector,
            # Ours, matching or not (those that stopped matching are released), and orphans.
            candidates=claim_candidates(self.pods.indexer, namespace, uid_of(job)),
            client=self.pod_client,
            recheck_owner=recheck,
            finalizers=(JOB_TRACKING_FINALIZER,),
        )

    def _valid_uncounted(self, state: SyncState, pod: Pod, uncounted: frozenset[str]) -> bool:
        """Not yet counted: holds the finalizer, not in ``uncounted``, a valid index."""
        uid = uid_of(pod)
        if not has_tracking_finalizer(pod) or uid in uncounted:
            return False
        if uid in state.expected_rm_finalizers:
            return False
        if is_indexed(state.job):
            ix = completion_index(pod)
            if ix == UNKNOWN_INDEX or ix >= (completions_of(state.job) or 0):
                return False
        return True

    def _new_finished_pods(self, state: SyncState) -> tuple[list[Pod], list[Pod]]:
        """Pods that finished since the status last counted (``getNewFinishedPods``)."""
        succeeded = [
            p
            for p in state.pods
            if self._valid_uncounted(state, p, state.uncounted_succeeded)
            and phase_of(p) == "Succeeded"
        ]
        failed = [
            p
            for p in state.pods
            if self._valid_uncounted(state, p, state.uncounted_failed)
            and is_pod_failed(p, state.job)
        ]
        return succeeded, failed

    @staticmethod
    def _counted_failures(job: Mapping[str, Any], failed: Sequence[Pod]) -> int:
        """Failures not ignored by the pod failure policy."""
        policy = spec_of(job).get("podFailurePolicy")
        if policy is None:
            return len(failed)
        return sum(1 for p in failed if match_pod_failure_policy(policy, p).counts)

    @staticmethod
    def _fail_job_message(job: Mapping[str, Any], pods: Sequence[Pod]) -> str | None:
        """The message of the first failed pod matching a ``FailJob`` rule."""
        policy = spec_of(job).get("podFailurePolicy")
        if policy is None:
            return None
        for pod in pods:
            if is_pod_failed(pod, job):
                message = match_pod_failure_policy(policy, pod).fail_job_message
                if message is not None:
                    return message
        return None

    def _past_active_deadline(self, job: Mapping[str, Any], now: datetime.datetime) -> bool:
        deadline = spec_of(job).get("activeDeadlineSeconds")
        start = parse_time((job.get("status") or {}).get("startTime"))
        if deadline is None or start is None or is_suspended(job):
            return False
        return (now - start).total_seconds() >= int(deadline)

    @staticmethod
    def _is_index_failed(job: Mapping[str, Any], pod: Pod) -> bool:
        """The pod failed its index: a ``FailIndex`` rule, or the index's last counted
        failure within ``backoffLimitPerIndex``."""
        counted = False
        if is_pod_failed(pod, job):
            policy = spec_of(job).get("podFailurePolicy")
            if policy is not None:
                match = match_pod_failure_policy(policy, pod)
                if match.action == "FailIndex":
                    return True
                counted = match.counts
            else:
                counted = True
        limit = int(spec_of(job).get("backoffLimitPerIndex") or 0)
        return counted and index_failure_counts(pod)[0] >= limit

    def _pods_with_delayed_deletion(self, state: SyncState) -> dict[int, Pod]:
        """Per index, the last failed pod, kept (finalizer and all) until its replacement
        exists, so the replacement can carry the index's failure count on."""
        job = state.job
        completions = completions_of(job) or 0
        active = indexes_of(state.active_pods)
        failed = state.failed_indexes or Intervals()
        delayed: dict[int, Pod] = {}
        for pod in state.pods:
            if not self._valid_uncounted(state, pod, frozenset()) or not is_pod_failed(pod, job):
                continue
            ix = completion_index(pod)
            if not 0 <= ix < completions:
                continue
            if state.succeeded_indexes.has(ix) or failed.has(ix) or ix in active:
                continue
            last = delayed.get(ix)
            if last is None or (
                sum(index_failure_counts(last)) <= sum(index_failure_counts(pod))
                and finish_time(pod) >= finish_time(last)
            ):
                delayed[ix] = pod
        return delayed

    # -- managing the pods --------------------------------------------------------------------

    async def _manage_job(
        self, key: str, state: SyncState, now: datetime.datetime
    ) -> tuple[int, Exception | None]:
        """Create or delete pods towards what the Job wants running (``manageJob``); returns
        the active count afterwards and the first error met."""
        job = state.job
        spec = spec_of(job)
        active = len(state.active_pods)
        parallelism = int(spec.get("parallelism") or 0)
        if is_suspended(job):
            doomed = self._pods_for_removal(job, state.active_pods, active)
            self.expectations.expect(key, deletes=len(doomed))
            removed_ready, removed, error = await self.job_pods.delete(job, key, doomed)
            state.terminating += removed
            state.ready -= removed_ready
            return active - removed, error

        completions = completions_of(job)
        if completions is None:
            # Work-queue Jobs: once one pod succeeded, let the rest finish; start no more.
            want = active if state.succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - state.succeeded, parallelism))

        doomed = self._pods_for_removal(job, state.active_pods, max(0, active - want))
        doomed = doomed[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if doomed:
            self.expectations.expect(key, deletes=len(doomed))
            removed_ready, removed, error = await self.job_pods.delete(job, key, doomed)
            state.terminating += removed
            state.ready -= removed_ready
            # Deleting takes precedence: creations wait for the next sync.
            return active - removed, error

        terminating = state.terminating if only_replace_failed_pods(job) else 0
        missing = want - terminating - active
        if missing <= 0:
            return active, None
        if not has_backoff_limit_per_index(job):
            assert state.backoff_record is not None
            wait = state.backoff_record.remaining(now, base=self.backoff_base, cap=self.backoff_cap)
            if wait > datetime.timedelta(0):
                self.queue.add_after(key, max(wait.total_seconds(), self.sync_batch_period))
                # Upstream reports no active pods while it backs off (``return 0``).
                return 0, None
        missing = min(missing, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int | None] = [None] * missing
        if is_indexed(job):
            pending = self._pending_indexes(state, missing)
            if has_backoff_limit_per_index(job):
                pending, wait = self._indexes_ready_for_pods(state, pending, now)
                if wait > datetime.timedelta(0):
                    self.queue.add_after(key, max(wait.total_seconds(), self.sync_batch_period))
                    return 0, None
            indexes = list(pending)
        created, error = await self.job_pods.create(key, state, indexes)
        return active + created, error

    def _pending_indexes(self, state: SyncState, count: int) -> list[int]:
        """``firstPendingIndexes``: the lowest indexes nobody is running or has finished."""
        job = state.job
        busy = indexes_of(state.active_pods)
        if only_replace_failed_pods(job):
            busy |= indexes_of(p for p in state.pods if is_pod_terminating(p))
        taken = state.succeeded_indexes
        if state.failed_indexes is not None:
            taken = taken.merge(state.failed_indexes)
        return first_pending_indexes(count, completions_of(job) or 0, taken=taken, busy=busy)

    def _indexes_ready_for_pods(
        self, state: SyncState, indexes: list[int], now: datetime.datetime
    ) -> tuple[list[int], datetime.timedelta]:
        """With per-index back-off: the indexes whose back-off is over, or else the shortest
        wait among them."""
        ready: list[int] = []
        shortest: datetime.timedelta | None = None
        for ix in indexes:
            last = state.delayed_per_index.get(ix)
            wait = datetime.timedelta(0)
            if last is not None:
                failures = sum(index_failure_counts(last)) + 1
                wait = remaining_backoff(
                    now, failures, finish_time(last), base=self.backoff_base, cap=self.backoff_cap
                )
            if wait <= datetime.timedelta(0):
                ready.append(ix)
            elif shortest is None or wait < shortest:
                shortest = wait
        if ready:
            return ready, datetime.timedelta(0)
        return ready, shortest or datetime.timedelta(0)

    @staticmethod
    def _pods_for_removal(job: Mapping[str, Any], pods: Sequence[Pod], at_least: int) -> list[Pod]:
        """``activePodsForRemoval``: duplicated or invalid indexes first, then the pods least
        far along (unscheduled, pending, not ready...)."""
        remove: list[Pod] = []
        left: list[Pod] = list(pods)
        if is_indexed(job):
            remove, left = split_duplicated_indexes(pods, completions_of(job) or 0)
        if len(remove) < at_least:
            left = sorted(left, key=functools.cmp_to_key(compare_active_pods))
            remove.extend(left[: at_least - len(remove)])
        return remove

    # -- orphan pods --------------------------------------------------------------------------

    async def _sync_orphan_pod(self, key: str) -> None:
        """Release the tracking finalizer of a pod no running Job of ours owns."""
        namespace, name = split_key(key)
        try:
            pod = self.pods.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        ref = controller_of(pod)
        if ref is not None:
            if ref.get("kind") != _KIND or ref.get("apiVersion") != _API_VERSION:
                return  # not a Job's pod: its finalizer is not ours to touch
            job = self._resolve(namespace, ref)
            if job is not None and (is_managed_elsewhere(job) or not is_job_finished(job)):
                return  # adopted, or someone else's to count
        if not has_tracking_finalizer(pod):
            return
        try:
            await self.job_pods.remove_finalizer(pod)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
