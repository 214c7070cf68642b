"""Replica paths of the custom resource scale subresource."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.customresources.scale import (
    AccessorError,
    ScalePaths,
    nested_int64,
    nested_string,
    scale_from,
    set_nested_int,
    validate_scale_spec,
    validate_scale_status,
)

Obj = dict[str, Any]
PATHS = ScalePaths(".spec.replicas", ".status.replicas", ".status.selector")


@pytest.mark.parametrize(
    ("obj", "path", "expected"),
    [
        ({"spec": {"replicas": 3}}, ".spec.replicas", (3, True)),
        ({"spec": {"replicas": 3}}, "spec.replicas", (3, True)),
        ({"spec": {}}, ".spec.replicas", (0, False)),
        ({}, ".spec.replicas", (0, False)),
        ({"spec": None}, ".spec.replicas", (0, False)),
        ({"a": {"b": {"c": 7}}}, ".a.b.c", (7, True)),
    ],
)
def test_nested_int64_reads(obj: Obj, path: str, expected: tuple[int, bool]) -> None:
    """An integer is read where it is; a missing one is (0, not found)."""
    assert nested_int64(obj, path) == expected


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (
            {"spec": {"replicas": "two"}},
            ".spec.replicas accessor error: two is of the type string, expected int64",
        ),
        (
            {"spec": {"replicas": 1.5}},
            ".spec.replicas accessor error: 1.5 is of the type float64, expected int64",
        ),
        (
            {"spec": {"replicas": True}},
            ".spec.replicas accessor error: true is of the type bool, expected int64",
        ),
        (
            {"spec": {"replicas": None}},
            ".spec.replicas accessor error: <nil> is of the type <nil>, expected int64",
        ),
        (
            {"spec": "x"},
            # upstream names the path up to the key it could not look up
            ".spec.replicas accessor error: x is of the type string, expected "
            "map[string]interface{}",
        ),
        (
            {"spec": [1, 2]},
            ".spec.replicas accessor error: [1 2] is of the type []interface {}, expected "
            "map[string]interface{}",
        ),
        (
            {"spec": {"replicas": {"b": 1, "a": "x"}}},
            ".spec.replicas accessor error: map[a:x b:1] is of the type map[string]interface {}, "
            "expected int64",
        ),
    ],
)
def test_nested_int64_type_errors(obj: Obj, message: str) -> None:
    """A value of the wrong type is apimachinery's accessor error, word for word."""
    with pytest.raises(AccessorError) as info:
        nested_int64(obj, ".spec.replicas")
    assert str(info.value) == message


def test_nested_string() -> None:
    """Selectors are strings; anything else is an accessor error."""
    assert nested_string({"status": {"selector": "a=b"}}, ".status.selector") == ("a=b", True)
    with pytest.raises(AccessorError, match="expected string"):
        nested_string({"status": {"selector": {"a": "b"}}}, ".status.selector")


def test_set_nested_int_makes_maps_and_refuses_non_maps() -> None:
    """Setting a path creates the maps on the way; a scalar on the way is an error."""
    obj: Obj = {"metadata": {"name": "x"}}
    set_nested_int(obj, ".spec.deep.replicas", 4)
    assert obj["spec"] == {"deep": {"replicas": 4}}
    with pytest.raises(AccessorError) as info:
        set_nested_int({"spec": 1}, ".spec.replicas", 4)
    assert str(info.value) == ("value cannot be set because .spec is not a map[string]interface{}")


def test_scale_from_builds_autoscaling_v1_scale() -> None:
    """The Scale carries the object's identity, both replica counts and the selector."""
    obj = {
        "metadata": {
            "name": "a",
            "namespace": "ns",
            "uid": "u",
            "resourceVersion": "7",
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "labels": {"x": "y"},
        },
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=a"},
    }
    scale, found = scale_from(obj, PATHS)
    assert found
    assert scale == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "a",
            "namespace": "ns",
            "uid": "u",
            "resourceVersion": "7",
            "creationTimestamp": "2024-01-01T00:00:00Z",
        },
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=a"},
    }
    empty, found = scale_from({"metadata": {"name": "a"}}, PATHS)
    assert not found
    assert (empty["spec"], empty["status"]) == ({}, {"replicas": 0})


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"spec": {"replicas": 2}}, []),
        ({"spec": {}}, []),
        (
            {"spec": {"replicas": -1}},
            [".spec.replicas: Invalid value: -1: should be a non-negative integer"],
        ),
        (
            {"spec": {"replicas": 2**31}},
            [
                ".spec.replicas: Invalid value: 2147483648: should be less than or equal to "
                "2147483647"
            ],
        ),
        (
            {"spec": {"replicas": "x"}},
            [
                ".spec.replicas: Invalid value: 0: .spec.replicas accessor error: x is of the type "
                "string, expected int64"
            ],
        ),
    ],
)
def test_validate_scale_spec(obj: Obj, expected: list[str]) -> None:
    """Spec replicas must be a non-negative int32, reported at the dotted path."""
    assert [str(e) for e in validate_scale_spec(obj, PATHS)] == expected


def test_validate_scale_status() -> None:
    """Status replicas are checked like spec replicas; the selector must be a string."""
    obj = {"status": {"replicas": -2, "selector": 5}}
    assert [str(e) for e in validate_scale_status(obj, PATHS)] == [
        ".status.replicas: Invalid value: -2: should be a non-negative integer",
        '.status.selector: Invalid value: "": .status.selector accessor error: 5 is of the '
        "type int64, expected string",
    ]
