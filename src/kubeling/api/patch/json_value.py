"""Decoded JSON values: the type alias, and the comparisons Go's decoder implies.

The patch engines compare values the way the Go code they mirror does. Go
decodes patches with integers kept as ``int64`` and other numbers as
``float64`` and compares interface values with ``==``, so ``1`` and ``1.0`` are
different values and ``true`` is never ``1``. Python's ``==`` says otherwise on
both counts, hence :func:`json_equal` and :func:`json_kind`.

Messages embed values the way Go's ``%v`` prints decoded JSON
(``map[a:1 b:[x y]]``), see :func:`go_format`.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from kubeling.api.goformat import go_value

__all__ = [
    "JSON",
    "JSONArray",
    "JSONKind",
    "JSONObject",
    "go_format",
    "json_equal",
    "json_kind",
    "json_type_name",
]

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
JSONObject: TypeAlias = dict[str, JSON]
JSONArray: TypeAlias = list[JSON]

JSONKind = Literal["object", "array", "string", "int", "float", "bool", "null"]


def json_kind(value: JSON) -> JSONKind:
    """Name the Go type a decoded value would have.

    >>> json_kind(True), json_kind(1), json_kind(1.0), json_kind([])
    ('bool', 'int', 'float', 'array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_equal(left: JSON, right: JSON) -> bool:
    """Deep equality where the Go types must match too.

    >>> json_equal({"a": [1]}, {"a": [1]}), json_equal(1, 1.0), json_equal(True, 1)
    (True, False, False)
    """
    kind = json_kind(left)
    if kind != json_kind(right):
        return False
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    return left == right


def go_format(value: JSON) -> str:
    """Render a decoded value as Go's ``%v`` does.

    >>> go_format({"name": "a", "ports": [80, 443], "x": None})
    'map[name:a ports:[80 443] x:<nil>]'
    """
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        inner = " ".join(f"{key}:{go_format(value[key])}" for key in sorted(value))
        return f"map[{inner}]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(item) for item in value) + "]"
    return go_value(value)


def json_type_name(value: JSON) -> str:
    """Name a value's JSON type as ``encoding/json`` type errors do.

    >>> json_type_name(1.5), json_type_name("x")
    ('number', 'string')
    """
    kind = json_kind(value)
    return "number" if kind in ("int", "float") else kind
