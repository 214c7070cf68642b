"""What other controllers need to know about a Job: is it finished, and how.

Kubernetes' ``pkg/controller/job/util``: a Job is finished once it has a
``Complete`` or ``Failed`` condition with status ``True`` (the interim
``SuccessCriteriaMet`` and ``FailureTarget`` conditions do not count: the
Job's pods may still be running down). The CronJob and TTL-after-finished
controllers read Jobs through these helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "COMPLETION_INDEX",
    "INDEX_FAILURE_COUNT",
    "INDEX_IGNORED_FAILURE_COUNT",
    "JOB_CONTROLLER_NAME",
    "JOB_TRACKING_FINALIZER",
    "finished_condition",
    "is_job_finished",
    "is_job_succeeded",
]

#: Held by every pod the Job controller creates until it has counted the pod.
JOB_TRACKING_FINALIZER: Final = "batch.kubernetes.io/job-tracking"
#: Annotation and label of an Indexed Job's pods: their completion index.
COMPLETION_INDEX: Final = "batch.kubernetes.io/job-completion-index"
#: Annotations carrying an index's failures from pod to replacement pod.
INDEX_FAILURE_COUNT: Final = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT: Final = "batch.kubernetes.io/job-index-ignored-failure-count"
#: ``spec.managedBy`` of Jobs this controller manages (the default when unset).
JOB_CONTROLLER_NAME: Final = "kubernetes.io/job-controller"


def finished_condition(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``Complete`` or ``Failed`` condition that is ``True``, if any."""
    for cond in (job.get("status") or {}).get("conditions") or ():
        if not isinstance(cond, Mapping):
            continue
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond
    return None


def is_job_finished(job: Mapping[str, Any]) -> bool:
    return finished_condition(job) is not None


def is_job_succeeded(job: Mapping[str, Any]) -> bool:
    """Finished with ``Complete``."""
    cond = finished_condition(job)
    return cond is not None and cond.get("type") == "Complete"
