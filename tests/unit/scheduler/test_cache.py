"""Cache (assume, confirm, forget, ghost nodes), snapshot updates and the zone-interleaved order."""

from __future__ import annotations

from kubeling.scheduler.cache import Cache
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.node_tree import NodeTree

from .fakes import ZONE, make_node, make_pod


def _snapshot(cache: Cache) -> Snapshot:
    snapshot = Snapshot()
    cache.update_snapshot(snapshot)
    return snapshot


def test_assume_confirm_forget() -> None:
    """An assumed pod counts at once; the API's bound pod confirms it; forgetting frees it."""
    cache = Cache()
    cache.add_node(make_node("n", cpu="2"))
    pod = PodInfo(make_pod("p", cpu="1", node_name="n"))
    cache.assume_pod(pod, "n")
    snapshot = _snapshot(cache)
    node = snapshot.get("n")
    assert node is not None
    assert node.requested.milli_cpu == 1000
    assert cache.is_assumed(pod.key)
    cache.add_pod(pod)
    assert not cache.is_assumed(pod.key)
    cache.forget_pod(pod.key)  # confirmed pods are not forgotten
    cache.update_snapshot(snapshot)
    assert node.requested.milli_cpu == 1000
    cache.remove_pod(pod.key)
    cache.update_snapshot(snapshot)
    assert node.requested.milli_cpu == 0


def test_snapshot_is_updated_in_place_and_isolated() -> None:
    """Changed nodes are copied into the same snapshot objects; the cache's stay separate."""
    cache = Cache()
    cache.add_node(make_node("a"))
    snapshot = _snapshot(cache)
    before = snapshot.get("a")
    cache.add_pod(PodInfo(make_pod("p", cpu="1", node_name="a")))
    cache.update_snapshot(snapshot)
    after = snapshot.get("a")
    assert after is before
    assert after is not None
    assert len(after.pods) == 1
    after.pods.clear()  # a plugin scribbling on the snapshot does not reach the cache
    cache.add_pod(PodInfo(make_pod("q", node_name="a")))
    cache.update_snapshot(snapshot)
    assert len(after.pods) == 2


def test_pods_on_unknown_and_deleted_nodes() -> None:
    """A pod on a node not (yet, any more) known is counted but the node is not listed."""
    cache = Cache()
    cache.add_pod(PodInfo(make_pod("early", cpu="1", node_name="later")))
    snapshot = _snapshot(cache)
    assert snapshot.list() == []
    cache.add_node(make_node("later"))
    cache.update_snapshot(snapshot)
    node = snapshot.get("later")
    assert node is not None
    assert node.requested.milli_cpu == 1000
    cache.remove_node(make_node("later"))
    cache.update_snapshot(snapshot)
    assert snapshot.list() == []
    cache.add_node(make_node("later"))
    cache.update_snapshot(snapshot)
    readded = snapshot.get("later")
    assert readded is not None
    assert len(readded.pods) == 1


def test_affinity_lists() -> None:
    """Nodes hosting pods with (required anti-)affinity are listed for InterPodAffinity."""
    cache = Cache()
    cache.add_node(make_node("a"))
    cache.add_node(make_node("b"))
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"x": "y"}}, "topologyKey": "zone"}
            ]
        }
    }
    snapshot = _snapshot(cache)
    assert snapshot.have_pods_with_affinity == []
    cache.add_pod(PodInfo(make_pod("p", node_name="b", spec={"affinity": anti})))
    cache.update_snapshot(snapshot)
    assert [n.name for n in snapshot.have_pods_with_affinity] == ["b"]
    assert [n.name for n in snapshot.have_pods_with_required_anti_affinity] == ["b"]


def test_node_tree_interleaves_zones() -> None:
    """Zones in first-seen order, one node of each per round; zone moves are followed."""
    tree = NodeTree()
    for name, zone in (
        ("a1", "a"),
        ("a2", "a"),
        ("a3", "a"),
        ("b1", "b"),
        ("c1", "c"),
        ("c2", "c"),
    ):
        tree.add(make_node(name, labels={ZONE: zone}))
    assert tree.list() == ["a1", "b1", "c1", "a2", "c2", "a3"]
    tree.remove("b1")
    assert tree.list() == ["a1", "c1", "a2", "c2", "a3"]
    assert tree.update(make_node("a3", labels={ZONE: "a"}), make_node("a3", labels={ZONE: "d"}))
    assert tree.list() == ["a1", "c1", "a3", "a2", "c2"]
