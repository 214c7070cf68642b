"""Which pods a ReplicaSet deletes first: Kubernetes' ActivePodsWithRanks rules, one by one."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.controllers.replicaset.ranking import (
    POD_DELETION_COST,
    colocation_ranks,
    deletion_cost,
    pods_to_delete,
)

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def ago(seconds: float) -> str:
    return (NOW - datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(
    uid: str,
    *,
    node: str = "n1",
    phase: str = "Running",
    ready_since: float | None = 3600,
    restarts: int = 0,
    age: float | None = 7200,
    cost: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": uid, "namespace": "ns", "uid": uid}
    if age is not None:
        meta["creationTimestamp"] = ago(age)
    if cost is not None:
        meta["annotations"] = {POD_DELETION_COST: cost}
    status: dict[str, Any] = {
        "phase": phase,
        "containerStatuses": [{"name": "c", "restartCount": restarts}],
    }
    if ready_since is not None:
        status["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": ago(ready_since)}
        ]
    return {"metadata": meta, "spec": {"nodeName": node}, "status": status}


# (rule, the pod to delete first, the other): each differs from the other in one rule only.
FIRST_GOES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("unscheduled before scheduled", pod("a", node=""), pod("b")),
    ("pending before running", pod("a", phase="Pending"), pod("b")),
    ("pending before unknown", pod("a", phase="Pending"), pod("b", phase="Unknown")),
    ("unknown before running", pod("a", phase="Unknown"), pod("b")),
    ("not ready before ready", pod("a", ready_since=None), pod("b")),
    ("lower deletion cost first", pod("a", cost="-5"), pod("b", cost="10")),
    ("cost beats readiness time", pod("z", cost="1", ready_since=9999), pod("b", cost="2")),
    ("ready for less time first", pod("z", ready_since=10), pod("a", ready_since=10_000)),
    ("more restarts first", pod("z", restarts=3), pod("a", restarts=1)),
    ("newer before older", pod("z", age=10), pod("a", age=100_000)),
    ("unset creation time as newest", pod("z", age=None), pod("a", age=10)),
    # Same log2 bucket of age (2^42..2^43 ns, about 73 to 146 minutes): uid decides.
    ("same-age pods by uid", pod("a", age=5000), pod("b", age=6000)),
    ("same-age pods by uid", pod("a", age=6000), pod("b", age=5000)),
]


@pytest.mark.parametrize(("rule", "first", "other"), FIRST_GOES, ids=[r[0] for r in FIRST_GOES])
def test_rule(rule: str, first: dict[str, Any], other: dict[str, Any]) -> None:
    for order in ([first, other], [other, first]):
        assert pods_to_delete(order, [], 1, NOW) == [first], rule


def test_pods_on_crowded_nodes_go_first() -> None:
    """The rank counts active related pods per node (a Deployment's other ReplicaSets')."""
    lonely, crowded = pod("a", node="n1"), pod("b", node="n2")
    sibling = pod("c", node="n2")
    finished = {**pod("d", node="n1"), "status": {"phase": "Succeeded"}}
    related = [lonely, crowded, sibling, finished, pod("e", node="n1")]
    assert colocation_ranks([lonely, crowded], related) == [2, 2]
    related.append(pod("f", node="n2"))
    assert colocation_ranks([lonely, crowded], related) == [2, 3]
    assert pods_to_delete([lonely, crowded], related, 1, NOW) == [crowded]
    # Without related pods (no controller above the ReplicaSet) the rule decides nothing:
    # these two are told apart by uid, their ages being in the same log2 bucket.
    first, second = pod("b", node="n2", age=5000), pod("a", node="n1", age=6000)
    assert pods_to_delete([first, second], [], 1, NOW) == [second]


def test_rank_ranks_below_cost_and_above_readiness() -> None:
    cheap_alone = pod("a", node="n1", cost="0")
    dear_crowded = pod("b", node="n2", cost="5")
    related = [cheap_alone, dear_crowded, pod("c", node="n2")]
    assert pods_to_delete([dear_crowded, cheap_alone], related, 1, NOW) == [cheap_alone]
    young_alone = pod("a", node="n1", ready_since=1)
    old_crowded = pod("b", node="n2", ready_since=10_000)
    related = [young_alone, old_crowded, pod("c", node="n2")]
    assert pods_to_delete([young_alone, old_crowded], related, 1, NOW) == [old_crowded]


def test_a_full_ordering() -> None:
    pods = [
        pod("running-old", age=100_000),
        pod("pending", phase="Pending", ready_since=None),
        pod("unscheduled", node="", phase="Pending", ready_since=None),
        pod("not-ready", ready_since=None),
        pod("running-new", age=10, ready_since=5),
    ]
    chosen = pods_to_delete(pods, [], 4, NOW)
    assert [p["metadata"]["uid"] for p in chosen] == [
        "unscheduled",
        "pending",
        "not-ready",
        "running-new",
    ]


def test_deleting_as_many_as_there_are_takes_all_unsorted() -> None:
    pods = [pod("b"), pod("a", node="")]
    assert pods_to_delete(pods, [], 2, NOW) == pods
    assert pods_to_delete(pods, [], 5, NOW) == pods


@pytest.mark.parametrize(
    ("annotation", "cost"),
    [
        (None, 0),
        ("7", 7),
        ("-7", -7),
        ("+7", 7),
        ("2147483647", 2**31 - 1),
        ("-2147483648", -(2**31)),
        ("2147483648", 0),  # out of int32: treated as unset
        ("1.5", 0),
        (" 7", 0),
        ("1_000", 0),
        ("", 0),
    ],
)
def test_deletion_cost(annotation: str | None, cost: int) -> None:
    p = pod("a")
    if annotation is not None:
        p["metadata"]["annotations"] = {POD_DELETION_COST: annotation}
    assert deletion_cost(p) == cost
