"""Which ReplicaSet is new, which are old, and their orders."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.controllers.deployment.replicasets import (
    by_creation,
    by_revision,
    by_size_newer,
    by_size_older,
    filter_active,
    find_active_or_latest,
    find_new_replica_set,
    find_old_replica_sets,
)
from kubeling.controllers.deployment.revisions import REVISION
from kubeling.controllers.deployment.templates import (
    equal_ignore_hash,
    selector_with_label,
    template_with_label,
    template_without_label,
)
from tests.unit.controllers.deployment.builders import deployment, replica_set, template

Obj = dict[str, Any]


def _names(replica_sets: list[Any]) -> list[str]:
    return [rs["metadata"]["name"] for rs in replica_sets]


def test_templates_are_equal_but_for_the_hash_label_and_empty_fields() -> None:
    plain = template("v1", app="web")
    hashed = template_with_label(plain, "pod-template-hash", "abc")
    assert hashed["metadata"]["labels"]["pod-template-hash"] == "abc"
    assert "pod-template-hash" not in plain["metadata"]["labels"]  # a copy
    assert equal_ignore_hash(plain, hashed)
    assert template_without_label(hashed) == plain
    noisy = {**hashed, "metadata": {**hashed["metadata"], "creationTimestamp": None}}
    assert equal_ignore_hash(plain, noisy)
    assert not equal_ignore_hash(plain, template("v2", app="web"))


@pytest.mark.parametrize(
    ("first", "second", "equal"),
    [
        # only the hash label: labels and metadata left empty count as missing
        ({}, {"metadata": {"labels": {"pod-template-hash": "h"}}}, True),
        ({"metadata": {"name": "x"}}, {"metadata": {"labels": {"pod-template-hash": "h"}}}, False),
        ({"metadata": {"labels": {}}}, {"metadata": {"labels": {"pod-template-hash": "h"}}}, True),
        # both hashed, differently
        (
            {"metadata": {"labels": {"a": "1", "pod-template-hash": "x"}}},
            {"metadata": {"labels": {"a": "1", "pod-template-hash": "y"}}},
            True,
        ),
        ({"metadata": {"labels": {"a": "1"}}}, {"metadata": {"labels": {"a": "2"}}}, False),
        # an empty value is a value
        ({"metadata": {"labels": {"a": ""}}}, {"metadata": {}}, False),
    ],
)
def test_equal_ignore_hash_table(first: Obj, second: Obj, equal: bool) -> None:
    before = copy.deepcopy((first, second))
    assert equal_ignore_hash(first, second) is equal
    assert equal_ignore_hash(second, first) is equal
    assert (first, second) == before  # compared, not changed


def test_selector_with_label_copies_expressions() -> None:
    selector = {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    assert selector_with_label(selector, "pod-template-hash", "h") == {
        "matchLabels": {"pod-template-hash": "h"},
        "matchExpressions": [{"key": "tier", "operator": "Exists"}],
    }
    assert selector_with_label(None, "k", "v") == {"matchLabels": {"k": "v"}}


def test_the_new_replica_set_is_the_oldest_with_the_template() -> None:
    d = deployment()
    old = replica_set("old", 2, version="v0", created="2024-01-01T00:00:00Z")
    late_twin = replica_set("twin-b", 1, created="2024-01-03T00:00:00Z")
    early_twin = replica_set("twin-a", 1, created="2024-01-03T00:00:00Z")
    new = find_new_replica_set(d, [late_twin, old, early_twin])
    assert new is not None
    assert new["metadata"]["name"] == "twin-a"  # same time: by name
    assert _names(find_old_replica_sets(d, [late_twin, old, early_twin])) == ["old", "twin-b"]
    assert find_new_replica_set(d, [old]) is None


def test_find_active_or_latest() -> None:
    new = replica_set("new", 0, created="2024-01-03T00:00:00Z")
    a = replica_set("a", 0, created="2024-01-01T00:00:00Z")
    b = replica_set("b", 0, created="2024-01-02T00:00:00Z")
    assert find_active_or_latest(None, []) is None
    assert find_active_or_latest(new, [a, b]) is new  # none active: the new one
    latest = find_active_or_latest(None, [a, b])
    assert latest is not None
    assert latest["metadata"]["name"] == "b"  # or the newest old
    busy = replica_set("a", 2, created="2024-01-01T00:00:00Z")
    assert find_active_or_latest(new, [busy, b]) is busy  # the only active one
    assert find_active_or_latest(replica_set("new", 1), [busy]) is None  # several


def test_orders() -> None:
    a = replica_set("a", 2, created="2024-01-01T00:00:00Z", annotations={REVISION: "3"})
    b = replica_set("b", 2, created="2024-01-02T00:00:00Z", annotations={REVISION: "1"})
    c = replica_set("c", 5, created="2024-01-03T00:00:00Z", annotations={REVISION: "x"})
    d = replica_set("d", 0, created="2024-01-04T00:00:00Z", annotations={REVISION: "2"})
    assert _names(by_creation([d, c, b, a])) == ["a", "b", "c", "d"]
    assert _names(by_size_newer([a, b, c, d])) == ["c", "b", "a", "d"]
    assert _names(by_size_older([a, b, c, d])) == ["c", "a", "b", "d"]
    assert _names(by_revision([a, b, c, d])) == ["c", "b", "d", "a"]  # unparsable as 0
    assert _names(filter_active([a, None, d, c])) == ["a", "c"]
