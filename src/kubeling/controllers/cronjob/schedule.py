"""When a CronJob should start a Job, as Kubernetes 1.32's ``cronjob/utils.go`` decides.

A CronJob looks back from *now* to the later of its ``lastScheduleTime`` (or its
creation) and, with ``startingDeadlineSeconds``, ``now - startingDeadlineSeconds``;
the most recent schedule time in between is the one to run (older missed ones
are skipped, not run one by one). More than 100 missed times is reported as
"too many missed start times". Between runs the controller sleeps until the next
schedule time plus 100 ms (``nextScheduleDelta``, slack for clock skew).

Each run is a Job named ``<cronjob>-<scheduled time in minutes since the epoch>``
(the name is the lock that stops one time running twice), annotated with its
scheduled time in the CronJob's zone.
"""

from __future__ import annotations

import copy
import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.batch.cron import CronSchedule, load_location, load_location_error
from kubeling.controllers.ownership import new_controller_ref
from kubeling.controllers.pods import parse_time

__all__ = [
    "NEXT_SCHEDULE_DELTA",
    "SCHEDULED_TIMESTAMP_ANNOTATION",
    "Missed",
    "RecentSchedule",
    "format_schedule",
    "go_rfc1123z",
    "go_rfc3339",
    "job_from_template",
    "job_name",
    "most_recent_schedule_time",
    "next_schedule_delay",
    "next_schedule_time",
]

NEXT_SCHEDULE_DELTA: Final = datetime.timedelta(milliseconds=100)
SCHEDULED_TIMESTAMP_ANNOTATION: Final = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_TOO_MANY_MISSED: Final = 100


class Missed(enum.Enum):
    """How many schedule times passed unstarted (``missedSchedulesType``)."""

    NONE = "none"
    FEW = "few"
    MANY = "many"


@dataclass(frozen=True, slots=True)
class RecentSchedule:
    """What :func:`most_recent_schedule_time` found."""

    #: The time the search started from (last schedule, creation or deadline).
    earliest: datetime.datetime
    #: The latest schedule time not after now (None: none since ``earliest``).
    most_recent: datetime.datetime | None
    missed: Missed
    #: A schedule that parses but makes no sense (``0 0 31 2 *``).
    error: str | None = None


def _earliest(
    cronjob: Mapping[str, Any], now: datetime.datetime, *, with_deadline: bool
) -> datetime.datetime:
    meta = cronjob.get("metadata") or {}
    status = cronjob.get("status") or {}
    earliest = parse_time(status.get("lastScheduleTime")) or parse_time(
        meta.get("creationTimestamp")
    )
    if earliest is None:
        earliest = now
    deadline = (cronjob.get("spec") or {}).get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        # Nothing older than the starting deadline will be started any more.
        earliest = max(earliest, now - datetime.timedelta(seconds=int(deadline)))
    return earliest


def most_recent_schedule_time(
    cronjob: Mapping[str, Any],
    now: datetime.datetime,
    schedule: CronSchedule,
    *,
    local: datetime.tzinfo,
    with_deadline: bool,
) -> RecentSchedule:
    """``mostRecentScheduleTime``: the latest schedule time in (earliest, now].

    It estimates how many times were missed from the distance between two
    consecutive times, jumps close to now and walks the last few, so a CronJob
    that missed years of minutes costs no more than one that missed one.
    """
    earliest = _earliest(cronjob, now, with_deadline=with_deadline)
    first = schedule.next(earliest, local=local)
    second = None if first is None else schedule.next(first, local=local)
    if first is not None and now < first:
        return RecentSchedule(earliest, None, Missed.NONE)
    if first is not None and second is not None and now < second:
        return RecentSchedule(earliest, first, Missed.NONE)
    between = 0 if first is None or second is None else round((second - first).total_seconds())
    if first is None or between < 1:
        return RecentSchedule(
            earliest,
            None,
            Missed.NONE,
            "time difference between two schedules is less than 1 second",
        )
    elapsed = int((now - first).total_seconds())
    missed = elapsed // between + 1
    # One interval before the estimate, so irregular schedules (30 6-16/4 * * 1-5) are
    # walked correctly to the end.
    candidate = schedule.next(
        first + datetime.timedelta(seconds=(missed - 2) * between), local=local
    )
    most_recent = None
    while candidate is not None and candidate <= now:
        most_recent = candidate
        candidate = schedule.next(candidate, local=local)
    kind = Missed.MANY if missed > _TOO_MANY_MISSED else Missed.FEW
    return RecentSchedule(earliest, most_recent, kind)


def next_schedule_time(
    cronjob: Mapping[str, Any],
    now: datetime.datetime,
    schedule: CronSchedule,
    *,
    local: datetime.tzinfo,
) -> RecentSchedule:
    """``nextScheduleTime``: the unmet schedule time to run now (``most_recent``), if any,
    counting the starting deadline."""
    found = most_recent_schedule_time(cronjob, now, schedule, local=local, with_deadline=True)
    if found.most_recent is not None and found.most_recent > now:
        return RecentSchedule(found.earliest, None, found.missed, found.error)
    return found


def next_schedule_delay(
    cronjob: Mapping[str, Any],
    now: datetime.datetime,
    schedule: CronSchedule,
    *,
    local: datetime.tzinfo,
) -> float | None:
    """``nextScheduleTimeDuration``: seconds until the next schedule time (plus 100 ms);
    None for a schedule that never fires."""
    found = most_recent_schedule_time(cronjob, now, schedule, local=local, with_deadline=False)
    if found.error is not None:
        base = now
    elif found.most_recent is not None:
        base = found.most_recent
    else:
        # Missed times that were all skipped: the next one counts from now.
        base = found.earliest if found.missed is Missed.NONE else now
    upcoming = schedule.next(base, local=local)
    if upcoming is None:
        return None
    return (upcoming + NEXT_SCHEDULE_DELTA - now).total_seconds()


def format_schedule(cronjob: Mapping[str, Any]) -> str:
    """``formatSchedule``: the schedule the library parses, ``TZ=<timeZone> `` in front when
    the CronJob sets a (loadable) zone and the schedule has no ``TZ`` of its own."""
    spec = cronjob.get("spec") or {}
    schedule = str(spec.get("schedule") or "")
    zone = spec.get("timeZone")
    if "TZ" in schedule or zone is None or load_location_error(str(zone)) is not None:
        return schedule
    return f"TZ={zone} {schedule}"


def job_name(cronjob: Mapping[str, Any], scheduled: datetime.datetime) -> str:
    """``<cronjob>-<minutes since the epoch>``: one name per scheduled minute.

    >>> job_name({"metadata": {"name": "hello"}},
    ...          datetime.datetime(2024, 1, 1, 10, 5, tzinfo=datetime.UTC))
    'hello-28401725'
    """
    name = (cronjob.get("metadata") or {}).get("name", "")
    return f"{name}-{int(scheduled.timestamp()) // 60}"


def go_rfc3339(moment: datetime.datetime) -> str:
    """Go's ``time.RFC3339``: ``Z`` for a zero offset, else ``+hh:mm``.

    >>> go_rfc3339(datetime.datetime(2024, 1, 1, 10, 0, tzinfo=datetime.UTC))
    '2024-01-01T10:00:00Z'
    """
    text = moment.replace(microsecond=0).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def go_rfc1123z(moment: datetime.datetime) -> str:
    """Go's ``time.RFC1123Z``: ``Mon, 02 Jan 2006 15:04:05 -0700`` (English names)."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return (
        f"{days[moment.weekday()]}, {moment.day:02d} {months[moment.month - 1]} "
        f"{moment.year} {moment:%H:%M:%S %z}"
    )


def job_from_template(cronjob: Mapping[str, Any], scheduled: datetime.datetime) -> dict[str, Any]:
    """``getJobFromTemplate2``: the Job of the run scheduled at ``scheduled``."""
    spec = cronjob.get("spec") or {}
    template = spec.get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    zone = load_location(str(spec.get("timeZone") or ""))
    annotations = dict(template_meta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = go_rfc3339(scheduled.astimezone(zone))
    meta: dict[str, Any] = {
        "name": job_name(cronjob, scheduled),
        "annotations": annotations,
        "ownerReferences": [new_controller_ref(cronjob, "batch/v1", "CronJob")],
    }
    labels = dict(template_meta.get("labels") or {})
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": copy.deepcopy(dict(template.get("spec") or {})),
    }
