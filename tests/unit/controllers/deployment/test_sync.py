"""The writes of a sync, against a fake API that records them."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from typing import Any, cast

import pytest

from kubeling.api import errors
from kubeling.client import EventRecorder, ResourceClient
from kubeling.controllers.deployment import conditions as cond
from kubeling.controllers.deployment.hashing import compute_hash
from kubeling.controllers.deployment.revisions import DESIRED_REPLICAS, MAX_REPLICAS, REVISION
from kubeling.controllers.deployment.sync import DeploymentSync, Requeue, rollback_to
from tests.unit.controllers.deployment.builders import deployment, replica_set

Obj = dict[str, Any]
NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


class _FakeResource:
    """The verbs DeploymentSync uses, answering as the API would; ``fail`` makes
    ``create`` raise."""

    def __init__(self, fail: errors.StatusError | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.written: list[Obj] = []
        self.fail = fail

    def _answer(self, verb: str, body: Mapping[str, Any]) -> Obj:
        self.calls.append((verb, body["metadata"]["name"]))
        self.written.append(copy.deepcopy(dict(body)))
        return {**copy.deepcopy(dict(body)), "answered": verb}

    async def create(self, body: Obj, *, namespace: str = "") -> Obj:
        if self.fail is not None:
            self.calls.append(("create", body["metadata"]["name"]))
            raise self.fail
        return self._answer("create", body)

    async def update(self, body: Obj, *, namespace: str = "") -> Obj:
        return self._answer("update", body)

    async def update_status(self, body: Obj, *, namespace: str = "") -> Obj:
        return self._answer("update_status", body)

    async def delete(self, name: str, *, namespace: str = "") -> Obj:
        self.calls.append(("delete", name))
        return {}


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def event(self, obj: Mapping[str, Any], event_type: str, reason: str, message: str) -> None:
        self.events.append((event_type, reason, message))


def _sync(
    d: Obj,
    *,
    replicasets: _FakeResource | None = None,
    cached: Obj | None = None,
) -> tuple[DeploymentSync, _FakeResource, _FakeResource, _Recorder]:
    deployments, rss, recorder = _FakeResource(), replicasets or _FakeResource(), _Recorder()
    s = DeploymentSync(
        d,
        deployments=cast(ResourceClient, deployments),
        replicasets=cast(ResourceClient, rss),
        replicaset_cache=lambda namespace, name: cached,
        recorder=cast(EventRecorder, recorder),
        now=lambda: NOW,
        requeue=Requeue(after=lambda delay: None, rate_limited=lambda: None),
    )
    return s, deployments, rss, recorder


async def test_creating_the_new_replica_set() -> None:
    d = deployment(4, max_surge=1, max_unavailable=1, minReadySeconds=5)
    s, deployments, rss, recorder = _sync(d)
    old = replica_set("old", 4, version="v0", annotations={REVISION: "3"})
    created = await s.new_replica_set([old], [old], create=True)
    assert created is not None
    pod_hash = compute_hash(deployment()["spec"]["template"], None)
    (body,) = rss.written
    assert body["metadata"]["name"] == f"web-{pod_hash}"
    assert body["metadata"]["labels"] == {
        "app": "web",
        "version": "v1",
        "pod-template-hash": pod_hash,
    }
    assert body["metadata"]["ownerReferences"][0]["uid"] == "uid-web"
    assert body["spec"]["replicas"] == 1  # 4 + 1 allowed, 4 there
    assert body["spec"]["minReadySeconds"] == 5
    assert body["spec"]["selector"]["matchLabels"]["pod-template-hash"] == pod_hash
    assert body["metadata"]["annotations"] == {
        REVISION: "4",
        DESIRED_REPLICAS: "4",
        MAX_REPLICAS: "5",
    }
    assert recorder.events == [
        ("Normal", "ScalingReplicaSet", f"Scaled up replica set web-{pod_hash} from 0 to 1")
    ]
    (status_write,) = deployments.written
    assert status_write["metadata"]["annotations"][REVISION] == "4"
    progressing = cond.get_condition(status_write["status"], cond.PROGRESSING)
    assert progressing is not None
    assert (progressing["reason"], progressing["message"]) == (
        "NewReplicaSetCreated",
        f'Created new replica set "web-{pod_hash}"',
    )
    assert s.d["answered"] == "update_status"  # the copy is the server's answer now


async def test_a_refused_creation_is_reported_on_the_deployment() -> None:
    refused = errors.forbidden("replicasets", "x", "exceeded quota")
    s, deployments, _, recorder = _sync(deployment(2), replicasets=_FakeResource(fail=refused))
    with pytest.raises(errors.StatusError):
        await s.new_replica_set([], [], create=True)
    name = f"web-{compute_hash(deployment()['spec']['template'], None)}"
    message = f'Failed to create new replica set "{name}": {refused.message}'
    assert recorder.events == [("Warning", "ReplicaSetCreateError", message)]
    (status_write,) = deployments.written
    progressing = cond.get_condition(status_write["status"], cond.PROGRESSING)
    assert progressing is not None
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False",
        "ReplicaSetCreateError",
        message,
    )


async def test_a_name_taken_by_our_own_replica_set_is_that_one() -> None:
    d = deployment(2)
    name = f"web-{compute_hash(d['spec']['template'], None)}"
    ours = replica_set(name, 0)
    ours["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "h"
    ours["metadata"]["ownerReferences"] = [
        {"kind": "Deployment", "uid": "uid-web", "controller": True}
    ]
    taken = errors.already_exists("replicasets", name)
    s, _, _, recorder = _sync(d, replicasets=_FakeResource(fail=taken), cached=ours)
    assert await s.new_replica_set([], [], create=True) is ours
    assert recorder.events == []  # nothing was scaled by this sync


async def test_a_name_taken_by_another_template_bumps_the_collision_count() -> None:
    d = deployment(2, status={"collisionCount": 1})
    name = f"web-{compute_hash(d['spec']['template'], 1)}"
    squatter = replica_set(name, 0, version="v9")
    taken = errors.already_exists("replicasets", name)
    s, deployments, _, _ = _sync(d, replicasets=_FakeResource(fail=taken), cached=squatter)
    with pytest.raises(errors.StatusError) as info:
        await s.new_replica_set([], [], create=True)
    assert info.value is taken
    assert [w["status"]["collisionCount"] for w in deployments.written] == [2]


async def test_an_existing_new_replica_set_is_brought_up_to_date() -> None:
    d = deployment(3, annotations={"team": "a"}, minReadySeconds=2)
    current = replica_set("new", 3, annotations={REVISION: "1"})
    old = replica_set("old", 0, version="v0", annotations={REVISION: "2"})
    s, _, rss, _ = _sync(d)
    await s.new_replica_set([old, current], [old], create=False)
    (written,) = rss.written
    assert written["metadata"]["annotations"] == {
        REVISION: "3",
        "deployment.kubernetes.io/revision-history": "1",
        "team": "a",
    }
    assert written["spec"]["minReadySeconds"] == 2


async def test_scaling_records_the_event_only_when_the_size_changes() -> None:
    d = deployment(5, max_surge=1, max_unavailable=1)
    s, _, rss, recorder = _sync(d)
    rs = replica_set("rs", 5, annotations={DESIRED_REPLICAS: "4", MAX_REPLICAS: "5"})
    scaled, _ = await s.scale_replica_set(rs, 5)  # annotations only
    assert not scaled
    scaled, written = await s.scale_replica_set(rs, 3)
    assert scaled
    assert written["spec"]["replicas"] == 3
    assert written["metadata"]["annotations"] == {DESIRED_REPLICAS: "5", MAX_REPLICAS: "6"}
    assert recorder.events == [
        ("Normal", "ScalingReplicaSet", "Scaled down replica set rs from 5 to 3")
    ]
    assert len(rss.written) == 2
    settled = replica_set("settled", 5, annotations={DESIRED_REPLICAS: "5", MAX_REPLICAS: "6"})
    assert await s.scale_replica_set(settled, 5) == (False, settled)
    assert len(rss.written) == 2


async def test_cleanup_deletes_the_oldest_settled_replica_sets_beyond_the_limit() -> None:
    d = deployment(1, revisionHistoryLimit=1)
    olds = [
        replica_set("r1", 0, annotations={REVISION: "1"}),
        replica_set("r2", 1, annotations={REVISION: "2"}),  # still has replicas: kept
        replica_set("r3", 0, annotations={REVISION: "3"}, generation=2),  # not observed yet
        replica_set("r4", 0, annotations={REVISION: "4"}),
        replica_set("r5", 0, annotations={REVISION: "5"}),
    ]
    olds[2]["status"]["observedGeneration"] = 1
    s, _, rss, _ = _sync(d)
    await s.cleanup(olds)
    assert rss.calls == [("delete", "r1"), ("delete", "r4")]


async def test_paused_and_resumed_conditions() -> None:
    d = deployment(1, paused=True)
    s, deployments, _, _ = _sync(d)
    await s.check_paused_conditions()
    condition = cond.get_condition(s.d["status"], cond.PROGRESSING)
    assert condition is not None
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    await s.check_paused_conditions()  # nothing new
    assert len(deployments.written) == 1
    s.d["spec"]["paused"] = False
    await s.check_paused_conditions()
    condition = cond.get_condition(s.d["status"], cond.PROGRESSING)
    assert condition is not None
    assert (condition["reason"], condition["message"]) == (
        "DeploymentResumed",
        "Deployment is resumed",
    )


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("0", 0), ("3", 3), ("x", None)]
)
def test_rollback_to(value: str | None, expected: int | None) -> None:
    annotations = {} if value is None else {"deprecated.deployment.rollback.to": value}
    assert rollback_to(deployment(annotations=annotations)) == expected
