"""The fast paths give the reference answers: batches, remembered verdicts and scores.

``Framework.filter_nodes`` and ``run_score_plugins`` filter in batches and remember
node-local answers per node; the reference is Filter and Score called node by node,
normalized and weighted as upstream does. A random cluster is scheduled pod after pod
(so nodes keep changing under the remembered answers) and, at every step, both are
compared for a random pod.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.memo import MAX_SIGNATURES, SLACK, NodeMemo
from kubeling.scheduler.framework.runtime import Framework
from kubeling.scheduler.framework.status import Status
from kubeling.scheduler.framework.types import NodeInfo, PodInfo

from .fakes import ZONE, make_node, make_pod, new_scheduler, taint

CPUS = ("100m", "500m", "1", "2")


def _reference_filter(
    framework: Framework, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
) -> list[Status | None]:
    verdicts: list[Status | None] = []
    for node in nodes:
        status = framework.run_filter_plugins(state, pod, node)
        verdicts.append(None if status.is_success() else status)
    return verdicts


def _reference_scores(
    framework: Framework, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
) -> list[int]:
    totals = [0] * len(nodes)
    for name, plugin in framework.score_plugins:
        if name in state.skip_score_plugins:
            continue
        scores = [plugin.score(state, pod, node)[0] for node in nodes]
        normalize = getattr(plugin, "normalize_score", None)
        if normalize is not None:
            assert normalize(state, pod, nodes, scores).is_success()
        totals = [t + s * framework.weights[name] for t, s in zip(totals, scores, strict=True)]
    return totals


def _random_pod(rng: random.Random, index: int) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    choice = rng.random()
    if choice < 0.2:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    elif choice < 0.35:
        spec["nodeSelector"] = {"disk": "ssd"}
    elif choice < 0.45:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": ZONE,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "spread"}},
            }
        ]
    return make_pod(
        f"p{index}",
        cpu=rng.choice(CPUS),
        memory=rng.choice(("64Mi", "1Gi")),
        labels={"app": "spread"},
        spec=spec,
    )


@pytest.mark.parametrize("seed", range(4))
async def test_fast_paths_agree_with_node_by_node(seed: int) -> None:
    """Through 60 placements on 30 changing nodes, the answers never go stale."""
    rng = random.Random(seed)
    scheduler, cluster, _ = new_scheduler(seed=seed)
    for index in range(30):
        labels = {ZONE: f"zone-{index % 3}"}
        if rng.random() < 0.3:
            labels["disk"] = "ssd"
        taints = [taint("dedicated")] if rng.random() < 0.2 else []
        if rng.random() < 0.2:
            taints.append(taint("soft", effect="PreferNoSchedule"))
        cluster.add_node(
            make_node(f"n{index}", cpu=rng.choice(("2", "4")), labels=labels, taints=taints)
        )
    framework = scheduler.framework
    for index in range(60):
        cluster.add_pod(_random_pod(rng, index))
        await scheduler.schedule_pending()
        if index % 10 == 5:  # a node changes under the remembered answers
            scheduler.on_node_update(
                make_node("n0"), make_node("n0", cpu="1", labels={ZONE: "zone-0"})
            )
        scheduler.cache.update_snapshot(scheduler.snapshot)
        probe = PodInfo(_random_pod(rng, 1000 + index))
        state = CycleState()
        _, status, _ = framework.run_pre_filter_plugins(state, probe)
        if not status.is_success():
            continue
        nodes = scheduler.snapshot.list()
        assert framework.filter_nodes(state, probe, nodes) == _reference_filter(
            framework, state, probe, nodes
        )
        feasible = [n for n in nodes if framework.run_filter_plugins(state, probe, n).is_success()]
        if len(feasible) < 2:
            continue
        assert framework.run_pre_score_plugins(state, probe, feasible).is_success()
        totals, status = framework.run_score_plugins(state, probe, feasible)
        assert status.is_success()
        assert totals == _reference_scores(framework, state, probe, feasible)


def test_node_memo_keeps_a_few_signatures_and_bounded_tables() -> None:
    """The least recently used signature goes first; an oversized table is cleared."""
    memo: NodeMemo[int] = NodeMemo()
    node = NodeInfo(make_node("n"))
    memo.table("first", nodes=1)[node] = (node.generation, 7)
    for index in range(MAX_SIGNATURES - 1):
        memo.table(index, nodes=1)
    assert memo.table("first", nodes=1) == {node: (node.generation, 7)}  # still there
    for index in range(MAX_SIGNATURES, 2 * MAX_SIGNATURES):
        memo.table(index, nodes=1)
    assert memo.table("first", nodes=1) == {}  # evicted
    table = memo.table("big", nodes=1)
    for _ in range(SLACK + 2):
        other = NodeInfo(make_node("x"))
        table[other] = (other.generation, 1)
    assert memo.table("big", nodes=1) == {}
