"""From a structural schema to CEL: the type of ``self``, and its value.

A validation rule sits on a schema node, and ``self`` is the node's value.
Kubernetes derives ``self``'s CEL type from the schema (``SchemaDeclType``):

===========================================  ==============================
schema                                       CEL type
===========================================  ==============================
``type: integer`` / ``number`` / ``boolean``  ``int`` / ``double`` / ``bool``
``type: string``                             ``string``
``format: byte`` / ``duration``              ``bytes`` / ``duration``
``format: date`` / ``date-time``             ``timestamp``
``type: array`` with ``items``               ``list(<items>)``
``type: object`` with ``properties``         an object type with those fields
``additionalProperties: <schema>``           ``map(string, <schema>)``
``x-kubernetes-int-or-string``               ``dyn``
===========================================  ==============================

A node CEL cannot see is left out: an array without ``items``, an untyped
``x-kubernetes-preserve-unknown-fields`` value, a property whose name cannot
be escaped. Unknown fields under ``x-kubernetes-preserve-unknown-fields`` are
not visible. The root of a resource (and an ``x-kubernetes-embedded-resource``)
always has ``apiVersion``, ``kind``, ``metadata.name`` and
``metadata.generateName``, and nothing else of ``metadata``.

Property names that are CEL keywords or contain ``.``, ``-`` or ``/`` are
escaped (``escape``): ``x-kubernetes`` is ``self.x__dash__kubernetes``,
``namespace`` is ``self.__namespace__``.

Values are converted the same way (``to_value``): an object becomes a
``CelObject`` of its set properties (a ``null`` property counts as unset, so
``has()`` is false), a ``set`` or ``map`` list keeps its list type for
equality, and a string in a ``date-time`` field becomes a timestamp. A value
that does not convert (``format: duration`` holding ``soon``) becomes an
error that is raised only if the rule reads it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.cel import types
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.lexer import LITERAL_WORDS, RESERVED
from kubeling.api.cel.timeutil import parse_go_duration, parse_timestamp
from kubeling.api.cel.types import CelType
from kubeling.api.cel.values import CelObject, Duration, MapList, SetList, Timestamp

__all__ = ["escape", "schema_type", "to_value", "with_type_and_object_meta"]

Schema = Mapping[str, Any]

_ESCAPABLE: Final = re.compile(r"[a-zA-Z_./-][a-zA-Z0-9_./-]*")
_ESCAPES: Final = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}

_STRING: Final = {"type": "string"}
_OBJECT_META: Final = {
    "type": "object",
    "properties": {"name": _STRING, "generateName": _STRING},
}


def escape(name: str) -> str | None:
    """The CEL identifier for a property name, or None when it has none.

    >>> escape("x-kubernetes"), escape("namespace"), escape("a__b"), escape("1st")
    ('x__dash__kubernetes', '__namespace__', 'a__underscores__b', None)
    """
    if name in LITERAL_WORDS or name in RESERVED:
        return f"__{name}__"
    if not _ESCAPABLE.fullmatch(name):
        return None
    return re.sub(r"__|[./-]", lambda m: _ESCAPES[m.group()], name)


def with_type_and_object_meta(schema: Schema) -> Schema:
    """``schema`` with ``apiVersion``, ``kind`` and ``metadata.{name,generateName}``."""
    properties = dict(schema.get("properties") or {})
    meta = properties.get("metadata") or {}
    meta_properties = meta.get("properties") or {}
    if (
        (properties.get("kind") or {}).get("type") == "string"
        and (properties.get("apiVersion") or {}).get("type") == "string"
        and meta.get("type") == "object"
        and (meta_properties.get("name") or {}).get("type") == "string"
        and (meta_properties.get("generateName") or {}).get("type") == "string"
    ):
        return schema
    properties.update(kind=_STRING, apiVersion=_STRING, metadata=_OBJECT_META)
    return {**schema, "properties": properties}


def _is_embedded(schema: Schema) -> bool:
    return bool(schema.get("x-kubernetes-embedded-resource"))


def schema_type(schema: Schema, name: str, *, resource_root: bool = False) -> CelType | None:
    """The CEL type of values of ``schema`` (None: not visible to CEL).

    ``name`` names object types in error messages, as Kubernetes does:
    ``selfType123`` for the rule's node, ``selfType123.spec`` below it,
    ``.@idx`` for list items and ``.@elem`` for map values.
    """
    if schema.get("x-kubernetes-int-or-string"):
        return types.DYN
    if resource_root:
        schema = with_type_and_object_meta(schema)
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return None
        item_type = schema_type(items, f"{name}.@idx", resource_root=_is_embedded(items))
        return types.list_of(item_type) if item_type is not None else None
    if kind == "object":
        additional = schema.get("additionalProperties")
        if isinstance(additional, Mapping):
            value_type = schema_type(
                additional, f"{name}.@elem", resource_root=_is_embedded(additional)
            )
            return types.map_of(types.STRING, value_type) if value_type is not None else None
        fields: dict[str, CelType] = {}
        for prop, sub in (schema.get("properties") or {}).items():
            escaped = escape(str(prop))
            if escaped is None or not isinstance(sub, Mapping):
                continue
            field_type = schema_type(sub, f"{name}.{escaped}", resource_root=_is_embedded(sub))
            if field_type is not None:
                fields[escaped] = field_type
        return types.object_type(name, fields)
    if kind == "string":
        return {
            "byte": types.BYTES,
            "duration": types.DURATION,
            "date": types.TIMESTAMP,
            "date-time": types.TIMESTAMP,
        }.get(str(schema.get("format", "")), types.STRING)
    return {"boolean": types.BOOL, "number": types.DOUBLE, "integer": types.INT}.get(str(kind))


def to_value(data: Any, schema: Schema, *, resource_root: bool = False) -> Any:
    """``data`` (decoded JSON) as a CEL value typed by ``schema``.

    A value that does not fit comes back as an ``EvalError`` (not raised):
    the interpreter raises it when, and only when, the rule reads it.
    """
    if data is None:
        if schema.get("nullable"):
            return None
        return EvalError("invalid data, got null for schema with nullable=false")
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(data, str) or (isinstance(data, int) and not isinstance(data, bool)):
            return data
        return EvalError(
            "invalid data, expected XIntOrString value to be either a string or integer"
        )
    if resource_root:
        schema = with_type_and_object_meta(schema)
    kind = schema.get("type")
    if kind == "object":
        return _object_value(data, schema)
    if kind == "array":
        return _array_value(data, schema)
    if kind == "string":
        return _string_value(data, str(schema.get("format", "")))
    if kind == "number" and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if kind == "integer" and isinstance(data, int) and not isinstance(data, bool):
        return data
    if kind == "boolean" and isinstance(data, bool):
        return data
    return EvalError(f"invalid data, expected {kind}, got {type(data).__name__}")


def _object_value(data: Any, schema: Schema) -> Any:
    if not isinstance(data, Mapping):
        return EvalError("invalid data, expected a map for the provided schema with type=object")
    additional = schema.get("additionalProperties")
    properties = schema.get("properties")
    if properties is None and isinstance(additional, Mapping):
        embedded = _is_embedded(additional)
        return {
            key: to_value(value, additional, resource_root=embedded) for key, value in data.items()
        }
    obj = CelObject()
    for key, value in data.items():
        sub = (properties or {}).get(key)
        escaped = escape(key)
        # a null property is treated like an absent one
        if not isinstance(sub, Mapping) or escaped is None or value is None:
            continue
        if schema_type(sub, "", resource_root=_is_embedded(sub)) is None:
            continue
        obj[escaped] = to_value(value, sub, resource_root=_is_embedded(sub))
    return obj


def _array_value(data: Any, schema: Schema) -> Any:
    if not isinstance(data, list):
        return EvalError("invalid data, expected an array for the provided schema with type=array")
    items = schema.get("items")
    if not isinstance(items, Mapping):
        return EvalError("invalid array type, expected Items with a non-empty Schema")
    embedded = _is_embedded(items)
    values = [to_value(item, items, resource_root=embedded) for item in data]
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        return SetList(values)
    if list_type == "map":
        keys = tuple(escape(k) or k for k in schema.get("x-kubernetes-list-map-keys") or ())
        return MapList(values, keys)
    return values


# strfmt.ParseDuration's extra units, on top of Go's.
_LONG_UNITS: Final = {
    "ns": 1,
    "nano": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "micro": 1_000,
    "ms": 1_000_000,
    "milli": 1_000_000,
    "s": 1_000_000_000,
    "sec": 1_000_000_000,
    "m": 60_000_000_000,
    "min": 60_000_000_000,
    "h": 3_600_000_000_000,
    "hr": 3_600_000_000_000,
    "hour": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "day": 86_400_000_000_000,
    "w": 604_800_000_000_000,
    "wk": 604_800_000_000_000,
    "week": 604_800_000_000_000,
}
_LONG_DURATION: Final = re.compile(r"(\d+)\s*([A-Za-z\u00b5]+)")


def parse_schema_duration(text: str) -> Duration:
    """A ``format: duration`` string: a Go duration, or ``3 days``-style units."""
    try:
        return parse_go_duration(text)
    except EvalError:
        pass
    total = 0
    matches = list(_LONG_DURATION.finditer(text))
    if not matches or "".join(m.group() for m in matches) != re.sub(r"\s+(?=\d)", "", text):
        raise EvalError(f"Invalid duration {text}: time: invalid duration {text!r}") from None
    for match in matches:
        unit = match.group(2).lower()
        unit = unit[:-1] if unit not in _LONG_UNITS and unit.endswith("s") else unit
        if unit not in _LONG_UNITS:
            raise EvalError(f"Invalid duration {text}: unknown unit {match.group(2)}")
        total += int(match.group(1)) * _LONG_UNITS[unit]
    return Duration(total)


def _string_value(data: Any, fmt: str) -> Any:
    if not isinstance(data, str):
        return EvalError(f"invalid data, expected string, got {type(data).__name__}")
    try:
        if fmt == "duration":
            return parse_schema_duration(data)
        if fmt == "date":
            return _date(data)
        if fmt == "date-time":
            return parse_timestamp(_normalize_datetime(data))
        if fmt == "byte":
            return base64.b64decode(data, validate=True)
    except EvalError:
        return EvalError(f"Invalid {fmt} formatted string {data}")
    except (binascii.Error, ValueError):
        return EvalError(f"Invalid byte formatted string {data}")
    return data


def _date(text: str) -> Timestamp:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise EvalError("bad date")
    return parse_timestamp(text + "T00:00:00Z")


def _normalize_datetime(text: str) -> str:
    """strfmt's date-time is lenient: a space or lowercase ``t``/``z`` is fine."""
    if len(text) > 10 and text[10] in " t":
        text = text[:10] + "T" + text[11:]
    return text[:-1] + "Z" if text.endswith("z") else text
