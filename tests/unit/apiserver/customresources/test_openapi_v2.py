"""A CRD's schema as /openapi/v2 publishes it: structural keywords, lowered for swagger 2.0."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.api.schema import Object
from kubeling.apiserver.customresources.openapi_v2 import openapi_v2_schema
from kubeling.apiserver.openapi import build_v2, build_v3
from kubeling.apiserver.registry.resource import Resource

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "structural keywords stay, the rest go",
        {
            "type": "string",
            "format": "date-time",
            "title": "When",
            "description": "A time.",
            "default": "now",
            "pattern": "^.+$",
            "maxLength": 30,
            "enum": ["now", "later"],
            "example": "now",
            "externalDocs": {"url": "https://example.com"},
            "id": "when",
            "$schema": "http://json-schema.org/draft-04/schema#",
        },
        {
            "type": "string",
            "format": "date-time",
            "title": "When",
            "description": "A time.",
            "default": "now",
            "pattern": "^.+$",
            "maxLength": 30,
            "enum": ["now", "later"],
        },
    ),
    (
        "junctors go, at every depth",
        {
            "type": "object",
            "allOf": [{"required": ["a"]}],
            "properties": {
                "a": {"type": "string", "anyOf": [{"pattern": "x"}], "not": {"enum": ["y"]}},
                "b": {"type": "array", "items": {"type": "integer", "oneOf": [{"minimum": 1}]}},
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "array", "items": {"type": "integer"}},
            },
        },
    ),
    (
        "a nullable value is untyped and not required",
        {
            "type": "object",
            "required": ["a", "b"],
            "properties": {
                "a": {"type": "object", "nullable": True, "properties": {"x": {"type": "string"}}},
                "b": {"type": "string"},
            },
        },
        {"type": "object", "required": ["b"], "properties": {"a": {}, "b": {"type": "string"}}},
    ),
    (
        "preserved unknown fields: no properties, and an array without items is untyped",
        {
            "type": "object",
            "properties": {
                "free": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"x": {"type": "string"}},
                },
                "list": {
                    "type": "array",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "items": {"type": "string"},
                },
            },
        },
        {
            "type": "object",
            "properties": {
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "list": {"x-kubernetes-preserve-unknown-fields": True},
            },
        },
    ),
    (
        "nullable map values clear the parent's required",
        {
            "type": "object",
            "required": ["a"],
            "additionalProperties": {"type": "string", "nullable": True},
        },
        {"type": "object", "additionalProperties": {}},
    ),
    (
        "the extensions Kubernetes models stay, its flags only when true",
        {
            "type": "object",
            "x-kubernetes-embedded-resource": False,
            "x-kubernetes-preserve-unknown-fields": False,
            "x-kubernetes-map-type": "atomic",
            "x-kubernetes-validations": [{"rule": "self.a > 0"}],
            "properties": {
                "port": {"x-kubernetes-int-or-string": True},
                "keys": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "set",
                },
            },
        },
        {
            "type": "object",
            "x-kubernetes-map-type": "atomic",
            "x-kubernetes-validations": [{"rule": "self.a > 0"}],
            "properties": {
                "port": {"x-kubernetes-int-or-string": True},
                "keys": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "set",
                },
            },
        },
    ),
    (
        "additionalProperties: a boolean stays",
        {"type": "object", "additionalProperties": False, "required": []},
        {"type": "object", "additionalProperties": False},
    ),
]


@pytest.mark.parametrize(("schema", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_openapi_v2_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    """ToStructuralOpenAPIV2's lowering, case by case; the input is left as it was."""
    before = copy.deepcopy(schema)
    assert openapi_v2_schema(schema) == expected
    assert schema == before


CRONTABS = Resource(
    group="stable.example.com",
    version="v1",
    kind="CronTab",
    plural="crontabs",
    singular="crontab",
    namespaced=True,
    type=Object("io.k8s.test.crd.v1.Placeholder", "", [], preserve_unknown=True),
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
    "properties": {"spec": {"type": "string", "nullable": True}},
}


def test_v2_publishes_the_lowered_schema_and_v3_the_raw_one() -> None:
    """v2 lowers before adding apiVersion, kind and metadata (as upstream), v3 keeps all."""
    v2 = build_v2([CRONTABS], schema_provider=lambda _: SCHEMA)
    crontab = v2["definitions"]["com.example.stable.v1.CronTab"]
    assert set(crontab["properties"]) == {"apiVersion", "kind", "metadata"}
    assert crontab["x-kubernetes-preserve-unknown-fields"] is True
    v3 = build_v3([CRONTABS], schema_provider=lambda _: SCHEMA)["apis/stable.example.com/v1"]
    schema = v3.document["components"]["schemas"]["com.example.stable.v1.CronTab"]
    assert schema["properties"]["spec"] == {"type": "string", "nullable": True}
