"""Printers of the ``batch`` group: jobs and cron jobs.

A job's STATUS is the first of ``Complete``, ``Failed``, ``Terminating`` (being
deleted), ``Suspended``, ``FailureTarget`` whose condition holds, else
``Running``. COMPLETIONS is ``succeeded/completions``; without
``completions`` it is ``succeeded/1``, or ``succeeded/1 of N`` when more than
one pod runs in parallel. DURATION runs from ``startTime`` to
``completionTime`` (or to now) and is empty before the job starts.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    NONE,
    UNSET,
    creation_timestamp,
    deleting,
    format_label_selector,
    has,
    integer,
    items,
    layout_container_cells,
    mapping,
    maps,
    name,
    template_containers,
    text,
)
from kubeling.apiserver.printers.age import human_duration, timestamp, translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]

_CONTAINERS: Final = Column(
    "Containers", "string", "Names of each container in the template.", priority=1
)
_IMAGES: Final = Column(
    "Images", "string", "Images referenced by each container in the template.", priority=1
)
_SELECTOR: Final = Column(
    "Selector", "string", "A label query over pods that should match the pod count.", priority=1
)


def _job_condition(status: Mapping[str, Any], condition_type: str) -> bool:
    for condition in maps(status, "conditions"):
        if condition.get("type") == condition_type:
            return condition.get("status") == "True"
    return False


def job_status(job: Mapping[str, Any]) -> str:
    """The STATUS cell of a job."""
    status = mapping(job, "status")
    if _job_condition(status, "Complete"):
        return "Complete"
    if _job_condition(status, "Failed"):
        return "Failed"
    if deleting(job):
        return "Terminating"
    if _job_condition(status, "Suspended"):
        return "Suspended"
    if _job_condition(status, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _completions(spec: Mapping[str, Any], status: Mapping[str, Any]) -> str:
    succeeded = integer(status, "succeeded")
    if has(spec, "completions"):
        return f"{succeeded}/{integer(spec, 'completions')}"
    parallelism = integer(spec, "parallelism")
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _job_duration(status: Mapping[str, Any], now: datetime.datetime) -> str:
    started = timestamp(status.get("startTime"))
    if started is None:
        return ""
    completed = timestamp(status.get("completionTime"))
    return human_duration((completed or now) - started)


def _job_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    names, images = layout_container_cells(template_containers(obj, "spec", "template"))
    return [
        name(obj),
        job_status(obj),
        _completions(spec, status),
        _job_duration(status, now),
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


JOB: Final = Printer(
    (
        name_column(),
        Column("Status", "string", "Status of the job."),
        Column("Completions", "string", "The number of pods which reached phase Succeeded."),
        Column("Duration", "string", "Time required to complete the job."),
        age_column(),
        _CONTAINERS,
        _IMAGES,
        _SELECTOR,
    ),
    _job_row,
)


def _bool_pointer(value: object) -> str:
    """``printBoolPtr``: ``True``/``False``, ``<unset>`` when nil."""
    if value is None:
        return UNSET
    return "True" if value is True else "False"


def _cron_job_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    last_schedule = NONE
    if has(status, "lastScheduleTime"):
        last_schedule = translate_timestamp_since(status.get("lastScheduleTime"), now)
    time_zone = text(spec, "timeZone") if has(spec, "timeZone") else NONE
    job_spec = mapping(spec, "jobTemplate", "spec")
    names, images = layout_container_cells(template_containers(job_spec, "template"))
    return [
        name(obj),
        text(spec, "schedule"),
        time_zone,
        _bool_pointer(spec.get("suspend")),
        len(items(status, "active")),
        last_schedule,
        translate_timestamp_since(creation_timestamp(obj), now),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    ]


CRON_JOB: Final = Printer(
    (
        name_column(),
        Column(
            "Schedule",
            "string",
            "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
        ),
        Column(
            "Timezone",
            "string",
            "The time zone name for the given schedule, see "
            "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
        ),
        Column(
            "Suspend",
            "boolean",
            "This flag tells the controller to suspend subsequent "
            "executions, it does not apply to already started executions.",
        ),
        Column("Active", "integer", "A list of pointers to currently running jobs."),
        Column(
            "Last Schedule",
            "string",
            "Information when was the last time the job was successfully scheduled.",
        ),
        age_column(),
        _CONTAINERS,
        _IMAGES,
        _SELECTOR,
    ),
    _cron_job_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"jobs": JOB, "cronjobs": CRON_JOB}
"""``batch`` printers by resource plural."""
