"""The Job controller against a real API server; the test plays the kubelet."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import JOBS, PODS
from kubeling.controllers.job import JobController
from kubeling.controllers.manager import CONTROLLERS
from tests.integration.controllers_support import (
    controller_manager,
    events_of,
    fresh_namespace,
    set_pod_phase,
    wait_for,
)
from tests.support.cluster import RunningServer

Obj = dict[str, Any]


@pytest.fixture
async def job_controller(
    kubeling_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The job controller, with a short pod-failure back-off so failures retry quickly."""
    factory = functools.partial(JobController, pod_failure_backoff=(0.2, 1.0))
    monkeypatch.setitem(CONTROLLERS, "job", factory)
    config = load_client_config(kubeling_server.kubeconfig)
    async with controller_manager(config, "job"):
        yield


def _job(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": "busybox"}],
                }
            },
            **spec,
        },
    }


async def _pods(client: ApiClient, namespace: str, job: str) -> list[Obj]:
    listed = await client.resource(PODS).list(
        namespace=namespace, label_selector=f"batch.kubernetes.io/job-name={job}"
    )
    return list(listed["items"])


async def _active_pods(client: ApiClient, namespace: str, job: str, count: int) -> list[Obj]:
    """Wait until exactly ``count`` pods of the job are running (not finished, not deleted)."""

    async def probe() -> list[Obj] | None:
        pods = [
            p
            for p in await _pods(client, namespace, job)
            if p["status"].get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")
        ]
        return pods if len(pods) == count else None

    return await wait_for(probe, what=f"{count} active pods of {job}")


async def _condition(client: ApiClient, namespace: str, job: str, type: str) -> Obj:
    async def probe() -> Obj | None:
        current = await client.resource(JOBS).get(job, namespace=namespace)
        for cond in current.get("status", {}).get("conditions") or ():
            if cond["type"] == type and cond["status"] == "True":
                return current
        return None

    return await wait_for(probe, what=f"condition {type} on job {job}")


@pytest.mark.usefixtures("job_controller")
async def test_job_with_three_completions_two_at_a_time_completes(api_client: ApiClient) -> None:
    """completions 3, parallelism 2: two pods, then a third, then Complete with the counts."""
    ns = await fresh_namespace(api_client)
    await api_client.resource(JOBS).create(_job("work", completions=3, parallelism=2), namespace=ns)
    first = await _active_pods(api_client, ns, "work", 2)
    for pod in first:
        assert "batch.kubernetes.io/job-tracking" in pod["metadata"]["finalizers"]
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    await set_pod_phase(api_client, first[0], "Succeeded")
    second = await _active_pods(api_client, ns, "work", 2)
    assert {p["metadata"]["name"] for p in second} != {p["metadata"]["name"] for p in first}
    for pod in second:
        await set_pod_phase(api_client, pod, "Succeeded")

    done = await _condition(api_client, ns, "work", "Complete")
    status = done["status"]
    assert status["succeeded"] == 3
    assert status.get("active", 0) == 0
    assert status["ready"] == 0
    assert status["terminating"] == 0
    assert status["uncountedTerminatedPods"] == {}
    assert status["completionTime"] >= status["startTime"]
    types = [c["type"] for c in status["conditions"]]
    assert types == ["SuccessCriteriaMet", "Complete"]
    assert status["conditions"][1]["reason"] == "CompletionsReached"
    assert status["conditions"][1]["message"] == "Reached expected number of succeeded pods"
    # Every pod was counted and released.
    for pod in await _pods(api_client, ns, "work"):
        assert "batch.kubernetes.io/job-tracking" not in (pod["metadata"].get("finalizers") or [])
    reasons = [reason for reason, _ in await events_of(api_client, ns, "work")]
    assert reasons.count("SuccessfulCreate") == 3
    assert ("Completed", "Job completed") in await events_of(api_client, ns, "work")


async def _job_status(client: ApiClient, namespace: str, job: str) -> Obj:
    return dict((await client.resource(JOBS).get(job, namespace=namespace)).get("status") or {})


@pytest.mark.usefixtures("job_controller")
async def test_failing_job_hits_its_backoff_limit(api_client: ApiClient) -> None:
    """backoffLimit 1: the first failure is replaced, the second fails the Job."""
    ns = await fresh_namespace(api_client)
    await api_client.resource(JOBS).create(_job("flaky", backoffLimit=1), namespace=ns)
    (first,) = await _active_pods(api_client, ns, "flaky", 1)
    await set_pod_phase(api_client, first, "Failed")
    (second,) = await _active_pods(api_client, ns, "flaky", 1)
    assert second["metadata"]["name"] != first["metadata"]["name"]
    await set_pod_phase(api_client, second, "Failed")

    failed = await _condition(api_client, ns, "flaky", "Failed")
    status = failed["status"]
    assert status["failed"] == 2
    assert "completionTime" not in status
    by_type = {c["type"]: c for c in status["conditions"]}
    assert list(by_type) == ["FailureTarget", "Failed"]
    for cond in by_type.values():
        assert cond["reason"] == "BackoffLimitExceeded"
        assert cond["message"] == "Job has reached the specified backoff limit"
    events = await events_of(api_client, ns, "flaky")
    assert ("BackoffLimitExceeded", "Job has reached the specified backoff limit") in events


@pytest.mark.usefixtures("job_controller")
async def test_indexed_job_runs_each_index_once(api_client: ApiClient) -> None:
    """Indexed: one pod per index with its annotation, label, hostname and env; a failed
    index is retried; completedIndexes tracks the successes."""
    ns = await fresh_namespace(api_client)
    await api_client.resource(JOBS).create(
        _job("idx", completions=3, parallelism=3, completionMode="Indexed"), namespace=ns
    )
    pods = await _active_pods(api_client, ns, "idx", 3)
    by_index = {}
    for pod in pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        assert pod["spec"]["hostname"] == f"idx-{index}"
        assert pod["metadata"]["generateName"] == f"idx-{index}-"
        env = pod["spec"]["containers"][0]["env"]
        assert env[0]["name"] == "JOB_COMPLETION_INDEX"
        assert env[0]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "metadata.labels['batch.kubernetes.io/job-completion-index']"
        )
        by_index[int(index)] = pod
    assert sorted(by_index) == [0, 1, 2]

    await set_pod_phase(api_client, by_index[1], "Succeeded")
    await set_pod_phase(api_client, by_index[0], "Failed")

    async def retried() -> Obj | None:
        for pod in await _pods(api_client, ns, "idx"):
            annotations = pod["metadata"]["annotations"]
            if (
                annotations["batch.kubernetes.io/job-completion-index"] == "0"
                and pod["metadata"]["uid"] != by_index[0]["metadata"]["uid"]
            ):
                return pod
        return None

    replacement = await wait_for(retried, what="a new pod for index 0")
    await wait_for(
        lambda: _status_with(api_client, ns, "idx", completedIndexes="1", failed=1),
        what="index 1 succeeded and one failure counted",
    )
    await set_pod_phase(api_client, replacement, "Succeeded")
    await set_pod_phase(api_client, by_index[2], "Succeeded")
    done = await _condition(api_client, ns, "idx", "Complete")
    assert done["status"]["completedIndexes"] == "0-2"
    assert done["status"]["succeeded"] == 3


async def _status_with(client: ApiClient, namespace: str, job: str, **fields: Any) -> Obj | None:
    status = await _job_status(client, namespace, job)
    return status if all(status.get(k) == v for k, v in fields.items()) else None


@pytest.mark.usefixtures("job_controller")
async def test_active_deadline_fails_the_job_and_stops_its_pods(api_client: ApiClient) -> None:
    """activeDeadlineSeconds: past it, the running pods are deleted and the Job fails."""
    ns = await fresh_namespace(api_client)
    await api_client.resource(JOBS).create(
        _job("slow", parallelism=2, completions=2, activeDeadlineSeconds=2), namespace=ns
    )
    await _active_pods(api_client, ns, "slow", 2)
    failed = await _condition(api_client, ns, "slow", "Failed")
    cond = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert cond["reason"] == "DeadlineExceeded"
    assert cond["message"] == "Job was active longer than specified deadline"
    assert failed["status"]["failed"] == 2
    assert failed["status"].get("active", 0) == 0

    async def gone() -> bool | None:
        return True if not await _pods(api_client, ns, "slow") else None

    await wait_for(gone, what="the deadline-exceeded pods to be deleted")
    events = await events_of(api_client, ns, "slow")
    assert ("DeadlineExceeded", "Job was active longer than specified deadline") in events
    assert [r for r, _ in events].count("SuccessfulDelete") == 2


@pytest.mark.usefixtures("job_controller")
async def test_suspend_and_resume(api_client: ApiClient) -> None:
    """A suspended Job runs no pods and has no startTime; resuming starts it (and the
    clock of activeDeadlineSeconds); suspending again deletes its pods."""
    ns = await fresh_namespace(api_client)
    jobs = api_client.resource(JOBS)
    await jobs.create(_job("pause", suspend=True, parallelism=2, completions=4), namespace=ns)
    suspended = await _condition(api_client, ns, "pause", "Suspended")
    cond = next(c for c in suspended["status"]["conditions"] if c["type"] == "Suspended")
    assert (cond["reason"], cond["message"]) == ("JobSuspended", "Job suspended")
    assert "startTime" not in suspended["status"]
    assert await _pods(api_client, ns, "pause") == []

    await jobs.patch("pause", {"spec": {"suspend": False}}, namespace=ns)
    await _active_pods(api_client, ns, "pause", 2)
    resumed = await wait_for(
        lambda: _status_with(api_client, ns, "pause", active=2), what="two active pods"
    )
    cond = next(c for c in resumed["conditions"] if c["type"] == "Suspended")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "JobResumed",
        "Job resumed",
    )
    assert resumed["startTime"]

    await jobs.patch("pause", {"spec": {"suspend": True}}, namespace=ns)
    await _active_pods(api_client, ns, "pause", 0)
    await _condition(api_client, ns, "pause", "Suspended")
    reasons = [r for r, _ in await events_of(api_client, ns, "pause")]
    assert reasons.count("Suspended") == 2
    assert "Resumed" in reasons
    assert reasons.count("SuccessfulDelete") == 2


@pytest.mark.usefixtures("job_controller")
async def test_pod_failure_policy_fail_job_and_ignore(api_client: ApiClient) -> None:
    """An ignored failure (DisruptionTarget) is not counted and the pod is replaced; an
    exit code matching a FailJob rule fails the Job at once, whatever the back-off limit."""
    ns = await fresh_namespace(api_client)
    policy = {
        "rules": [
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}},
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        ]
    }
    await api_client.resource(JOBS).create(
        _job("policy", backoffLimit=6, podFailurePolicy=policy), namespace=ns
    )
    (first,) = await _active_pods(api_client, ns, "policy", 1)
    disrupted = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}
    await set_pod_phase(api_client, first, "Failed", exit_code=137, conditions=[disrupted])
    (second,) = await _active_pods(api_client, ns, "policy", 1)
    assert second["metadata"]["uid"] != first["metadata"]["uid"]
    status = await _job_status(api_client, ns, "policy")
    assert status.get("failed", 0) == 0

    await set_pod_phase(api_client, second, "Failed", exit_code=42)
    failed = await _condition(api_client, ns, "policy", "Failed")
    cond = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert cond["reason"] == "PodFailurePolicy"
    assert cond["message"] == (
        f"Container main for pod {ns}/{second['metadata']['name']} failed with exit code 42 "
        "matching FailJob rule at index 0"
    )
    assert failed["status"]["failed"] == 1


@pytest.mark.usefixtures("job_controller")
async def test_orphan_pod_loses_the_tracking_finalizer(api_client: ApiClient) -> None:
    """A pod holding the finalizer that no Job owns is released, so it can be deleted."""
    ns = await fresh_namespace(api_client)
    pod = {
        "metadata": {
            "name": "stray",
            "finalizers": ["batch.kubernetes.io/job-tracking", "example.com/keep"],
        },
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }
    await api_client.resource(PODS).create(pod, namespace=ns)

    async def released() -> list[str] | None:
        current = await api_client.resource(PODS).get("stray", namespace=ns)
        finalizers = current["metadata"].get("finalizers") or []
        return finalizers if "batch.kubernetes.io/job-tracking" not in finalizers else None

    assert await wait_for(released, what="the finalizer to go") == ["example.com/keep"]
