"""The indexed cache and listers: keys, indices kept right through updates, lister reads."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors, labels
from kubeling.api.groupversion import GroupResource
from kubeling.client.cache import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    Indexer,
    Lister,
    object_key,
    split_key,
)


def _pod(namespace: str, name: str, node: str = "", **pod_labels: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": name, "labels": pod_labels},
        "spec": {"nodeName": node},
    }


def _by_node(obj: dict[str, Any]) -> list[str]:
    node = obj["spec"].get("nodeName")
    return [node] if node else []


@pytest.mark.parametrize(
    ("obj", "key"),
    [
        ({"metadata": {"namespace": "web", "name": "front"}}, "web/front"),
        ({"metadata": {"name": "node-1"}}, "node-1"),
        ({"metadata": {"namespace": "", "name": "pv"}}, "pv"),
        (DeletedFinalStateUnknown("ns/gone", {}), "ns/gone"),
    ],
)
def test_object_key(obj: Any, key: str) -> None:
    """client-go's MetaNamespaceKeyFunc, tombstones keep their own key."""
    assert object_key(obj) == key


def test_object_key_needs_a_name() -> None:
    """An object without a name has no key."""
    with pytest.raises(ValueError, match=r"metadata\.name"):
        object_key({"metadata": {"namespace": "x"}})


@pytest.mark.parametrize(
    ("key", "parts"), [("web/front", ("web", "front")), ("node-1", ("", "node-1"))]
)
def test_split_key(key: str, parts: tuple[str, str]) -> None:
    """A key back into (namespace, name)."""
    assert split_key(key) == parts


@pytest.mark.parametrize("key", ["", "a/b/c", "/name", "ns/"])
def test_split_key_rejects_malformed_keys(key: str) -> None:
    """Anything but name or namespace/name is an error."""
    with pytest.raises(ValueError, match="unexpected key format"):
        split_key(key)


def test_indices_follow_adds_updates_and_deletes() -> None:
    """The namespace index and a custom one stay exact as objects move and go."""
    indexer = Indexer({"node": _by_node})
    a = _pod("ns1", "a", "n1")
    b = _pod("ns2", "b", "n1")
    assert indexer.upsert(a) is None
    assert indexer.upsert(b) is None
    assert indexer.index_keys(NAMESPACE_INDEX, "ns1") == ["ns1/a"]
    assert indexer.index_keys("node", "n1") == ["ns1/a", "ns2/b"]

    moved = _pod("ns1", "a", "n2")
    assert indexer.upsert(moved) is a
    assert indexer.index_keys("node", "n1") == ["ns2/b"]
    assert indexer.by_index("node", "n2") == [moved]
    assert indexer.index_values("node") == ["n1", "n2"]

    assert indexer.delete("ns2/b") is b
    assert indexer.delete("ns2/b") is None
    assert indexer.index_values("node") == ["n2"]
    assert indexer.index_values(NAMESPACE_INDEX) == ["ns1"]
    assert (len(indexer), "ns1/a" in indexer, indexer.list_keys()) == (1, True, ["ns1/a"])


def test_indexers_added_later_index_what_is_cached() -> None:
    """add_indexers on a filled cache indexes every cached object at once."""
    indexer = Indexer()
    indexer.upsert(_pod("ns", "a", "n1"))
    indexer.add_indexers({"node": _by_node})
    assert indexer.index_keys("node", "n1") == ["ns/a"]


def test_the_same_indexer_twice_is_fine_another_one_is_not() -> None:
    """Consumers sharing an informer may ask for one index twice; a clash is an error."""
    indexer = Indexer({"node": _by_node})
    indexer.add_indexers({"node": _by_node})
    with pytest.raises(ValueError, match="indexer conflict"):
        indexer.add_indexers({"node": lambda obj: []})
    with pytest.raises(ValueError, match="indexer conflict"):
        indexer.add_indexers({NAMESPACE_INDEX: lambda obj: []})


def test_unknown_index_is_an_error() -> None:
    """Querying an index nobody registered raises."""
    with pytest.raises(KeyError, match="does not exist"):
        Indexer().by_index("nope", "x")


def test_lister_gets_and_lists_by_namespace_and_selector() -> None:
    """get by name (404 like the API when absent), list by namespace and label selector."""
    indexer = Indexer()
    for pod in (
        _pod("a", "web-1", app="web"),
        _pod("a", "db-1", app="db"),
        _pod("b", "web-2", app="web"),
    ):
        indexer.upsert(pod)
    indexer.upsert({"metadata": {"name": "node-1"}})
    lister = Lister(indexer, GroupResource("", "pods"))

    assert lister.get("web-1", namespace="a")["metadata"]["name"] == "web-1"
    assert lister.get("node-1")["metadata"]["name"] == "node-1"
    with pytest.raises(errors.StatusError) as missing:
        lister.get("web-1", namespace="b")
    assert errors.is_not_found(missing.value)
    assert str(missing.value) == 'pods "web-1" not found'

    def names(objs: list[dict[str, Any]]) -> list[str]:
        return sorted(o["metadata"]["name"] for o in objs)

    assert names(lister.list()) == ["db-1", "node-1", "web-1", "web-2"]
    assert names(lister.list(namespace="a")) == ["db-1", "web-1"]
    assert names(lister.list(selector=labels.parse("app=web"))) == ["web-1", "web-2"]
    assert names(lister.list(namespace="b", selector=labels.parse("app=db"))) == []
    assert lister.list(selector=labels.nothing()) == []
