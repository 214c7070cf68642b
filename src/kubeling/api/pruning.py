"""Walking a JSON object along its declaration: pruning, strict decoding, type errors.

The API server decodes a JSON body into Go structs; what cannot be held by the
struct is lost, and how it was lost depends on ``fieldValidation``:

- ``Ignore``: unknown fields are dropped silently (:func:`prune`),
- ``Warn``: dropped, and each reported in a ``Warning`` header,
- ``Strict``: the request fails with 400 ``strict decoding error: ...``.

Unknown and duplicate fields are reported in sigs.k8s.io/json's words, with
its paths: struct fields and map keys joined by ``.``, list indices in
brackets::

    unknown field "spec.containers[0].bogus"
    duplicate field "metadata.name"

Duplicate keys are gone once JSON is parsed into dicts, so they are found at
parse time by :func:`parse_json_strict` (the last value wins, as in Python;
Go decodes both into the same struct, merging nested objects, a difference
only malformed bodies can observe). Unknown fields come from the declaration
(:func:`check_unknown`); an ``Object`` with ``preserve_unknown`` and the
``RAW_EXTENSION``/``JSON``/``FIELDS_V1`` subtrees accept anything, and
``apiVersion``/``kind`` are always known at the root.

A JSON value of the wrong type is not a strict-mode matter: Go's decoder
fails whatever ``fieldValidation`` says, with encoding/json's message, where
the struct is the innermost Go struct and the field path lists struct field
names only (no indices, no map keys)::

    json: cannot unmarshal string into Go struct field
    PodSpec.spec.terminationGracePeriodSeconds of type int64

(one line in the message).

:func:`check_types` returns the first such message (Go reports the earliest)
or None. Go type names are derived from the declarations (``v1.Container``,
``[]v1.Container``, ``map[string]string``); named Go types such as
``v1.ResourceList`` print as their underlying ``map[string]resource.Quantity``,
and a number's literal text is rendered from the parsed value (``1e3`` reads
``1000.0``). Quantity strings are parsed as Go parses them at decode time;
time formats are left to validation.

None of these functions mutate their input except :func:`prune`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubeling.api.protobuf import parse_go_duration
from kubeling.api.quantity import QuantityParseError, parse_quantity
from kubeling.api.schema import (
    STRING,
    ListOf,
    MapOf,
    Object,
    Scalar,
    ScalarKind,
    TypeSpec,
    resolve,
)

__all__ = [
    "FieldScan",
    "JSONBodyError",
    "check_types",
    "check_unknown",
    "go_type_name",
    "parse_json_strict",
    "prune",
    "scan",
    "unknown_field_paths",
]

_ROOT_FIELDS = frozenset({"apiVersion", "kind"})
_OPAQUE = frozenset({ScalarKind.RAW_EXTENSION, ScalarKind.JSON, ScalarKind.FIELDS_V1})
_INT_RANGES = {
    ScalarKind.INT32: (-(2**31), 2**31 - 1),
    ScalarKind.INT64: (-(2**63), 2**63 - 1),
}
_SCALAR_GO_TYPES = {
    ScalarKind.STRING: "string",
    ScalarKind.INT32: "int32",
    ScalarKind.INT64: "int64",
    ScalarKind.BOOL: "bool",
    ScalarKind.DOUBLE: "float64",
    ScalarKind.BYTES: "[]uint8",
    ScalarKind.TIME: "v1.Time",
    ScalarKind.MICRO_TIME: "v1.MicroTime",
    ScalarKind.DURATION: "v1.Duration",
    ScalarKind.QUANTITY: "resource.Quantity",
    ScalarKind.INT_OR_STRING: "intstr.IntOrString",
    ScalarKind.RAW_EXTENSION: "runtime.RawExtension",
    ScalarKind.FIELDS_V1: "v1.FieldsV1",
    ScalarKind.JSON: "v1.JSON",
}


class JSONBodyError(ValueError):
    """The body is not JSON at all (HTTP 400)."""


# -- paths ---------------------------------------------------------------------


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


# -- duplicate keys ------------------------------------------------------------


def parse_json_strict(body: bytes | str) -> tuple[Any, list[str]]:
    """Parse JSON, also returning a ``duplicate field "<path>"`` message per repeated key.

    >>> parse_json_strict(b'{"metadata": {"name": "a", "name": "b"}}')
    ({'metadata': {'name': 'b'}}, ['duplicate field "metadata.name"'])
    """
    try:
        return _FAST_DECODER.decode(_text(body)), []
    except _DuplicateKey:
        pass  # rare: parse again, recording where the duplicates are
    except RecursionError:
        raise JSONBodyError("JSON nests too deeply") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise JSONBodyError(str(err)) from None
    # For each dict with a repeated key: its keys in document order, each
    # marked "dup" (a second or later occurrence: Go reports it there) or
    # "walk" (the last occurrence, whose value is the one kept).
    events: dict[int, list[tuple[str, str]]] = {}
    keep_alive: list[dict[str, Any]] = []  # ids stay unique while the parse lives

    def object_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            last = {key: index for index, (key, _) in enumerate(pairs)}
            seen: set[str] = set()
            order: list[tuple[str, str]] = []
            for index, (key, _) in enumerate(pairs):
                if key in seen:
                    order.append(("dup", key))
                seen.add(key)
                if last[key] == index:
                    order.append(("walk", key))
            keep_alive.append(obj)
            events[id(obj)] = order
        return obj

    try:
        value = json.loads(body, object_pairs_hook=object_hook, parse_constant=_reject_constant)
    except RecursionError:
        raise JSONBodyError("JSON nests too deeply") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise JSONBodyError(str(err)) from None
    if not events:
        return value, []
    messages: list[str] = []
    # Iterative walk (the document may nest as deeply as json.loads allows);
    # a str on the stack is a message to emit in turn.
    stack: list[tuple[Any, str] | str] = [(value, "")]
    while stack:
        top = stack.pop()
        if isinstance(top, str):
            messages.append(top)
            continue
        node, path = top
        pending: list[tuple[Any, str] | str] = []
        if isinstance(node, dict):
            order = events.get(id(node))
            if order is None:
                pending = [(child, _key_path(path, key)) for key, child in node.items()]
            else:
                for what, key in order:
                    child_path = _key_path(path, key)
                    if what == "dup":
                        pending.append(f'duplicate field "{child_path}"')
                    else:
                        pending.append((node[key], child_path))
        elif isinstance(node, list):
            pending = [(child, _index_path(path, i)) for i, child in enumerate(node)]
        stack.extend(reversed(pending))
    return value, messages


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def _text(body: bytes | str) -> str:
    """The text json.loads would parse (the same encoding detection and BOM check)."""
    if isinstance(body, str):
        if body.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", body, 0)
        return body
    return body.decode(json.detect_encoding(body), "surrogatepass")


class _DuplicateKey(Exception):
    """A JSON object repeats a key (the fast parse gives way to the careful one)."""


def _dict_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


# One decoder for every body: json.loads(..., object_pairs_hook=...) would
# build a new decoder (and its scanner) on each call.
_FAST_DECODER = json.JSONDecoder(
    object_pairs_hook=_dict_without_duplicates, parse_constant=_reject_constant
)


# -- unknown fields ------------------------------------------------------------


def unknown_field_paths(obj: Any, type: Object) -> list[str]:
    """Paths of the fields ``type`` does not declare, in document order.

    >>> from kubeling.api.schema import STRING, Field
    >>> Thing = Object("io.k8s.example.v1.Thing", "", [Field("name", 1, STRING)])
    >>> unknown_field_paths({"kind": "Thing", "name": "a", "bogus": 1}, Thing)
    ['bogus']
    """
    return scan(obj, type).unknown_paths()


def check_unknown(obj: Any, type: Object) -> list[str]:
    """``unknown field "<path>"`` messages, as Strict fails and Warn warns."""
    return scan(obj, type).unknown_messages()


def prune(obj: Any, type: Object, *, drop_nulls: bool = False) -> list[str]:
    """Remove undeclared fields from ``obj`` in place; return their paths.

    With ``drop_nulls``, declared fields whose value is JSON null are removed
    too (Go decodes null into a field as "leave it at its zero value"); they
    are not reported.
    """
    found = scan(obj, type)
    found.drop_unknown()
    if drop_nulls:
        for container, key in list(_nulls(obj, type)):
            del container[key]
    return found.unknown_paths()


def _nulls(value: Any, spec_ref: TypeSpec) -> Iterator[tuple[dict[str, Any], str]]:
    spec = resolve(spec_ref)
    if isinstance(spec, Object) and isinstance(value, dict):
        for key, child in value.items():
            declared = spec.get(key)
            if declared is None:
                continue
            if child is None:
                yield value, key
            else:
                yield from _nulls(child, declared.type)
    elif isinstance(spec, ListOf) and isinstance(value, list):
        for item in value:
            yield from _nulls(item, spec.item)
    elif isinstance(spec, MapOf) and isinstance(value, dict):
        for item in value.values():
            yield from _nulls(item, spec.value)


# -- type errors ---------------------------------------------------------------


def go_type_name(spec_ref: TypeSpec) -> str:
    """The Go type a declaration stands for, as ``reflect.Type.String()`` prints it.

    >>> from kubeling.api.schema import STRING, ListOf, MapOf
    >>> go_type_name(ListOf(STRING)), go_type_name(MapOf(STRING))
    ('[]string', 'map[string]string')
    """
    spec = resolve(spec_ref)
    if isinstance(spec, Object):
        parts = spec.name.rsplit(".", 2)
        return f"{parts[-2]}.{parts[-1]}" if len(parts) == 3 else parts[-1]
    if isinstance(spec, ListOf):
        return f"[]{go_type_name(spec.item)}"
    if isinstance(spec, MapOf):
        return f"map[string]{go_type_name(spec.value)}"
    return _SCALAR_GO_TYPES[spec.kind]


def _render(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out = _index_path(out, part) if isinstance(part, int) else _key_path(out, part)
    return out


@dataclass(slots=True)
class FieldScan:
    """What one walk of an object along its declaration found.

    ``type_error``: the first JSON type mismatch, worded as Go's decoder words
    it; ``unknown``: (path, dict, key) of every undeclared field, in document
    order. The walk does not descend into values of the wrong type.
    """

    type_error: str | None = None
    unknown: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def unknown_paths(self) -> list[str]:
        return [path for path, _, _ in self.unknown]

    def unknown_messages(self) -> list[str]:
        return [f'unknown field "{path}"' for path, _, _ in self.unknown]

    def drop_unknown(self) -> None:
        """Delete the undeclared fields from the object scanned."""
        for _, container, key in self.unknown:
            container.pop(key, None)


def scan(obj: Any, type: Object) -> FieldScan:
    """Type errors and unknown fields of ``obj`` in one walk (the create path's hot loop).

    >>> from kubeling.api.schema import INT64, Field
    >>> Spec = Object("io.k8s.example.v1.PodSpec", "", [Field("grace", 1, INT64)])
    >>> Pod = Object("io.k8s.example.v1.Pod", "", [Field("spec", 1, Spec)])
    >>> found = scan({"spec": {"grace": "30", "x": 1}, "kind": "Pod"}, Pod)
    >>> found.type_error
    'json: cannot unmarshal string into Go struct field PodSpec.spec.grace of type int64'
    >>> found.unknown_paths()
    ['spec.x']
    """
    found = FieldScan()
    _Scanner(found).walk(obj, type, "", [], True)
    return found


def check_types(obj: Any, type: Object) -> str | None:
    """The first JSON type mismatch in ``obj``, worded as Go's decoder words it, or None."""
    return scan(obj, type).type_error


class _Scanner:
    """One walk: ``fields`` is encoding/json's error context (struct field names
    only), ``path`` the sigs.k8s.io/json path (with map keys and indices)."""

    __slots__ = ("found", "path")

    def __init__(self, found: FieldScan) -> None:
        self.found = found
        self.path: list[str | int] = []

    def mismatch(self, value: Any, go_type: str, struct: str, fields: list[str]) -> None:
        self.mismatch_text(_describe(value), go_type, struct, fields)

    def mismatch_text(self, value: str, go_type: str, struct: str, fields: list[str]) -> None:
        if self.found.type_error is not None:
            return
        if not struct and not fields:
            message = f"json: cannot unmarshal {value} into Go value of type {go_type}"
        else:
            message = (
                f"json: cannot unmarshal {value} into Go struct field "
                f"{struct}.{'.'.join(fields)} of type {go_type}"
            )
        self.found.type_error = message

    def walk(
        self, value: Any, spec_ref: TypeSpec, struct: str, fields: list[str], root: bool = False
    ) -> None:
        if value is None:
            return  # null leaves any Go value at its zero value
        spec = resolve(spec_ref)
        path = self.path
        if isinstance(spec, Object):
            if not isinstance(value, dict):
                self.mismatch(value, go_type_name(spec), struct, fields)
                return
            name = _struct_name(spec.name)
            for key, child in value.items():
                declared = spec.get(key)
                if declared is None:
                    if not spec.preserve_unknown and not (root and key in _ROOT_FIELDS):
                        self.found.unknown.append((_render([*path, key]), value, key))
                    continue
                if child is None or _plain_string(child, declared.type):
                    continue
                fields.append(key)
                path.append(key)
                self.walk(child, declared.type, name, fields)
                path.pop()
                fields.pop()
        elif isinstance(spec, ListOf):
            if not isinstance(value, list):
                self.mismatch(value, go_type_name(spec), struct, fields)
                return
            for index, item in enumerate(value):
                if _plain_string(item, spec.item):
                    continue
                path.append(index)
                self.walk(item, spec.item, struct, fields)
                path.pop()
        elif isinstance(spec, MapOf):
            if not isinstance(value, dict):
                self.mismatch(value, go_type_name(spec), struct, fields)
                return
            for key, item in value.items():
                path.append(key)
                self.walk(item, spec.value, struct, fields)
                path.pop()
        elif not (spec.kind is ScalarKind.STRING and isinstance(value, str)):
            problem = _check_scalar(value, spec)
            if isinstance(problem, tuple):
                self.mismatch_text(problem[0], problem[1], struct, fields)
            elif problem is not None and self.found.type_error is None:
                self.found.type_error = problem


def _plain_string(value: Any, spec: TypeSpec) -> bool:
    """Whether ``value`` is a string where a plain string is declared: nothing to check,
    so not worth a call of ``walk`` (most leaves of an object are such strings)."""
    return spec is STRING and isinstance(value, str)


def _describe(value: Any) -> str:
    """encoding/json's name for a JSON value that did not fit."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "number"


@functools.lru_cache(maxsize=4096)
def _struct_name(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def _check_scalar(value: Any, spec: Scalar) -> str | tuple[str, str] | None:
    """None if ``value`` fits; a whole message; or (value description, Go type) for
    the caller to word with its context."""
    kind = spec.kind
    if kind in _OPAQUE:
        return None
    if kind in _INT_RANGES:
        return _check_int(value, kind.value, _INT_RANGES[kind])
    if kind == ScalarKind.BOOL:
        return None if isinstance(value, bool) else (_describe(value), "bool")
    if kind == ScalarKind.DOUBLE:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return (_describe(value), "float64")
    if kind == ScalarKind.INT_OR_STRING:
        # IntOrString.UnmarshalJSON: a string, or else whatever fits an int32.
        if isinstance(value, str):
            return None
        return _check_int(value, "int32", _INT_RANGES[ScalarKind.INT32])
    if kind == ScalarKind.QUANTITY:
        # Quantity.UnmarshalJSON parses strings and bare numbers alike.
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            parse_quantity(text.strip())
        except QuantityParseError as err:
            return str(err)
        return None
    if not isinstance(value, str):
        # Time, MicroTime and Duration unmarshal a string first.
        return (_describe(value), "[]uint8" if kind == ScalarKind.BYTES else "string")
    if kind == ScalarKind.BYTES:
        return _check_base64(value)
    if kind == ScalarKind.DURATION:
        try:
            parse_go_duration(value)
        except ValueError as err:
            return str(err)
    return None


def _check_int(value: Any, go_type: str, bounds: tuple[int, int]) -> tuple[str, str] | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return (_describe(value), go_type)
    if isinstance(value, float) or not bounds[0] <= value <= bounds[1]:
        return (f"number {value!r}", go_type)
    return None


_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _check_base64(value: str) -> str | None:
    """Go's ``illegal base64 data at input byte N`` (N: the first bad character, best effort)."""
    text = value.replace("\r", "").replace("\n", "")
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        bad = next((i for i, c in enumerate(text) if c not in _BASE64_ALPHABET), None)
        if bad is None:
            padding = text.find("=")
            bad = padding if 0 <= padding < len(text) - 2 else len(text) - len(text) % 4
        return f"illegal base64 data at input byte {bad}"
    return None
