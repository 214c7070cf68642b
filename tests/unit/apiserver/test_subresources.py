"""Subresources over the memory backend: the pods/binding write and its PodScheduled condition."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.rest.subresources import Binding, set_pod_condition
from kubeling.apiserver.strategies import PodStrategy
from kubeling.storage.memory import MemoryStore

W = WriteOptions()
CREATED = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
NOW = "2025-01-02T03:09:05Z"


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.moment = CREATED

    def __call__(self) -> datetime.datetime:
        return self.moment


def _pods(clock: _Clock) -> ResourceStore:
    pods = next(r for r in builtin_resources() if r.group == "" and r.plural == "pods")
    return ResourceStore(pods, MemoryStore(), strategy=PodStrategy(), clock=clock)


def _pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "i"}]}}


def _binding(node: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Binding", "target": {"kind": "Node", "name": node}}


async def test_binding_stamps_pod_scheduled_with_the_time_of_binding() -> None:
    """PodScheduled's lastTransitionTime is when the pod was bound, not when it was created."""
    clock = _Clock()
    pods = _pods(clock)
    await pods.create("ns", _pod("p"), W)
    clock.moment = CREATED + datetime.timedelta(minutes=5)
    await Binding(pods).create("ns", "p", _binding("n1"), W)
    bound = await pods.get("ns", "p")
    assert bound["spec"]["nodeName"] == "n1"
    assert bound["metadata"]["creationTimestamp"] == "2025-01-02T03:04:05Z"
    assert bound["status"]["conditions"] == [
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": NOW,
        }
    ]


async def test_second_binding_is_a_conflict() -> None:
    """A bound pod cannot be bound again: 409 with Kubernetes' message."""
    pods = _pods(_Clock())
    await pods.create("ns", _pod("p"), W)
    await Binding(pods).create("ns", "p", _binding("n1"), W)
    with pytest.raises(StatusError) as info:
        await Binding(pods).create("ns", "p", _binding("n2"), W)
    assert (info.value.code, info.value.reason) == (409, "Conflict")
    assert 'pod p is already assigned to node "n1"' in info.value.message


async def test_binding_refusals() -> None:
    """Another pod under the same name, a gated pod, a terminating pod: 409, as upstream."""
    pods = _pods(_Clock())
    created = await pods.create("ns", _pod("p"), W)
    stale = {**_binding("n1"), "metadata": {"name": "p", "uid": "not-the-uid"}}
    with pytest.raises(StatusError) as info:
        await Binding(pods).create("ns", "p", stale, W)
    assert info.value.code == 409
    assert info.value.message == (
        'Operation cannot be fulfilled on pods "p": Precondition failed: UID in precondition: '
        f"not-the-uid, UID in object meta: {created['metadata']['uid']}"
    )
    with pytest.raises(StatusError) as info:
        await Binding(pods).create("ns", "p", {**_binding("n1"), "metadata": {"name": "q"}}, W)
    assert (info.value.code, info.value.message) == (
        400,
        "name in URL does not match name in Binding object",
    )
    gated = {**_pod("g"), "spec": {**_pod("g")["spec"], "schedulingGates": [{"name": "wait"}]}}
    await pods.create("ns", gated, W)
    with pytest.raises(StatusError) as info:
        await Binding(pods).create("ns", "g", _binding("n1"), W)
    assert info.value.message == (
        'Operation cannot be fulfilled on pods/binding "g": pod g has non-empty '
        ".spec.schedulingGates"
    )
    current = {**_binding("n1"), "metadata": {"name": "p", "uid": created["metadata"]["uid"]}}
    await Binding(pods).create("ns", "p", current, W)
    assert (await pods.get("ns", "p"))["spec"]["nodeName"] == "n1"


UNSCHEDULABLE = {
    "type": "PodScheduled",
    "status": "False",
    "lastProbeTime": None,
    "lastTransitionTime": "2025-01-01T00:00:00Z",
    "reason": "Unschedulable",
    "message": "0/1 nodes are available",
}
READY = {"type": "Ready", "status": "False", "lastTransitionTime": "2025-01-01T00:00:00Z"}
SCHEDULED = {
    "type": "PodScheduled",
    "status": "True",
    "lastProbeTime": None,
    "lastTransitionTime": "2025-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            [],
            [{**SCHEDULED, "lastTransitionTime": NOW}],
            id="added-at-the-end-with-now",
        ),
        pytest.param(
            [UNSCHEDULABLE, READY],
            [{**SCHEDULED, "lastTransitionTime": NOW}, READY],
            id="replaced-in-place-reason-cleared",
        ),
        pytest.param(
            [READY, SCHEDULED],
            [READY, SCHEDULED],
            id="same-status-keeps-its-transition-time",
        ),
    ],
)
def test_set_pod_condition(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """set_pod_condition follows podutil.UpdatePodCondition and leaves its input alone."""
    copy = [dict(c) for c in before]
    assert set_pod_condition(before, "PodScheduled", "True", now=NOW) == after
    assert before == copy
