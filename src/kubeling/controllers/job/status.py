"""Tracking a Job's finished pods into its status, and finishing the Job.

``trackJobStatusAndRemoveFinalizers`` of Kubernetes 1.32, the I/O half of
:mod:`.tracking`'s protocol. Each sync:

1. newly finished pods that may be released (the Job is finishing, the pod
   succeeded, or it failed and no replacement needs its index's failure count)
   go into ``status.uncountedTerminatedPods`` (at most 500 UIDs per sync);
   Indexed Jobs count succeeded indexes in ``completedIndexes`` instead;
2. the status is written, with the interim ``FailureTarget`` or
   ``SuccessCriteriaMet`` condition if the Job is finishing;
3. the finalizers are removed, and the released UIDs folded into the counters;
4. once nothing is uncounted and no pod terminating, ``Complete`` or ``Failed``
   is written and the event recorded.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import NORMAL, WARNING, EventRecorder, ResourceClient
from kubeling.controllers.job.backoff import BackoffStore
from kubeling.controllers.job.conditions import ensure_condition, new_condition, true_condition
from kubeling.controllers.job.indexes import completion_index
from kubeling.controllers.job.jobs import (
    completions_of,
    has_backoff_limit_per_index,
    is_indexed,
    is_pod_failed,
    meta_of,
    phase_of,
    spec_of,
    uid_of,
)
from kubeling.controllers.job.pods import JobPods
from kubeling.controllers.job.policies import match_pod_failure_policy
from kubeling.controllers.job.state import SyncState
from kubeling.controllers.job.tracking import (
    FinalizerExpectations,
    fold_counted,
    has_tracking_finalizer,
    normalized_status,
)

__all__ = ["MAX_UNCOUNTED_PODS", "StatusTracker"]

Obj = dict[str, Any]
Pod = Mapping[str, Any]

#: At most this many UIDs in ``uncountedTerminatedPods`` (keeps the status under ~20 KB).
MAX_UNCOUNTED_PODS: Final = 500


class StatusTracker:
    """Counts a Job's finished pods and writes its status."""

    def __init__(
        self,
        *,
        job_client: ResourceClient,
        pods: JobPods,
        finalizer_expectations: FinalizerExpectations,
        backoff_store: BackoffStore,
        recorder: EventRecorder,
    ) -> None:
        self.job_client = job_client
        self.pods = pods
        self.finalizer_expectations = finalizer_expectations
        self.backoff_store = backoff_store
        self.recorder = recorder

    async def track(
        self, key: str, state: SyncState, needs_flush: bool, now: datetime.datetime
    ) -> None:
        """``trackJobStatusAndRemoveFinalizers``: count finished pods through the uncounted
        lists, release their finalizers, and finish the Job when all is counted."""
        job = state.job
        status = job["status"]
        uncounted = status["uncountedTerminatedPods"]
        indexed = is_indexed(job)
        completions = completions_of(job) or 0
        pods = sorted(state.pods, key=completion_index) if indexed else state.pods
        with_finalizer = {
            uid_of(p)
            for p in pods
            if has_tracking_finalizer(p) and uid_of(p) not in state.expected_rm_finalizers
        }
        if fold_counted(status, with_finalizer):
            needs_flush = True
        to_release: list[Pod] = []
        new_succeeded_indexes: list[int] = []
        reached_max = False
        policy = spec_of(job).get("podFailurePolicy")
        for pod in pods:
            uid = uid_of(pod)
            if not has_tracking_finalizer(pod) or uid in state.expected_rm_finalizers:
                continue  # counted in an earlier sync
            failed = is_pod_failed(pod, job)
            if not self._can_release(state, pod, failed):
                continue
            to_release.append(pod)
            ix = completion_index(pod)
            if phase_of(pod) == "Succeeded" and uid not in state.uncounted_failed:
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

    def _can_release(self, state: SyncState, pod: Pod, failed: bool) -> bool:
        """``canRemoveFinalizer``: the Job is going away or finished, the pod succeeded, or
        it failed and is not held back to pass its index's failure count on."""
        if (
            meta_of(state.job).get("deletionTimestamp")
            or state.finished_condition is not None
            or phase_of(pod) == "Succeeded"
        ):
            return True
        if not failed:
            return False
        if has_backoff_limit_per_index(state.job):
            held = state.delayed_per_index.get(completion_index(pod))
            if held is not None and uid_of(held) == uid_of(pod):
                return False
        return True

    async def _flush_and_release(
        self,
        key: str,
        state: SyncState,
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
                    with_finalizer.discard(uid_of(pod))
        if fold_counted(state.job["status"], with_finalizer):
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
        self.finalizer_expectations.expect_removals(key, [uid_of(p) for p in pods])

        async def release(pod: Pod) -> bool | Exception:
            try:
                await self.pods.remove_finalizer(pod)
            except errors.StatusError as err:
                # No finalizer removal to wait for in the cache now.
                self.finalizer_expectations.removal_observed(key, uid_of(pod))
                return True if errors.is_not_found(err) else err
            return True

        results = await asyncio.gather(*(release(p) for p in pods))
        first_error = next((r for r in results if isinstance(r, Exception)), None)
        return [r is True for r in results], first_error

    def _enact_finished(self, state: SyncState, now: datetime.datetime) -> bool:
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
            completions = completions_of(job)
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
        body["status"] = normalized_status(job["status"])
        updated = await self.job_client.update_status(body)
        # Keep working on full lists even where the server omits empty ones.
        status = updated.setdefault("status", {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        status["uncountedTerminatedPods"] = {
            "succeeded": list(uncounted.get("succeeded") or ()),
            "failed": list(uncounted.get("failed") or ()),
        }
        return updated
