"""The StatefulSet controller's decisions: identities, claim owners, ordering, updates.

The update algorithm runs against a fake cluster that records every pod write
and stands in for the API (pods get a phase when created, status writes land
on the set), as Kubernetes' own tests drive it with a fake pod control.
"""

from __future__ import annotations

import copy
import datetime
import itertools
from typing import Any

import pytest

from kubeling.controllers.statefulset.claims import (
    claim_owner_up_to_date,
    has_unexpected_controller,
    updated_owner_refs,
)
from kubeling.controllers.statefulset.control import StatefulSetControl
from kubeling.controllers.statefulset.identity import (
    claims_for,
    identity_matches,
    is_member_of,
    new_pod,
    new_versioned_pod,
    parent_and_ordinal,
    storage_matches,
)
from kubeling.controllers.statefulset.status import SetStatus, complete_rolling_update

Obj = dict[str, Any]
NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _set(replicas: int = 3, **spec: Any) -> Obj:
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "set-uid", "generation": 1},
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "web"}},
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "revisionHistoryLimit": 10,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "v1"}]},
            },
            "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {}}],
            **spec,
        },
    }


# -- identity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parent", "ordinal"),
    [
        ("web-0", "web", 0),
        ("web-12", "web", 12),
        ("my-web-3", "my-web", 3),
        ("web", "", -1),
        ("web-", "", -1),
        ("web-x", "", -1),
        ("web-99999999999", "web", -1),  # beyond int32
    ],
)
def test_ordinals_come_from_names(name: str, parent: str, ordinal: int) -> None:
    """``(.*)-([0-9]+)$`` as Kubernetes reads it."""
    assert parent_and_ordinal({"metadata": {"name": name}}) == (parent, ordinal)


def test_a_new_pod_has_its_identity_and_claims() -> None:
    """Name, identity labels, hostname, subdomain, claim volume, controller reference."""
    pod = new_pod(_set(), 2)
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["name"] == "web-2"
    assert meta["generateName"] == "web-"
    assert meta["namespace"] == "ns"
    assert meta["labels"] == {
        "app": "web",
        "statefulset.kubernetes.io/pod-name": "web-2",
        "apps.kubernetes.io/pod-index": "2",
    }
    assert meta["ownerReferences"][0]["uid"] == "set-uid"
    assert spec["hostname"] == "web-2"
    assert spec["subdomain"] == "nginx"
    assert spec["volumes"] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-2"}}]
    assert identity_matches(_set(), pod)
    assert storage_matches(_set(), pod)
    assert is_member_of(_set(), pod)
    assert not is_member_of(_set(), {"metadata": {"name": "webber-2"}})


def test_a_pod_volume_of_the_claim_name_is_replaced() -> None:
    """A template volume named like a claim template gives way to the claim."""
    sts = _set()
    sts["spec"]["template"]["spec"]["volumes"] = [
        {"name": "www", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
    ]
    volumes = new_pod(sts, 0)["spec"]["volumes"]
    assert volumes == [
        {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}},
        {"name": "tmp", "emptyDir": {}},
    ]


def test_claims_carry_template_and_selector_labels() -> None:
    """Claim ``<template>-<set>-<ordinal>``, template labels plus the set's matchLabels."""
    sts = _set()
    sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] = {"tier": "db"}
    sts["spec"]["volumeClaimTemplates"][0]["status"] = {"phase": "Pending"}
    [(template, claim)] = claims_for(sts, {"metadata": {"name": "web-1"}})
    assert template == "www"
    assert claim["metadata"] == {
        "name": "www-web-1",
        "namespace": "ns",
        "labels": {"tier": "db", "app": "web"},
    }
    assert "status" not in claim


@pytest.mark.parametrize(
    ("strategy", "current_replicas", "ordinal", "revision"),
    [
        ({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}, 0, 1, "current"),
        ({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}, 0, 2, "update"),
        ({"type": "RollingUpdate"}, 2, 1, "current"),  # no rollingUpdate: current replicas
        ({"type": "RollingUpdate"}, 2, 2, "update"),
        ({"type": "OnDelete"}, 3, 0, "update"),
    ],
)
def test_missing_pods_take_the_revision_of_their_side_of_the_partition(
    strategy: Obj, current_replicas: int, ordinal: int, revision: str
) -> None:
    """Below the partition a recreated pod keeps the current revision."""
    current, update = _set(updateStrategy=strategy), _set(updateStrategy=strategy)
    current["status"] = {"currentReplicas": current_replicas}
    update["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    pod = new_versioned_pod(current, update, "current", "update", ordinal)
    assert pod["metadata"]["labels"]["controller-revision-hash"] == revision
    image = "v1" if revision == "current" else "v2"
    assert pod["spec"]["containers"][0]["image"] == image


# -- claim owners ----------------------------------------------------------------------

SET_REF = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "set-uid"}
POD_REF = {"apiVersion": "v1", "kind": "Pod", "name": "web-5", "uid": "pod-uid"}


def _policy(scaled: str, deleted: str) -> Obj:
    return _set(
        replicas=3,
        persistentVolumeClaimRetentionPolicy={"whenScaled": scaled, "whenDeleted": deleted},
    )


def _claim(*refs: Obj) -> Obj:
    return {"metadata": {"name": "www-web-5", "ownerReferences": [dict(r) for r in refs]}}


def _controller(ref: Obj) -> Obj:
    return {**ref, "controller": True, "blockOwnerDeletion": True}


@pytest.mark.parametrize(
    ("scaled", "deleted", "ordinal", "owners"),
    [
        ("Retain", "Retain", 1, []),
        ("Retain", "Delete", 1, ["set-uid"]),
        ("Delete", "Retain", 1, []),
        ("Delete", "Retain", 5, ["pod-uid"]),  # scaled away
        ("Delete", "Delete", 1, ["set-uid"]),
        ("Delete", "Delete", 5, ["pod-uid"]),
    ],
)
def test_claim_owners_follow_the_retention_policy(
    scaled: str, deleted: str, ordinal: int, owners: list[str]
) -> None:
    """Which of the set and the pod control the claim, by policy and by scale."""
    sts = _policy(scaled, deleted)
    pod = {"metadata": {"name": f"web-{ordinal}", "uid": "pod-uid"}}
    claim = {"metadata": {"name": f"www-web-{ordinal}"}}
    refs = updated_owner_refs(claim, sts, pod)
    assert [r["uid"] for r in refs] == owners
    assert all(r["controller"] for r in refs)
    assert claim_owner_up_to_date({"metadata": {"ownerReferences": refs}}, sts, pod)
    assert claim_owner_up_to_date(claim, sts, pod) is (owners == [])


def test_stale_and_foreign_claim_owners_are_left_alone() -> None:
    """A reference to an earlier set of this name is not ours to fix; another controller
    keeps the claim, our references removed."""
    sts = _policy("Delete", "Delete")
    pod = {"metadata": {"name": "web-1", "uid": "pod-uid"}}
    stale = _claim({**SET_REF, "uid": "old-set"})
    assert claim_owner_up_to_date(stale, sts, pod)
    foreign = {"apiVersion": "x/v1", "kind": "Other", "name": "o", "uid": "o", "controller": True}
    claim = _claim(foreign, _controller(SET_REF))
    assert has_unexpected_controller(claim, sts, pod)
    assert not claim_owner_up_to_date(claim, sts, pod)
    assert updated_owner_refs(claim, sts, pod) == [foreign]
    assert not has_unexpected_controller(claim, _policy("Retain", "Retain"), pod)


def test_a_non_controller_owner_reference_is_replaced() -> None:
    """Our reference without ``controller: true`` (older Kubernetes) is rewritten."""
    sts = _policy("Retain", "Delete")
    pod = {"metadata": {"name": "web-1", "uid": "pod-uid"}}
    claim = _claim(SET_REF)
    assert not claim_owner_up_to_date(claim, sts, pod)
    assert updated_owner_refs(claim, sts, pod) == [_controller(SET_REF)]


# -- status ----------------------------------------------------------------------------


def test_a_rolling_update_completes_when_all_are_updated_and_ready() -> None:
    """The update revision becomes current; not before."""
    status = SetStatus(replicas=3, ready_replicas=3, updated_replicas=3, current_replicas=1)
    status.current_revision, status.update_revision = "a", "b"
    complete_rolling_update(_set(), status)
    assert (status.current_revision, status.current_replicas) == ("b", 3)
    status = SetStatus(replicas=3, ready_replicas=2, updated_replicas=3, current_replicas=1)
    status.current_revision, status.update_revision = "a", "b"
    complete_rolling_update(_set(), status)
    assert status.current_revision == "a"


def test_status_json_leaves_out_what_go_omits() -> None:
    """``replicas`` and ``availableReplicas`` always; the rest only when set."""
    assert SetStatus().to_json() == {"replicas": 0, "availableReplicas": 0}
    assert SetStatus(collision_count=0, observed_generation=2).to_json() == {
        "observedGeneration": 2,
        "replicas": 0,
        "collisionCount": 0,
        "availableReplicas": 0,
    }


# -- the update algorithm against a fake cluster ---------------------------------------


class FakeCluster:
    """Pods, revisions and the set's status, with every pod write recorded."""

    def __init__(self, sts: Obj) -> None:
        self.sts = sts
        self.pods: dict[str, Obj] = {}
        self.revisions: dict[str, Obj] = {}
        self.calls: list[tuple[str, str]] = []
        self._uids = itertools.count()
        self.clock = itertools.count()

    # pod writes (PodWriter)
    async def create(self, sts: Any, pod: Any) -> None:
        name = pod["metadata"]["name"]
        self.calls.append(("create", name))
        stored = copy.deepcopy(dict(pod))
        stored["metadata"]["uid"] = f"pod-{next(self._uids)}"
        stored["status"] = {"phase": "Pending"}
        self.pods[name] = stored

    async def update(self, sts: Any, pod: Obj) -> None:
        self.calls.append(("update", pod["metadata"]["name"]))
        self.pods[pod["metadata"]["name"]] = pod

    async def delete(self, sts: Any, pod: Any) -> None:
        self.calls.append(("delete", pod["metadata"]["name"]))
        self.pods.pop(pod["metadata"]["name"], None)

    def claims_match_retention_policy(self, sts: Any, pod: Any) -> bool:
        return True

    async def update_claims_for_retention_policy(self, sts: Any, pod: Any) -> None:
        self.calls.append(("claims", pod["metadata"]["name"]))

    def claim_is_stale(self, sts: Any, pod: Any) -> bool:
        return False

    async def create_missing_claims(self, sts: Any, pod: Any) -> None:
        pass

    # status (StatusWriter)
    async def write(self, sts: Any, status: Obj) -> None:
        self.sts["status"] = status

    # the kubelet and the user
    def ready(self, *names: str) -> None:
        for name in names:
            self.pods[name]["status"] = {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
            }

    def set_phase(self, name: str, phase: str) -> None:
        self.pods[name]["status"] = {"phase": phase}

    def revision_of(self, name: str) -> str:
        return str(self.pods[name]["metadata"]["labels"]["controller-revision-hash"])

    def take_calls(self) -> list[tuple[str, str]]:
        calls, self.calls = self.calls, []
        return calls


class _Revisions:
    """The fake cluster's revisions, as a RevisionStore."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster

    def list_for(self, owner: Any, selector: Any) -> list[Any]:
        return list(self.cluster.revisions.values())

    async def create(self, owner: Any, revision: Any, collision_count: int) -> tuple[Obj, int]:
        stored = copy.deepcopy(dict(revision))
        second = next(self.cluster.clock)
        stored["metadata"]["creationTimestamp"] = f"2025-01-01T00:00:{second:02d}Z"
        self.cluster.revisions[stored["metadata"]["name"]] = stored
        return stored, collision_count

    async def renumber(self, revision: Any, number: int) -> Obj:
        stored = self.cluster.revisions[revision["metadata"]["name"]]
        stored["revision"] = number
        return stored

    async def delete(self, revision: Any) -> None:
        self.cluster.revisions.pop(revision["metadata"]["name"], None)


def _control(cluster: FakeCluster, *, max_unavailable: bool = False) -> StatefulSetControl:
    return StatefulSetControl(
        pods=cluster,
        history=_Revisions(cluster),
        status=cluster,
        now=lambda: NOW,
        max_unavailable=max_unavailable,
    )


async def _sync(cluster: FakeCluster, **kwargs: Any) -> list[tuple[str, str]]:
    """One pass; the pod writes it made."""
    await _control(cluster, **kwargs).update(cluster.sts, list(cluster.pods.values()))
    return cluster.take_calls()


async def _converge(cluster: FakeCluster) -> None:
    """Pass and make every pod ready until nothing changes."""
    for _ in range(20):
        calls = await _sync(cluster)
        cluster.ready(*cluster.pods)
        if not calls:
            return
    raise AssertionError("did not converge")


async def test_ordered_ready_creates_each_pod_after_its_predecessor_is_ready() -> None:
    """One creation per pass, and none while the last one is not running and ready."""
    cluster = FakeCluster(_set(replicas=3))
    for ordinal in range(3):
        assert await _sync(cluster) == [("create", f"web-{ordinal}")]
        assert await _sync(cluster) == []  # pending: wait
        cluster.set_phase(f"web-{ordinal}", "Running")
        assert await _sync(cluster) == []  # running but not ready: wait
        cluster.ready(f"web-{ordinal}")
    assert await _sync(cluster) == []
    status = cluster.sts["status"]
    assert status["replicas"] == status["readyReplicas"] == status["availableReplicas"] == 3
    assert status["currentRevision"] == status["updateRevision"]
    assert status["currentReplicas"] == status["updatedReplicas"] == 3
    assert status["observedGeneration"] == 1
    assert status["collisionCount"] == 0


async def test_parallel_creates_every_pod_at_once() -> None:
    """No waiting for readiness under Parallel."""
    cluster = FakeCluster(_set(replicas=4, podManagementPolicy="Parallel"))
    assert sorted(await _sync(cluster)) == [("create", f"web-{i}") for i in range(4)]


async def test_ordinals_start_where_asked() -> None:
    """``ordinals.start`` moves the first ordinal."""
    cluster = FakeCluster(_set(replicas=2, ordinals={"start": 5}))
    await _converge(cluster)
    assert sorted(cluster.pods) == ["web-5", "web-6"]


async def test_scale_down_removes_the_highest_ordinal_first_one_at_a_time() -> None:
    """Reverse order, each only once the previous one is gone."""
    cluster = FakeCluster(_set(replicas=4))
    await _converge(cluster)
    cluster.sts["spec"]["replicas"] = 1
    assert await _sync(cluster) == [("delete", "web-3")]
    assert await _sync(cluster) == [("delete", "web-2")]
    assert await _sync(cluster) == [("delete", "web-1")]
    assert await _sync(cluster) == []


async def test_scale_down_waits_for_unhealthy_replicas() -> None:
    """Under OrderedReady nothing is removed while a remaining pod is not ready."""
    cluster = FakeCluster(_set(replicas=3))
    await _converge(cluster)
    cluster.sts["spec"]["replicas"] = 2
    cluster.set_phase("web-0", "Pending")
    assert await _sync(cluster) == []
    cluster.ready("web-0")
    assert await _sync(cluster) == [("delete", "web-2")]


async def test_a_terminating_condemned_pod_holds_the_next_deletion() -> None:
    """A pod still terminating is waited for before the next goes."""
    cluster = FakeCluster(_set(replicas=3))
    await _converge(cluster)
    cluster.sts["spec"]["replicas"] = 1
    cluster.pods["web-2"]["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    assert await _sync(cluster) == []


async def test_failed_and_succeeded_pods_are_replaced() -> None:
    """Deleted on one pass, created again on the next."""
    cluster = FakeCluster(_set(replicas=2))
    await _converge(cluster)
    cluster.set_phase("web-0", "Failed")
    assert await _sync(cluster) == [("delete", "web-0")]
    assert await _sync(cluster) == [("create", "web-0")]
    cluster.ready("web-0")
    cluster.set_phase("web-1", "Succeeded")
    assert await _sync(cluster) == [("delete", "web-1")]


async def test_rolling_update_goes_down_from_the_top_and_stops_at_the_partition() -> None:
    """One pod at a time from the highest ordinal, each replacement healthy first; pods
    below the partition keep the current revision."""
    cluster = FakeCluster(_set(replicas=3))
    await _converge(cluster)
    first = cluster.sts["status"]["currentRevision"]
    cluster.sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 1
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    cluster.sts["metadata"]["generation"] = 2

    assert await _sync(cluster) == [("delete", "web-2")]
    assert cluster.sts["status"]["currentReplicas"] == 2
    assert await _sync(cluster) == [("create", "web-2")]
    second = cluster.sts["status"]["updateRevision"]
    assert second != first
    assert cluster.revision_of("web-2") == second
    assert cluster.pods["web-2"]["spec"]["containers"][0]["image"] == "v2"
    assert await _sync(cluster) == []  # web-2 not ready yet
    cluster.ready("web-2")
    assert await _sync(cluster) == [("delete", "web-1")]
    assert await _sync(cluster) == [("create", "web-1")]
    cluster.ready("web-1")
    assert await _sync(cluster) == []  # web-0 is below the partition
    status = cluster.sts["status"]
    assert (status["currentRevision"], status["updateRevision"]) == (first, second)
    assert (status["currentReplicas"], status["updatedReplicas"]) == (1, 2)
    assert cluster.revision_of("web-0") == first

    cluster.sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0
    assert await _sync(cluster) == [("delete", "web-0")]
    await _converge(cluster)
    status = cluster.sts["status"]
    assert status["currentRevision"] == status["updateRevision"] == second
    assert status["currentReplicas"] == 3


async def test_on_delete_waits_for_pods_to_be_deleted_by_hand() -> None:
    """No pod is replaced until someone deletes it; then it comes back updated."""
    cluster = FakeCluster(_set(replicas=2, updateStrategy={"type": "OnDelete"}))
    await _converge(cluster)
    first = cluster.sts["status"]["currentRevision"]
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    assert await _sync(cluster) == []
    del cluster.pods["web-1"]
    assert await _sync(cluster) == [("create", "web-1")]
    assert cluster.revision_of("web-1") == cluster.sts["status"]["updateRevision"] != first
    assert cluster.revision_of("web-0") == first


async def test_max_unavailable_replaces_several_at_once() -> None:
    """With the (alpha) maxUnavailable feature, up to that many pods go together."""

    def four() -> Obj:
        sts = _set(replicas=4)
        sts["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 2
        return sts

    cluster = FakeCluster(four())
    await _converge(cluster)
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    assert await _sync(cluster, max_unavailable=True) == [
        ("delete", "web-3"),
        ("delete", "web-2"),
    ]
    # Without the feature (Kubernetes 1.32's default) one at a time.
    cluster = FakeCluster(four())
    await _converge(cluster)
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    assert await _sync(cluster) == [("delete", "web-3")]


async def test_going_back_to_a_template_renumbers_its_revision() -> None:
    """A → B → A: no third revision; A's becomes number 3."""
    cluster = FakeCluster(_set(replicas=1))
    await _converge(cluster)
    first = cluster.sts["status"]["currentRevision"]
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    await _converge(cluster)
    cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = "v1"
    await _converge(cluster)
    assert len(cluster.revisions) == 2
    assert cluster.revisions[first]["revision"] == 3
    assert cluster.sts["status"]["currentRevision"] == first


async def test_history_is_cut_to_the_limit_keeping_what_is_live() -> None:
    """Unused revisions beyond revisionHistoryLimit are deleted, the oldest first."""
    cluster = FakeCluster(_set(replicas=1, revisionHistoryLimit=1))
    for image in ("v1", "v2", "v3", "v4"):
        cluster.sts["spec"]["template"]["spec"]["containers"][0]["image"] = image
        await _converge(cluster)
    # The pass that completed the rollout still counted revision 3 as current.
    assert sorted(r["revision"] for r in cluster.revisions.values()) == [2, 3, 4]
    assert await _sync(cluster) == []
    assert sorted(r["revision"] for r in cluster.revisions.values()) == [3, 4]


async def test_a_set_being_deleted_only_reports() -> None:
    """No pod is created or deleted for a set with a deletionTimestamp."""
    sts = _set(replicas=2)
    sts["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    cluster = FakeCluster(sts)
    assert await _sync(cluster) == []
    assert cluster.sts["status"]["replicas"] == 0
