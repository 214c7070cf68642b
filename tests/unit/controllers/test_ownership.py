"""Claiming by selector with a filter, resolving references, finding who selects an orphan."""

from __future__ import annotations

from typing import Any

from kubeling.api.groupversion import GroupResource
from kubeling.api.labels import selector_from_set
from kubeling.client import NAMESPACE_INDEX, Indexer, Lister
from kubeling.client.cache import namespace_index
from kubeling.controllers.ownership import (
    CLAIM_INDEXERS,
    claim,
    claim_candidates,
    resolve_controller_ref,
    selecting,
)

Obj = dict[str, Any]
OWNER = {"metadata": {"name": "web", "namespace": "ns", "uid": "u1"}}


def _lister(*objects: Obj) -> Lister:
    indexer = Indexer({NAMESPACE_INDEX: namespace_index})
    for obj in objects:
        indexer.upsert(obj)
    return Lister(indexer, GroupResource("apps", "statefulsets"))


def _pod(name: str, *, owner: str | None = None, app: str = "web", namespace: str = "ns") -> Obj:
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "labels": {"app": app},
    }
    if owner is not None:
        meta["ownerReferences"] = [
            {"kind": "StatefulSet", "name": "web", "uid": owner, "controller": True}
        ]
    return {"metadata": meta}


class _Patches:
    def __init__(self) -> None:
        self.patched: list[str] = []

    async def patch(self, name: str, patch: Any, *, namespace: str = "") -> Any:
        self.patched.append(name)
        return {"metadata": {"name": name, "namespace": namespace}}


async def test_claim_with_a_filter_adopts_and_releases_by_both_tests() -> None:
    """An orphan must match the selector and the filter to be adopted; an owned object
    that fails the filter is released."""
    patches = _Patches()

    async def recheck() -> Obj:
        return OWNER

    claimed = await claim(
        OWNER,
        api_version="apps/v1",
        kind="StatefulSet",
        selector=selector_from_set({"app": "web"}),
        candidates=[
            _pod("web-0", owner="u1"),
            _pod("other-0", owner="u1"),  # ours, but not named after the set: released
            _pod("web-1"),  # an orphan named after it: adopted
            _pod("stray-1"),  # an orphan not named after it: left alone
            _pod("web-2", owner="someone-else"),
        ],
        client=patches,  # type: ignore[arg-type]
        recheck_owner=recheck,
        also=lambda obj: obj["metadata"]["name"].startswith("web-"),
    )
    assert [c["metadata"]["name"] for c in claimed] == ["web-0", "web-1"]
    assert patches.patched == ["other-0", "web-1"]


def test_resolve_controller_ref_checks_kind_and_uid() -> None:
    """A reference resolves only to the same object: same kind, same uid."""
    owners = _lister(OWNER)
    ref = {"kind": "StatefulSet", "name": "web", "uid": "u1"}
    assert resolve_controller_ref(owners, "ns", ref, "StatefulSet") is not None
    assert resolve_controller_ref(owners, "ns", {**ref, "uid": "u0"}, "StatefulSet") is None
    assert resolve_controller_ref(owners, "ns", ref, "DaemonSet") is None
    assert resolve_controller_ref(owners, "other", ref, "StatefulSet") is None


def test_selecting_skips_empty_and_bad_selectors() -> None:
    """Owners whose selector matches; an empty or unparsable selector selects nothing."""
    good = {
        "metadata": {"name": "a", "namespace": "ns"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }
    empty = {"metadata": {"name": "b", "namespace": "ns"}, "spec": {"selector": {}}}
    bad = {
        "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "Bogus"}]}},
    }
    elsewhere = {
        "metadata": {"name": "d", "namespace": "x"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }
    found = selecting(_lister(good, empty, bad, elsewhere), "ns", {"app": "web"})
    assert [o["metadata"]["name"] for o in found] == ["a"]


def _claim_indexer(*objects: Obj) -> Indexer:
    indexer = Indexer(CLAIM_INDEXERS)
    for obj in objects:
        indexer.upsert(obj)
    return indexer


def test_claim_candidates_are_the_owners_objects_and_the_orphans_of_its_namespace() -> None:
    """Everything claim could keep, adopt or release, by key; not the objects of other
    controllers, nor anything in another namespace."""
    indexer = _claim_indexer(
        _pod("c-orphan"),
        _pod("a-mine", owner="u1"),
        _pod("b-mine-unmatched", owner="u1", app="other"),
        _pod("d-theirs", owner="u2"),
        _pod("e-orphan-elsewhere", namespace="x"),
        _pod("f-mine-elsewhere", owner="u1", namespace="x"),
    )
    found = [c["metadata"]["name"] for c in claim_candidates(indexer, "ns", "u1")]
    assert found == ["a-mine", "b-mine-unmatched", "c-orphan"]
    assert [c["metadata"]["name"] for c in claim_candidates(indexer, "ns", "u3")] == ["c-orphan"]
    # adopted by someone else: no longer a candidate; released: one again
    indexer.upsert(_pod("c-orphan", owner="u2"))
    indexer.upsert(_pod("a-mine"))
    found = [c["metadata"]["name"] for c in claim_candidates(indexer, "ns", "u1")]
    assert found == ["a-mine", "b-mine-unmatched"]


class _CountingSelector:
    """Matches ``app=web``, counting the objects it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def matches(self, labels: Any) -> bool:
        self.asked.append(labels.get("app", ""))
        return bool(labels.get("app") == "web")


async def test_claim_does_not_match_other_controllers_objects() -> None:
    """Another controller's object is skipped before its labels are matched."""
    selector = _CountingSelector()

    async def recheck() -> Obj:
        return OWNER

    claimed = await claim(
        OWNER,
        api_version="apps/v1",
        kind="StatefulSet",
        selector=selector,  # type: ignore[arg-type]
        candidates=[_pod("web-0", owner="u1"), _pod("web-1", owner="u2", app="theirs")],
        client=_Patches(),  # type: ignore[arg-type]
        recheck_owner=recheck,
    )
    assert [c["metadata"]["name"] for c in claimed] == ["web-0"]
    assert selector.asked == ["web"]
