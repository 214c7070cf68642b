"""A custom resource's schema as OpenAPI v2 publishes it.

A CRD's ``openAPIV3Schema`` goes into ``/openapi/v3`` as it is, but swagger
2.0 and kubectl's v2 models cannot hold all of it. The apiextensions server
publishes v2 from the *structural* schema (the keywords it models), lowered
by ``ToStructuralOpenAPIV2``; :func:`openapi_v2_schema` does both:

1. only structural keywords stay: types, formats, titles, descriptions,
   defaults, the value bounds, ``enum``, ``required``, ``items``,
   ``properties``, ``additionalProperties`` and the ``x-kubernetes-*``
   extensions Kubernetes models (its flags only when true);
2. ``allOf``, ``anyOf``, ``oneOf`` and ``not`` are dropped;
3. a ``nullable`` schema loses ``type``, ``items`` and ``properties`` (an
   untyped value); ``x-kubernetes-preserve-unknown-fields`` loses ``items``
   and ``properties``; an ``array`` left without ``items`` loses its type,
   since kubectl cannot read one;
4. a nullable property is not ``required`` of its parent, and a nullable
   ``additionalProperties`` clears the parent's ``required``.

>>> openapi_v2_schema({"type": "object", "required": ["a"], "properties": {
...     "a": {"type": "string", "nullable": True},
...     "b": {"anyOf": [{"type": "integer"}], "x-kubernetes-int-or-string": True}}})
{'type': 'object', 'properties': {'a': {}, 'b': {'x-kubernetes-int-or-string': True}}}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["openapi_v2_schema"]

_STRUCTURAL = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "default",
        "nullable",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "multipleOf",
        "enum",
        "maxProperties",
        "minProperties",
        "required",
        "items",
        "properties",
        "additionalProperties",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-int-or-string",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-list-type",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
    }
)
_FLAGS = (
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
)


def _nullable(schema: Any) -> bool:
    return isinstance(schema, Mapping) and bool(schema.get("nullable"))


def openapi_v2_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` (a CRD's v3 schema) as ``/openapi/v2`` carries it (module docstring)."""
    out = {key: copy.deepcopy(value) for key, value in schema.items() if key in _STRUCTURAL}
    for flag in _FLAGS:
        if flag in out and out[flag] is not True:
            del out[flag]
    if out.pop("nullable", False):
        for key in ("type", "items", "properties"):
            out.pop(key, None)
    if out.get("x-kubernetes-preserve-unknown-fields"):
        out.pop("items", None)
        out.pop("properties", None)
    if out.get("type") == "array" and "items" not in out:
        del out["type"]
    properties = out.get("properties")
    if isinstance(properties, Mapping):
        dropped = {name for name, child in properties.items() if _nullable(child)}
        if dropped and isinstance(out.get("required"), list):
            out["required"] = [name for name in out["required"] if name not in dropped]
        out["properties"] = {
            name: openapi_v2_schema(child) if isinstance(child, Mapping) else child
            for name, child in properties.items()
        }
    items = out.get("items")
    if isinstance(items, Mapping):
        out["items"] = openapi_v2_schema(items)
    additional = out.get("additionalProperties")
    if isinstance(additional, Mapping):
        if _nullable(additional):
            out.pop("required", None)
        out["additionalProperties"] = openapi_v2_schema(additional)
    if out.get("required") == []:
        del out["required"]
    return out
