"""The CronJob controller: start a Job at each schedule time, keep the history in bounds.

Kubernetes 1.32's ``cronjob_controllerv2.go``. A sync of one CronJob:

1. reconciles ``status.active`` with the Jobs it controls: finished ones leave
   the list (``SawCompletedJob``), vanished ones too (``MissingJob``), an
   unfinished one it did not list is reported (``UnexpectedJob``);
   ``lastSuccessfulTime`` follows the latest completion;
2. deletes the oldest finished Jobs beyond ``successfulJobsHistoryLimit`` and
   ``failedJobsHistoryLimit``;
3. unless suspended or being deleted, finds the schedule time to run
   (:mod:`.schedule`); a time past ``startingDeadlineSeconds`` is missed
   (``MissSchedule``); ``concurrencyPolicy`` decides what to do with a run still
   active (``Forbid``: skip, ``Replace``: delete it, ``Allow``: run both); then
   creates the Job, adds it to ``status.active`` and sets ``lastScheduleTime``;
4. requeues itself for the next schedule time.

The clock and the local zone (of schedules without ``timeZone``) are injectable.
"""

from __future__ import annotations

import copy
import datetime
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.batch.cron import CronParseError, load_location_error, parse_standard
from kubeling.api.goformat import go_quote
from kubeling.client import NORMAL, WARNING, DeletedFinalStateUnknown, object_key, split_key
from kubeling.client.resources import CRONJOBS, JOBS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.clock import Clock, local_zone, utc_now
from kubeling.controllers.cronjob.schedule import (
    Missed,
    format_schedule,
    go_rfc1123z,
    job_from_template,
    job_name,
    next_schedule_delay,
    next_schedule_time,
)
from kubeling.controllers.job.util import finished_condition, is_job_finished, is_job_succeeded
from kubeling.controllers.ownership import controller_of
from kubeling.controllers.pods import parse_time

__all__ = ["CronJobController"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _uid(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("uid") or "")


def _active(cronjob: Mapping[str, Any]) -> list[Obj]:
    return list((cronjob.get("status") or {}).get("active") or ())


def _in_active_list(cronjob: Mapping[str, Any], uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in _active(cronjob))


def _remove_from_active(cronjob: Obj, uid: str) -> None:
    status = cronjob.setdefault("status", {})
    status["active"] = [ref for ref in _active(cronjob) if ref.get("uid") != uid]


def _job_reference(job: Mapping[str, Any]) -> Obj:
    """``ref.GetReference`` of a Job, as ``status.active`` lists it."""
    meta = _meta(job)
    return {
        "kind": "Job",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def _by_start_time(first: Mapping[str, Any], second: Mapping[str, Any]) -> int:
    """``byJobStartTime``: earliest start first, unstarted last, then by name."""
    a = parse_time((first.get("status") or {}).get("startTime"))
    b = parse_time((second.get("status") or {}).get("startTime"))
    if a != b:
        if a is None:
            return 1
        if b is None:
            return -1
        return -1 if a < b else 1
    name_a, name_b = str(_meta(first).get("name", "")), str(_meta(second).get("name", ""))
    return (name_a > name_b) - (name_a < name_b)


class CronJobController(Controller):
    """Kubernetes' ``cronjob`` controller (the v2 one)."""

    name = "cronjob"
    component = "cronjob-controller"
    workers = 5  # --concurrent-cron-job-syncs
    max_retries = None

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        clock: Clock = utc_now,
        local: datetime.tzinfo | None = None,
    ) -> None:
        super().__init__(ctx)
        self.clock = clock
        self.local = local if local is not None else local_zone()
        self.job_client = self.client.resource(JOBS)
        self.cronjob_client = self.client.resource(CRONJOBS)
        self.jobs = self.informers.informer_for(JOBS)
        self.cronjobs = self.informers.informer_for(CRONJOBS)
        self.jobs.add_event_handler(
            on_add=self._add_job, on_update=self._update_job, on_delete=self._delete_job
        )
        self.cronjobs.add_event_handler(
            on_add=self.enqueue, on_update=self._update_cronjob, on_delete=self.enqueue
        )

    # -- informer handlers --------------------------------------------------------------------

    def _resolve(self, namespace: str, ref: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if ref.get("kind") != "CronJob":
            return None
        try:
            cronjob = self.cronjobs.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return None
        return cronjob if _uid(cronjob) == ref.get("uid") else None

    def _enqueue_owner(self, job: Mapping[str, Any], ref: Mapping[str, Any] | None) -> None:
        if ref is None:
            return
        cronjob = self._resolve(str(_meta(job).get("namespace") or ""), ref)
        if cronjob is not None:
            self.enqueue(cronjob)

    def _add_job(self, job: Mapping[str, Any]) -> None:
        if _meta(job).get("deletionTimestamp"):
            self._delete_job(job)
            return
        self._enqueue_owner(job, controller_of(job))

    def _update_job(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if _meta(old).get("resourceVersion") == _meta(new).get("resourceVersion"):
            return
        new_ref, old_ref = controller_of(new), controller_of(old)
        if new_ref != old_ref:
            self._enqueue_owner(old, old_ref)
        self._enqueue_owner(new, new_ref)

    def _delete_job(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        job = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(job, Mapping):
            self._enqueue_owner(job, controller_of(job))

    def _update_cronjob(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """A new schedule or zone: wake at the new next time; any other change: now."""
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if (old_spec.get("schedule"), old_spec.get("timeZone")) == (
            new_spec.get("schedule"),
            new_spec.get("timeZone"),
        ):
            self.enqueue(new)
            return
        try:
            schedule = parse_standard(format_schedule(new))
        except CronParseError:
            self.recorder.event(
                new,
                WARNING,
                "UnParseableCronJobSchedule",
                f"unparseable schedule for cronjob: {new_spec.get('schedule', '')}",
            )
            return
        delay = next_schedule_delay(new, self.clock(), schedule, local=self.local)
        if delay is not None:
            self.queue.add_after(object_key(new), delay)

    # -- sync ---------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            cached = self.cronjobs.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        # Upstream matches Jobs to their CronJob by the controller reference's name.
        jobs = [
            job
            for job in self.jobs.lister.list(namespace=namespace)
            if (ref := controller_of(job)) is not None and ref.get("name") == name
        ]
        cronjob: Obj = copy.deepcopy(dict(cached))
        cleaned = await self._cleanup_finished_jobs(cronjob, jobs)
        cronjob, requeue, synced, error = await self._sync_cronjob(cronjob, jobs)
        if error is not None:
            log.info("cronjob %s: %s", key, error)
        if cleaned or synced:
            await self.cronjob_client.update_status(cronjob)
        if requeue is not None:
            self.queue.add_after(key, requeue)
            return
        if error is not None:
            raise error

    async def _sync_cronjob(
        self, cronjob: Obj, jobs: Sequence[Mapping[str, Any]]
    ) -> tuple[Obj, float | None, bool, Exception | None]:
        """``syncCronJob``: (the CronJob to write, requeue delay, whether its status changed,
        error)."""
        now = self.clock()
        changed = False
        children = set()
        for job in jobs:
            uid = _uid(job)
            children.add(uid)
            listed = _in_active_list(cronjob, uid)
            if not listed and not is_job_finished(job):
                try:
                    fresh = await self.cronjob_client.get(
                        str(_meta(cronjob).get("name", "")),
                        namespace=str(_meta(cronjob).get("namespace", "")),
                    )
                except errors.StatusError as err:
                    return cronjob, None, changed, err
                if _in_active_list(fresh, uid):
                    cronjob = fresh  # our copy was stale; continue from the stored one
                    continue
                # Created just before a crash, or a Job someone wants us to adopt.
                self.recorder.event(
                    cronjob,
                    WARNING,
                    "UnexpectedJob",
                    "Saw a job that the controller did not create or forgot: "
                    f"{_meta(job).get('name', '')}",
                )
            elif is_job_finished(job):
                if listed:
                    cond = finished_condition(job) or {}
                    _remove_from_active(cronjob, uid)
                    self.recorder.event(
                        cronjob,
                        NORMAL,
                        "SawCompletedJob",
                        f"Saw completed job: {_meta(job).get('name', '')}, "
                        f"condition: {cond.get('type', '')}",
                    )
                    changed = True
                if is_job_succeeded(job) and self._note_success(cronjob, job):
                    changed = True

        for ref in _active(cronjob):
            if ref.get("uid") in children:
                continue
            # Not in the cache: ask the API, the cache may only be slow.
            try:
                await self.job_client.get(
                    str(ref.get("name", "")), namespace=str(ref.get("namespace", ""))
                )
            except errors.StatusError as err:
                if not errors.is_not_found(err):
                    return cronjob, None, changed, err
                self.recorder.event(
                    cronjob, NORMAL, "MissingJob", f"Active job went missing: {ref.get('name', '')}"
                )
                _remove_from_active(cronjob, str(ref.get("uid", "")))
                changed = True

        if _meta(cronjob).get("deletionTimestamp"):
            return cronjob, None, changed, None  # being deleted: only the status is kept up

        spec = cronjob.get("spec") or {}
        zone = spec.get("timeZone")
        if zone is not None:
            problem = load_location_error(str(zone))
            if problem is not None:
                self.recorder.event(
                    cronjob,
                    WARNING,
                    "UnknownTimeZone",
                    f"invalid timeZone: {go_quote(str(zone))}: {problem}",
                )
                return cronjob, None, changed, None
        if spec.get("suspend") is True:
            return cronjob, None, changed, None

        schedule_text = str(spec.get("schedule") or "")
        if "TZ" in schedule_text:
            self.recorder.event(
                cronjob,
                WARNING,
                "UnsupportedSchedule",
                f"CRON_TZ or TZ used in schedule {go_quote(schedule_text)} is not officially "
                "supported, "
                "see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ "
                "for more details",
            )
        try:
            schedule = parse_standard(format_schedule(cronjob))
        except CronParseError as err:
            self.recorder.event(
                cronjob,
                WARNING,
                "UnparseableSchedule",
                f"unparseable schedule: {go_quote(schedule_text)} : {err}",
            )
            return cronjob, None, changed, None

        found = next_schedule_time(cronjob, now, schedule, local=self.local)
        if found.error is not None:
            self.recorder.event(
                cronjob,
                WARNING,
                "InvalidSchedule",
                f"invalid schedule: {schedule_text} : {found.error}",
            )
            return cronjob, None, changed, None
        if found.missed is Missed.MANY and found.most_recent is not None:
            self.recorder.event(
                cronjob,
                WARNING,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                "or check clock skew",
            )
        requeue = functools.partial(next_schedule_delay, local=self.local)
        scheduled = found.most_recent
        if scheduled is None:
            # Nothing due (a requeue that came early, or after a restart).
            return cronjob, requeue(cronjob, now, schedule), changed, None

        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + datetime.timedelta(seconds=int(deadline)) < now:
            self.recorder.event(
                cronjob,
                WARNING,
                "MissSchedule",
                "Missed scheduled time to start a job: "
                f"{go_rfc1123z(scheduled.astimezone(datetime.UTC))}",
            )
            return cronjob, requeue(cronjob, now, schedule), changed, None

        name = job_name(cronjob, scheduled)
        last = parse_time((cronjob.get("status") or {}).get("lastScheduleTime"))
        if any(ref.get("name") == name for ref in _active(cronjob)) or last == scheduled:
            return cronjob, requeue(cronjob, now, schedule), changed, None  # done already

        policy = spec.get("concurrencyPolicy")
        if policy == "Forbid" and _active(cronjob):
            # The cache may lag: two runs can still overlap when they are close together.
            self.recorder.event(
                cronjob,
                NORMAL,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy "
                "is Forbid",
            )
            return cronjob, requeue(cronjob, now, schedule), changed, None
        if policy == "Replace":
            for ref in _active(cronjob):
                try:
                    running = await self.job_client.get(
                        str(ref.get("name", "")), namespace=str(ref.get("namespace", ""))
                    )
                except errors.StatusError as err:
                    self.recorder.event(cronjob, WARNING, "FailedGet", f"Get job: {err.message}")
                    return cronjob, None, changed, err
                if not await self._delete_job_of(cronjob, running):
                    where = f"{ref.get('namespace', '')}/{ref.get('name', '')}"
                    return cronjob, None, changed, RuntimeError(f"could not replace job {where}")
                changed = True

        created, error = await self._create_job(cronjob, schedule_time=scheduled)
        if created is None:
            return cronjob, None, changed, error
        cronjob.setdefault("status", {})["active"] = [*_active(cronjob), _job_reference(created)]
        cronjob["status"]["lastScheduleTime"] = scheduled.astimezone(datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        return cronjob, requeue(cronjob, now, schedule), True, None

    async def _create_job(
        self, cronjob: Obj, *, schedule_time: datetime.datetime
    ) -> tuple[Mapping[str, Any] | None, Exception | None]:
        """Create the run's Job; (the Job to list as active, or None; error).

        An existing Job of that name is the lock working: if it is ours and not listed
        (we crashed before writing the status), it is listed now.
        """
        body = job_from_template(cronjob, schedule_time)
        namespace = str(_meta(cronjob).get("namespace", ""))
        try:
            created = await self.job_client.create(body, namespace=namespace)
        except errors.StatusError as err:
            if errors.has_status_cause(err, "NamespaceTerminating"):
                return None, err
            if not errors.is_already_exists(err):
                self.recorder.event(
                    cronjob, WARNING, "FailedCreate", f"Error creating job: {err.message}"
                )
                return None, err
            try:
                existing = await self.job_client.get(body["metadata"]["name"], namespace=namespace)
            except errors.StatusError as get_err:
                return None, get_err
            ref = controller_of(existing)
            if ref is None or ref.get("uid") != _uid(cronjob):
                return None, None  # someone else's Job: they keep the status
            if _in_active_list(cronjob, _uid(existing)):
                return None, None
            log.info("job %s/%s already exists", namespace, body["metadata"]["name"])
            return existing, None
        self.recorder.event(
            cronjob, NORMAL, "SuccessfulCreate", f"Created job {_meta(created).get('name', '')}"
        )
        return created, None

    @staticmethod
    def _note_success(cronjob: Obj, job: Mapping[str, Any]) -> bool:
        """Move ``lastSuccessfulTime`` forward to the Job's completion; True if it moved."""
        completed = (job.get("status") or {}).get("completionTime")
        status = cronjob.setdefault("status", {})
        last = parse_time(status.get("lastSuccessfulTime"))
        if last is None:
            if completed is None:
                return False
            status["lastSuccessfulTime"] = completed
            return True
        completed_at = parse_time(completed)
        if completed_at is not None and completed_at > last:
            status["lastSuccessfulTime"] = completed
            return True
        return False

    # -- history ------------------------------------------------------------------------------

    async def _cleanup_finished_jobs(self, cronjob: Obj, jobs: Sequence[Mapping[str, Any]]) -> bool:
        """Delete the oldest finished Jobs beyond the history limits; True if any went."""
        spec = cronjob.get("spec") or {}
        successful_limit = spec.get("successfulJobsHistoryLimit")
        failed_limit = spec.get("failedJobsHistoryLimit")
        if successful_limit is None and failed_limit is None:
            return False
        succeeded: list[Mapping[str, Any]] = []
        failed: list[Mapping[str, Any]] = []
        for job in jobs:
            cond = finished_condition(job)
            if cond is None:
                continue
            (succeeded if cond.get("type") == "Complete" else failed).append(job)
        changed = False
        for limit, finished in ((successful_limit, succeeded), (failed_limit, failed)):
            if limit is not None and await self._remove_oldest(cronjob, finished, int(limit)):
                changed = True
        return changed

    async def _remove_oldest(self, cronjob: Obj, jobs: list[Mapping[str, Any]], keep: int) -> bool:
        excess = len(jobs) - keep
        if excess <= 0:
            return False
        oldest_first = sorted(jobs, key=functools.cmp_to_key(_by_start_time))
        changed = False
        for job in oldest_first[:excess]:
            if await self._delete_job_of(cronjob, job):
                changed = True
        return changed

    async def _delete_job_of(self, cronjob: Obj, job: Mapping[str, Any]) -> bool:
        """Delete a run (its pods follow, in the background) and unlist it."""
        name = str(_meta(job).get("name", ""))
        try:
            await self.job_client.delete(
                name,
                namespace=str(_meta(job).get("namespace", "")),
                propagation_policy="Background",
            )
        except errors.StatusError as err:
            self.recorder.event(cronjob, WARNING, "FailedDelete", f"Deleted job: {err.message}")
            return False
        _remove_from_active(cronjob, _uid(job))
        self.recorder.event(cronjob, NORMAL, "SuccessfulDelete", f"Deleted job {name}")
        return True
