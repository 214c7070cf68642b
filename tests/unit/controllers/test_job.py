"""The Job controller's sync, white-box: Jobs and pods in the cache, writes recorded."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from kubeling.client.resources import JOBS, PODS
from kubeling.controllers.job import JobController
from tests.unit.controllers.fakes import (
    FakeClient,
    cache,
    fake_context,
    recorded_events,
)

Obj = dict[str, Any]
NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)
TRACKING = "batch.kubernetes.io/job-tracking"


def _ts(seconds: float = 0) -> str:
    return (NOW + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _job(**spec: Any) -> Obj:
    status = spec.pop("status", {})
    body: Obj = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "job-uid"}},
        "template": {
            "metadata": {"labels": {"batch.kubernetes.io/controller-uid": "job-uid"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "x"}]},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "work",
            "namespace": "ns",
            "uid": "job-uid",
            "generation": 1,
            "resourceVersion": "1",
        },
        "spec": body,
        "status": status,
    }


def _pod(
    name: str,
    phase: str = "Running",
    *,
    index: int | None = None,
    finalizer: bool = True,
    **meta: Any,
) -> Obj:
    metadata: Obj = {
        "name": name,
        "namespace": "ns",
        "uid": f"uid-{name}",
        "resourceVersion": "5",
        "labels": {"batch.kubernetes.io/controller-uid": "job-uid"},
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": "work",
                "uid": "job-uid",
                "controller": True,
            }
        ],
        "creationTimestamp": _ts(-100),
    }
    if finalizer:
        metadata["finalizers"] = [TRACKING]
    if index is not None:
        metadata["annotations"] = {"batch.kubernetes.io/job-completion-index": str(index)}
    metadata.update(meta)
    status: Obj = {"phase": phase}
    if phase in ("Succeeded", "Failed"):
        code = 0 if phase == "Succeeded" else 1
        status["containerStatuses"] = [
            {"name": "main", "state": {"terminated": {"exitCode": code, "finishedAt": _ts(-5)}}}
        ]
    return {"metadata": metadata, "spec": {"containers": [{"name": "main"}]}, "status": status}


def _controller(**options: Any) -> tuple[JobController, FakeClient]:
    ctx, client = fake_context()
    return JobController(ctx, clock=lambda: NOW, **options), client


def _statuses(client: FakeClient) -> list[Obj]:
    return [c.body["status"] for c in client.writes("update_status", "jobs")]


async def test_new_job_creates_parallelism_pods_and_starts() -> None:
    """A new Job gets its first pods (tracking finalizer, owner, template labels) and a
    status with startTime and zero ready/terminating."""
    controller, client = _controller()
    cache(controller, JOBS, _job(parallelism=2, completions=5))
    await controller.sync("ns/work")
    created = client.writes("create", "pods")
    assert len(created) == 2
    pod = created[0].body
    assert pod["metadata"]["generateName"] == "work-"
    assert pod["metadata"]["finalizers"] == [TRACKING]
    assert pod["metadata"]["ownerReferences"][0]["uid"] == "job-uid"
    (status,) = _statuses(client)
    assert status == {
        "startTime": _ts(),
        "active": 2,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
    }
    assert (
        recorded_events(controller).count(("Normal", "SuccessfulCreate", "Created pod: work-00100"))
        == 1
    )


async def test_succeeded_pods_are_counted_through_uncounted_then_complete() -> None:
    """Finished pods go to uncountedTerminatedPods, lose their finalizer, then count; with
    all completions the Job gets SuccessCriteriaMet, then Complete and completionTime."""
    controller, client = _controller()
    cache(
        controller,
        JOBS,
        _job(completions=2, parallelism=2, status={"startTime": _ts(-60), "ready": 0}),
    )
    cache(controller, PODS, _pod("a", "Succeeded"), _pod("b", "Succeeded"))
    await controller.sync("ns/work")
    first, second = _statuses(client)
    assert first["uncountedTerminatedPods"] == {"succeeded": ["uid-a", "uid-b"]}
    assert [c["type"] for c in first["conditions"]] == ["SuccessCriteriaMet"]
    assert first["conditions"][0]["reason"] == "CompletionsReached"
    patches = client.writes("patch", "pods")
    assert [p.name for p in patches] == ["a", "b"]
    assert patches[0].body == {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING]}}
    assert second["succeeded"] == 2
    assert second["uncountedTerminatedPods"] == {}
    assert [c["type"] for c in second["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert second["completionTime"] == _ts()
    assert ("Normal", "Completed", "Job completed") in recorded_events(controller)


async def test_too_many_failures_fail_the_job_in_two_steps() -> None:
    """Past backoffLimit: FailureTarget with the running pods deleted, then Failed once
    nothing is left running or uncounted."""
    controller, client = _controller()
    cache(controller, JOBS, _job(backoffLimit=1, status={"startTime": _ts(-60), "failed": 1}))
    cache(controller, PODS, _pod("a", "Failed"), _pod("b"))
    await controller.sync("ns/work")
    assert [d.name for d in client.writes("delete", "pods")] == ["b"]
    statuses = _statuses(client)
    assert statuses[0]["conditions"][0]["type"] == "FailureTarget"
    assert statuses[0]["conditions"][0]["reason"] == "BackoffLimitExceeded"
    # b is now terminating: counted as failed, but the Job is not Failed while it terminates.
    assert statuses[-1]["failed"] == 3
    assert "Failed" not in [c["type"] for c in statuses[-1]["conditions"]]

    # Next sync: b is gone; the FailureTarget becomes Failed.
    controller2, client2 = _controller()
    cache(controller2, JOBS, _job(backoffLimit=1, status=statuses[-1]))
    await controller2.sync("ns/work")
    final = _statuses(client2)[-1]
    assert [c["type"] for c in final["conditions"]] == ["FailureTarget", "Failed"]
    assert final["conditions"][1]["message"] == "Job has reached the specified backoff limit"
    assert ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit") in (
        recorded_events(controller2)
    )


async def test_replacement_waits_for_the_pod_failure_backoff() -> None:
    """A failure 5 s ago: the replacement waits the remaining 5 s of the first 10 s step."""
    controller, client = _controller()
    cache(controller, JOBS, _job(status={"startTime": _ts(-60)}))
    cache(controller, PODS, _pod("a", "Failed"))
    await controller.sync("ns/work")
    assert client.writes("create", "pods") == []
    # The wait is queued: the key is waiting for about 5 s.
    assert "ns/work" in controller.queue._waiting
    assert _statuses(client)[-1]["failed"] == 1


async def test_suspending_deletes_pods_and_sets_the_condition() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(suspend=True, parallelism=2, status={"startTime": _ts(-60)}))
    cache(controller, PODS, _pod("a"), _pod("b"))
    await controller.sync("ns/work")
    assert sorted(d.name for d in client.writes("delete", "pods")) == ["a", "b"]
    # The finalizers go first: a deleted pod never needs counting.
    assert sorted(p.name for p in client.writes("patch", "pods")) == ["a", "b"]
    status = _statuses(client)[-1]
    assert status.get("active", 0) == 0
    assert status["terminating"] == 2
    (cond,) = status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("Suspended", "True", "JobSuspended")
    assert ("Normal", "Suspended", "Job suspended") in recorded_events(controller)


async def test_suspended_job_never_started_has_no_start_time() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(suspend=True))
    await controller.sync("ns/work")
    assert "startTime" not in _statuses(client)[-1]


async def test_past_active_deadline() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(activeDeadlineSeconds=30, status={"startTime": _ts(-31)}))
    cache(controller, PODS, _pod("a"))
    await controller.sync("ns/work")
    assert [d.name for d in client.writes("delete", "pods")] == ["a"]
    cond = _statuses(client)[0]["conditions"][0]
    assert (cond["type"], cond["reason"]) == ("FailureTarget", "DeadlineExceeded")


async def test_indexed_job_creates_missing_indexes_and_compresses_completions() -> None:
    controller, client = _controller()
    cache(
        controller,
        JOBS,
        _job(
            completionMode="Indexed",
            completions=5,
            parallelism=3,
            status={"startTime": _ts(-60), "completedIndexes": "0"},
        ),
    )
    cache(controller, PODS, _pod("one", "Succeeded", index=1), _pod("three", index=3))
    await controller.sync("ns/work")
    created = client.writes("create", "pods")
    indexes = sorted(
        c.body["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        for c in created
    )
    assert indexes == ["2", "4"]
    pod = next(c.body for c in created if c.body["spec"]["hostname"] == "work-2")
    assert pod["metadata"]["generateName"] == "work-2-"
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "2"
    status = _statuses(client)[-1]
    assert status["completedIndexes"] == "0,1"
    assert status["succeeded"] == 2


async def test_backoff_limit_per_index_fails_the_index_not_the_job() -> None:
    """With backoffLimitPerIndex 0, a failed index is recorded in failedIndexes; the Job
    fails with FailedIndexes once every index is done."""
    controller, client = _controller()
    job = _job(
        completionMode="Indexed",
        completions=2,
        parallelism=2,
        backoffLimit=2**31 - 1,
        backoffLimitPerIndex=0,
        status={"startTime": _ts(-60), "completedIndexes": "1", "succeeded": 1},
    )
    cache(controller, JOBS, job)
    failed = _pod("zero", "Failed", index=0)
    failed["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] = "0"
    cache(controller, PODS, failed)
    await controller.sync("ns/work")
    assert client.writes("create", "pods") == []
    statuses = _statuses(client)
    assert statuses[0]["failedIndexes"] == "0"
    cond = statuses[0]["conditions"][0]
    assert (cond["type"], cond["reason"], cond["message"]) == (
        "FailureTarget",
        "FailedIndexes",
        "Job has failed indexes",
    )


async def test_finished_job_is_left_alone() -> None:
    controller, client = _controller()
    done = {"conditions": [{"type": "Complete", "status": "True"}]}
    cache(controller, JOBS, _job(status=done))
    cache(controller, PODS, _pod("a", "Succeeded"))
    await controller.sync("ns/work")
    assert client.calls == []


async def test_job_managed_by_another_controller_is_skipped() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(managedBy="example.com/other"))
    await controller.sync("ns/work")
    assert client.calls == []


@pytest.mark.parametrize("owned_by_finished_job", [True, False])
async def test_orphan_pods_lose_the_finalizer(owned_by_finished_job: bool) -> None:
    """A pod whose Job is finished, or that has no Job, is released on its own key."""
    controller, client = _controller()
    if owned_by_finished_job:
        cache(controller, JOBS, _job(status={"conditions": [{"type": "Failed", "status": "True"}]}))
        pod = _pod("a", "Failed")
    else:
        pod = _pod("a", "Failed", ownerReferences=[])
    cache(controller, PODS, pod)
    await controller.sync("orphan-pod:ns/a")
    (patch,) = client.writes("patch", "pods")
    assert patch.body == {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING]}}


async def test_pod_of_running_job_keeps_its_finalizer_on_the_orphan_key() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job())
    cache(controller, PODS, _pod("a"))
    await controller.sync("orphan-pod:ns/a")
    assert client.calls == []


async def test_failed_creation_stops_the_slow_start_and_is_retried() -> None:
    """A refused creation skips the rest of the batch, lowers the expectations and
    makes the sync fail (so it is retried with back-off)."""
    from kubeling.api import errors

    controller, client = _controller()
    client.fail_creates["pods"] = errors.forbidden("pods", "", "exceeded quota")
    cache(controller, JOBS, _job(parallelism=4, completions=4))
    with pytest.raises(errors.StatusError):
        await controller.sync("ns/work")
    assert len(client.writes("create", "pods")) == 1  # the first batch of one, nothing more
    assert controller.expectations.satisfied("ns/work")
    assert _statuses(client)[-1].get("active", 0) == 0
    assert ("Warning", "FailedCreate", "Error creating: pods is forbidden: exceeded quota") in (
        recorded_events(controller)
    )


async def test_replacement_policy_failed_waits_for_terminating_pods() -> None:
    """podReplacementPolicy Failed: a pod being deleted is neither counted as failed nor
    replaced until it has failed; TerminatingOrFailed replaces it at once."""
    deleting = _pod("a", deletionTimestamp=_ts(-1))
    for policy, replaced in (("Failed", False), ("TerminatingOrFailed", True)):
        controller, client = _controller(pod_failure_backoff=(0.0, 0.0))
        cache(controller, JOBS, _job(podReplacementPolicy=policy, status={"startTime": _ts(-60)}))
        cache(controller, PODS, deleting)
        await controller.sync("ns/work")
        assert bool(client.writes("create", "pods")) is replaced
        status = _statuses(client)[-1]
        assert status["terminating"] == 1
        assert status.get("failed", 0) == (1 if replaced else 0)


async def test_per_index_backoff_carries_the_failure_count() -> None:
    """backoffLimitPerIndex: the failed pod of index 0 is held (finalizer kept) until its
    replacement exists; the replacement carries the index's failure count."""
    controller, client = _controller(pod_failure_backoff=(1.0, 1.0))  # failed 5 s ago
    job = _job(
        completionMode="Indexed",
        completions=1,
        parallelism=1,
        backoffLimit=2**31 - 1,
        backoffLimitPerIndex=2,
        status={"startTime": _ts(-600)},
    )
    failed = _pod("zero", "Failed", index=0)
    failed["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] = "0"
    cache(controller, JOBS, job)
    cache(controller, PODS, failed)
    await controller.sync("ns/work")
    (created,) = client.writes("create", "pods")
    annotations = created.body["metadata"]["annotations"]
    assert annotations["batch.kubernetes.io/job-index-failure-count"] == "1"
    assert annotations["batch.kubernetes.io/job-completion-index"] == "0"
    assert client.writes("patch", "pods") == []  # held until the replacement is seen


async def test_max_failed_indexes_fails_the_job() -> None:
    controller, client = _controller()
    job = _job(
        completionMode="Indexed",
        completions=4,
        parallelism=4,
        backoffLimit=2**31 - 1,
        backoffLimitPerIndex=0,
        maxFailedIndexes=0,
        status={"startTime": _ts(-60)},
    )
    cache(controller, JOBS, job)
    cache(controller, PODS, _pod("zero", "Failed", index=0), _pod("one", index=1))
    await controller.sync("ns/work")
    assert [d.name for d in client.writes("delete", "pods")] == ["one"]
    cond = _statuses(client)[0]["conditions"][0]
    assert (cond["type"], cond["reason"]) == ("FailureTarget", "MaxFailedIndexesExceeded")


async def test_orphan_matching_the_selector_is_adopted_with_the_finalizer() -> None:
    controller, client = _controller()
    cache(controller, JOBS, _job(status={"startTime": _ts(-60)}))
    client.objects[("jobs", "ns", "work")] = _job()
    orphan = _pod("stray", finalizer=False, ownerReferences=[])
    cache(controller, PODS, orphan)
    await controller.sync("ns/work")
    (adopt,) = client.writes("patch", "pods")
    assert adopt.name == "stray"
    meta = json.loads(adopt.body)["metadata"]  # claim sends the patch as bytes
    assert meta["finalizers"] == [TRACKING]
    assert meta["ownerReferences"][0]["uid"] == "job-uid"
