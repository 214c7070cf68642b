"""Structural schemas: pruning, defaulting and validating custom resources.

A CustomResourceDefinition version carries an OpenAPI v3 schema
(``openAPIV3Schema``). As the apiextensions server does, a custom resource is

1. pruned: fields the schema does not declare are dropped, except under
   ``x-kubernetes-preserve-unknown-fields: true`` (and ``apiVersion``,
   ``kind``, ``metadata`` at the root or in ``x-kubernetes-embedded-resource``);
2. defaulted: a missing property whose schema has ``default`` gets it;
3. validated: types, ``required``, ``enum``, numeric and length bounds,
   ``pattern`` and item counts, each failure one field error worded as
   Kubernetes words it (``spec.replicas: Invalid value: "string":
   spec.replicas in body must be of type integer: "string"``); then the
   CEL rules of ``x-kubernetes-validations`` (``validation_rules``), unless
   a schema error means the object does not have the shape they expect.

Functions take plain dicts and never raise on odd schemas: a schema keyword
that is not understood is ignored here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kubeling.api.field import (
    FieldError,
    invalid,
    not_supported,
    required,
    too_long,
    too_many,
    type_invalid,
)
from kubeling.apiserver.customresources.validation_rules import BLOCKING, RuleSet, blocked

__all__ = ["RuleSet", "default", "prune", "unknown_fields", "validate"]

Schema = Mapping[str, Any]

_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def _preserves(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk_unknown(
    value: Any, schema: Schema, path: str, *, root: bool
) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(dict, key, path) of every field the schema does not declare."""
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        embedded = root or bool(schema.get("x-kubernetes-embedded-resource"))
        for key in list(value):
            child_path = _child_path(path, key)
            if embedded and key in _ROOT_KEEP:
                continue
            if isinstance(properties, Mapping) and key in properties:
                yield from _walk_unknown(value[key], properties[key], child_path, root=False)
            elif isinstance(additional, Mapping):
                yield from _walk_unknown(value[key], additional, child_path, root=False)
            elif additional is True or _preserves(schema):
                continue
            elif properties is None and additional is None and not _typed_object(schema):
                continue  # no structure declared here (e.g. int-or-string): leave it
            else:
                yield value, key, child_path
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                yield from _walk_unknown(item, items, f"{path}[{index}]", root=False)


def _typed_object(schema: Schema) -> bool:
    return schema.get("type") == "object"


def unknown_fields(obj: Any, schema: Schema) -> list[str]:
    """Paths of the fields pruning would drop, in document order."""
    return [path for _, _, path in _walk_unknown(obj, schema, "", root=True)]


def prune(obj: Any, schema: Schema) -> list[str]:
    """Drop undeclared fields from ``obj`` in place; return their paths."""
    found = list(_walk_unknown(obj, schema, "", root=True))
    for parent, key, _ in found:
        parent.pop(key, None)
    return [path for _, _, path in found]


def default(obj: Any, schema: Schema) -> None:
    """Fill missing properties that have a ``default``, in place, recursively."""
    if isinstance(obj, dict):
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for key, sub in properties.items():
                if not isinstance(sub, Mapping):
                    continue
                if key not in obj and "default" in sub:
                    obj[key] = copy.deepcopy(sub["default"])
                if key in obj:
                    default(obj[key], sub)
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            for value in obj.values():
                default(value, additional)
    elif isinstance(obj, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for item in obj:
                default(item, items)


_JSON_TYPE: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def validate(
    obj: Any,
    schema: Schema,
    path: str = "",
    *,
    rules: RuleSet | None = None,
    old: Any = None,
) -> list[FieldError]:
    """Every schema violation in ``obj`` (metadata is validated elsewhere).

    With ``rules`` (the schema's compiled ``x-kubernetes-validations``) they
    run too, against ``old`` on an update, unless a type, required, enum or
    size error already makes the object unfit for them.
    """
    errors: list[FieldError] = []
    _validate(obj, schema, path, errors, root=not path)
    if rules is not None:
        if any(error.type in BLOCKING for error in errors):
            errors.append(blocked())
        else:
            errors.extend(rules.validate(obj, old))
    return errors


def _validate(value: Any, schema: Schema, path: str, out: list[FieldError], *, root: bool) -> None:
    shown = path or "<root>"
    if value is None:
        if not schema.get("nullable"):
            type_name = schema.get("type")
            if type_name:
                detail = f'{shown} in body must be of type {type_name}: "null"'
                out.append(type_invalid(path, "null", detail))
        return
    type_name = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not (isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))):
            out.append(invalid(path, value, f"{shown} in body must be of type integer-or-string"))
        return
    check = _JSON_TYPE.get(str(type_name)) if type_name else None
    if check is not None and not check(value):
        actual = next(
            (name for name, test in _JSON_TYPE.items() if name != "number" and test(value)),
            "number",
        )
        detail = f'{shown} in body must be of type {type_name}: "{actual}"'
        out.append(type_invalid(path, value, detail))
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        out.append(not_supported(path, value, [_go_value(v).strip('"') for v in enum]))
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and value < low:
            out.append(
                invalid(path, value, f"{shown} in body should be greater than or equal to {low}")
            )
        if isinstance(high, int | float) and value > high:
            out.append(
                invalid(path, value, f"{shown} in body should be less than or equal to {high}")
            )
    if isinstance(value, str):
        max_len, min_len = schema.get("maxLength"), schema.get("minLength")
        if isinstance(max_len, int) and len(value) > max_len:
            out.append(too_long(path, max_len))
        if isinstance(min_len, int) and len(value) < min_len:
            out.append(
                invalid(path, value, f"{shown} in body should be at least {min_len} chars long")
            )
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                matched = re.search(pattern, value) is not None
            except re.error:
                matched = True
            if not matched:
                out.append(invalid(path, value, f"{shown} in body should match '{pattern}'"))
    if isinstance(value, list):
        max_items, min_items = schema.get("maxItems"), schema.get("minItems")
        if isinstance(max_items, int) and len(value) > max_items:
            out.append(too_many(path, len(value), max_items))
        if isinstance(min_items, int) and len(value) < min_items:
            out.append(
                invalid(path, len(value), f"{shown} in body should have at least {min_items} items")
            )
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                _validate(item, items, f"{path}[{index}]", out, root=False)
    if isinstance(value, dict):
        for key in schema.get("required") or ():
            if key not in value:
                out.append(required(_child_path(path, str(key)), ""))
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        for key, child in value.items():
            if root and key in _ROOT_KEEP:
                continue
            if isinstance(properties, Mapping) and isinstance(properties.get(key), Mapping):
                _validate(child, properties[key], _child_path(path, key), out, root=False)
            elif isinstance(additional, Mapping):
                _validate(child, additional, _child_path(path, key), out, root=False)
