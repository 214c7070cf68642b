"""Interned JSON copies: equal to the original, new containers, shared strings."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from kubeling.api.jsonintern import MAX_INTERNED_LENGTH, interned_json, interned_strings

POD = (
    '{"metadata": {"name": "web-1", "namespace": "prod", "labels": {"app": "web"}},'
    ' "spec": {"nodeName": "node-7", "priority": 300, "hostNetwork": false,'
    ' "tolerations": [{"key": "k", "tolerationSeconds": null}]},'
    ' "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}'
)


def _two() -> tuple[Any, Any]:
    """The same document decoded twice: equal, but no string shared between them."""
    return interned_json(json.loads(POD)), interned_json(json.loads(POD))


def test_the_copy_is_equal_and_serializes_byte_for_byte_the_same() -> None:
    original = json.loads(POD)
    copy = interned_json(original)
    assert copy == original
    assert json.dumps(copy) == json.dumps(original)  # key order kept too


def test_the_copy_has_new_containers() -> None:
    original = json.loads(POD)
    copy = interned_json(original)
    assert copy is not original
    assert copy["metadata"] is not original["metadata"]
    assert copy["spec"]["tolerations"] is not original["spec"]["tolerations"]
    copy["metadata"]["labels"]["app"] = "changed"
    assert original["metadata"]["labels"]["app"] == "web"


@pytest.mark.parametrize(
    "path",
    [
        ("status", "phase"),
        ("spec", "nodeName"),
        ("metadata", "namespace"),
        ("metadata", "labels", "app"),
        ("status", "conditions", 0, "status"),
    ],
)
def test_short_values_are_one_object_across_documents(path: tuple[Any, ...]) -> None:
    a, b = _two()
    for step in path:
        a, b = a[step], b[step]
    assert a == b
    assert a is b


def test_keys_are_one_object_across_documents() -> None:
    a, b = _two()
    [key_a] = [k for k in a["status"]["conditions"][0] if k == "status"]
    [key_b] = [k for k in b["status"]["conditions"][0] if k == "status"]
    assert key_a is key_b
    assert next(iter(a)) is next(iter(b))


def test_long_strings_are_copied_as_they_are_not_interned() -> None:
    long = "x" * (MAX_INTERNED_LENGTH + 1)
    a = interned_json(json.loads(json.dumps({"v": long})))
    b = interned_json(json.loads(json.dumps({"v": long})))
    assert a["v"] == b["v"] == long
    assert a["v"] is not b["v"]


@pytest.mark.parametrize("scalar", [None, True, False, 0, 300, 1.5, "", [], {}])
def test_other_values_come_back_equal(scalar: Any) -> None:
    assert interned_json({"v": scalar}) == {"v": scalar}
    assert interned_json(scalar) == scalar


def test_interned_strings_copies_a_flat_map() -> None:
    first = interned_strings(json.loads('{"spec.nodeName": "node-7", "status.phase": "Running"}'))
    second = interned_strings(json.loads('{"spec.nodeName": "node-7", "status.phase": "Running"}'))
    assert first == second == {"spec.nodeName": "node-7", "status.phase": "Running"}
    assert first["spec.nodeName"] is second["spec.nodeName"]
    assert next(iter(first)) is next(iter(second))


def test_a_value_nested_deeper_than_the_recursion_limit_comes_back_as_it_is() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(sys.getrecursionlimit() + 100):
        inner["d"] = {}
        inner = inner["d"]
    assert interned_json(deep) is deep
