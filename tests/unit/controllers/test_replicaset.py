"""The ReplicaSet controller, white-box: its status, its sync over fake caches and pod
control, and its informer handlers."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any, cast

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, EventBroadcaster, Resource, SharedInformerFactory
from kubeling.client.resources import PODS
from kubeling.controllers.base import ControllerContext
from kubeling.controllers.podcontrol import PodControl
from kubeling.controllers.replicaset import ReplicaSetController, ReplicationManager
from kubeling.controllers.replicaset.status import calculate_status, status_changed

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)
Obj = dict[str, Any]


def ago(seconds: float) -> str:
    return (NOW - datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def replica_set(replicas: int = 3, *, min_ready: int = 0, status: Obj | None = None) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web",
            "namespace": "ns",
            "uid": "rs-uid",
            "generation": 2,
            "resourceVersion": "10",
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": min_ready,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
        "status": status if status is not None else {"replicas": 0},
    }


def pod(
    name: str,
    *,
    owned: bool = True,
    labels: Mapping[str, str] | None = None,
    ready_since: float | None = None,
    node: str = "",
) -> Obj:
    meta: Obj = {
        "name": name,
        "namespace": "ns",
        "uid": f"uid-{name}",
        "resourceVersion": "1",
        "labels": dict(labels if labels is not None else {"app": "web", "tier": "front"}),
    }
    if owned:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-uid",
             "controller": True}
        ]  # fmt: skip
    status: Obj = {"phase": "Running" if ready_since is not None else "Pending"}
    if ready_since is not None:
        status["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": ago(ready_since)}
        ]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"nodeName": node},
            "status": status}  # fmt: skip


# -- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pods", "min_ready", "counts"),
    [
        ([], 0, {"replicas": 0}),
        (
            [pod("a"), pod("b", labels={"app": "web"})],
            0,
            {"replicas": 2, "fullyLabeledReplicas": 1},
        ),
        (
            [pod("a", ready_since=5), pod("b", ready_since=60), pod("c")],
            0,
            {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2},
        ),
        (
            [pod("a", ready_since=5), pod("b", ready_since=60), pod("c")],
            30,
            {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 1},
        ),
    ],
)
def test_status_counts(pods: list[Obj], min_ready: int, counts: Obj) -> None:
    rs = replica_set(min_ready=min_ready, status={"replicas": 9, "readyReplicas": 9})
    status = calculate_status(rs, pods, failure=None, now=NOW)
    assert status == {**counts, "observedGeneration": 2}  # zeros omitted, as Kubernetes


def test_failure_condition_comes_once_and_goes_on_success() -> None:
    rs = replica_set(replicas=3)
    failed = calculate_status(rs, [pod("a")], failure="pods is forbidden: no", now=NOW)
    assert failed["conditions"] == [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": "2024-05-01T12:00:00Z",
            "reason": "FailedCreate",
            "message": "pods is forbidden: no",
        }
    ]
    # a later failure keeps the first condition as it was
    later = NOW + datetime.timedelta(minutes=1)
    again = calculate_status({**rs, "status": failed}, [], failure="other", now=later)
    assert again["conditions"] == failed["conditions"]
    healed = calculate_status({**rs, "status": failed}, [pod("a")], failure=None, now=later)
    assert "conditions" not in healed
    too_many = calculate_status(replica_set(replicas=0), [pod("a")], failure="x", now=NOW)
    assert too_many["conditions"][0]["reason"] == "FailedDelete"


def test_status_changed_looks_at_what_the_controller_writes() -> None:
    rs = replica_set(status={"replicas": 1, "observedGeneration": 2, "other": "kept"})
    assert not status_changed(rs, {"replicas": 1, "observedGeneration": 2})
    assert status_changed(rs, {"replicas": 1, "observedGeneration": 3})
    assert status_changed(rs, {"replicas": 1, "observedGeneration": 2, "readyReplicas": 1})
    assert status_changed(rs, {"replicas": 1, "observedGeneration": 2, "conditions": [{}]})


# -- the sync, over fakes ----------------------------------------------------------------------


class _FakeResource:
    """The verbs the controller uses on the API, recorded."""

    def __init__(self) -> None:
        self.status_updates: list[Obj] = []
        self.patches: list[tuple[str, Any]] = []
        self.objects: dict[str, Obj] = {}

    async def get(self, name: str, **_: Any) -> Obj:
        return self.objects[name]

    async def update_status(self, body: Obj, **_: Any) -> Obj:
        self.status_updates.append(body)
        return body

    async def patch(self, name: str, patch: Any, **_: Any) -> Obj:
        self.patches.append((name, patch))
        return {"metadata": {"name": name}}

    async def create(self, body: Any, **_: Any) -> Any:  # the Event sink
        return body


class _FakeApi:
    def __init__(self) -> None:
        self.resources: dict[Resource, _FakeResource] = {}

    def resource(self, resource: Resource) -> _FakeResource:
        return self.resources.setdefault(resource, _FakeResource())


class _FakePodControl(PodControl):
    """Creates and deletes nothing; refuses from the ``fail_from``-th call on."""

    def __init__(self, *, fail_from: int | None = None) -> None:
        self.fail_from = fail_from
        self.created: list[Obj] = []
        self.deleted: list[str] = []
        self.calls = 0

    def _refuse(self) -> None:
        self.calls += 1
        if self.fail_from is not None and self.calls >= self.fail_from:
            raise errors.forbidden("pods", "", "exceeded quota")

    async def create(self, owner: Mapping[str, Any], pod: Mapping[str, Any]) -> Obj:
        self._refuse()
        self.created.append(dict(pod))
        return dict(pod)

    async def delete(self, owner: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
        self._refuse()
        self.deleted.append(pod["metadata"]["name"])
        return True


def _controller(
    pod_control: _FakePodControl, kind: type[ReplicaSetController] = ReplicaSetController
) -> tuple[ReplicaSetController, _FakeApi]:
    api = _FakeApi()
    client = cast(ApiClient, api)
    ctx = ControllerContext(
        client=client,
        informers=SharedInformerFactory(client),
        events=EventBroadcaster(api.resource(cast(Resource, "events"))),
    )
    return kind(ctx, pod_control=pod_control, now=lambda: NOW), api


def _status_writes(controller: ReplicaSetController, api: _FakeApi) -> list[Obj]:
    return [body["status"] for body in api.resource(controller.resource).status_updates]


async def test_creates_what_is_missing_then_waits_to_see_it() -> None:
    control = _FakePodControl()
    controller, api = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=3))
    controller.pods.indexer.upsert(pod("a"))
    await controller.sync("ns/web")
    assert len(control.created) == 2
    new = control.created[0]
    assert new["metadata"]["generateName"] == "web-"
    assert new["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert new["metadata"]["ownerReferences"][0]["uid"] == "rs-uid"
    assert _status_writes(controller, api) == [
        {"replicas": 1, "fullyLabeledReplicas": 1, "observedGeneration": 2}
    ]
    # The cache has not seen them yet: another sync creates nothing more.
    assert not controller.expectations.satisfied("ns/web")
    await controller.sync("ns/web")
    assert len(control.created) == 2
    for name in ("b", "c"):
        controller._pod_added(pod(name))
    assert controller.expectations.satisfied("ns/web")


async def test_a_refused_creation_stops_the_batches_and_sets_the_condition() -> None:
    control = _FakePodControl(fail_from=4)
    controller, api = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=10))
    with pytest.raises(errors.StatusError, match="exceeded quota"):
        await controller.sync("ns/web")
    assert control.calls == 7  # batches of 1, 2 and 4; the last one failed
    assert len(control.created) == 3
    (status,) = _status_writes(controller, api)
    (condition,) = status["conditions"]
    assert condition["reason"] == "FailedCreate"
    assert condition["message"] == "pods is forbidden: exceeded quota"
    # only the three created are awaited
    for name in ("a", "b"):
        controller._pod_added(pod(name))
    assert not controller.expectations.satisfied("ns/web")
    controller._pod_added(pod("c"))
    assert controller.expectations.satisfied("ns/web")


async def test_at_most_burst_replicas_per_sync() -> None:
    control = _FakePodControl()
    controller, _ = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=1200))
    await controller.sync("ns/web")
    assert len(control.created) == 500


async def test_deletes_the_cheapest_and_counts_each_deletion_once() -> None:
    control = _FakePodControl()
    controller, _ = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=1))
    pods = [pod("ready", ready_since=60, node="n1"), pod("pending"), pod("unready", node="n1")]
    for p in pods:
        controller.pods.indexer.upsert(p)
    await controller.sync("ns/web")
    assert sorted(control.deleted) == ["pending", "unready"]
    assert not controller.expectations.satisfied("ns/web")
    # graceful deletion seen first as a deletionTimestamp, then as the delete itself
    terminating = pod("pending")
    terminating["metadata"]["deletionTimestamp"] = ago(0)
    terminating["metadata"]["resourceVersion"] = "2"
    controller._pod_updated(pod("pending"), terminating)
    controller._pod_deleted(terminating)
    assert not controller.expectations.satisfied("ns/web")
    controller._pod_deleted(pod("ready"))  # not one it deleted: does not count
    assert not controller.expectations.satisfied("ns/web")
    controller._pod_deleted(pod("unready"))
    assert controller.expectations.satisfied("ns/web")


async def test_a_failed_deletion_sets_failed_delete() -> None:
    control = _FakePodControl(fail_from=1)
    controller, api = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=0))
    controller.pods.indexer.upsert(pod("a"))
    with pytest.raises(errors.StatusError):
        await controller.sync("ns/web")
    (status,) = _status_writes(controller, api)
    (condition,) = status["conditions"]
    assert condition["reason"] == "FailedDelete"
    assert condition["message"] == "unable to delete pods: pods is forbidden: exceeded quota"
    assert controller.expectations.satisfied("ns/web")  # the failure was "observed"


async def test_a_replica_set_being_deleted_only_updates_its_status() -> None:
    control = _FakePodControl()
    controller, api = _controller(control)
    rs = replica_set(replicas=3)
    rs["metadata"]["deletionTimestamp"] = ago(0)
    controller.owners.indexer.upsert(rs)
    await controller.sync("ns/web")
    assert control.created == []
    assert _status_writes(controller, api) == [{"replicas": 0, "observedGeneration": 2}]


async def test_an_unchanged_status_is_not_written() -> None:
    control = _FakePodControl()
    controller, api = _controller(control)
    status = {"replicas": 1, "fullyLabeledReplicas": 1, "observedGeneration": 2}
    controller.owners.indexer.upsert(replica_set(replicas=1, status=status))
    controller.pods.indexer.upsert(pod("a"))
    await controller.sync("ns/web")
    assert _status_writes(controller, api) == []
    assert control.calls == 0


async def test_orphans_are_adopted_and_strays_released() -> None:
    control = _FakePodControl()
    controller, api = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=2))
    api.resource(controller.resource).objects["web"] = replica_set()  # the fresh read
    controller.pods.indexer.upsert(pod("orphan", owned=False))
    controller.pods.indexer.upsert(pod("stray", labels={"app": "other"}))
    controller.pods.indexer.upsert(pod("kept"))
    await controller.sync("ns/web")
    patches = dict(api.resource(PODS).patches)
    assert set(patches) == {"orphan", "stray"}
    adopt, release = json.loads(patches["orphan"]), json.loads(patches["stray"])
    assert adopt["metadata"]["ownerReferences"][0]["uid"] == "rs-uid"
    assert adopt["metadata"]["uid"] == "uid-orphan"
    assert release["metadata"]["ownerReferences"] == [{"$patch": "delete", "uid": "rs-uid"}]
    assert control.calls == 0  # the adopted orphan makes two: nothing to create


async def test_a_sync_claims_only_its_own_pods_and_its_namespace_orphans() -> None:
    """Another ReplicaSet's pods, even matching the selector, are neither counted nor
    released; an orphan in another namespace is not adopted; the pods come from the pod
    cache's claim indexes as the pods change."""
    control = _FakePodControl()
    controller, api = _controller(control)
    controller.owners.indexer.upsert(replica_set(replicas=2))
    api.resource(controller.resource).objects["web"] = replica_set()
    theirs = pod("theirs")
    theirs["metadata"]["ownerReferences"][0].update(name="other", uid="other-uid")
    elsewhere = pod("elsewhere", owned=False)
    elsewhere["metadata"]["namespace"] = "other-ns"
    for p in (pod("a"), theirs, elsewhere):
        controller.pods.indexer.upsert(p)
    await controller.sync("ns/web")
    assert api.resource(PODS).patches == []
    assert len(control.created) == 1
    assert _status_writes(controller, api)[-1]["replicas"] == 1
    # released by the other ReplicaSet: now an orphan it may adopt
    controller.pods.indexer.upsert(pod("theirs", owned=False))
    controller._pod_added(pod("b"))  # the one it created
    await controller.sync("ns/web")
    assert [name for name, _ in api.resource(PODS).patches] == ["theirs"]


# -- handlers ----------------------------------------------------------------------------------


async def _queued(controller: ReplicaSetController) -> list[str]:
    """The keys queued so far, taken off the queue."""
    keys = []
    while len(controller.queue):
        key = await controller.queue.get()
        controller.queue.done(key)
        keys.append(key)
    return keys


async def test_pod_events_go_to_the_controller_named_or_to_those_selecting_an_orphan() -> None:
    controller, _ = _controller(_FakePodControl())
    controller.owners.indexer.upsert(replica_set())
    other = replica_set()
    other["metadata"].update(name="all-web", uid="other-uid")
    controller.owners.indexer.upsert(other)
    unrelated = replica_set()
    unrelated["metadata"].update(name="db", uid="db-uid")
    unrelated["spec"]["selector"] = {"matchLabels": {"app": "db"}}
    controller.owners.indexer.upsert(unrelated)

    controller._pod_added(pod("a"))
    assert await _queued(controller) == ["ns/web"]
    controller._pod_added(pod("orphan", owned=False))
    assert sorted(await _queued(controller)) == ["ns/all-web", "ns/web"]
    foreign = pod("foreign")
    foreign["metadata"]["ownerReferences"][0]["kind"] = "StatefulSet"
    controller._pod_added(foreign)
    assert await _queued(controller) == []
    stale = pod("stale")
    stale["metadata"]["ownerReferences"][0]["uid"] = "a-previous-web"
    controller._pod_added(stale)
    assert await _queued(controller) == []
    # an orphan relabelled into the db selector wakes the db ReplicaSet
    relabelled = pod("orphan", owned=False, labels={"app": "db"})
    relabelled["metadata"]["resourceVersion"] = "2"
    controller._pod_updated(pod("orphan", owned=False), relabelled)
    assert await _queued(controller) == ["ns/db"]
    # a resync (same resourceVersion) wakes nobody
    controller._pod_updated(pod("a"), pod("a"))
    assert await _queued(controller) == []


async def test_replication_controllers_select_with_a_label_map() -> None:
    controller, _ = _controller(_FakePodControl(), ReplicationManager)
    rc = replica_set()
    rc.update(apiVersion="v1", kind="ReplicationController")
    rc["spec"]["selector"] = {"app": "web"}
    controller.owners.indexer.upsert(rc)
    controller._pod_added(pod("orphan", owned=False))
    assert await _queued(controller) == ["ns/web"]
    controller._pod_added(pod("a"))  # owned by a *ReplicaSet* named web: not ours
    assert await _queued(controller) == []
