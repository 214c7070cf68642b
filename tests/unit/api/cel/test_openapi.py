"""Structural schema to CEL: the type of ``self`` and its value."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.cel import types
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.openapi import escape, schema_type, to_value
from kubeling.api.cel.values import CelObject, Duration, MapList, SetList, Timestamp

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "replicas": {"type": "integer"},
        "ratio": {"type": "number"},
        "name": {"type": "string"},
        "when": {"type": "string", "format": "date-time"},
        "ttl": {"type": "string", "format": "duration"},
        "blob": {"type": "string", "format": "byte"},
        "port": {"x-kubernetes-int-or-string": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "anything": {"x-kubernetes-preserve-unknown-fields": True},
        "untypedArray": {"type": "array"},
        "x-dashed": {"type": "boolean"},
        "namespace": {"type": "string"},
        "nullable": {"type": "string", "nullable": True},
    },
}


def test_schema_types() -> None:
    """Each schema construct has the CEL type Kubernetes gives it; invisible ones are left out."""
    t = schema_type(SCHEMA, "selfType")
    assert t is not None
    assert t.name == "selfType"
    assert dict(t.fields) == {
        "replicas": types.INT,
        "ratio": types.DOUBLE,
        "name": types.STRING,
        "when": types.TIMESTAMP,
        "ttl": types.DURATION,
        "blob": types.BYTES,
        "port": types.DYN,
        "labels": types.map_of(types.STRING, types.STRING),
        "tags": types.list_of(types.STRING),
        "x__dash__dashed": types.BOOL,
        "__namespace__": types.STRING,
        "nullable": types.STRING,
    }


def test_resource_root_has_type_and_object_meta() -> None:
    """At a resource's root, apiVersion, kind and metadata.name/generateName are visible."""
    t = schema_type({"type": "object", "properties": {}}, "r", resource_root=True)
    assert t is not None
    assert set(t.fields) == {"apiVersion", "kind", "metadata"}
    assert set(t.fields["metadata"].fields) == {"name", "generateName"}


def test_values_convert_with_the_schema() -> None:
    """Values are converted field by field: timestamps, durations, bytes, sets; nulls are unset."""
    value = to_value(
        {
            "replicas": 2,
            "ratio": 1,
            "when": "2024-01-02T03:04:05Z",
            "ttl": "1h30m",
            "blob": "aGk=",
            "port": "http",
            "tags": ["a", "b"],
            "anything": {"x": 1},
            "x-dashed": True,
            "nullable": None,
            "notInSchema": 1,
        },
        SCHEMA,
    )
    assert isinstance(value, CelObject)
    assert value == {
        "replicas": 2,
        "ratio": 1.0,
        "when": Timestamp(1704164645),
        "ttl": Duration(5400 * 10**9),
        "blob": b"hi",
        "port": "http",
        "tags": ["a", "b"],
        "x__dash__dashed": True,
    }
    assert isinstance(value["tags"], SetList)
    assert isinstance(value["ratio"], float)


def test_bad_values_become_errors_read_lazily() -> None:
    """A value that does not convert is an error value, raised only when a rule reads it."""
    value = to_value({"when": "yesterday", "name": "ok"}, SCHEMA)
    assert isinstance(value["when"], EvalError)
    assert value["name"] == "ok"


def test_map_lists_keep_their_keys() -> None:
    """An x-kubernetes-list-type: map list compares by its keys, ignoring order."""
    schema = {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
    }
    value = to_value([{"name": "a"}, {"name": "b"}], schema)
    assert isinstance(value, MapList)
    assert value.keys == ("name",)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("plain", "plain"),
        ("x-y", "x__dash__y"),
        ("a.b/c", "a__dot__b__slash__c"),
        ("a__b", "a__underscores__b"),
        ("in", "__in__"),
        ("namespace", "__namespace__"),
        ("1abc", None),
        ("with space", None),
    ],
)
def test_escape(name: str, escaped: str | None) -> None:
    """Property names are escaped into CEL identifiers as Kubernetes escapes them."""
    assert escape(name) == escaped
