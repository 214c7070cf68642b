"""The TTL-after-finished controller: delete a finished Job ``ttlSecondsAfterFinished`` later.

Kubernetes 1.32's ``pkg/controller/ttlafterfinished``. A Job with
``spec.ttlSecondsAfterFinished`` that has finished (``Complete`` or ``Failed``)
expires that many seconds after its finishing condition's
``lastTransitionTime``. Until then its key waits in the queue; once expired,
the Job is read again from the API (the TTL may have changed since the cache
saw it) and deleted with ``propagationPolicy: Foreground`` and a UID
precondition, so its pods go first and a replaced Job of the same name is
never hit. Kubernetes cascades in the foreground here: the garbage collector
deletes the pods, then the Job.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from kubeling.api import errors
from kubeling.client import object_key, split_key
from kubeling.client.resources import JOBS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.clock import Clock, utc_now
from kubeling.controllers.job.util import finished_condition
from kubeling.controllers.pods import parse_time

__all__ = ["TTLAfterFinishedController", "expiry", "needs_cleanup"]

log = logging.getLogger(__name__)


def needs_cleanup(job: Mapping[str, Any]) -> bool:
    """A finished Job with a TTL."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    return ttl is not None and finished_condition(job) is not None


def expiry(job: Mapping[str, Any]) -> tuple[datetime.datetime, datetime.datetime]:
    """When the finished Job finished and when its TTL expires; ValueError if the Job does
    not say when it finished."""
    meta = job.get("metadata") or {}
    where = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    cond = finished_condition(job)
    if cond is None:
        raise ValueError(f"unable to find the status of the finished Job {where}")
    finished = parse_time(cond.get("lastTransitionTime"))
    if finished is None:
        raise ValueError(f"unable to find the time when the Job {where} finished")
    ttl = int((job.get("spec") or {}).get("ttlSecondsAfterFinished") or 0)
    return finished, finished + datetime.timedelta(seconds=ttl)


class TTLAfterFinishedController(Controller):
    """Kubernetes' ``ttl-after-finished`` controller."""

    name = "ttl-after-finished"
    component = "ttl-after-finished-controller"
    workers = 5  # --concurrent-ttl-after-finished-syncs
    max_retries = None

    def __init__(self, ctx: ControllerContext, *, clock: Clock = utc_now) -> None:
        super().__init__(ctx)
        self.clock = clock
        self.job_client = self.client.resource(JOBS)
        self.jobs = self.informers.informer_for(JOBS)
        self.jobs.add_event_handler(
            on_add=self._consider, on_update=lambda _old, new: self._consider(new)
        )

    def _consider(self, job: Mapping[str, Any]) -> None:
        if not (job.get("metadata") or {}).get("deletionTimestamp") and needs_cleanup(job):
            self.enqueue(job)

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            cached = self.jobs.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if self._expired(cached) is None:
            return
        # The cache may be stale (a new TTL, a new Job): decide again on a fresh read.
        try:
            fresh = await self.job_client.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if self._expired(fresh) is None:
            return
        log.info("deleting job %s: its TTL after finishing expired", key)
        await self.job_client.delete(
            name,
            namespace=namespace,
            propagation_policy="Foreground",
            precondition_uid=str((fresh.get("metadata") or {}).get("uid") or ""),
        )

    def _expired(self, job: Mapping[str, Any]) -> datetime.datetime | None:
        """``processTTL``: when the TTL expired, or None (not expired: the key is queued for
        the expiry; or nothing to clean up)."""
        if (job.get("metadata") or {}).get("deletionTimestamp") or not needs_cleanup(job):
            return None
        now = self.clock()
        finished, expires = expiry(job)
        if finished > now:
            log.warning(
                "job %s finished in the future (clock skew?): cleanup deferred", object_key(job)
            )
        left = (expires - now).total_seconds()
        if left <= 0:
            return expires
        self.queue.add_after(object_key(job), left)
        return None
