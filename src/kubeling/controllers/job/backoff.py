"""The delay before a Job replaces a failed pod: 10 s, doubling per failure, up to 10 minutes.

Kubernetes 1.32 (``backoff_utils.go``) counts, per Job, the failures since the
last success and the time of the latest one; a replacement pod is created only
once ``base * 2**(failures-1)`` (capped) has passed since that failure. A success
after the failures resets the count. With ``backoffLimitPerIndex`` each index
backs off on its own, from the failure count its last failed pod carries.

The record lives in the controller's memory, as upstream: a restarted
controller starts counting afresh. A pod's finish time is its containers' latest
``finishedAt``, else when it stopped being Ready, else its deletion time less its
grace period, else its creation time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.controllers.pods import condition, parse_time

__all__ = [
    "DEFAULT_POD_FAILURE_BACKOFF",
    "MAX_POD_FAILURE_BACKOFF",
    "BackoffRecord",
    "BackoffStore",
    "finish_time",
    "remaining_backoff",
]

#: ``DefaultJobPodFailureBackOff`` and ``MaxJobPodFailureBackOff``, in seconds.
DEFAULT_POD_FAILURE_BACKOFF: Final = 10.0
MAX_POD_FAILURE_BACKOFF: Final = 600.0

_EPOCH: Final = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True, slots=True)
class BackoffRecord:
    """Failures of one Job since its last success, and when the latest happened."""

    key: str
    failures_after_last_success: int = 0
    last_failure_time: datetime.datetime | None = None

    def remaining(self, now: datetime.datetime, *, base: float, cap: float) -> datetime.timedelta:
        """How long pod creation must still wait (zero: not at all)."""
        return remaining_backoff(
            now, self.failures_after_last_success, self.last_failure_time, base=base, cap=cap
        )


class BackoffStore:
    """The records of every Job, by key."""

    def __init__(self) -> None:
        self._records: dict[str, BackoffRecord] = {}

    def new_record(
        self,
        key: str,
        new_succeeded: Sequence[Mapping[str, Any]],
        new_failed: Sequence[Mapping[str, Any]],
    ) -> BackoffRecord:
        """The record after the pods that finished since the last sync (not stored yet:
        :meth:`update` stores it once the Job's status holds those pods)."""
        old = self._records.get(key, BackoffRecord(key))
        failed_times = sorted(finish_time(pod) for pod in new_failed)
        if not new_succeeded:
            if not failed_times:
                return old
            return BackoffRecord(
                key, old.failures_after_last_success + len(failed_times), failed_times[-1]
            )
        last_success = max(finish_time(pod) for pod in new_succeeded)
        after = [t for t in failed_times if t > last_success]
        return BackoffRecord(key, len(after), after[-1] if after else None)

    def update(self, record: BackoffRecord) -> None:
        self._records[record.key] = record

    def remove(self, key: str) -> None:
        self._records.pop(key, None)


def remaining_backoff(
    now: datetime.datetime,
    failures: int,
    last_failure: datetime.datetime | None,
    *,
    base: float,
    cap: float,
) -> datetime.timedelta:
    """``getRemainingTimeForFailuresCount``: ``base`` doubled per failure after the first,
    at most ``cap``, less the time since the last failure; never negative.

    >>> t = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    >>> remaining_backoff(t + datetime.timedelta(seconds=5), 3, t, base=10, cap=600)
    datetime.timedelta(seconds=35)
    """
    if failures <= 0 or last_failure is None:
        return datetime.timedelta(0)
    delay = base
    for _ in range(1, failures):
        delay *= 2
        if delay >= cap:
            delay = cap
            break
    elapsed = now - last_failure
    return max(datetime.timedelta(seconds=delay) - elapsed, datetime.timedelta(0))


def finish_time(pod: Mapping[str, Any]) -> datetime.datetime:
    """``getFinishedTime``: when ``pod`` finished, as best the pod tells."""
    for found in (_finish_from_containers(pod), _finish_from_ready_false(pod)):
        if found is not None:
            return found
    meta = pod.get("metadata") or {}
    deleted = parse_time(meta.get("deletionTimestamp"))
    if deleted is not None:
        grace = int(meta.get("deletionGracePeriodSeconds") or 0)
        return deleted - datetime.timedelta(seconds=grace)
    return parse_time(meta.get("creationTimestamp")) or _EPOCH


def _finish_from_containers(pod: Mapping[str, Any]) -> datetime.datetime | None:
    """The latest ``finishedAt`` of the app containers and sidecars (``latestFinishTime``
    twice: a sidecar list that all terminated answers even when the app containers
    did not, as upstream)."""
    status = pod.get("status") or {}
    sidecars = {
        c.get("name")
        for c in (pod.get("spec") or {}).get("initContainers") or ()
        if c.get("restartPolicy") == "Always"
    }
    sidecar_statuses = [
        s for s in status.get("initContainerStatuses") or () if s.get("name") in sidecars
    ]
    found = _latest_finish(None, status.get("containerStatuses") or ())
    return _latest_finish(found, sidecar_statuses)


def _latest_finish(
    since: datetime.datetime | None, statuses: Iterable[Mapping[str, Any]]
) -> datetime.datetime | None:
    latest = since
    for status in statuses:
        terminated = (status.get("state") or {}).get("terminated") or {}
        finished = parse_time(terminated.get("finishedAt"))
        if finished is None:
            return None
        if latest is None or finished > latest:
            latest = finished
    return latest


def _finish_from_ready_false(pod: Mapping[str, Any]) -> datetime.datetime | None:
    ready = condition(pod, "Ready")
    if ready is None or ready.get("status") != "False":
        return None
    return parse_time(ready.get("lastTransitionTime"))
