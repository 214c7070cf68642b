"""The TTL-after-finished controller: expiry from the finishing condition, fresh re-check,
foreground deletion with a UID precondition."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.client.resources import JOBS
from kubeling.controllers.ttlafterfinished import TTLAfterFinishedController, expiry, needs_cleanup
from tests.unit.controllers.fakes import FakeClient, cache, fake_context, is_waiting

Obj = dict[str, Any]
NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def _job(ttl: int | None = 60, finished_ago: float | None = 100, **meta: Any) -> Obj:
    status: Obj = {}
    if finished_ago is not None:
        at = (NOW - datetime.timedelta(seconds=finished_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status["conditions"] = [
            {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": at},
            {"type": "Complete", "status": "True", "lastTransitionTime": at},
        ]
    spec = {} if ttl is None else {"ttlSecondsAfterFinished": ttl}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "done", "namespace": "ns", "uid": "job-uid", **meta},
        "spec": spec,
        "status": status,
    }


def _controller() -> tuple[TTLAfterFinishedController, FakeClient]:
    ctx, client = fake_context()
    return TTLAfterFinishedController(ctx, clock=lambda: NOW), client


@pytest.mark.parametrize(
    ("job", "expected"),
    [(_job(), True), (_job(ttl=None), False), (_job(finished_ago=None), False)],
)
def test_needs_cleanup(job: Obj, expected: bool) -> None:
    assert needs_cleanup(job) is expected


def test_expiry_counts_from_the_finishing_condition() -> None:
    finished, expires = expiry(_job(ttl=60, finished_ago=100))
    assert finished == NOW - datetime.timedelta(seconds=100)
    assert expires == NOW - datetime.timedelta(seconds=40)
    job = _job()
    del job["status"]["conditions"][1]["lastTransitionTime"]
    with pytest.raises(ValueError, match="unable to find the time when the Job ns/done finished"):
        expiry(job)


async def test_expired_job_is_deleted_in_the_foreground() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job())
    client.objects[("jobs", "ns", "done")] = _job()
    await controller.sync("ns/done")
    (delete,) = client.writes("delete", "jobs")
    assert delete.name == "done"
    assert delete.options["propagation_policy"] == "Foreground"
    assert delete.options["precondition_uid"] == "job-uid"


async def test_job_not_yet_expired_waits() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(ttl=600))
    await controller.sync("ns/done")
    assert client.calls == []
    assert is_waiting(controller, "ns/done")


async def test_fresh_read_with_a_longer_ttl_wins() -> None:
    """The cache says expired, the API says the TTL was raised: nothing is deleted."""
    controller, client = _controller()
    cache(controller, JOBS, _job(ttl=60))
    client.objects[("jobs", "ns", "done")] = _job(ttl=3600)
    await controller.sync("ns/done")
    assert client.writes("delete", "jobs") == []
    assert is_waiting(controller, "ns/done")


async def test_job_being_deleted_is_left_alone() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(deletionTimestamp="2024-05-01T11:59:00Z"))
    await controller.sync("ns/done")
    assert client.calls == []
