"""The Deployment controller against a real API server.

The controller manager runs the ``deployment`` and ``replicaset`` controllers
in-process; the tests play the kubelet by marking pods Ready
(:class:`~tests.support.deployments.PacedKubelet`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, ClientConfig, load_client_config
from kubeling.client.resources import DEPLOYMENTS, EVENTS, REPLICASETS
from kubeling.controllers.deployment.hashing import compute_hash
from kubeling.controllers.pods import is_pod_ready
from tests.support.cluster import RunningServer
from tests.support.deployments import (
    PacedKubelet,
    deployment_manifest,
    eventually,
    get_deployment,
    owned_pods,
    replica_sets_of,
    running_controllers,
)

NS = "default"
REVISION = "deployment.kubernetes.io/revision"
Obj = dict[str, Any]


@pytest.fixture
def config(kubeling_server: RunningServer) -> ClientConfig:
    return load_client_config(kubeling_server.kubeconfig)


@pytest.fixture
async def controllers(config: ClientConfig) -> AsyncIterator[None]:
    """The deployment and replicaset controllers, for the whole test."""
    async with running_controllers(config):
        yield


def _condition(d: Mapping[str, Any], kind: str) -> Obj:
    for condition in d.get("status", {}).get("conditions", []):
        if condition["type"] == kind:
            return dict(condition)
    return {}


def _version(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    if obj.get("kind") == "ReplicaSet":
        meta = obj["spec"]["template"]["metadata"]
    return str((meta.get("labels") or {}).get("version", ""))


async def _create(client: ApiClient, body: Obj) -> Obj:
    return await client.resource(DEPLOYMENTS).create(body, namespace=NS)


async def _patch(client: ApiClient, name: str, patch: Obj) -> Obj:
    return await client.resource(DEPLOYMENTS).patch(name, patch, namespace=NS)


def _to_version(version: str) -> Obj:
    """A strategic merge patch moving the template to ``version``."""
    return {
        "spec": {
            "template": {
                "metadata": {"labels": {"version": version}},
                "spec": {"containers": [{"name": "app", "image": f"example.com/app:{version}"}]},
            }
        }
    }


def _rollout_complete(
    client: ApiClient, name: str, replicas: int, version: str
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        d = await get_deployment(client, NS, name)
        s = d.get("status", {})
        pods = await owned_pods(client, NS, name)
        return (
            s.get("observedGeneration") == d["metadata"]["generation"]
            and s.get("updatedReplicas") == replicas
            and s.get("replicas") == replicas
            and s.get("availableReplicas") == replicas
            and _condition(d, "Progressing").get("reason") == "NewReplicaSetAvailable"
            and len(pods) == replicas
            and all(_version(p) == version and is_pod_ready(p) for p in pods)
        )

    return check


async def _events(client: ApiClient, name: str) -> list[str]:
    items = (
        await client.resource(EVENTS).list(
            namespace=NS, field_selector=f"involvedObject.name={name}"
        )
    )["items"]
    return [f"{e['reason']}: {e['message']}" for e in items]


@dataclass
class _Samples:
    """What a sampler saw during a rollout."""

    ready: list[int] = field(default_factory=list)
    pods: list[int] = field(default_factory=list)
    requested: list[int] = field(default_factory=list)
    versions: list[frozenset[str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def _sampling(client: ApiClient, app: str) -> AsyncIterator[_Samples]:
    """Sample the pods and ReplicaSets of ``app`` until the block ends."""
    samples = _Samples()

    async def sample() -> None:
        while True:
            try:
                pods = await owned_pods(client, NS, app)
                rss = await replica_sets_of(client, NS, app)
            except errors.StatusError:
                continue  # the server's cache lagged (504): sample again
            samples.ready.append(sum(1 for p in pods if is_pod_ready(p)))
            samples.pods.append(len(pods))
            samples.requested.append(sum(rs["spec"]["replicas"] for rs in rss))
            samples.versions.append(frozenset(_version(p) for p in pods))
            await asyncio.sleep(0.02)

    task = asyncio.create_task(sample())
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_new_deployment_gets_a_replica_set_and_reports_available(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("basic", replicas=3))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "basic", 3, "v1"), what="rollout")
    d = await get_deployment(api_client, NS, "basic")
    (rs,) = await replica_sets_of(api_client, NS, "basic")
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"basic-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "basic", "pod-template-hash": pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == pod_hash
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"] == {
        REVISION: "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",  # 3 + 25% rounded up
    }
    assert d["metadata"]["annotations"][REVISION] == "1"
    assert d["status"]["readyReplicas"] == 3
    assert "unavailableReplicas" not in d["status"]
    available = _condition(d, "Available")
    assert (available["status"], available["reason"], available["message"]) == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    progressing = _condition(d, "Progressing")
    assert (
        progressing["message"]
        == f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.'
    )
    assert f"ScalingReplicaSet: Scaled up replica set {rs['metadata']['name']} from 0 to 3" in (
        await _events(api_client, "basic")
    )


async def test_rolling_update_stays_within_max_surge_and_max_unavailable(
    api_client: ApiClient, controllers: None
) -> None:
    """6 replicas, maxSurge 2, maxUnavailable 1: never fewer than 5 ready pods, never more
    than 8 pods, while the pods become ready one at a time."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 1}}
    await _create(api_client, deployment_manifest("roll", replicas=6, strategy=strategy))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "roll", 6, "v1"), what="first rollout")
    async with (
        PacedKubelet(api_client, NS, pace=0.2).running(),
        _sampling(api_client, "roll") as samples,
    ):
        await _patch(api_client, "roll", _to_version("v2"))
        await eventually(_rollout_complete(api_client, "roll", 6, "v2"), what="second rollout")
    assert min(samples.ready) >= 5, samples.ready
    assert max(samples.pods) <= 8, samples.pods
    assert max(samples.requested) <= 8, samples.requested
    # The sampler saw the rollout itself: both versions at once, and the surge used.
    assert frozenset({"v1", "v2"}) in samples.versions
    assert max(samples.pods) >= 7
    old, new = sorted(
        await replica_sets_of(api_client, NS, "roll"),
        key=lambda rs: rs["metadata"]["annotations"][REVISION],
    )
    assert (_version(old), old["spec"]["replicas"], _version(new), new["spec"]["replicas"]) == (
        "v1",
        0,
        "v2",
        6,
    )
    assert (old["metadata"]["annotations"][REVISION], new["metadata"]["annotations"][REVISION]) == (
        "1",
        "2",
    )
    d = await get_deployment(api_client, NS, "roll")
    assert d["metadata"]["annotations"][REVISION] == "2"
    events = await _events(api_client, "roll")
    new_name, old_name = new["metadata"]["name"], old["metadata"]["name"]
    assert f"ScalingReplicaSet: Scaled up replica set {new_name} from 0 to 2" in events
    assert f"ScalingReplicaSet: Scaled down replica set {old_name} from 6 to 5" in events
    # The last ones are aggregated ("(combined from similar events): ..."), as
    # client-go aggregates more than ten similar Events.
    assert any(
        f"Scaled down replica set {old_name} from " in e and e.endswith(" to 0") for e in events
    ), events


async def test_recreate_removes_every_old_pod_before_creating_new_ones(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("re", replicas=3, strategy={"type": "Recreate"}))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "re", 3, "v1"), what="first rollout")
        async with _sampling(api_client, "re") as samples:
            await _patch(api_client, "re", _to_version("v2"))
            await eventually(_rollout_complete(api_client, "re", 3, "v2"), what="recreate")
    assert frozenset({"v1", "v2"}) not in samples.versions
    assert max(samples.pods) <= 3
    old, new = await _by_version(api_client, "re", "v1", "v2")
    events = await _events(api_client, "re")
    assert f"ScalingReplicaSet: Scaled down replica set {old} from 3 to 0" in events
    assert f"ScalingReplicaSet: Scaled up replica set {new} from 0 to 3" in events


async def _by_version(client: ApiClient, app: str, *versions: str) -> list[str]:
    names = {_version(rs): rs["metadata"]["name"] for rs in await replica_sets_of(client, NS, app)}
    return [names[v] for v in versions]


async def _sizes(client: ApiClient, app: str) -> dict[str, int]:
    return {_version(rs): rs["spec"]["replicas"] for rs in await replica_sets_of(client, NS, app)}


async def test_scaling_mid_rollout_is_proportional(
    api_client: ApiClient, controllers: None
) -> None:
    """10 replicas, maxSurge 3, maxUnavailable 2, the new pods never ready: the rollout
    stops at 8 old and 5 new; scaled to 20 (23 pods allowed), the 10 more go 6 to the
    old ReplicaSet and 4 to the new one, in proportion to their size."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    await _create(api_client, deployment_manifest("prop", replicas=10, strategy=strategy))
    kubelet = PacedKubelet(api_client, NS, allow=lambda pod: _version(pod) == "v1")
    async with kubelet.running():
        await eventually(_rollout_complete(api_client, "prop", 10, "v1"), what="first rollout")
        await _patch(api_client, "prop", _to_version("v2"))

        async def stuck_at(sizes: dict[str, int]) -> bool:
            return await _sizes(api_client, "prop") == sizes

        await eventually(lambda: stuck_at({"v1": 8, "v2": 5}), what="8 old and 5 new")
        await _patch(api_client, "prop", {"spec": {"replicas": 20}})
        await eventually(lambda: stuck_at({"v1": 14, "v2": 9}), what="14 old and 9 new")
        for rs in await replica_sets_of(api_client, NS, "prop"):
            annotations = rs["metadata"]["annotations"]
            assert annotations["deployment.kubernetes.io/desired-replicas"] == "20"
            assert annotations["deployment.kubernetes.io/max-replicas"] == "23"
        kubelet.allow = lambda pod: True
        await eventually(_rollout_complete(api_client, "prop", 20, "v2"), what="rollout")
    old, new = await _by_version(api_client, "prop", "v1", "v2")
    events = await _events(api_client, "prop")
    assert f"ScalingReplicaSet: Scaled up replica set {old} from 8 to 14" in events
    assert f"ScalingReplicaSet: Scaled up replica set {new} from 5 to 9" in events


async def test_a_stuck_rollout_exceeds_its_progress_deadline(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("stuck", replicas=2, progressDeadlineSeconds=2))
    async with PacedKubelet(api_client, NS, allow=lambda pod: _version(pod) == "v1").running():
        await eventually(_rollout_complete(api_client, "stuck", 2, "v1"), what="first rollout")
        await _patch(api_client, "stuck", _to_version("v2"))

        async def timed_out() -> bool:
            d = await get_deployment(api_client, NS, "stuck")
            return _condition(d, "Progressing").get("reason") == "ProgressDeadlineExceeded"

        # Nothing changes once the new pods are created: only the requeue at the
        # deadline can notice.
        await eventually(timed_out, within=20, what="ProgressDeadlineExceeded")
    d = await get_deployment(api_client, NS, "stuck")
    (new,) = await _by_version(api_client, "stuck", "v2")
    progressing = _condition(d, "Progressing")
    assert progressing["status"] == "False"
    assert progressing["message"] == f'ReplicaSet "{new}" has timed out progressing.'
    assert _condition(d, "Available")["status"] == "True"  # the old pods still serve


async def test_pause_stops_rollouts_but_not_scaling_and_resume_goes_on(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("pause", replicas=2))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "pause", 2, "v1"), what="first rollout")
        await _patch(api_client, "pause", {"spec": {"paused": True}})
        await _patch(api_client, "pause", _to_version("v2"))
        await _patch(api_client, "pause", {"spec": {"replicas": 3}})

        async def paused_and_scaled() -> bool:
            d = await get_deployment(api_client, NS, "pause")
            progressing = _condition(d, "Progressing")
            return (
                d["status"].get("observedGeneration") == d["metadata"]["generation"]
                and progressing.get("reason") == "DeploymentPaused"
                and await _sizes(api_client, "pause") == {"v1": 3}
                and d["status"].get("availableReplicas") == 3
            )

        await eventually(paused_and_scaled, what="scaled while paused")
        d = await get_deployment(api_client, NS, "pause")
        progressing = _condition(d, "Progressing")
        assert (progressing["status"], progressing["message"]) == (
            "Unknown",
            "Deployment is paused",
        )
        await _patch(api_client, "pause", {"spec": {"paused": False}})
        await eventually(_rollout_complete(api_client, "pause", 3, "v2"), what="resumed rollout")
    assert await _sizes(api_client, "pause") == {"v1": 0, "v2": 3}


async def test_old_replica_sets_beyond_the_history_limit_are_deleted(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("hist", replicas=1, revisionHistoryLimit=1))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "hist", 1, "v1"), what="v1")
        for version in ("v2", "v3"):
            await _patch(api_client, "hist", _to_version(version))
            await eventually(_rollout_complete(api_client, "hist", 1, version), what=version)

    async def one_old_left() -> bool:
        return await _sizes(api_client, "hist") == {"v2": 0, "v3": 1}

    await eventually(one_old_left, what="v1 cleaned up")


async def test_the_rollback_annotation_restores_the_previous_template(
    api_client: ApiClient, controllers: None
) -> None:
    await _create(api_client, deployment_manifest("back", replicas=1))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "back", 1, "v1"), what="v1")
        await _patch(api_client, "back", _to_version("v2"))
        await eventually(_rollout_complete(api_client, "back", 1, "v2"), what="v2")
        await _patch(
            api_client,
            "back",
            {"metadata": {"annotations": {"deprecated.deployment.rollback.to": "0"}}},
        )
        await eventually(_rollout_complete(api_client, "back", 1, "v1"), what="back to v1")
    d = await get_deployment(api_client, NS, "back")
    assert "deprecated.deployment.rollback.to" not in d["metadata"]["annotations"]
    assert d["metadata"]["annotations"][REVISION] == "3"
    (v1,) = [rs for rs in await replica_sets_of(api_client, NS, "back") if _version(rs) == "v1"]
    assert v1["metadata"]["annotations"][REVISION] == "3"
    assert v1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert 'DeploymentRollback: Rolled back deployment "back" to revision 1' in (
        await _events(api_client, "back")
    )


async def test_a_hash_collision_bumps_collision_count(
    api_client: ApiClient, config: ClientConfig
) -> None:
    """The name the new ReplicaSet would get is taken by a ReplicaSet that is not the
    Deployment's: collisionCount goes to 1 and the ReplicaSet gets another name."""
    created = await _create(api_client, {**deployment_manifest("coll", replicas=1)})
    template = created["spec"]["template"]
    taken = f"coll-{compute_hash(template, None)}"
    squatter = {
        "metadata": {"name": taken, "labels": {"squat": "yes"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"squat": "yes"}},
            "template": {
                "metadata": {"labels": {"squat": "yes"}},
                "spec": {"containers": [{"name": "c", "image": "example.com/other"}]},
            },
        },
    }
    await api_client.resource(REPLICASETS).create(squatter, namespace=NS)
    async with running_controllers(config), PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "coll", 1, "v1"), what="rollout")
    d = await get_deployment(api_client, NS, "coll")
    assert d["status"]["collisionCount"] == 1
    (rs,) = await replica_sets_of(api_client, NS, "coll")
    assert rs["metadata"]["name"] == f"coll-{compute_hash(template, 1)}" != taken


async def test_an_orphan_replica_set_is_adopted_and_scaled_down(
    api_client: ApiClient, controllers: None
) -> None:
    orphan = deployment_manifest("adopt", replicas=2, version="v0")
    orphan["kind"] = "ReplicaSet"
    orphan["metadata"] = {"name": "adopt-orphan", "labels": {"app": "adopt"}}
    await api_client.resource(REPLICASETS).create(orphan, namespace=NS)
    await _create(api_client, deployment_manifest("adopt", replicas=2))
    async with PacedKubelet(api_client, NS).running():
        await eventually(_rollout_complete(api_client, "adopt", 2, "v1"), what="rollout")
    rs = await api_client.resource(REPLICASETS).get("adopt-orphan", namespace=NS)
    d = await get_deployment(api_client, NS, "adopt")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["spec"]["replicas"] == 0


async def test_a_restarted_controller_manager_converges_without_duplicates(
    api_client: ApiClient, config: ClientConfig
) -> None:
    """The controller manager is cancelled again and again in the middle of a rollout;
    each new one picks up where the cluster is: one new ReplicaSet, no extra pods."""
    await _create(api_client, deployment_manifest("crash", replicas=4))
    async with PacedKubelet(api_client, NS).running(), running_controllers(config):
        await eventually(_rollout_complete(api_client, "crash", 4, "v1"), what="first")
    await _patch(api_client, "crash", _to_version("v2"))
    done = _rollout_complete(api_client, "crash", 4, "v2")
    restarts = 0
    async with (
        PacedKubelet(api_client, NS, pace=0.15).running(),
        _sampling(api_client, "crash") as samples,
    ):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not await done():
            assert loop.time() < deadline, "no convergence after restarts"
            async with running_controllers(config):
                await asyncio.sleep(0.4)
            restarts += 1
            if await done():
                break
            await asyncio.sleep(0.2)  # down for a while: the world moves on without it
    assert restarts >= 2, "the rollout finished before a restart could interrupt it"
    rss = await replica_sets_of(api_client, NS, "crash")
    assert sorted((_version(rs), rs["spec"]["replicas"]) for rs in rss) == [("v1", 0), ("v2", 4)]
    assert sorted(rs["metadata"]["annotations"][REVISION] for rs in rss) == ["1", "2"]
    pods = await owned_pods(api_client, NS, "crash")
    new_uid = next(rs["metadata"]["uid"] for rs in rss if _version(rs) == "v2")
    assert [p["metadata"]["ownerReferences"][0]["uid"] for p in pods] == [new_uid] * 4
    assert max(samples.pods) <= 5  # 4 + 25% surge, rounded up
