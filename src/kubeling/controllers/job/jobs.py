"""What a Job's spec and its pods say, read the way the Job controller reads them.

Small predicates over the API's JSON (a Job or pod as a mapping), shared by the
controller's steps: the completion mode, suspension, the replacement policy,
whether a pod counts as failed, who manages the Job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubeling.controllers.job.util import JOB_CONTROLLER_NAME

__all__ = [
    "completions_of",
    "has_backoff_limit_per_index",
    "is_indexed",
    "is_managed_elsewhere",
    "is_pod_failed",
    "is_suspended",
    "meta_of",
    "only_replace_failed_pods",
    "past_backoff_limit_on_failure",
    "phase_of",
    "spec_of",
    "uid_of",
]

Pod = Mapping[str, Any]


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(meta_of(obj).get("uid") or "")


def phase_of(pod: Pod) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_indexed(job: Mapping[str, Any]) -> bool:
    return spec_of(job).get("completionMode") == "Indexed"


def completions_of(job: Mapping[str, Any]) -> int | None:
    value = spec_of(job).get("completions")
    return None if value is None else int(value)


def is_suspended(job: Mapping[str, Any]) -> bool:
    return spec_of(job).get("suspend") is True


def has_backoff_limit_per_index(job: Mapping[str, Any]) -> bool:
    return spec_of(job).get("backoffLimitPerIndex") is not None


def only_replace_failed_pods(job: Mapping[str, Any]) -> bool:
    """``podReplacementPolicy: Failed`` (implied by a pod failure policy): a terminating pod
    is not replaced until it has failed."""
    spec = spec_of(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: Pod, job: Mapping[str, Any]) -> bool:
    """Failed, or (unless only failed pods are replaced) deleted before it succeeded."""
    if phase_of(pod) == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool(meta_of(pod).get("deletionTimestamp")) and phase_of(pod) != "Succeeded"


def is_managed_elsewhere(job: Mapping[str, Any]) -> bool:
    managed_by = spec_of(job).get("managedBy")
    return managed_by is not None and managed_by != JOB_CONTROLLER_NAME


def past_backoff_limit_on_failure(job: Mapping[str, Any], pods: Sequence[Pod]) -> bool:
    """``restartPolicy: OnFailure``: the container restarts of running and pending pods
    reach ``backoffLimit`` (any restart at all when the limit is 0)."""
    template_spec = (spec_of(job).get("template") or {}).get("spec") or {}
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        if phase_of(pod) in ("Running", "Pending"):
            status = pod.get("status") or {}
            for kind in ("initContainerStatuses", "containerStatuses"):
                restarts += sum(int(s.get("restartCount") or 0) for s in status.get(kind) or ())
    limit = int(spec_of(job).get("backoffLimit") or 0)
    return restarts > 0 if limit == 0 else restarts >= limit
