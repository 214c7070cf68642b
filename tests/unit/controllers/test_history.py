"""ControllerRevision history: names and hashes as Kubernetes makes them, ordering, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.controllers.history import (
    History,
    encode_data,
    equal_revision,
    find_equal_revisions,
    hash_revision,
    new_revision,
    next_revision,
    pod_template_hash,
    revision_name,
    safe_encode,
    sort_revisions,
    template_patch,
    unused_revisions,
)

# A revision Kubernetes 1.33 wrote (pkg/controller/statefulset/testdata): its data and name.
K8S_DATA = (
    '{"spec":{"template":{"$patch":"replace","metadata":{"annotations":{"test":"value"},'
    '"creationTimestamp":null,"labels":{"app":"foo"}},"spec":{"containers":[{"image":"test",'
    '"imagePullPolicy":"Always","name":"test","resources":{},"terminationMessagePath":'
    '"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst",'
    '"restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},'
    '"terminationGracePeriodSeconds":30}}}}'
)


def _revision(name: str, number: int, *, created: str = "", data: Any = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if created:
        meta["creationTimestamp"] = created
    return {"metadata": meta, "revision": number, "data": data or {"n": name}}


def test_the_hash_is_kubernetes_own() -> None:
    """The same data and collision count give the name Kubernetes gave that revision."""
    data = json.loads(K8S_DATA)
    assert encode_data(data).decode() == K8S_DATA
    assert hash_revision(data, 0) == "c77f6d978"
    assert revision_name("test", hash_revision(data, 0)) == "test-c77f6d978"
    assert hash_revision(data, 1) != "c77f6d978"


def test_template_patch_is_the_stored_data() -> None:
    """getPatch: the template under spec, marked to replace; nothing else of the set."""
    sts = {
        "metadata": {"name": "test", "annotations": {"x": "y"}},
        "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "foo"}}}},
    }
    patch = template_patch(sts)
    assert patch == {
        "spec": {"template": {"metadata": {"labels": {"app": "foo"}}, "$patch": "replace"}}
    }
    assert "$patch" not in sts["spec"]["template"]  # the set itself is untouched


def test_safe_encoding_avoids_vowels() -> None:
    """Only consonants and digits that cannot spell words."""
    assert safe_encode("0123456789") == "456789bcdf"  # byte % 27 into the alphabet
    assert set(safe_encode("9876543210")) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_long_owner_names_are_cut_to_fit() -> None:
    """The prefix is cut to 223 bytes: the name stays within 253."""
    name = revision_name("x" * 300, "abc")
    assert name == "x" * 223 + "-abc"


def test_new_revision_carries_labels_annotations_and_owner() -> None:
    """Template labels plus the hash label, the owner's annotations, a controller ref."""
    sts = {
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "annotations": {"a": "b"}},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}}},
    }
    revision = new_revision(
        sts,
        api_version="apps/v1",
        kind="StatefulSet",
        data=template_patch(sts),
        revision=4,
        collision_count=0,
    )
    hash_ = hash_revision(template_patch(sts), 0)
    assert revision["metadata"]["name"] == f"web-{hash_}"
    assert revision["metadata"]["labels"] == {
        "app": "web",
        "controller.kubernetes.io/hash": hash_,
    }
    assert revision["metadata"]["annotations"] == {"a": "b"}
    [ref] = revision["metadata"]["ownerReferences"]
    assert ref == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "web",
        "uid": "u1",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert revision["revision"] == 4


def test_sorting_numbers_then_age_then_name() -> None:
    """Ties on the number go to the older, then to the name."""
    revisions = [
        _revision("c", 2, created="2024-01-01T00:00:02Z"),
        _revision("b", 2, created="2024-01-01T00:00:01Z"),
        _revision("a", 2, created="2024-01-01T00:00:02Z"),
        _revision("z", 1, created="2024-01-01T00:00:09Z"),
    ]
    assert [r["metadata"]["name"] for r in sort_revisions(revisions)] == ["z", "b", "a", "c"]
    assert next_revision(sort_revisions(revisions)) == 3
    assert next_revision([]) == 1


def test_equal_revisions_compare_data() -> None:
    """Equal data is the same revision, whatever the name; numeric hash labels that differ
    are different revisions at once."""
    a = _revision("a", 1, data={"spec": {"x": 1}})
    b = _revision("b", 2, data={"spec": {"x": 1}})
    c = _revision("c", 3, data={"spec": {"x": 2}})
    assert equal_revision(a, b)
    assert not equal_revision(a, c)
    assert find_equal_revisions([a, c, b], a) == [a, b]
    a["metadata"]["labels"] = {"controller.kubernetes.io/hash": "245"}
    b["metadata"]["labels"] = {"controller.kubernetes.io/hash": "246"}
    assert not equal_revision(a, b)


def test_unused_revisions_oldest_first() -> None:
    """What no pod and no current or update revision uses, by name or by label."""
    revisions = [_revision(n, i) for i, n in enumerate("abcd", 1)]
    assert [r["metadata"]["name"] for r in unused_revisions(revisions, live={"b", "d"})] == [
        "a",
        "c",
    ]
    for r in revisions:
        r["metadata"]["labels"] = {"controller-revision-hash": r["metadata"]["name"].upper()}
    unused = unused_revisions(revisions, live={"A"}, label="controller-revision-hash")
    assert [r["metadata"]["name"] for r in unused] == ["b", "c", "d"]


def test_pod_template_hash_is_stable_and_moves_with_collisions() -> None:
    """The same template and collision count always give the same hash."""
    template = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": []}}
    assert pod_template_hash(template, None) == pod_template_hash(dict(template), None)
    assert pod_template_hash(template, 0) != pod_template_hash(template, None)
    assert pod_template_hash(template, 0) != pod_template_hash(template, 1)
    assert len(pod_template_hash(template, 7)) <= 10


class _Revisions:
    """A ControllerRevision endpoint that records writes and answers like the API."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.conflicts = 0

    async def create(self, body: Any, *, namespace: str = "") -> Any:
        name = body["metadata"]["name"]
        if name in self.stored:
            raise errors.already_exists("controllerrevisions.apps", name)
        self.stored[name] = json.loads(json.dumps(body))
        return self.stored[name]

    async def get(self, name: str, *, namespace: str = "") -> Any:
        return self.stored[name]

    async def update(self, body: Any, *, namespace: str = "") -> Any:
        if self.conflicts:
            self.conflicts -= 1
            raise errors.conflict("controllerrevisions.apps", body["metadata"]["name"], "stale")
        self.stored[body["metadata"]["name"]] = body
        return body


def _history(store: _Revisions) -> History:
    return History(store, None, api_version="apps/v1", kind="StatefulSet")  # type: ignore[arg-type]


async def test_a_collision_renames_and_counts() -> None:
    """A different revision under the hashed name bumps the count and the name; the same
    data under that name is the revision itself."""
    sts = {"metadata": {"name": "web", "namespace": "ns", "uid": "u"}, "spec": {"template": {}}}
    data = template_patch(sts)
    store = _Revisions()
    taken = revision_name("web", hash_revision(data, 0))
    store.stored[taken] = {"metadata": {"name": taken}, "data": {"other": True}}
    revision = new_revision(
        sts, api_version="apps/v1", kind="StatefulSet", data=data, revision=1, collision_count=0
    )
    created, count = await _history(store).create(sts, revision, 0)
    assert count == 1
    assert created["metadata"]["name"] == revision_name("web", hash_revision(data, 1))
    assert created["metadata"]["labels"]["controller.kubernetes.io/hash"] == hash_revision(data, 1)
    again, count = await _history(store).create(sts, revision, 1)
    assert count == 1
    assert again is store.stored[created["metadata"]["name"]]


async def test_renumbering_retries_a_conflict() -> None:
    """A conflict re-reads the revision and tries again."""
    store = _Revisions()
    store.stored["r"] = {"metadata": {"name": "r", "namespace": "ns"}, "revision": 1, "data": {}}
    store.conflicts = 1
    updated = await _history(store).renumber(store.stored["r"], 5)
    assert updated["revision"] == 5
    assert store.stored["r"]["revision"] == 5


@pytest.mark.parametrize("number", [1, 3])
async def test_renumbering_to_the_same_number_writes_nothing(number: int) -> None:
    """Nothing to do when the revision already has the number."""
    store = _Revisions()
    revision = {"metadata": {"name": "r"}, "revision": number, "data": {}}
    assert (await _history(store).renumber(revision, number))["revision"] == number
    assert not store.stored
