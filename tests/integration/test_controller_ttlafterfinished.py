"""TTL after finished, against a real API server: the Job controller finishes a Job, the
TTL controller deletes it once its TTL expires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import JOBS, PODS
from tests.integration.controllers_support import (
    controller_manager,
    fresh_namespace,
    set_pod_phase,
    wait_for,
)
from tests.support.cluster import RunningServer

Obj = dict[str, Any]


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> AsyncIterator[None]:
    config = load_client_config(kubeling_server.kubeconfig)
    async with controller_manager(config, "job", "ttl-after-finished"):
        yield


@pytest.mark.usefixtures("controllers")
async def test_finished_job_is_deleted_after_its_ttl(api_client: ApiClient) -> None:
    """ttlSecondsAfterFinished 1: a second after Complete, the Job is deleted in the
    foreground (its pods first: the foregroundDeletion finalizer is the garbage
    collector's to release)."""
    ns = await fresh_namespace(api_client)
    job = {
        "metadata": {"name": "brief"},
        "spec": {
            "ttlSecondsAfterFinished": 1,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": "busybox"}],
                }
            },
        },
    }
    await api_client.resource(JOBS).create(job, namespace=ns)

    async def pod() -> Obj | None:
        listed = await api_client.resource(PODS).list(namespace=ns)
        return listed["items"][0] if listed["items"] else None

    await set_pod_phase(api_client, await wait_for(pod, what="the job's pod"), "Succeeded")

    async def complete() -> Obj | None:
        current = await api_client.resource(JOBS).get("brief", namespace=ns)
        conditions = current.get("status", {}).get("conditions") or ()
        return current if any(c["type"] == "Complete" for c in conditions) else None

    done = await wait_for(complete, what="the job to complete")
    assert not done["metadata"].get("deletionTimestamp")

    async def deleting() -> Obj | None:
        current = await api_client.resource(JOBS).get("brief", namespace=ns)
        return current if current["metadata"].get("deletionTimestamp") else None

    deleted = await wait_for(deleting, what="the TTL controller to delete the job")
    assert deleted["metadata"]["finalizers"] == ["foregroundDeletion"]


@pytest.mark.usefixtures("controllers")
async def test_job_without_ttl_stays(api_client: ApiClient) -> None:
    """No TTL: a finished Job is kept (checked after another Job's TTL has run out)."""
    ns = await fresh_namespace(api_client)
    template = {
        "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}
    }
    jobs = api_client.resource(JOBS)
    await jobs.create({"metadata": {"name": "keep"}, "spec": {"template": template}}, namespace=ns)
    await jobs.create(
        {
            "metadata": {"name": "drop"},
            "spec": {"template": template, "ttlSecondsAfterFinished": 0},
        },
        namespace=ns,
    )

    async def pods() -> list[Obj] | None:
        listed = await api_client.resource(PODS).list(namespace=ns)
        return listed["items"] if len(listed["items"]) == 2 else None

    for pod in await wait_for(pods, what="both pods"):
        await set_pod_phase(api_client, pod, "Succeeded")

    async def dropped() -> bool | None:
        current = await jobs.get("drop", namespace=ns)
        return True if current["metadata"].get("deletionTimestamp") else None

    await wait_for(dropped, what="the job with a TTL of 0 to be deleted")
    kept = await jobs.get("keep", namespace=ns)
    assert any(c["type"] == "Complete" for c in kept["status"]["conditions"])
    assert not kept["metadata"].get("deletionTimestamp")
