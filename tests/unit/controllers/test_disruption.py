"""Disruption controller decisions: expected pods, desired and current health, bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.timestamps import format_time
from kubeling.client.resources import (
    DEPLOYMENTS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    STATEFULSETS,
)
from kubeling.controllers.disruption import (
    DELETION_TIMEOUT,
    DisruptionController,
    SyncError,
    budget_matches,
    count_healthy,
    disrupted_pods_still_pending,
    disruptions_allowed,
)
from tests.unit.controllers.fakes import cache, fake_context

Obj = dict[str, Any]
NOW = 1_700_000_000.0
NS = "ns"


def _owned(kind: str, name: str, uid: str, api_version: str = "apps/v1") -> Obj:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": True}


def _pod(name: str, *, ready: bool = True, owner: Obj | None = None, deleting: bool = False) -> Obj:
    meta: Obj = {"name": name, "namespace": NS, "labels": {"app": "web"}}
    if owner is not None:
        meta["ownerReferences"] = [owner]
    if deleting:
        meta["deletionTimestamp"] = format_time(NOW)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def _workload(kind: str, name: str, uid: str, replicas: int, owner: Obj | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": NS, "uid": uid}
    if owner is not None:
        meta["ownerReferences"] = [owner]
    return {"kind": kind, "metadata": meta, "spec": {"replicas": replicas}}


def test_disrupted_pods_bookkeeping() -> None:
    """Entries of deleted or terminating pods go; expired ones go with their pods named."""
    pods = [_pod("a"), _pod("b", deleting=True), _pod("c")]
    recent, old = format_time(NOW - 10), format_time(NOW - DELETION_TIMEOUT - 10)
    kept, recheck, expired = disrupted_pods_still_pending(
        pods, {"a": recent, "b": recent, "c": old, "gone": recent}, NOW
    )
    assert kept == {"a": recent}
    assert recheck == pytest.approx(NOW - 10 + DELETION_TIMEOUT, abs=1)
    assert [p["metadata"]["name"] for p in expired] == ["c"]


def test_count_healthy_skips_terminating_and_disrupted_pods() -> None:
    """Ready, not terminating, not just evicted."""
    pods = [_pod("a"), _pod("b", ready=False), _pod("c", deleting=True), _pod("d")]
    assert count_healthy(pods, {"d": format_time(NOW - 5)}, NOW) == 1
    assert count_healthy(pods, {"d": format_time(NOW - DELETION_TIMEOUT - 5)}, NOW) == 2


@pytest.mark.parametrize(
    ("current", "desired", "expected", "allowed"),
    [(3, 2, 3, 1), (2, 2, 3, 0), (1, 2, 3, 0), (5, 0, 0, 0), (4, 0, 4, 4)],
)
def test_disruptions_allowed(current: int, desired: int, expected: int, allowed: int) -> None:
    """Surplus of healthy pods, never negative, nothing without expected pods."""
    assert disruptions_allowed(current, desired, expected) == allowed


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web"}, True),
        ({}, {"app": "web"}, True),
        (None, {"app": "web"}, False),
        ({"matchLabels": {"app": "web"}}, {}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}, {"app": "web"}, False),
    ],
)
def test_budget_matches(selector: Obj | None, labels: dict[str, str], matches: bool) -> None:
    """policy/v1: an empty selector matches all, none or an invalid one nothing; no labels, none."""
    pdb = {"metadata": {"namespace": NS}, "spec": {"selector": selector}}
    pod = {"metadata": {"namespace": NS, "labels": labels}}
    assert budget_matches(pdb, pod) is matches


DEPLOYMENT = _workload("Deployment", "web", "d1", 5)
RS_OF_DEPLOYMENT = _workload(
    "ReplicaSet", "web-1", "rs1", 3, owner=_owned("Deployment", "web", "d1")
)
RS_OF_DEPLOYMENT_OLD = _workload(
    "ReplicaSet", "web-0", "rs0", 2, owner=_owned("Deployment", "web", "d1")
)
LONE_RS = _workload("ReplicaSet", "lone", "rs2", 4)
STS = _workload("StatefulSet", "db", "s1", 3)
RC = _workload("ReplicationController", "old", "rc1", 2)


def _controller() -> DisruptionController:
    ctx, client = fake_context()
    client.served = [DEPLOYMENTS, REPLICASETS, STATEFULSETS]
    controller = DisruptionController(ctx)
    cache(controller, DEPLOYMENTS, DEPLOYMENT)
    cache(controller, REPLICASETS, RS_OF_DEPLOYMENT, RS_OF_DEPLOYMENT_OLD, LONE_RS)
    cache(controller, STATEFULSETS, STS)
    cache(controller, REPLICATIONCONTROLLERS, RC)
    return controller


@pytest.mark.parametrize(
    ("spec", "owners", "expected", "desired", "unmanaged"),
    [
        pytest.param({"minAvailable": 2}, [None, None, None], 3, 2, [], id="int-min-counts-pods"),
        pytest.param(
            {"minAvailable": "50%"},
            [_owned("ReplicaSet", "web-1", "rs1"), _owned("ReplicaSet", "web-0", "rs0")],
            5,
            3,
            [],
            id="deployment-through-its-replicasets",
        ),
        pytest.param(
            {"maxUnavailable": "25%"},
            [_owned("ReplicaSet", "lone", "rs2")],
            4,
            3,
            [],
            id="lone-replicaset",
        ),
        pytest.param(
            {"maxUnavailable": 1},
            [
                _owned("StatefulSet", "db", "s1"),
                _owned("ReplicationController", "old", "rc1", "v1"),
            ],
            5,
            4,
            [],
            id="statefulset-and-rc",
        ),
        pytest.param(
            {"maxUnavailable": 10},
            [_owned("ReplicaSet", "lone", "rs2"), None],
            4,
            0,
            ["p1"],
            id="unmanaged-left-out",
        ),
        pytest.param({}, [None], 0, 0, [], id="neither"),
    ],
)
async def test_expected_pod_count(
    spec: Obj, owners: list[Obj | None], expected: int, desired: int, unmanaged: list[str]
) -> None:
    """The scale of the pods' controllers (a Deployment once), or the pods for an integer."""
    controller = _controller()
    pods = [_pod(f"p{i}", owner=owner) for i, owner in enumerate(owners)]
    got = await controller._expected_pod_count({"spec": spec}, pods)
    assert got == (expected, desired, unmanaged)


async def test_a_pod_whose_controller_is_missing_fails_the_sync() -> None:
    """A controller reference to nothing found: SyncError naming the pod."""
    controller = _controller()
    pods = [_pod("p0", owner=_owned("ReplicaSet", "ghost", "nope"))]
    with pytest.raises(SyncError, match='found no controllers for pod "p0"'):
        await controller._expected_pod_count({"spec": {"minAvailable": "50%"}}, pods)


async def test_fail_safe_writes_sync_failed() -> None:
    """The fail-safe: disruptionsAllowed 0 and DisruptionAllowed False/SyncFailed."""
    ctx, client = fake_context()
    controller = DisruptionController(ctx)
    pdb = {
        "metadata": {"name": "web", "namespace": NS, "generation": 2},
        "status": {"disruptionsAllowed": 3, "observedGeneration": 2},
    }
    await controller._fail_safe(pdb, "boom")
    [write] = client.writes("update_status")
    status = write.body["status"]
    assert status["disruptionsAllowed"] == 0
    [condition] = status["conditions"]
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "False",
        "SyncFailed",
        "boom",
    )
