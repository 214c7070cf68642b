"""pods/eviction over the memory backend: budgets honoured as Kubernetes' EvictionREST does."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.rest.eviction import Eviction
from kubeling.apiserver.rest.options import ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.strategies import PodStrategy
from kubeling.apiserver.strategies.others import PodDisruptionBudgetStrategy
from kubeling.storage.memory import MemoryStore

W = WriteOptions()
NS = "ns"
Obj = dict[str, Any]


class _Cluster:
    """Pods and budgets in one memory store, and the eviction subresource over them."""

    def __init__(self) -> None:
        store = MemoryStore()
        resources = builtin_resources()
        pods = next(r for r in resources if r.group == "" and r.plural == "pods")
        pdbs = next(
            r for r in resources if r.group == "policy" and r.plural == "poddisruptionbudgets"
        )
        self.pods = ResourceStore(pods, store, strategy=PodStrategy())
        self.pdbs = ResourceStore(pdbs, store, strategy=PodDisruptionBudgetStrategy())
        self.eviction = Eviction(self.pods, self.pdbs)

    async def pod(self, name: str, *, phase: str = "Running", ready: bool = True) -> None:
        await self.pods.create(
            NS,
            {
                "metadata": {"name": name, "labels": {"app": "web"}},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
            },
            W,
        )
        pod = await self.pods.get(NS, name)
        pod["status"] = {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        }
        await self.pods.update(NS, name, pod, W, subresource="status")

    async def budget(self, name: str = "web", *, policy: str | None = None, **status: int) -> None:
        spec: Obj = {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}
        if policy:
            spec["unhealthyPodEvictionPolicy"] = policy
        await self.pdbs.create(NS, {"metadata": {"name": name}, "spec": spec}, W)
        pdb = await self.pdbs.get(NS, name)
        pdb["status"] = {
            "observedGeneration": status.pop("observedGeneration", 1),
            "disruptionsAllowed": status.pop("disruptionsAllowed", 0),
            "currentHealthy": status.pop("currentHealthy", 1),
            "desiredHealthy": status.pop("desiredHealthy", 1),
            "expectedPods": status.pop("expectedPods", 1),
        }
        await self.pdbs.update(NS, name, pdb, W, subresource="status")

    async def evict(self, name: str, *, dry_run: bool = False) -> Obj:
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
        return await self.eviction.create(NS, name, body, dry_run=dry_run)

    async def evicted(self, name: str) -> bool:
        """Deleted: gone, or (on a node) waiting for its kubelet with a deletionTimestamp."""
        listed = await self.pods.list(NS, ListOptions())
        pods = {p["metadata"]["name"]: p for p in listed["items"]}
        return name not in pods or bool(pods[name]["metadata"].get("deletionTimestamp"))


def _disruption_target(pod: Obj) -> Obj:
    return next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")


async def test_without_a_budget_the_pod_is_marked_and_deleted() -> None:
    """No budget: Success, DisruptionTarget/EvictionByEvictionAPI, then the delete."""
    cluster = _Cluster()
    await cluster.pod("p")
    answer = await cluster.evict("p")
    assert answer["status"] == "Success"
    pod = await cluster.pods.get(NS, "p")
    assert pod["metadata"]["deletionTimestamp"]
    condition = _disruption_target(pod)
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )


async def test_a_budget_allowing_no_disruption_refuses_with_429() -> None:
    """disruptionsAllowed 0: 429 TooManyRequests with the DisruptionBudget cause; pod stays."""
    cluster = _Cluster()
    await cluster.pod("p")
    await cluster.budget(disruptionsAllowed=0, currentHealthy=1, desiredHealthy=1)
    with pytest.raises(StatusError) as info:
        await cluster.evict("p")
    err = info.value
    assert (err.code, err.reason) == (429, "TooManyRequests")
    assert err.message == "Cannot evict pod as it would violate the pod's disruption budget."
    assert err.details is not None
    assert [(c.reason, c.message) for c in err.details.causes] == [
        ("DisruptionBudget", "The disruption budget web needs 1 healthy pods and has 1 currently")
    ]
    assert err.details.retry_after_seconds == 0
    assert not await cluster.evicted("p")


async def test_an_allowed_eviction_spends_the_budget() -> None:
    """disruptionsAllowed 1: decremented to 0 with the pod in disruptedPods, condition False."""
    cluster = _Cluster()
    await cluster.pod("p")
    await cluster.budget(disruptionsAllowed=1, currentHealthy=2, desiredHealthy=1)
    await cluster.evict("p")
    assert await cluster.evicted("p")
    status = (await cluster.pdbs.get(NS, "web"))["status"]
    assert status["disruptionsAllowed"] == 0
    assert list(status["disruptedPods"]) == ["p"]
    [condition] = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "DisruptionAllowed",
        "False",
        "InsufficientPods",
    )


async def test_a_budget_not_yet_observed_asks_to_retry() -> None:
    """Status older than the spec: 429 with retryAfterSeconds 10 ("still being processed")."""
    cluster = _Cluster()
    await cluster.pod("p")
    await cluster.budget(disruptionsAllowed=5, observedGeneration=0)
    with pytest.raises(StatusError) as info:
        await cluster.evict("p")
    assert info.value.code == 429
    assert info.value.details is not None
    assert info.value.details.retry_after_seconds == 10
    assert info.value.details.causes[0].message == (
        "The disruption budget web is still being processed by the server."
    )


@pytest.mark.parametrize(
    ("phase", "ready", "policy", "status", "evicted"),
    [
        ("Pending", False, None, {}, True),
        ("Succeeded", False, None, {}, True),
        ("Running", False, "AlwaysAllow", {"currentHealthy": 0, "desiredHealthy": 1}, True),
        ("Running", False, "IfHealthyBudget", {"currentHealthy": 1, "desiredHealthy": 1}, True),
        ("Running", False, None, {"currentHealthy": 1, "desiredHealthy": 1}, True),
        ("Running", False, "IfHealthyBudget", {"currentHealthy": 0, "desiredHealthy": 1}, False),
        ("Running", True, "AlwaysAllow", {"currentHealthy": 1, "desiredHealthy": 1}, False),
    ],
)
async def test_which_pods_go_without_spending_the_budget(
    phase: str, ready: bool, policy: str | None, status: dict[str, int], evicted: bool
) -> None:
    """Finished and Pending pods ignore budgets; unready ones follow unhealthyPodEvictionPolicy."""
    cluster = _Cluster()
    await cluster.pod("p", phase=phase, ready=ready)
    await cluster.budget(policy=policy, disruptionsAllowed=0, **status)
    if evicted:
        await cluster.evict("p")
    else:
        with pytest.raises(StatusError) as info:
            await cluster.evict("p")
        assert info.value.code == 429
    assert await cluster.evicted("p") is evicted
    assert (await cluster.pdbs.get(NS, "web"))["status"]["disruptionsAllowed"] == 0


async def test_two_budgets_are_a_500_status() -> None:
    """Upstream answers a Failure Status with code 500 and leaves the pod."""
    cluster = _Cluster()
    await cluster.pod("p")
    await cluster.budget("a", disruptionsAllowed=1)
    await cluster.budget("b", disruptionsAllowed=1)
    answer = await cluster.evict("p")
    assert answer["code"] == 500
    assert answer["message"] == (
        "This pod has more than one PodDisruptionBudget, which the eviction subresource "
        "does not support."
    )
    assert not await cluster.evicted("p")


async def test_dry_run_changes_nothing() -> None:
    """A dry run checks the budget but writes neither the budget nor the pod."""
    cluster = _Cluster()
    await cluster.pod("p")
    await cluster.budget(disruptionsAllowed=1)
    answer = await cluster.evict("p", dry_run=True)
    assert answer["status"] == "Success"
    assert not await cluster.evicted("p")
    assert (await cluster.pdbs.get(NS, "web"))["status"]["disruptionsAllowed"] == 1
    pod = await cluster.pods.get(NS, "p")
    assert all(c["type"] != "DisruptionTarget" for c in pod["status"]["conditions"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"metadata": {"name": "other"}}, 400),
        ({"metadata": {}}, 400),
        ("nonsense", 400),
        ({"metadata": {"name": "p"}, "deleteOptions": 3}, 400),
        ({"metadata": {"name": "p"}, "deleteOptions": {"preconditions": {"uid": "x"}}}, 409),
    ],
)
async def test_bad_evictions_are_refused(body: Any, code: int) -> None:
    """A name that is not the URL's, a malformed body, a failed precondition."""
    cluster = _Cluster()
    await cluster.pod("p")
    with pytest.raises(StatusError) as info:
        await cluster.eviction.create(NS, "p", body)
    assert info.value.code == code
    assert not await cluster.evicted("p")


async def test_a_missing_pod_is_404() -> None:
    """Evicting a pod that does not exist: pods "x" not found."""
    with pytest.raises(StatusError) as info:
        await _Cluster().evict("x")
    assert (info.value.code, info.value.message) == (404, 'pods "x" not found')
