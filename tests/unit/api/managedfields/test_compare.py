"""``compare`` and ``FieldSet.prefixes`` equal their definitions over sets of paths.

The definitions are spelled out here, path by path (each value looked up from
the root with ``get_value``); the module computes the same sets in fewer steps.
"""

from __future__ import annotations

import importlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.fieldpath import (
    Comparison,
    FieldSet,
    compare,
    from_object,
    get_value,
)
from kubeling.api.schema import Object
from tests.unit.api.managedfields.strategies import OBJECTS, VALUES

Pod: Object = importlib.import_module("kubeling.api.core.v1.pod").Pod


def _defined_prefixes(fs: FieldSet) -> frozenset[tuple[str, ...]]:
    return frozenset(path[:n] for path in fs.paths for n in range(1, len(path)))


def _defined_compare(old: Any, new: Any, type: Object) -> Comparison:
    old_set = from_object(old, type) if old is not None else FieldSet()
    new_set = from_object(new, type)
    with_children = _defined_prefixes(new_set)
    modified = frozenset(
        p
        for p in old_set.paths & new_set.paths
        if p not in with_children and get_value(old, p) != get_value(new, p)
    )
    return Comparison(
        added=new_set.difference(old_set),
        removed=old_set.difference(new_set),
        modified=FieldSet(modified),
    )


def _overlay(base: Any, change: Any) -> Any:
    """``change`` laid over ``base`` key by key: a new object sharing most of ``base``'s paths."""
    if isinstance(base, dict) and isinstance(change, dict):
        out = dict(base)
        for key, value in change.items():
            out[key] = _overlay(base.get(key), value)
        return out
    return change


@settings(max_examples=400, deadline=None)
@given(OBJECTS, st.dictionaries(st.sampled_from(["metadata", "spec", "status"]), VALUES))
def test_compare_matches_its_definition(old: dict[str, Any], change: dict[str, Any]) -> None:
    new = _overlay(old, change)
    for type in (Pod, Deployment):
        assert compare(old, new, type) == _defined_compare(old, new, type)
        assert compare(None, new, type) == _defined_compare(None, new, type)


@settings(max_examples=200, deadline=None)
@given(OBJECTS, OBJECTS)
def test_compare_of_unrelated_objects_matches_its_definition(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert compare(old, new, Pod) == _defined_compare(old, new, Pod)


@settings(max_examples=300, deadline=None)
@given(OBJECTS)
def test_prefixes_are_every_proper_prefix_of_a_member(obj: dict[str, Any]) -> None:
    fs = from_object(obj, Pod)
    assert fs.prefixes() == _defined_prefixes(fs)


def test_items_named_alike_are_compared_as_get_value_finds_them() -> None:
    """Two conditions of one type: the first is the one looked at, as ``get_value`` does."""
    old = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "A", "status": "y"}]}}
    new = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "A", "status": "z"}]}}
    assert compare(old, new, Pod) == _defined_compare(old, new, Pod)
    assert not compare(old, new, Pod).modified


def test_a_changed_condition_is_modified() -> None:
    old = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    new = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert compare(old, new, Pod).modified == FieldSet.of(
        [("f:status", "f:conditions", 'k:{"type":"Ready"}', "f:status")]
    )
