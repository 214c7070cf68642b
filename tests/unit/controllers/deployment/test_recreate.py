"""Recreate waits for every old pod to be gone."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.deployment.recreate import old_pods_running
from tests.unit.controllers.deployment.builders import replica_set


def _pod(phase: str) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "status": {"phase": phase}}


@pytest.mark.parametrize(
    ("old_status_replicas", "old_pods", "new_pods", "running"),
    [
        (0, [], [], False),
        (1, [], [], True),  # the old ReplicaSet still reports a pod
        (0, ["Running"], [], True),
        (0, ["Pending"], [], True),
        (0, ["Unknown"], [], True),  # nobody can tell it stopped
        (0, ["Succeeded", "Failed"], [], False),  # finished pods do not count
        (0, [], ["Running"], False),  # the new ReplicaSet's pods are not old
    ],
)
def test_old_pods_running(
    old_status_replicas: int, old_pods: list[str], new_pods: list[str], running: bool
) -> None:
    old = replica_set("old", 0, status={"replicas": old_status_replicas})
    new = replica_set("new", 1)
    pod_map = {"uid-old": [_pod(p) for p in old_pods], "uid-new": [_pod(p) for p in new_pods]}
    assert old_pods_running(new, [old], pod_map) is running
    assert old_pods_running(None, [old], {"uid-old": pod_map["uid-old"]}) is running
