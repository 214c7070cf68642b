"""TaintToleration: hard taints filter (first untolerated named), soft taints score."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.events import QueueingHint
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.plugins import taint_toleration

from ..fakes import Harness, make_node, make_pod, taint


@pytest.mark.parametrize(
    ("taints", "tolerations", "reason"),
    [
        ([taint("a")], [], "node(s) had untolerated taint {a: }"),
        ([taint("a", "x")], [], "node(s) had untolerated taint {a: x}"),
        ([taint("a", "x", "NoExecute")], [], "node(s) had untolerated taint {a: x}"),
        ([taint("a", "x", "PreferNoSchedule")], [], None),
        ([taint("a", "x")], [{"key": "a", "value": "x"}], None),
        (
            [taint("a", "x")],
            [{"key": "a", "operator": "Equal", "value": "y"}],
            "node(s) had untolerated taint {a: x}",
        ),
        ([taint("a", "x")], [{"key": "a", "operator": "Exists"}], None),
        ([taint("a", "x")], [{"operator": "Exists"}], None),
        (
            [taint("a", "x")],
            [{"key": "a", "operator": "Exists", "effect": "NoExecute"}],
            "node(s) had untolerated taint {a: x}",
        ),
        # The first untolerated taint in the node's order is the one named.
        (
            [taint("a"), taint("b")],
            [{"key": "a", "operator": "Exists"}],
            "node(s) had untolerated taint {b: }",
        ),
        ([taint("a"), taint("b")], [], "node(s) had untolerated taint {a: }"),
    ],
)
def test_filter(
    taints: list[dict[str, Any]], tolerations: list[dict[str, Any]], reason: str | None
) -> None:
    """Untolerated NoSchedule/NoExecute taints reject the node, unresolvably."""
    harness = Harness(nodes=[make_node("n", taints=taints)])
    status = harness.filter("TaintToleration", make_pod("p", spec={"tolerations": tolerations}))[
        "n"
    ]
    if reason is None:
        assert status.is_success()
    else:
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == (reason,)


def test_score_prefers_fewer_untolerated_soft_taints() -> None:
    """PreferNoSchedule taints count against a node; tolerated ones do not."""
    soft = "PreferNoSchedule"
    nodes = [
        make_node("clean"),
        make_node("one", taints=[taint("a", effect=soft)]),
        make_node("two", taints=[taint("a", effect=soft), taint("b", effect=soft)]),
        make_node("tolerated", taints=[taint("c", effect=soft)]),
    ]
    pod = make_pod("p", spec={"tolerations": [{"key": "c", "operator": "Exists", "effect": soft}]})
    assert Harness(nodes=nodes).score("TaintToleration", pod) == {
        "clean": 100,
        "one": 50,
        "two": 0,
        "tolerated": 100,
    }


def test_hints() -> None:
    """Removing the taint queues the pod; a new toleration on the pod itself does too."""
    pod = make_pod("p")
    tainted, clean = make_node("n", taints=[taint("a")]), make_node("n")
    assert taint_toleration._node_now_tolerated(pod, tainted, clean) is QueueingHint.QUEUE
    assert taint_toleration._node_now_tolerated(pod, clean, tainted) is QueueingHint.SKIP
    assert taint_toleration._is_this_pod(pod, pod, pod) is QueueingHint.QUEUE
    assert taint_toleration._is_this_pod(pod, None, make_pod("other")) is QueueingHint.SKIP
