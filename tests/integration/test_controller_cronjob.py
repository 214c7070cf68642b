"""The CronJob controller against a real API server, on a fake clock moved by the test."""

from __future__ import annotations

import datetime
import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import CRONJOBS, JOBS, PODS
from kubeling.controllers.cronjob import CronJobController
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
UTC = datetime.UTC


class SteppedClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
async def clock(
    kubeling_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SteppedClock]:
    """The cronjob controller on a stepped clock, and the job controller on real time."""
    stepped = SteppedClock(datetime.datetime.now(UTC))
    monkeypatch.setitem(
        CONTROLLERS, "cronjob", functools.partial(CronJobController, clock=stepped, local=UTC)
    )
    async with controller_manager(load_client_config(kubeling_server.kubeconfig), "job", "cronjob"):
        yield stepped


async def _nudge(client: ApiClient, namespace: str, note: str) -> None:
    """Touch the CronJob so its controller looks at it now (its own timer runs on real
    time, while its clock was moved)."""
    await client.resource(CRONJOBS).patch(
        "tick", {"metadata": {"annotations": {"test/nudge": note}}}, namespace=namespace
    )


async def _cronjob_status(client: ApiClient, namespace: str, **expected: Any) -> Obj | None:
    status = (await client.resource(CRONJOBS).get("tick", namespace=namespace)).get("status") or {}
    for key, value in expected.items():
        got = status.get(key)
        if key == "active":
            got = sorted(ref["name"] for ref in got or ())
        if got != value:
            return None
    return dict(status)


async def test_cronjob_runs_each_minute_and_keeps_its_history(
    api_client: ApiClient, clock: SteppedClock
) -> None:
    """ "*/1 * * * *": a Job per scheduled minute, named by the minute; finished runs leave
    the active list, lastSuccessfulTime follows them, and the history limit trims them."""
    ns = await fresh_namespace(api_client)
    cronjob = {
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "*/1 * * * *",
            "successfulJobsHistoryLimit": 1,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "main", "image": "busybox"}],
                        }
                    }
                }
            },
        },
    }
    created = await api_client.resource(CRONJOBS).create(cronjob, namespace=ns)
    born = datetime.datetime.fromisoformat(created["metadata"]["creationTimestamp"])
    first = born.replace(second=0) + datetime.timedelta(minutes=1)
    second = first + datetime.timedelta(minutes=1)
    names = [f"tick-{int(t.timestamp()) // 60}" for t in (first, second)]

    clock.now = first + datetime.timedelta(seconds=5)
    await _nudge(api_client, ns, "1")
    status = await wait_for(
        lambda: _cronjob_status(api_client, ns, active=names[:1]), what="the first run"
    )
    assert status["lastScheduleTime"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    job = await api_client.resource(JOBS).get(names[0], namespace=ns)
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        first.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"

    clock.now = second + datetime.timedelta(seconds=5)
    await _nudge(api_client, ns, "2")
    await wait_for(lambda: _cronjob_status(api_client, ns, active=names), what="the second run")

    # Play the kubelet: both runs succeed, in order.
    for name in names:
        pods = await wait_for(
            lambda name=name: _pods_of(api_client, ns, name), what=f"the pod of {name}"
        )
        await set_pod_phase(api_client, pods[0], "Succeeded")
        await wait_for(lambda name=name: _complete(api_client, ns, name), what=f"{name} done")
    status = await wait_for(
        lambda: _cronjob_status(api_client, ns, active=[]), what="both runs unlisted"
    )
    assert status["lastSuccessfulTime"]

    async def trimmed() -> bool | None:
        listed = await api_client.resource(JOBS).list(namespace=ns)
        return True if [j["metadata"]["name"] for j in listed["items"]] == names[1:] else None

    await wait_for(trimmed, what="the older run deleted by the history limit")
    events = await events_of(api_client, ns, "tick")
    assert ("SuccessfulCreate", f"Created job {names[0]}") in events
    assert ("SawCompletedJob", f"Saw completed job: {names[0]}, condition: Complete") in events
    assert ("SuccessfulDelete", f"Deleted job {names[0]}") in events


async def _pods_of(client: ApiClient, namespace: str, job: str) -> list[Obj] | None:
    listed = await client.resource(PODS).list(
        namespace=namespace, label_selector=f"batch.kubernetes.io/job-name={job}"
    )
    return list(listed["items"]) or None


async def _complete(client: ApiClient, namespace: str, job: str) -> bool | None:
    current = await client.resource(JOBS).get(job, namespace=namespace)
    conditions = current.get("status", {}).get("conditions") or ()
    return True if any(c["type"] == "Complete" for c in conditions) else None
