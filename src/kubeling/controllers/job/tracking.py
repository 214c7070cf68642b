"""Counting finished pods exactly once, with the ``batch.kubernetes.io/job-tracking`` finalizer.

Every pod a Job creates holds the finalizer, so it cannot vanish before the Job
controller has counted it. Counting is a two-step protocol that survives a crash
at any point (``trackJobStatusAndRemoveFinalizers`` in Kubernetes):

1. the UIDs of newly finished pods go into ``status.uncountedTerminatedPods``
   (written to the API);
2. their finalizers are removed; a UID whose pod no longer has the finalizer
   moves from the uncounted lists into ``status.succeeded``/``status.failed``.

:class:`FinalizerExpectations` remembers whose finalizer removal the controller
is waiting to see in its cache, so a stale pod is not counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubeling.controllers.job.util import JOB_TRACKING_FINALIZER

__all__ = [
    "FinalizerExpectations",
    "fold_counted",
    "has_tracking_finalizer",
    "normalized_status",
    "remove_tracking_finalizer_patch",
]

Obj = dict[str, Any]


def has_tracking_finalizer(pod: Mapping[str, Any]) -> bool:
    return JOB_TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or ())


def remove_tracking_finalizer_patch() -> dict[str, Any]:
    """The strategic merge patch that drops the finalizer and keeps the others."""
    return {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}}


class FinalizerExpectations:
    """Pod UIDs per Job key whose finalizer removal is not yet in the cache."""

    def __init__(self) -> None:
        self._pending: dict[str, set[str]] = {}

    def expect_removals(self, key: str, uids: Iterable[str]) -> None:
        self._pending.setdefault(key, set()).update(uids)

    def removal_observed(self, key: str, uid: str) -> None:
        pending = self._pending.get(key)
        if pending is not None:
            pending.discard(uid)

    def expected(self, key: str) -> frozenset[str]:
        return frozenset(self._pending.get(key, ()))

    def forget(self, key: str) -> None:
        self._pending.pop(key, None)


def fold_counted(status: Obj, with_finalizer: set[str]) -> bool:
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


def normalized_status(status: Obj) -> Obj:
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
