"""Creating and deleting one Job's pods, with the expectations that keep the cache honest.

Pods are created in slow-start batches (1, 2, 4, ...): a batch with a failure
stops the rest, so a Job over its quota makes one failed request, not hundreds.
Each creation expected and not made, and each deletion expected and not seen,
is taken back from the expectations at once. Indexed Jobs' pods carry their
index (annotation, label, hostname, ``generateName``) and, with
``backoffLimitPerIndex``, the index's failure counts.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import ResourceClient
from kubeling.controllers.expectations import Expectations
from kubeling.controllers.job.indexes import generate_name_with_index, index_failure_counts
from kubeling.controllers.job.jobs import has_backoff_limit_per_index, is_indexed, meta_of, spec_of
from kubeling.controllers.job.policies import match_pod_failure_policy
from kubeling.controllers.job.state import SyncState
from kubeling.controllers.job.tracking import (
    has_tracking_finalizer,
    remove_tracking_finalizer_patch,
)
from kubeling.controllers.job.util import (
    COMPLETION_INDEX,
    INDEX_FAILURE_COUNT,
    INDEX_IGNORED_FAILURE_COUNT,
    JOB_TRACKING_FINALIZER,
)
from kubeling.controllers.ownership import new_controller_ref
from kubeling.controllers.podcontrol import PodControl, pod_from_template
from kubeling.controllers.pods import is_pod_ready

__all__ = ["SLOW_START_INITIAL_BATCH_SIZE", "JobPods"]

Obj = dict[str, Any]
Pod = Mapping[str, Any]

#: Kubernetes' ``SlowStartInitialBatchSize``.
SLOW_START_INITIAL_BATCH_SIZE: Final = 1
_COMPLETION_INDEX_ENV: Final = "JOB_COMPLETION_INDEX"
_API_VERSION: Final = "batch/v1"
_KIND: Final = "Job"


class JobPods:
    """Pod writes on behalf of the Job controller."""

    def __init__(
        self, pod_control: PodControl, pod_client: ResourceClient, expectations: Expectations
    ) -> None:
        self.pod_control = pod_control
        self.pod_client = pod_client
        self.expectations = expectations

    def template(self, job: Mapping[str, Any]) -> Obj:
        """The Job's pod template with the tracking finalizer (and for Indexed Jobs the
        ``JOB_COMPLETION_INDEX`` variable in every container)."""
        template: Obj = copy.deepcopy(dict(spec_of(job).get("template") or {}))
        if is_indexed(job):
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

    async def create(
        self, key: str, state: SyncState, indexes: Sequence[int | None]
    ) -> tuple[int, Exception | None]:
        """Create one pod per entry (an index, or None for a NonIndexed Job) in slow-start
        batches of 1, 2, 4...; a failed batch stops the rest. Returns how many count as
        created and the first error."""
        job = state.job
        template = self.template(job)
        self.expectations.expect(key, adds=len(indexes))
        created = len(indexes)
        first_error: Exception | None = None
        remaining = list(indexes)
        batch = min(len(remaining), SLOW_START_INITIAL_BATCH_SIZE)
        while remaining:
            results = await asyncio.gather(
                *(self._create_one(state, template, ix) for ix in remaining[:batch]),
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

    async def _create_one(self, state: SyncState, template: Obj, index: int | None) -> None:
        job = state.job
        name = str(meta_of(job).get("name") or "")
        generate_name = ""
        if index is not None:
            template = copy.deepcopy(template)
            meta = template.setdefault("metadata", {})
            meta.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
            meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
            template.setdefault("spec", {})["hostname"] = f"{name}-{index}"
            generate_name = generate_name_with_index(name, index)
            if has_backoff_limit_per_index(job):
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
        policy = spec_of(job).get("podFailurePolicy")
        if policy is not None and not match_pod_failure_policy(policy, replaced).counts:
            return counted, ignored + 1
        return counted + 1, ignored

    async def delete(
        self, job: Obj, key: str, pods: Sequence[Pod]
    ) -> tuple[int, int, Exception | None]:
        """Remove the finalizer, then delete; returns (ready ones deleted, deleted, error)."""

        async def delete(pod: Pod) -> tuple[bool, bool, Exception | None]:
            if has_tracking_finalizer(pod):
                try:
                    await self.remove_finalizer(pod)
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

    async def delete_keeping_finalizers(
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

    async def remove_finalizer(self, pod: Pod) -> None:
        """Drop the tracking finalizer (and only it) from ``pod``."""
        await self.pod_client.patch(
            str(meta_of(pod).get("name") or ""),
            remove_tracking_finalizer_patch(),
            namespace=str(meta_of(pod).get("namespace") or ""),
        )


def _tally(
    results: Sequence[tuple[bool, bool, Exception | None]],
) -> tuple[int, int, Exception | None]:
    """(ready pods among the deleted, deleted, first error) from per-pod outcomes."""
    deleted = sum(1 for ok, _, _ in results if ok)
    ready = sum(1 for _, was_ready, _ in results if was_ready)
    error = next((err for _, _, err in results if err is not None), None)
    return ready, deleted, error
