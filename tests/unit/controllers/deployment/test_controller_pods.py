"""Which pods the Deployment controller reads for a Deployment: those of its ReplicaSets,
found through the pod cache's controller index."""

from __future__ import annotations

from typing import Any

from kubeling.client.resources import PODS
from kubeling.controllers.deployment import DeploymentController
from tests.unit.controllers.deployment.builders import deployment, replica_set
from tests.unit.controllers.fakes import cache, fake_context

Obj = dict[str, Any]


def _pod(name: str, owner: str | None, *, app: str = "web", namespace: str = "ns") -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "uid": f"uid-{name}", "labels": {"app": app}}
    if owner is not None:
        meta["ownerReferences"] = [
            {"kind": "ReplicaSet", "name": owner, "uid": f"uid-{owner}", "controller": True}
        ]
    return {"metadata": meta, "status": {"phase": "Running"}}


def _names(pods: list[Obj]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]


def test_pod_map_has_each_replica_sets_pods_that_the_deployment_selects() -> None:
    ctx, _ = fake_context()
    controller = DeploymentController(ctx)
    cache(
        controller,
        PODS,
        _pod("a-2", "a"),
        _pod("a-1", "a"),
        _pod("b-1", "b"),
        _pod("a-relabelled", "a", app="other"),  # no longer selected
        _pod("a-elsewhere", "a", namespace="x"),  # not in the Deployment's namespace
        _pod("c-1", "c"),  # a ReplicaSet not in the list
        _pod("orphan", None),
    )
    pods = controller._pod_map(deployment(), [replica_set("a", 2), replica_set("b", 1)])
    assert {uid: _names(found) for uid, found in pods.items()} == {
        "uid-a": ["a-1", "a-2"],
        "uid-b": ["b-1"],
    }
