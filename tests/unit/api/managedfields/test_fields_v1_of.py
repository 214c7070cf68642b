"""The one-walk FieldsV1 of creates equals the set-based computation it replaces."""

from __future__ import annotations

import importlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.fieldpath import (
    decode_fields_v1,
    fields_v1_of,
    from_fields_v1,
    from_object,
    to_fields_v1,
)
from kubeling.api.managedfields.managers import UPDATE, Entry, encode, untracked
from kubeling.api.managedfields.update import update
from kubeling.api.schema import Object
from tests.unit.api.managedfields.strategies import OBJECTS

pod_module = importlib.import_module("kubeling.api.core.v1.pod")
Pod: Object = pod_module.Pod


@settings(max_examples=400, deadline=None)
@given(OBJECTS, st.sampled_from([Pod, Deployment]))
def test_fields_v1_of_matches_the_set_form(obj: dict[str, Any], type: Object) -> None:
    assert fields_v1_of(obj, type) == to_fields_v1(from_object(obj, type))


@settings(max_examples=200, deadline=None)
@given(OBJECTS, st.sampled_from(["", "status"]))
def test_create_entry_matches_the_general_update(obj: dict[str, Any], subresource: str) -> None:
    fast = update(
        None,
        obj,
        manager="m",
        managed_fields=[],
        type=Pod,
        api_version="v1",
        now="2026-11-27T00:00:00Z",
        subresource=subresource,
    )
    view = {k: v for k, v in obj.items() if k != ("spec" if subresource else "status")}
    if isinstance(view.get("metadata"), dict):
        view["metadata"] = {k: v for k, v in view["metadata"].items() if k != "managedFields"}
    fields = untracked(from_object(view, Pod), subresource)
    expected = encode([Entry("m", UPDATE, "v1", "2026-11-27T00:00:00Z", fields, subresource)])
    assert fast == expected


def test_list_items_with_one_key_are_one_node() -> None:
    pod = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "a", "args": ["y"]}]}}
    assert fields_v1_of(pod, Pod) == {
        "f:spec": {
            "f:containers": {'k:{"name":"a"}': {".": {}, "f:args": {}, "f:image": {}, "f:name": {}}}
        }
    }


def test_a_key_left_out_is_named_by_its_declared_default() -> None:
    """structured-merge-diff names ``{containerPort: 80}`` by protocol's default, TCP."""
    pod = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}}
    ports = fields_v1_of(pod, Pod)["f:spec"]["f:containers"]['k:{"name":"a"}']["f:ports"]
    assert ports == {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}


def _perturbed(tree: dict[str, Any], how: int) -> dict[str, Any]:
    """``tree`` written another way that means the same set (or the same tree when how=0)."""

    def walk(node: dict[str, Any], root: bool) -> dict[str, Any]:
        items = [(k, walk(v, False)) for k, v in node.items()]
        if how == 1 and len(items) > 1:
            items.reverse()  # another order
        if how == 2 and not root and not items:
            items = [(".", {})]  # a member without children spelled with "."
        if how == 3:
            items = [(k.replace('":', '": ') if k.startswith("k:") else k, v) for k, v in items]
        return dict(items)

    return walk(tree, True)


@settings(max_examples=300, deadline=None)
@given(OBJECTS, st.integers(0, 3))
def test_decode_says_whether_the_tree_is_already_canonical(obj: dict[str, Any], how: int) -> None:
    tree = _perturbed(fields_v1_of(obj, Pod), how)
    fields, canonical = decode_fields_v1(tree)
    assert fields == from_fields_v1(tree)
    again = to_fields_v1(fields)
    same = json.dumps(again) == json.dumps(tree)  # the same keys in the same order
    assert canonical == same


def test_a_dot_with_something_under_it_is_not_canonical() -> None:
    assert decode_fields_v1({"f:a": {".": {}, "f:b": {}}})[1]
    assert not decode_fields_v1({"f:a": {".": {"f:x": {}}, "f:b": {}}})[1]
    assert not decode_fields_v1({"f:a": {"f:b": {}, ".": {}}})[1]


def test_an_entry_left_alone_keeps_its_fields_v1() -> None:
    """An Update by another manager that does not touch an entry re-encodes it unchanged."""
    old = {"metadata": {"labels": {"a": "x"}}, "spec": {"nodeName": "n"}}
    entries = update(
        None, old, manager="m", managed_fields=[], type=Pod, api_version="v1", now="t0"
    )
    new = {**old, "status": {"phase": "Running"}}
    after = update(
        old,
        new,
        manager="kubelet",
        managed_fields=entries,
        type=Pod,
        api_version="v1",
        now="t1",
        subresource="status",
    )
    assert after[0] == entries[0]
    assert after[0]["fieldsV1"] is not entries[0]["fieldsV1"]  # a copy, not shared
    assert after[1]["fieldsV1"] == {"f:status": {"f:phase": {}}}
