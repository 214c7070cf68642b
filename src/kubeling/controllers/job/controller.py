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
4. Track: move finished pods into ``uncountedTerminatedPods``, remove their
   finalizers, fold them into the counters (:mod:`.tracking`), and once nothing
   is uncounted or terminating, write ``Complete`` or ``Failed``.

Pod events wake a Job after a one-second batching delay, Job spec changes at
once. Orphan pods that still carry the tracking finalizer (their Job is gone or
finished) are released on keys of their own, ``orphan-pod:<namespace>/<name>``
(Kubernetes uses a second queue for them). The clock and the back-off are
injectable for tests.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    BackoffRecord,
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
    generate_name_with_index,
    index_failure_counts,
    indexes_of,
    split_duplicated_indexes,
)
from kubeling.controllers.job.policies import match_pod_failure_policy, match_success_policy
from kubeling.controllers.job.tracking import (
    FinalizerExpectations,
    has_tracking_finalizer,
    remove_tracking_finalizer_patch,
)
from kubeling.controllers.job.util import (
    COMPLETION_INDEX,
    INDEX_FAILURE_COUNT,
    INDEX_IGNORED_FAILURE_COUNT,
    JOB_CONTROLLER_NAME,
    JOB_TRACKING_FINALIZER,
    is_job_finished,
)
from kubeling.controllers.ownership import claim, controller_of, new_controller_ref
from kubeling.controllers.podcontrol import PodControl, pod_from_template
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
#: At most this many UIDs in ``uncountedTerminatedPods`` (keeps the status under ~20 KB).
MAX_UNCOUNTED_PODS: Final = 500
#: At most this many pod creations or deletions per sync.
MAX_POD_CREATE_DELETE_PER_SYNC: Final = 500
#: Kubernetes' ``SlowStartInitialBatchSize``.
SLOW_START_INITIAL_BATCH_SIZE: Final = 1
ORPHAN_POD_PREFIX: Final = "orphan-pod:"
_COMPLETION_INDEX_ENV: Final = "JOB_COMPLETION_INDEX"
_API_VERSION: Final = "batch/v1"
_KIND: Final = "Job"


@dataclass
class _SyncState:
    """What one sync learns about a Job and its pods (``syncJobCtx``)."""

    job: Obj
    pods: list[Pod]
    active_pods: list[Pod]
    ready: int
    terminating: int
    uncounted_succeeded: frozenset[str]
    uncounted_failed: frozenset[str]
    expected_rm_finalizers: frozenset[str]
    succeeded: int = 0
    failed: int = 0
    finished_condition: Obj | None = None
    prev_succeeded_indexes: Intervals = field(default_factory=Intervals)
    succeeded_indexes: Intervals = field(default_factory=Intervals)
    failed_indexes: Intervals | None = None
    delayed_per_index: dict[int, Pod] = field(default_factory=dict)
    backoff_record: BackoffRecord | None = None


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _uid(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("uid") or "")


def _phase(pod: Pod) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _is_indexed(job: Mapping[str, Any]) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def _completions(job: Mapping[str, Any]) -> int | None:
    value = _spec(job).get("completions")
    return None if value is None else int(value)


def _suspended(job: Mapping[str, Any]) -> bool:
    return _spec(job).get("suspend") is True


def _has_backoff_limit_per_index(job: Mapping[str, Any]) -> bool:
    return _spec(job).get("backoffLimitPerIndex") is not None


def _only_replace_failed_pods(job: Mapping[str, Any]) -> bool:
    """``podReplacementPolicy: Failed`` (implied by a pod failure policy): a terminating pod
    is not replaced until it has failed."""
    spec = _spec(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def _is_pod_failed(pod: Pod, job: Mapping[str, Any]) -> bool:
    """Failed, or (unless only failed pods are replaced) deleted before it succeeded."""
    if _phase(pod) == "Failed":
        return True
    if _only_replace_failed_pods(job):
        return False
    return bool(_meta(pod).get("deletionTimestamp")) and _phase(pod) != "Succeeded"


def _managed_elsewhere(job: Mapping[str, Any]) -> bool:
    managed_by = _spec(job).get("managedBy")
    return managed_by is not None and managed_by != JOB_CONTROLLER_NAME


def _normalized_status(status: Obj) -> Obj:
    """The status as Go serialises it: zero counters, empty index lists and empty UID
    lists are omitted (``omitempty``); ``ready``/``terminating`` are pointers and stay."""
    out = dict(status)
    for key in ("active", "succeeded", "failed"):
        if not out.get(key):
            out.pop(key, None)
    if not out.get("completedIndexes"):
        out.pop("completedIndexes", None)
    if not out.get("conditions"):
        out.pop("conditions", None)
    uncounted = out.get("uncountedTerminatedPods")
    if uncounted is not None:
        out["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
    return out


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
        self.pod_control = PodControl(self.pod_client, self.recorder)
        self.expectations = Expectations()
        self.finalizer_expectations = FinalizerExpectations()
        self.backoff_store = BackoffStore()
        self.jobs = self.informers.informer_for(JOBS)
        self.pods = self.informers.informer_for(PODS)
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
        if _meta(old).get("generation") == _meta(new).get("generation"):
            self._enqueue_batched(new)  # a status change, most likely from our own sync
        else:
            self._enqueue_now(new)
        if is_job_finished(new):
            self._cleanup_pod_finalizers(new)  # a backup: finishing removes them already
        start = parse_time((new.get("status") or {}).get("startTime"))
        deadline = _spec(new).get("activeDeadlineSeconds")
        changed = _spec(old).get("activeDeadlineSeconds") != deadline
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
            selector = label_selector_as_selector(_spec(job).get("selector"))
        except SelectorParseError:
            return
        namespace = str(_meta(job).get("namespace") or "")
        for pod in self.pods.lister.list(namespace=namespace, selector=selector):
            ref = controller_of(pod)
            if ref is not None and ref.get("uid") == _uid(job) and has_tracking_finalizer(pod):
                self._enqueue_orphan(pod)

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The cached Job a controller reference names, if it is still that Job."""
        if ref.get("kind") != _KIND:
            return None
        try:
            job = self.jobs.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return None
        return job if _uid(job) == ref.get("uid") else None

    def _jobs_selecting(self, pod: Pod) -> list[Mapping[str, Any]]:
        """``GetPodJobs``: the Jobs in the pod's namespace whose selector matches it."""
        labels = _meta(pod).get("labels") or {}
        if not labels:
            return []
        found: list[Mapping[str, Any]] = []
        for job in self.jobs.lister.list(namespace=str(_meta(pod).get("namespace") or "")):
            try:
                selector = label_selector_as_selector(_spec(job).get("selector"))
            except SelectorParseError:
                continue
            if not selector.is_empty() and selector.matches(labels):
                found.append(job)
        return found

    def _add_pod(self, pod: Pod) -> None:
        if _meta(pod).get("deletionTimestamp"):
            # A pod already being deleted (seen at a restart) is no creation to observe.
            self._delete_pod(pod, final=False)
            return
        namespace = str(_meta(pod).get("namespace") or "")
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
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return  # a resync
        if _meta(new).get("deletionTimestamp"):
            # Graceful deletion starts: act now rather than when the pod is finally gone.
            self._delete_pod(new, final=False)
            return
        namespace = str(_meta(new).get("namespace") or "")
        # Whatever the old pod said: ownership changes may re-add and remove the finalizer.
        finalizer_removed = not has_tracking_finalizer(new)
        new_ref, old_ref = controller_of(new), controller_of(old)
        ref_changed = new_ref != old_ref
        if ref_changed and old_ref is not None:
            old_job = self._resolve(namespace, old_ref)
            if old_job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.removal_observed(object_key(old_job), _uid(new))
                self._enqueue_batched(old_job)
        if new_ref is not None:
            job = self._resolve(namespace, new_ref)
            if job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.removal_observed(object_key(job), _uid(new))
                self._enqueue_batched(job)
            return
        if has_tracking_finalizer(new):
            self._enqueue_orphan(new)
        labels_changed = _meta(old).get("labels") != _meta(new).get("labels")
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
        job = self._resolve(str(_meta(pod).get("namespace") or ""), ref)
        if job is None or is_job_finished(job):
            if with_finalizer:  # no sync will release it
                self._enqueue_orphan(pod)
            return
        key = object_key(job)
        self.expectations.deletion_observed(key)
        # Gone for good, or only marked for deletion: then the finalizer tells.
        if final or not with_finalizer:
            self.finalizer_expectations.removal_observed(key, _uid(pod))
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
        if _managed_elsewhere(cached):
            return
        job: Obj = copy.deepcopy(dict(cached))
        if is_job_finished(job):
            self.backoff_store.remove(key)
            return
        mode = _spec(job).get("completionMode")
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
        state = _SyncState(
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
        if status.get("startTime") is None and not _suspended(job):
            status["startTime"] = format_time(now)
        state.backoff_record = self.backoff_store.new_record(key, new_succeeded, new_failed)

        self._judge_failure(key, state, now)
        if _is_indexed(job):
            self._judge_indexes(state, now)

        manage_error: Exception | None = None
        suspend_changed = False
        if state.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self._delete_active_pods(
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
            if satisfied and not _meta(job).get("deletionTimestamp"):
                active, manage_error = await self._manage_job(key, state, now)
                managed = True
            completions = _completions(job)
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
        await self._track_status(key, state, needs_update, now)
        if manage_error is not None:
            raise manage_error

    def _judge_failure(self, key: str, state: _SyncState, now: datetime.datetime) -> None:
        """Set the condition that ends the Job, if something ends it, and arm the deadline."""
        job = state.job
        spec = _spec(job)
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
        if state.failed > int(spec.get("backoffLimit") or 0) or _past_backoff_on_failure(
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
        elif spec.get("activeDeadlineSeconds") is not None and not _suspended(job):
            start = parse_time((job.get("status") or {}).get("startTime")) or now
            left = int(spec["activeDeadlineSeconds"]) - (now - start).total_seconds()
            self.queue.add_after(key, left)

    def _judge_indexes(self, state: _SyncState, now: datetime.datetime) -> None:
        """Indexed Jobs: count indexes, fail on failed indexes, succeed by success policy."""
        job = state.job
        spec = _spec(job)
        completions = _completions(job) or 0
        status = job.get("status") or {}
        state.prev_succeeded_indexes = Intervals.parse(status.get("completedIndexes"), completions)
        newly = {
            completion_index(p)
            for p in state.pods
            if _phase(p) == "Succeeded"
            and 0 <= completion_index(p) < completions
            and has_tracking_finalizer(p)
        }
        state.succeeded_indexes = state.prev_succeeded_indexes.with_indexes(sorted(newly))
        state.succeeded = state.succeeded_indexes.total()
        if _has_backoff_limit_per_index(job):
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
        if _suspended(job):
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
        selector = label_selector_as_selector(_spec(job).get("selector"))
        namespace = str(_meta(job).get("namespace") or "")
        name = str(_meta(job).get("name") or "")

        async def recheck() -> Mapping[str, Any]:
            return await self.job_client.get(name, namespace=namespace)

        return await claim(
            job,
            api_version=_API_VERSION,
            kind=_KIND,
            selector=selector,
            # Every pod, not only matching ones: ours that stopped matching are released.
            candidates=self.pods.lister.list(namespace=namespace),
            client=self.pod_client,
            recheck_owner=recheck,
            finalizers=(JOB_TRACKING_FINALIZER,),
        )

    def _valid_uncounted(self, state: _SyncState, pod: Pod, uncounted: frozenset[str]) -> bool:
        """Not yet counted: holds the finalizer, not in ``uncounted``, a valid index."""
        uid = _uid(pod)
        if not has_tracking_finalizer(pod) or uid in uncounted:
            return False
        if uid in state.expected_rm_finalizers:
            return False
        if _is_indexed(state.job):
            ix = completion_index(pod)
            if ix == UNKNOWN_INDEX or ix >= (_completions(state.job) or 0):
                return False
        return True

    def _new_finished_pods(self, state: _SyncState) -> tuple[list[Pod], list[Pod]]:
        """Pods that finished since the status last counted (``getNewFinishedPods``)."""
        succeeded = [
            p
            for p in state.pods
            if self._valid_uncounted(state, p, state.uncounted_succeeded)
            and _phase(p) == "Succeeded"
        ]
        failed = [
            p
            for p in state.pods
            if self._valid_uncounted(state, p, state.uncounted_failed)
            and _is_pod_failed(p, state.job)
        ]
        return succeeded, failed

    @staticmethod
    def _counted_failures(job: Mapping[str, Any], failed: Sequence[Pod]) -> int:
        """Failures not ignored by the pod failure policy."""
        policy = _spec(job).get("podFailurePolicy")
        if policy is None:
            return len(failed)
        return sum(1 for p in failed if match_pod_failure_policy(policy, p).counts)

    @staticmethod
    def _fail_job_message(job: Mapping[str, Any], pods: Sequence[Pod]) -> str | None:
        """The message of the first failed pod matching a ``FailJob`` rule."""
        policy = _spec(job).get("podFailurePolicy")
        if policy is None:
            return None
        for pod in pods:
            if _is_pod_failed(pod, job):
                message = match_pod_failure_policy(policy, pod).fail_job_message
                if message is not None:
                    return message
        return None

    def _past_active_deadline(self, job: Mapping[str, Any], now: datetime.datetime) -> bool:
        deadline = _spec(job).get("activeDeadlineSeconds")
        start = parse_time((job.get("status") or {}).get("startTime"))
        if deadline is None or start is None or _suspended(job):
            return False
        return (now - start).total_seconds() >= int(deadline)

    @staticmethod
    def _is_index_failed(job: Mapping[str, Any], pod: Pod) -> bool:
        """The pod failed its index: a ``FailIndex`` rule, or the index's last counted
        failure within ``backoffLimitPerIndex``."""
        counted = False
        if _is_pod_failed(pod, job):
            policy = _spec(job).get("podFailurePolicy")
            if policy is not None:
                match = match_pod_failure_policy(policy, pod)
                if match.action == "FailIndex":
                    return True
                counted = match.counts
            else:
                counted = True
        limit = int(_spec(job).get("backoffLimitPerIndex") or 0)
        return counted and index_failure_counts(pod)[0] >= limit

    def _pods_with_delayed_deletion(self, state: _SyncState) -> dict[int, Pod]:
        """Per index, the last failed pod, kept (finalizer and all) until its replacement
        exists, so the replacement can carry the index's failure count on."""
        job = state.job
        completions = _completions(job) or 0
        active = indexes_of(state.active_pods)
        failed = state.failed_indexes or Intervals()
        delayed: dict[int, Pod] = {}
        for pod in state.pods:
            if not self._valid_uncounted(state, pod, frozenset()) or not _is_pod_failed(pod, job):
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
        self, key: str, state: _SyncState, now: datetime.datetime
    ) -> tuple[int, Exception | None]:
        """Create or delete pods towards what the Job wants running (``manageJob``); returns
        the active count afterwards and the first error met."""
        job = state.job
        spec = _spec(job)
        active = len(state.active_pods)
        parallelism = int(spec.get("parallelism") or 0)
        if _suspended(job):
            doomed = self._pods_for_removal(job, state.active_pods, active)
            self.expectations.expect(key, deletes=len(doomed))
            removed_ready, removed, error = await self._delete_job_pods(job, key, doomed)
            state.terminating += removed
            state.ready -= removed_ready
            return active - removed, error

        completions = _completions(job)
        if completions is None:
            # Work-queue Jobs: once one pod succeeded, let the rest finish; start no more.
            want = active if state.succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - state.succeeded, parallelism))

        doomed = self._pods_for_removal(job, state.active_pods, max(0, active - want))
        doomed = doomed[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if doomed:
            self.expectations.expect(key, deletes=len(doomed))
            removed_ready, removed, error = await self._delete_job_pods(job, key, doomed)
            state.terminating += removed
            state.ready -= removed_ready
            # Deleting takes precedence: creations wait for the next sync.
            return active - removed, error

        terminating = state.terminating if _only_replace_failed_pods(job) else 0
        missing = want - terminating - active
        if missing <= 0:
            return active, None
        if not _has_backoff_limit_per_index(job):
            assert state.backoff_record is not None
            wait = state.backoff_record.remaining(now, base=self.backoff_base, cap=self.backoff_cap)
            if wait > datetime.timedelta(0):
                self.queue.add_after(key, max(wait.total_seconds(), self.sync_batch_period))
                # Upstream reports no active pods while it backs off (``return 0``).
                return 0, None
        missing = min(missing, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int | None] = [None] * missing
        if _is_indexed(job):
            pending = self._pending_indexes(state, missing)
            if _has_backoff_limit_per_index(job):
                pending, wait = self._indexes_ready_for_pods(state, pending, now)
                if wait > datetime.timedelta(0):
                    self.queue.add_after(key, max(wait.total_seconds(), self.sync_batch_period))
                    return 0, None
            indexes = list(pending)
        created, error = await self._create_pods(key, state, indexes)
        return active + created, error

    def _pending_indexes(self, state: _SyncState, count: int) -> list[int]:
        """``firstPendingIndexes``: the lowest indexes nobody is running or has finished."""
        job = state.job
        busy = indexes_of(state.active_pods)
        if _only_replace_failed_pods(job):
            busy |= indexes_of(p for p in state.pods if is_pod_terminating(p))
        taken = state.succeeded_indexes
        if state.failed_indexes is not None:
            taken = taken.merge(state.failed_indexes)
        return first_pending_indexes(count, _completions(job) or 0, taken=taken, busy=busy)

    def _indexes_ready_for_pods(
        self, state: _SyncState, indexes: list[int], now: datetime.datetime
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
        if _is_indexed(job):
            remove, left = split_duplicated_indexes(pods, _completions(job) or 0)
        if len(remove) < at_least:
            left = sorted(left, key=functools.cmp_to_key(compare_active_pods))
            remove.extend(left[: at_least - len(remove)])
        return remove

    def _pod_template(self, job: Mapping[str, Any]) -> Obj:
        template: Obj = copy.deepcopy(dict(_spec(job).get("template") or {}))
        if _is_indexed(job):
            field_path = f"metadata.labels['{COMPLETION_INDEX}']"
            pod_spec = template.setdefault("spec", {})
            for kind in ("initContainers", "containers"):
                for container in pod_spec.get(kind) or ():
                    env = container.setdefault("env", [])
                    if not any(v.get("name") == _COMPLETION_INDEX_ENV for v in env):
                        env.append(
                            {
                                "name": _COMPLETION_INDEX_ENV,
                                "valueFrom": {"fieldRef": {"fieldPath": field_path}},
                            }
                        )
        meta = template.setdefault("metadata", {})
        finalizers = list(meta.get("finalizers") or ())
        if JOB_TRACKING_FINALIZER not in finalizers:
            finalizers.append(JOB_TRACKING_FINALIZER)
        meta["finalizers"] = finalizers
        return template

    async def _create_pods(
        self, key: str, state: _SyncState, indexes: Sequence[int | None]
    ) -> tuple[int, Exception | None]:
        """Create one pod per entry (an index, or None for a NonIndexed Job) in slow-start
        batches of 1, 2, 4...; a failed batch stops the rest. Returns how many count as
        created and the first error."""
        job = state.job
        template = self._pod_template(job)
        self.expectations.expect(key, adds=len(indexes))
        created = len(indexes)
        first_error: Exception | None = None
        remaining = list(indexes)
        batch = min(len(remaining), SLOW_START_INITIAL_BATCH_SIZE)
        while remaining:
            results = await asyncio.gather(
                *(self._create_pod(state, template, ix) for ix in remaining[:batch]),
                return_exceptions=True,
            )
            failed = False
            for result in results:
                if not isinstance(result, BaseException):
                    continue
                if not isinstance(result, Exception):
                    raise result
                if errors.has_status_cause(result, "NamespaceTerminating"):
                    continue  # every later creation fails alike; the namespace is going away
                failed = True
                self.expectations.creation_observed(key)  # no pod will show up for it
                created -= 1
                first_error = first_error or result
            remaining = remaining[batch:]
            if failed and remaining:
                # Slow start: after a failure, do not even try the rest this time.
                created -= len(remaining)
                for _ in remaining:
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, len(remaining))
        return created, first_error

    async def _create_pod(self, state: _SyncState, template: Obj, index: int | None) -> None:
        job = state.job
        name = str(_meta(job).get("name") or "")
        generate_name = ""
        if index is not None:
            template = copy.deepcopy(template)
            meta = template.setdefault("metadata", {})
            meta.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
            meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
            template.setdefault("spec", {})["hostname"] = f"{name}-{index}"
            generate_name = generate_name_with_index(name, index)
            if _has_backoff_limit_per_index(job):
                counted, ignored = self._failure_counts_for(job, state.delayed_per_index.get(index))
                meta["annotations"][INDEX_FAILURE_COUNT] = str(counted)
                if ignored > 0:
                    meta["annotations"][INDEX_IGNORED_FAILURE_COUNT] = str(ignored)
        pod = pod_from_template(
            template,
            job,
            new_controller_ref(job, _API_VERSION, _KIND),
            generate_name=generate_name,
        )
        await self.pod_control.create(job, pod)

    @staticmethod
    def _failure_counts_for(job: Mapping[str, Any], replaced: Pod | None) -> tuple[int, int]:
        """The index failure counts a replacement of ``replaced`` starts with."""
        if replaced is None:
            return 0, 0
        counted, ignored = index_failure_counts(replaced)
        policy = _spec(job).get("podFailurePolicy")
        if policy is not None and not match_pod_failure_policy(policy, replaced).counts:
            return counted, ignored + 1
        return counted + 1, ignored

    async def _delete_job_pods(
        self, job: Obj, key: str, pods: Sequence[Pod]
    ) -> tuple[int, int, Exception | None]:
        """Remove the finalizer, then delete; returns (ready ones deleted, deleted, error)."""

        async def delete(pod: Pod) -> tuple[bool, bool, Exception | None]:
            if has_tracking_finalizer(pod):
                try:
                    await self._patch_pod(pod, remove_tracking_finalizer_patch())
                except errors.StatusError as err:
                    self.expectations.deletion_observed(key)
                    if errors.is_not_found(err):
                        return True, False, None  # gone already: as good as deleted
                    return False, False, err
            try:
                if not await self.pod_control.delete(job, pod):
                    self.expectations.deletion_observed(key)  # gone already
            except errors.StatusError as err:
                self.expectations.deletion_observed(key)
                return False, is_pod_ready(pod), err
            return True, is_pod_ready(pod), None

        results = await asyncio.gather(*(delete(p) for p in pods))
        return _tally(results)

    async def _delete_active_pods(
        self, job: Obj, pods: Sequence[Pod]
    ) -> tuple[int, int, Exception | None]:
        """Delete a finished Job's running pods, finalizers kept: tracking removes them
        once the pods are counted."""

        async def delete(pod: Pod) -> tuple[bool, bool, Exception | None]:
            try:
                await self.pod_control.delete(job, pod)
            except errors.StatusError as err:
                return False, is_pod_ready(pod), err
            return True, is_pod_ready(pod), None

        results = await asyncio.gather(*(delete(p) for p in pods))
        return _tally(results)

    async def _patch_pod(self, pod: Pod, patch: Obj) -> None:
        await self.pod_client.patch(
            str(_meta(pod).get("name") or ""),
            patch,
            namespace=str(_meta(pod).get("namespace") or ""),
        )

    # -- tracking finished pods ---------------------------------------------------------------

    async def _track_status(
        self, key: str, state: _SyncState, needs_flush: bool, now: datetime.datetime
    ) -> None:
        """``trackJobStatusAndRemoveFinalizers``: count finished pods through the uncounted
        lists, release their finalizers, and finish the Job when all is counted."""
        job = state.job
        status = job["status"]
        uncounted = status["uncountedTerminatedPods"]
        indexed = _is_indexed(job)
        completions = _completions(job) or 0
        pods = sorted(state.pods, key=completion_index) if indexed else state.pods
        with_finalizer = {
            _uid(p)
            for p in pods
            if has_tracking_finalizer(p) and _uid(p) not in state.expected_rm_finalizers
        }
        if _fold_counted(status, with_finalizer):
            needs_flush = True
        to_release: list[Pod] = []
        new_succeeded_indexes: list[int] = []
        reached_max = False
        policy = _spec(job).get("podFailurePolicy")
        for pod in pods:
            uid = _uid(pod)
            if not has_tracking_finalizer(pod) or uid in state.expected_rm_finalizers:
                continue  # counted in an earlier sync
            failed = _is_pod_failed(pod, job)
            if not self._can_release(state, pod, failed):
                continue
            to_release.append(pod)
            ix = completion_index(pod)
            if _phase(pod) == "Succeeded" and uid not in state.uncounted_failed:
                if indexed:
                    # The index itself prevents counting twice; no UID needed.
                    if 0 <= ix < completions and not state.prev_succeeded_indexes.has(ix):
                        new_succeeded_indexes.append(ix)
                        needs_flush = True
                elif uid not in state.uncounted_succeeded:
                    uncounted["succeeded"].append(uid)
                    needs_flush = True
            elif failed or (
                state.finished_condition is not None
                and state.finished_condition.get("type") != "SuccessCriteriaMet"
            ):
                # Once the Job has failed, every pod that did not succeed failed with it.
                valid = not indexed or 0 <= ix < completions
                counts = policy is None or match_pod_failure_policy(policy, pod).counts
                if uid not in state.uncounted_failed and valid and counts:
                    uncounted["failed"].append(uid)
                    needs_flush = True
            if (
                len(new_succeeded_indexes) + len(uncounted["succeeded"]) + len(uncounted["failed"])
                >= MAX_UNCOUNTED_PODS
            ):
                # Enough for one status; the status update brings the Job back for the rest.
                reached_max = True
                break
        if indexed:
            state.succeeded_indexes = state.succeeded_indexes.with_indexes(new_succeeded_indexes)
            completed = str(state.succeeded_indexes)
            if completed != (status.get("completedIndexes") or ""):
                needs_flush = True
            status["succeeded"] = state.succeeded_indexes.total()
            status["completedIndexes"] = completed
            failed_indexes = None if state.failed_indexes is None else str(state.failed_indexes)
            if failed_indexes != status.get("failedIndexes"):
                if failed_indexes is None:
                    status.pop("failedIndexes", None)
                else:
                    status["failedIndexes"] = failed_indexes
                needs_flush = True
        finished = state.finished_condition
        if finished is not None and finished["type"] == "FailureTarget":
            # Record the interim condition before the finalizers go (and the pods with them).
            status.setdefault("conditions", []).append(finished)
            needs_flush = True
            state.finished_condition = new_condition(
                "Failed", "True", finished.get("reason", ""), finished.get("message", ""), now
            )
        elif finished is not None and finished["type"] == "SuccessCriteriaMet":
            if true_condition(job, "SuccessCriteriaMet") is None:
                status.setdefault("conditions", []).append(finished)
                needs_flush = True
            state.finished_condition = new_condition(
                "Complete", "True", finished.get("reason", ""), finished.get("message", ""), now
            )
        needs_flush = await self._flush_and_release(
            key, state, to_release, with_finalizer, needs_flush
        )
        finished_now = not reached_max and self._enact_finished(state, now)
        if finished_now or needs_flush:
            state.job = await self._update_status(state.job)
            if finished_now and state.finished_condition is not None:
                self._record_finished(state.job, state.finished_condition)

    def _can_release(self, state: _SyncState, pod: Pod, failed: bool) -> bool:
        """``canRemoveFinalizer``: the Job is going away or finished, the pod succeeded, or
        it failed and is not held back to pass its index's failure count on."""
        if (
            _meta(state.job).get("deletionTimestamp")
            or state.finished_condition is not None
            or _phase(pod) == "Succeeded"
        ):
            return True
        if not failed:
            return False
        if _has_backoff_limit_per_index(state.job):
            held = state.delayed_per_index.get(completion_index(pod))
            if held is not None and _uid(held) == _uid(pod):
                return False
        return True

    async def _flush_and_release(
        self,
        key: str,
        state: _SyncState,
        to_release: Sequence[Pod],
        with_finalizer: set[str],
        needs_flush: bool,
    ) -> bool:
        """``flushUncountedAndRemoveFinalizers``: write the uncounted UIDs (and interim
        condition) first, then remove finalizers, then fold what was released into the
        counters; returns whether the status still needs writing."""
        if needs_flush:
            state.job = await self._update_status(state.job)
            if state.backoff_record is not None:
                self.backoff_store.update(state.backoff_record)
            needs_flush = False
        error: Exception | None = None
        if to_release:
            released, error = await self._release_pods(key, to_release)
            for pod, ok in zip(to_release, released, strict=True):
                if ok:
                    with_finalizer.discard(_uid(pod))
        if _fold_counted(state.job["status"], with_finalizer):
            needs_flush = True
        if error is not None:
            if needs_flush:
                state.job = await self._update_status(state.job)  # keep the partial progress
            raise error
        return needs_flush

    async def _release_pods(
        self, key: str, pods: Sequence[Pod]
    ) -> tuple[list[bool], Exception | None]:
        """Remove the tracking finalizer from ``pods``; which succeeded, and the first error."""
        self.finalizer_expectations.expect_removals(key, [_uid(p) for p in pods])

        async def release(pod: Pod) -> bool | Exception:
            try:
                await self._patch_pod(pod, remove_tracking_finalizer_patch())
            except errors.StatusError as err:
                # No finalizer removal to wait for in the cache now.
                self.finalizer_expectations.removal_observed(key, _uid(pod))
                return True if errors.is_not_found(err) else err
            return True

        results = await asyncio.gather(*(release(p) for p in pods))
        first_error = next((r for r in results if isinstance(r, Exception)), None)
        return [r is True for r in results], first_error

    def _enact_finished(self, state: _SyncState, now: datetime.datetime) -> bool:
        """Write ``Complete``/``Failed`` once nothing is uncounted and no pod terminating."""
        finished = state.finished_condition
        if finished is None:
            return False
        status = state.job["status"]
        uncounted = status.get("uncountedTerminatedPods") or {}
        if uncounted.get("succeeded") or uncounted.get("failed"):
            return False
        if state.terminating > 0:
            return False
        conditions: list[Obj] = status.setdefault("conditions", [])
        ensure_condition(
            conditions,
            finished["type"],
            finished["status"],
            finished.get("reason", ""),
            finished.get("message", ""),
            now,
        )
        if finished["type"] == "Complete":
            status["completionTime"] = finished["lastTransitionTime"]
        return True

    def _record_finished(self, job: Mapping[str, Any], finished: Mapping[str, Any]) -> None:
        if finished["type"] == "Complete":
            completions = _completions(job)
            succeeded = int((job.get("status") or {}).get("succeeded") or 0)
            if completions is not None and succeeded > completions:
                self.recorder.event(
                    job,
                    WARNING,
                    "TooManySucceededPods",
                    "Too many succeeded pods running after completion count reached",
                )
            self.recorder.event(job, NORMAL, "Completed", "Job completed")
        else:
            self.recorder.event(
                job, WARNING, str(finished.get("reason", "")), str(finished.get("message", ""))
            )

    async def _update_status(self, job: Obj) -> Obj:
        body = dict(job)
        body["status"] = _normalized_status(job["status"])
        updated = await self.job_client.update_status(body)
        # Keep working on full lists even where the server omits empty ones.
        status = updated.setdefault("status", {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        status["uncountedTerminatedPods"] = {
            "succeeded": list(uncounted.get("succeeded") or ()),
            "failed": list(uncounted.get("failed") or ()),
        }
        return updated

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
            if job is not None and (_managed_elsewhere(job) or not is_job_finished(job)):
                return  # adopted, or someone else's to count
        if not has_tracking_finalizer(pod):
            return
        try:
            await self._patch_pod(pod, remove_tracking_finalizer_patch())
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise


def _tally(
    results: Sequence[tuple[bool, bool, Exception | None]],
) -> tuple[int, int, Exception | None]:
    """(ready pods among the deleted, deleted, first error) from per-pod outcomes."""
    deleted = sum(1 for ok, _, _ in results if ok)
    ready = sum(1 for _, was_ready, _ in results if was_ready)
    error = next((err for _, _, err in results if err is not None), None)
    return ready, deleted, error


def _fold_counted(status: Obj, with_finalizer: set[str]) -> bool:
    """``cleanUncountedPodsWithoutFinalizers``: uncounted UIDs whose pod lost its finalizer
    (or is gone) move into the counters; True if anything moved."""
    uncounted = status["uncountedTerminatedPods"]
    changed = False
    for field_name, counter in (("succeeded", "succeeded"), ("failed", "failed")):
        keep = [uid for uid in uncounted[field_name] if uid in with_finalizer]
        if len(keep) != len(uncounted[field_name]):
            status[counter] = int(status.get(counter) or 0) + len(uncounted[field_name]) - len(keep)
            uncounted[field_name] = keep
            changed = True
    return changed


def _past_backoff_on_failure(job: Mapping[str, Any], pods: Sequence[Pod]) -> bool:
    """``restartPolicy: OnFailure``: the container restarts of running and pending pods
    reach ``backoffLimit`` (any restart at all when the limit is 0)."""
    template_spec = (_spec(job).get("template") or {}).get("spec") or {}
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        if _phase(pod) in ("Running", "Pending"):
            status = pod.get("status") or {}
            for kind in ("initContainerStatuses", "containerStatuses"):
                restarts += sum(int(s.get("restartCount") or 0) for s in status.get(kind) or ())
    limit = int(_spec(job).get("backoffLimit") or 0)
    return restarts > 0 if limit == 0 else restarts >= limit
