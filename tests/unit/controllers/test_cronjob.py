"""The CronJob controller: schedule decisions as tables, sync against a recording fake client.

Time is a fake clock: no test waits for a minute to pass.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.batch.cron import parse_standard
from kubeling.client.resources import CRONJOBS, JOBS
from kubeling.controllers.cronjob import CronJobController
from kubeling.controllers.cronjob.schedule import (
    Missed,
    go_rfc1123z,
    job_from_template,
    most_recent_schedule_time,
    next_schedule_delay,
)
from tests.unit.controllers.fakes import (
    FakeClient,
    cache,
    fake_context,
    is_waiting,
    recorded_events,
)

Obj = dict[str, Any]
UTC = datetime.UTC
TOP = datetime.datetime(2016, 5, 19, 10, 0, 0, tzinfo=UTC)  # a Thursday


def _at(**delta: float) -> datetime.datetime:
    return TOP + datetime.timedelta(**delta)


def _ts(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cronjob(
    schedule: str = "*/1 * * * *",
    *,
    created: datetime.datetime = TOP,
    last: datetime.datetime | None = None,
    active: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    status: Obj = {}
    if last is not None:
        status["lastScheduleTime"] = _ts(last)
    if active:
        status["active"] = active
    body = {
        "schedule": schedule,
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"labels": {"team": "a"}},
            "spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": []}}},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "tick",
            "namespace": "ns",
            "uid": "cj-uid",
            "resourceVersion": "1",
            "creationTimestamp": _ts(created),
        },
        "spec": body,
        "status": status,
    }


# -- schedule decisions (Kubernetes' utils_test.go TestMostRecentScheduleTime) -------------


@pytest.mark.parametrize(
    (
        "schedule",
        "created",
        "last",
        "deadline",
        "with_deadline",
        "now",
        "earliest",
        "recent",
        "missed",
    ),
    [
        # now before the next schedule time
        ("0 * * * *", TOP, None, None, False, _at(seconds=30), TOP, None, Missed.NONE),
        # just after it
        ("0 * * * *", TOP, None, None, False, _at(minutes=61), TOP, _at(minutes=60), Missed.NONE),
        # five missed: only the latest runs
        (
            "0 * * * *",
            _at(seconds=10),
            None,
            None,
            False,
            _at(minutes=301),
            _at(seconds=10),
            _at(minutes=300),
            Missed.FEW,
        ),
        # irregular schedules
        (
            "30 6-16/4 * * 1-5",
            TOP,
            _at(minutes=30),
            None,
            False,
            _at(hours=24, minutes=31),
            _at(minutes=30),
            _at(hours=24, minutes=30),
            Missed.FEW,
        ),
        (
            "30 10,11,12 * * 1-5",
            TOP,
            _at(minutes=30),
            None,
            False,
            _at(hours=30, minutes=30),
            _at(minutes=30),
            None,
            Missed.FEW,
        ),
        (
            "30 6-16/4 * * 1-5",
            TOP,
            _at(minutes=30),
            None,
            False,
            _at(hours=96, minutes=31),
            _at(minutes=30),
            _at(hours=96, minutes=30),
            Missed.FEW,
        ),
        # a week of hourly misses is "many"
        (
            "@every 1h",
            _at(minutes=-59),
            _at(minutes=1),
            10,
            False,
            _at(days=7),
            _at(minutes=1),
            _at(days=6, hours=23, minutes=1),
            Missed.MANY,
        ),
        # last schedule time, within and outside the starting deadline
        (
            "*/5 * * * *",
            TOP,
            _at(minutes=30),
            60,
            False,
            _at(minutes=31),
            _at(minutes=30),
            None,
            Missed.NONE,
        ),
        (
            "*/5 * * * *",
            TOP,
            _at(minutes=30),
            60,
            True,
            _at(minutes=32),
            _at(minutes=31),
            None,
            Missed.NONE,
        ),
    ],
)
def test_most_recent_schedule_time(
    schedule: str,
    created: datetime.datetime,
    last: datetime.datetime | None,
    deadline: int | None,
    with_deadline: bool,
    now: datetime.datetime,
    earliest: datetime.datetime,
    recent: datetime.datetime | None,
    missed: Missed,
) -> None:
    spec = {} if deadline is None else {"startingDeadlineSeconds": deadline}
    cronjob = _cronjob(schedule, created=created, last=last, **spec)
    found = most_recent_schedule_time(
        cronjob, now, parse_standard(schedule), local=UTC, with_deadline=with_deadline
    )
    assert (found.earliest, found.most_recent, found.missed, found.error) == (
        earliest,
        recent,
        missed,
        None,
    )


def test_schedule_that_never_fires_is_an_error() -> None:
    found = most_recent_schedule_time(
        _cronjob("59 23 31 2 *", created=_at(seconds=10)),
        _at(hours=1),
        parse_standard("59 23 31 2 *"),
        local=UTC,
        with_deadline=False,
    )
    assert found.most_recent is None
    assert found.error == "time difference between two schedules is less than 1 second"


@pytest.mark.parametrize(
    ("schedule", "last", "now", "seconds"),
    [
        ("30 6-16/4 * * 1-5", _at(minutes=30), _at(hours=24, minutes=31), 3 * 3600 + 59 * 60),
        ("30 10,11,12 * * 1-5", _at(minutes=30), _at(hours=30, minutes=30), 66 * 3600),
        ("0 12 * * 4", _at(hours=2), _at(days=19, hours=1, minutes=30), 48 * 3600 + 30 * 60),
        ("0 12 * * 5", None, _at(hours=6), 20 * 3600),
        ("*/1 * * * *", None, _at(seconds=20), 40),
    ],
)
def test_next_schedule_delay(
    schedule: str, last: datetime.datetime | None, now: datetime.datetime, seconds: int
) -> None:
    """Sleep until the next schedule time, plus 100 ms of slack."""
    delay = next_schedule_delay(
        _cronjob(schedule, last=last), now, parse_standard(schedule), local=UTC
    )
    assert delay == pytest.approx(seconds + 0.1)


def test_job_from_template_names_and_annotates_the_run() -> None:
    """The Job is named by the scheduled minute, carries the template's labels and the
    scheduled time in the CronJob's zone, and is controlled by the CronJob."""
    scheduled = datetime.datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    job = job_from_template(_cronjob(timeZone="Europe/Paris"), scheduled)
    meta = job["metadata"]
    assert meta["name"] == f"tick-{int(scheduled.timestamp()) // 60}"
    assert meta["labels"] == {"team": "a"}
    assert meta["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2024-07-01T10:00:00+02:00"
    }
    ref = meta["ownerReferences"][0]
    assert (ref["kind"], ref["uid"], ref["controller"]) == ("CronJob", "cj-uid", True)
    utc_job = job_from_template(_cronjob(), scheduled)
    assert (
        utc_job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        == "2024-07-01T08:00:00Z"
    )


def test_rfc1123z() -> None:
    assert go_rfc1123z(TOP) == "Thu, 19 May 2016 10:00:00 +0000"


# -- sync -------------------------------------------------------------------------------------


def _controller(now: datetime.datetime) -> tuple[CronJobController, FakeClient]:
    ctx, client = fake_context()
    return CronJobController(ctx, clock=lambda: now, local=UTC), client


def _job(name: str, *, finished: str | None = None, started: datetime.datetime = TOP) -> Obj:
    status: Obj = {"startTime": _ts(started)}
    if finished is not None:
        status["conditions"] = [{"type": finished, "status": "True"}]
        if finished == "Complete":
            status["completionTime"] = _ts(started + datetime.timedelta(seconds=30))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "resourceVersion": "7",
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": "tick",
                    "uid": "cj-uid",
                    "controller": True,
                }
            ],
        },
        "status": status,
    }


def _ref(name: str) -> Obj:
    return {
        "kind": "Job",
        "namespace": "ns",
        "name": name,
        "uid": f"uid-{name}",
        "apiVersion": "batch/v1",
    }


def _status(client: FakeClient) -> Obj:
    (update,) = client.writes("update_status", "cronjobs")
    return dict(update.body["status"])


async def test_due_schedule_creates_the_job_and_records_it() -> None:
    controller, client = _controller(_at(minutes=1, seconds=5))
    cache(controller, CRONJOBS, _cronjob())
    await controller.sync("ns/tick")
    (created,) = client.writes("create", "jobs")
    expected_name = f"tick-{int(_at(minutes=1).timestamp()) // 60}"
    assert created.name == expected_name
    status = _status(client)
    assert status["lastScheduleTime"] == _ts(_at(minutes=1))
    assert [ref["name"] for ref in status["active"]] == [expected_name]
    assert ("Normal", "SuccessfulCreate", f"Created job {expected_name}") in recorded_events(
        controller
    )
    # Requeued for the next minute (54.9 s away, plus 100 ms).
    assert is_waiting(controller, "ns/tick")


async def test_nothing_due_only_requeues() -> None:
    controller, client = _controller(_at(seconds=30))
    cache(controller, CRONJOBS, _cronjob())
    await controller.sync("ns/tick")
    assert client.calls == []
    assert is_waiting(controller, "ns/tick")


async def test_already_scheduled_time_is_not_run_twice() -> None:
    controller, client = _controller(_at(minutes=1, seconds=5))
    cache(controller, CRONJOBS, _cronjob(last=_at(minutes=1)))
    await controller.sync("ns/tick")
    assert client.writes("create", "jobs") == []


async def test_suspended_cronjob_starts_nothing() -> None:
    controller, client = _controller(_at(minutes=5))
    cache(controller, CRONJOBS, _cronjob(suspend=True))
    await controller.sync("ns/tick")
    assert client.calls == []


async def test_missed_starting_deadline() -> None:
    """The due time is older than startingDeadlineSeconds: it is skipped, nothing runs
    until the next time (the search starts at the deadline, as upstream)."""
    controller, client = _controller(_at(minutes=1, seconds=40))
    cache(controller, CRONJOBS, _cronjob(startingDeadlineSeconds=30, last=_at(minutes=0)))
    await controller.sync("ns/tick")
    assert client.calls == []
    assert is_waiting(controller, "ns/tick")


async def test_too_many_missed_start_times_still_runs_the_latest() -> None:
    controller, client = _controller(_at(hours=3))
    cache(controller, CRONJOBS, _cronjob())
    await controller.sync("ns/tick")
    (created,) = client.writes("create", "jobs")
    assert created.name == f"tick-{int(_at(hours=3).timestamp()) // 60}"
    assert (
        "Warning",
        "TooManyMissedTimes",
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check "
        "clock skew",
    ) in recorded_events(controller)


async def test_forbid_skips_while_a_run_is_active() -> None:
    controller, client = _controller(_at(minutes=2, seconds=1))
    running = _job("tick-1", started=_at(minutes=1))
    cache(
        controller,
        CRONJOBS,
        _cronjob(concurrencyPolicy="Forbid", last=_at(minutes=1), active=[_ref("tick-1")]),
    )
    cache(controller, JOBS, running)
    await controller.sync("ns/tick")
    assert client.writes("create", "jobs") == []
    assert (
        "Normal",
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
    ) in recorded_events(controller)


async def test_replace_deletes_the_running_job_first() -> None:
    controller, client = _controller(_at(minutes=2, seconds=1))
    running = _job("tick-1", started=_at(minutes=1))
    cache(
        controller,
        CRONJOBS,
        _cronjob(concurrencyPolicy="Replace", last=_at(minutes=1), active=[_ref("tick-1")]),
    )
    cache(controller, JOBS, running)
    client.objects[("jobs", "ns", "tick-1")] = running
    await controller.sync("ns/tick")
    (deleted,) = client.writes("delete", "jobs")
    assert (deleted.name, deleted.options["propagation_policy"]) == ("tick-1", "Background")
    assert len(client.writes("create", "jobs")) == 1
    assert [ref["name"] for ref in _status(client)["active"]] != ["tick-1"]
    events = recorded_events(controller)
    assert ("Normal", "SuccessfulDelete", "Deleted job tick-1") in events


async def test_finished_jobs_leave_the_active_list_and_history_is_trimmed() -> None:
    """A finished active Job is reported and unlisted; lastSuccessfulTime follows the
    latest completion; only the newest successful (3) and failed (1) Jobs are kept."""
    controller, client = _controller(_at(minutes=5, seconds=30))
    jobs = [_job(f"ok-{i}", finished="Complete", started=_at(minutes=i)) for i in range(5)]
    jobs += [_job(f"bad-{i}", finished="Failed", started=_at(minutes=i)) for i in range(2)]
    cache(
        controller,
        CRONJOBS,
        _cronjob(suspend=True, active=[_ref("ok-4")]),
    )
    cache(controller, JOBS, *jobs)
    await controller.sync("ns/tick")
    assert sorted(d.name for d in client.writes("delete", "jobs")) == ["bad-0", "ok-0", "ok-1"]
    status = _status(client)
    assert status.get("active") == []
    assert status["lastSuccessfulTime"] == _ts(_at(minutes=4, seconds=30))
    events = recorded_events(controller)
    assert ("Normal", "SawCompletedJob", "Saw completed job: ok-4, condition: Complete") in events


async def test_active_job_that_vanished_is_unlisted() -> None:
    controller, client = _controller(_at(seconds=10))
    cache(controller, CRONJOBS, _cronjob(active=[_ref("gone")]))
    await controller.sync("ns/tick")
    assert _status(client)["active"] == []
    assert ("Normal", "MissingJob", "Active job went missing: gone") in recorded_events(controller)


async def test_unexpected_job_is_reported() -> None:
    controller, client = _controller(_at(seconds=10))
    cache(controller, CRONJOBS, _cronjob())
    cache(controller, JOBS, _job("stranger"))
    client.objects[("cronjobs", "ns", "tick")] = _cronjob()
    await controller.sync("ns/tick")
    assert (
        "Warning",
        "UnexpectedJob",
        "Saw a job that the controller did not create or forgot: stranger",
    ) in recorded_events(controller)


async def test_time_zone_moves_the_schedule() -> None:
    """timeZone: '0 9 * * *' in Tokyo is 00:00 UTC."""
    now = datetime.datetime(2024, 3, 5, 0, 0, 20, tzinfo=UTC)
    controller, client = _controller(now)
    created = datetime.datetime(2024, 3, 4, 23, 0, tzinfo=UTC)
    cache(controller, CRONJOBS, _cronjob("0 9 * * *", created=created, timeZone="Asia/Tokyo"))
    await controller.sync("ns/tick")
    (job,) = client.writes("create", "jobs")
    assert job.body["metadata"]["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2024-03-05T09:00:00+09:00"
    }
    assert _status(client)["lastScheduleTime"] == "2024-03-05T00:00:00Z"


async def test_job_already_there_is_listed_after_a_crash() -> None:
    """The Job of this minute exists (created before a crash): it is listed, not recreated."""
    controller, client = _controller(_at(minutes=1, seconds=5))
    name = f"tick-{int(_at(minutes=1).timestamp()) // 60}"
    existing = _job(name, started=_at(minutes=1))
    cache(controller, CRONJOBS, _cronjob())
    client.objects[("jobs", "ns", name)] = existing
    client.objects[("cronjobs", "ns", "tick")] = _cronjob()
    client.fail_creates["jobs"] = errors.already_exists("jobs.batch", name)
    await controller.sync("ns/tick")
    assert [ref["name"] for ref in _status(client)["active"]] == [name]
    assert not any(e[1] == "SuccessfulCreate" for e in recorded_events(controller))
