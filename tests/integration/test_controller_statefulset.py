"""The StatefulSet controller against a real API server (the test plays the kubelet).

OrderedReady creation one pod at a time, each only once its predecessor is
running and ready; deletion in reverse; claims per pod from the claim
templates; a rolling update held at a partition; failed pods replaced; and
``kubectl rollout status`` reading the status the controller writes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import (
    CONTROLLERREVISIONS,
    EVENTS,
    NAMESPACES,
    PERSISTENTVOLUMECLAIMS,
    PODS,
    STATEFULSETS,
)
from tests.support.cluster import RunningServer
from tests.support.control_loops import (
    read,
    running_controllers,
    set_pod_phase,
    set_pod_ready,
    wait_for,
)

Obj = dict[str, Any]


def _statefulset(name: str, *, replicas: int, **spec: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.0"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "www"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
            **spec,
        },
    }


async def _namespace(client: ApiClient, name: str) -> str:
    await client.resource(NAMESPACES).create({"metadata": {"name": name}})
    return name


async def _pod_names(client: ApiClient, namespace: str) -> list[str]:
    listed = await read(lambda: client.resource(PODS).list(namespace=namespace))
    return sorted(p["metadata"]["name"] for p in listed["items"])


async def _pod(client: ApiClient, namespace: str, name: str) -> Obj | None:
    listed = await read(
        lambda: client.resource(PODS).list(
            namespace=namespace, field_selector=f"metadata.name={name}"
        )
    )
    return listed["items"][0] if listed["items"] else None


async def _status(client: ApiClient, namespace: str, name: str) -> Obj:
    sts = await read(lambda: client.resource(STATEFULSETS).get(name, namespace=namespace))
    status: Obj = sts.get("status") or {}
    return status


async def _ready(client: ApiClient, namespace: str, name: str) -> Obj:
    """Wait for pod ``name``, then mark it running and ready."""
    pods = client.resource(PODS)
    pod = await wait_for(lambda: _pod(client, namespace, name), what=f"pod {name}")
    await set_pod_ready(pods, pod)
    return pod


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> Any:
    config = load_client_config(kubeling_server.kubeconfig)
    async with running_controllers(config, ["statefulset"]):
        yield


async def test_ordered_ready_creates_one_pod_at_a_time_and_deletes_in_reverse(
    api_client: ApiClient, controllers: None
) -> None:
    """web-N+1 is created only after web-N runs and is ready; scaling down removes the
    highest ordinal first; each pod has its identity, its claim and Kubernetes' events."""
    ns = await _namespace(api_client, "ordered")
    sets = api_client.resource(STATEFULSETS)
    await sets.create(_statefulset("web", replicas=3), namespace=ns)

    for ordinal in range(3):
        name = f"web-{ordinal}"
        await wait_for(lambda name=name: _pod(api_client, ns, name), what=name)

        async def pending_seen(n: int = ordinal + 1) -> bool:
            return (await _status(api_client, ns, "web")).get("replicas") == n

        # A later sync has seen the new pod pending: it must not have gone on.
        await wait_for(pending_seen, what="the status to count the pending pod")
        assert await _pod_names(api_client, ns) == [f"web-{i}" for i in range(ordinal + 1)]
        await _ready(api_client, ns, f"web-{ordinal}")

    async def all_ready() -> bool:
        return (await _status(api_client, ns, "web")).get("readyReplicas") == 3

    await wait_for(all_ready, what="three ready replicas")

    pod = await _pod(api_client, ns, "web-1")
    assert pod is not None
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    assert labels["controller-revision-hash"].startswith("web-")
    assert pod["spec"]["hostname"] == "web-1"
    assert pod["spec"]["subdomain"] == "nginx"
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "www")
    assert volume["persistentVolumeClaim"]["claimName"] == "www-web-1"

    claims = await read(lambda: api_client.resource(PERSISTENTVOLUMECLAIMS).list(namespace=ns))
    names = sorted(c["metadata"]["name"] for c in claims["items"])
    assert names == ["www-web-0", "www-web-1", "www-web-2"]
    assert all(c["metadata"]["labels"] == {"app": "web"} for c in claims["items"])
    assert all(not c["metadata"].get("ownerReferences") for c in claims["items"])  # Retain

    status = await _status(api_client, ns, "web")
    assert (
        status["currentRevision"] == status["updateRevision"] == labels["controller-revision-hash"]
    )
    assert status["availableReplicas"] == 3
    assert status["currentReplicas"] == 3
    assert status["observedGeneration"] == 1
    assert status["collisionCount"] == 0

    async def messages() -> set[str]:
        listed = await read(lambda: api_client.resource(EVENTS).list(namespace=ns))
        return {e["message"] for e in listed["items"] if e["involvedObject"]["name"] == "web"}

    wanted = {
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-2 in StatefulSet web successful",
    }
    await wait_for(lambda: _has(messages, wanted), what="the creation events")

    # Scale down: web-2 goes first, then web-1; web-0 stays, and the claims stay.
    watch_done = asyncio.Event()
    deleted: list[str] = []

    async def watch_deletions() -> None:
        async for event in api_client.resource(PODS).watch(namespace=ns):
            if event.type == "DELETED":
                deleted.append(event.object["metadata"]["name"])
                if len(deleted) == 2:
                    watch_done.set()
                    return

    watcher = asyncio.create_task(watch_deletions())
    await asyncio.sleep(0.2)  # let the watch start before anything is deleted
    await sets.patch("web", {"spec": {"replicas": 1}}, patch_type=PatchType.MERGE, namespace=ns)
    try:
        await wait_for(lambda: _flag(watch_done), what="two deletions")
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    assert deleted == ["web-2", "web-1"]
    assert await _pod_names(api_client, ns) == ["web-0"]
    claims = await read(lambda: api_client.resource(PERSISTENTVOLUMECLAIMS).list(namespace=ns))
    assert len(claims["items"]) == 3
    await wait_for(
        lambda: _has(messages, {"delete Pod web-2 in StatefulSet web successful"}),
        what="the deletion event",
    )


async def _has(messages: Any, wanted: set[str]) -> bool:
    return wanted <= await messages()


async def _flag(event: asyncio.Event) -> bool:
    return event.is_set()


async def test_rolling_update_stops_at_the_partition(
    api_client: ApiClient, controllers: None, kubeling_server: RunningServer
) -> None:
    """A new template replaces pods from the highest ordinal down, one healthy pod at a
    time, and not below the partition; lowering the partition finishes the rollout."""
    ns = await _namespace(api_client, "rolling")
    sets = api_client.resource(STATEFULSETS)
    await sets.create(
        _statefulset(
            "db",
            replicas=3,
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        ),
        namespace=ns,
    )
    for ordinal in range(3):
        await _ready(api_client, ns, f"db-{ordinal}")

    async def settled() -> bool:
        status = await _status(api_client, ns, "db")
        return status.get("readyReplicas") == 3 and status.get("currentReplicas") == 3

    await wait_for(settled, what="three ready replicas")
    first = (await _status(api_client, ns, "db"))["currentRevision"]

    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}}}
    }
    await sets.patch("db", patch, namespace=ns)

    async def revision_of(name: str) -> str | None:
        pod = await _pod(api_client, ns, name)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return None
        return str(pod["metadata"]["labels"]["controller-revision-hash"])

    async def updated(name: str) -> str | None:
        revision = await revision_of(name)
        return revision if revision not in (None, first) else None

    second = await wait_for(lambda: updated("db-2"), what="db-2 at the new revision")
    assert second != first
    # db-1 waits for db-2 to be ready.
    assert await revision_of("db-1") == first
    pod = await _pod(api_client, ns, "db-2")
    assert pod is not None
    assert pod["spec"]["containers"][0]["image"] == "nginx:2"
    await _ready(api_client, ns, "db-2")
    await wait_for(lambda: updated("db-1"), what="db-1 at the new revision")
    await _ready(api_client, ns, "db-1")

    async def partitioned() -> Obj | None:
        status = await _status(api_client, ns, "db")
        return (
            status
            if status.get("updatedReplicas") == 2 and status.get("readyReplicas") == 3
            else None
        )

    status = await wait_for(partitioned, what="two updated replicas")
    assert status["currentRevision"] == first
    assert status["updateRevision"] == second
    assert await revision_of("db-0") == first  # below the partition: untouched
    result = kubeling_server.kubectl(
        "rollout", "status", "statefulset/db", "-n", ns, "--timeout=30s"
    )
    assert "partitioned roll out complete: 2 new pods have been updated..." in result.stdout

    revisions = await read(lambda: api_client.resource(CONTROLLERREVISIONS).list(namespace=ns))
    by_name = {r["metadata"]["name"]: r for r in revisions["items"]}
    assert set(by_name) == {first, second}
    assert by_name[first]["revision"] == 1
    assert by_name[second]["revision"] == 2
    data = by_name[second]["data"]["spec"]["template"]
    assert data["$patch"] == "replace"
    assert data["spec"]["containers"][0]["image"] == "nginx:2"
    assert by_name[second]["metadata"]["labels"]["controller.kubernetes.io/hash"] == second[3:]

    await sets.patch(
        "db",
        {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}},
        patch_type=PatchType.MERGE,
        namespace=ns,
    )
    await wait_for(lambda: updated("db-0"), what="db-0 at the new revision")
    await _ready(api_client, ns, "db-0")

    async def complete() -> bool:
        status = await _status(api_client, ns, "db")
        return status.get("currentRevision") == second and status.get("currentReplicas") == 3

    await wait_for(complete, what="the update revision to become current")
    result = kubeling_server.kubectl("rollout", "status", "sts/db", "-n", ns, "--timeout=30s")
    assert "partitioned roll out complete: 3 new pods have been updated..." in result.stdout


async def test_kubectl_rollout_history_and_undo(
    api_client: ApiClient, controllers: None, kubeling_server: RunningServer
) -> None:
    """kubectl lists the set's revisions and rolls back to the previous template, which
    gets the next revision number instead of a copy."""
    ns = await _namespace(api_client, "undo")
    await api_client.resource(STATEFULSETS).create(_statefulset("app", replicas=1), namespace=ns)
    pods = api_client.resource(PODS)

    async def settled_at(image: str) -> Obj | None:
        sts = await read(lambda: api_client.resource(STATEFULSETS).get("app", namespace=ns))
        pod = await _pod(api_client, ns, "app-0")
        if pod is not None and not pod["metadata"].get("deletionTimestamp"):
            ready = (pod.get("status") or {}).get("conditions")
            if not ready:
                await set_pod_ready(pods, pod)
        status = sts.get("status") or {}
        done = (
            status.get("observedGeneration") == sts["metadata"]["generation"]
            and status.get("readyReplicas") == 1
            and status.get("currentRevision") == status.get("updateRevision")
            and pod is not None
            and pod["spec"]["containers"][0]["image"] == image
        )
        return status if done else None

    first = (await wait_for(lambda: settled_at("nginx:1.0"), what="the first revision"))[
        "currentRevision"
    ]
    kubeling_server.kubectl("set", "image", "statefulset/app", "nginx=nginx:3", "-n", ns)
    second = (await wait_for(lambda: settled_at("nginx:3"), what="the second revision"))[
        "currentRevision"
    ]
    history = kubeling_server.kubectl("rollout", "history", "statefulset/app", "-n", ns).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]

    undo = kubeling_server.kubectl("rollout", "undo", "statefulset/app", "-n", ns)
    assert "statefulset.apps/app rolled back" in undo.stdout
    status = await wait_for(lambda: settled_at("nginx:1.0"), what="the rollback")
    assert status["currentRevision"] == first != second
    revisions = await read(lambda: api_client.resource(CONTROLLERREVISIONS).list(namespace=ns))
    numbers = {r["metadata"]["name"]: r["revision"] for r in revisions["items"]}
    assert numbers == {first: 3, second: 2}


async def test_parallel_creates_all_and_replaces_failed_pods(
    api_client: ApiClient, controllers: None
) -> None:
    """Parallel pods are created without waiting; a failed pod is deleted and made again;
    claims of a set that deletes them are owned by the set."""
    ns = await _namespace(api_client, "parallel")
    await api_client.resource(STATEFULSETS).create(
        _statefulset(
            "cache",
            replicas=3,
            podManagementPolicy="Parallel",
            persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Retain"},
        ),
        namespace=ns,
    )

    async def three() -> bool:
        return await _pod_names(api_client, ns) == ["cache-0", "cache-1", "cache-2"]

    await wait_for(three, what="three pods at once")  # none of them is ready

    sts = await read(lambda: api_client.resource(STATEFULSETS).get("cache", namespace=ns))

    async def owned_claims() -> bool:
        listed = await read(lambda: api_client.resource(PERSISTENTVOLUMECLAIMS).list(namespace=ns))
        refs = [c["metadata"].get("ownerReferences") or [] for c in listed["items"]]
        return len(refs) == 3 and all(
            len(r) == 1 and r[0]["uid"] == sts["metadata"]["uid"] and r[0]["controller"]
            for r in refs
        )

    await wait_for(owned_claims, what="claims owned by the set")

    pods = api_client.resource(PODS)
    failed = await _pod(api_client, ns, "cache-1")
    assert failed is not None
    await set_pod_phase(pods, failed, "Failed")

    async def replaced() -> bool:
        pod = await _pod(api_client, ns, "cache-1")
        return pod is not None and pod["metadata"]["uid"] != failed["metadata"]["uid"]

    await wait_for(replaced, what="the failed pod replaced")
