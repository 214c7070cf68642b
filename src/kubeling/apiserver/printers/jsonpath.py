"""Kubernetes JSONPath, as CRD ``additionalPrinterColumns`` use it, and the CRD printer.

The grammar is client-go's ``util/jsonpath`` inside one ``{...}`` action:
fields (``.spec.replicas``, ``\\.`` escapes a dot inside a key), ``['key']``,
array indexes and slices (``[0]``, ``[-1]``, ``[1:3]``), unions (``[0,2]``),
wildcards (``[*]``, ``.*``), recursive descent (``..name``) and filters
(``[?(@.type=="Ready")]``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, or bare
existence ``[?(@.status)]``). Missing keys yield no value rather than an error,
as the CRD table convertor asks (``AllowMissingKeys(true)``); an index out of
range, a filter over a non-list, or a comparison between different kinds
(``"1"`` against ``1``) is an error, and the convertor turns an error into a
``null`` cell.

A column's cell is built from the first value found:

* ``string``: the value printed the way jsonpath prints it: strings as they
  are, maps and lists as compact JSON, numbers and booleans with Go's ``%v``,
  JSON ``null`` as ``<no value>``;
* ``integer`` / ``number`` / ``boolean``: the JSON value when it has that type
  (a float truncates to an integer), else ``null``;
* ``date``: the age of an RFC 3339 timestamp (``<invalid>`` when it does not
  parse, ``<unknown>`` when empty);
* any other type: ``null``.

A CRD version without columns gets a single ``Age`` column, so its table is
NAME, AGE, as upstream's ``serveDefaultColumnsIfEmpty`` arranges.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from kubeling.api.goformat import go_json
from kubeling.apiserver.printers._helpers import name
from kubeling.apiserver.printers.age import UNKNOWN, human_duration, parse_timestamp
from kubeling.apiserver.printers.interface import (
    CREATION_TIMESTAMP_DESCRIPTION,
    Cell,
    Column,
    Printer,
    name_column,
)

__all__ = [
    "JSONPath",
    "JSONPathError",
    "crd_printer",
    "crd_printer_for_version",
    "go_text",
]


class JSONPathError(ValueError):
    """A path that does not parse, or an evaluation that fails."""


# --- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Recursive:
    pass


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    end: int | None
    step: int | None
    end_derived: bool


@dataclass(frozen=True, slots=True)
class _Union:
    branches: tuple[tuple[_Node, ...], ...]


@dataclass(frozen=True, slots=True)
class _Filter:
    left: tuple[_Node, ...]
    operator: str
    right: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Literal:
    value: str | int | float | bool


@dataclass(frozen=True, slots=True)
class _Identifier:
    name: str


_Node = _Field | _Wildcard | _Recursive | _Slice | _Union | _Filter | _Literal | _Identifier

# --- parser ---------------------------------------------------------------------------------

_TERMINATORS: Final = frozenset(" \t\r\n.,[]$@{}")
_DICT_KEY: Final = re.compile(r"'([^']*)'")
_SLICE: Final = re.compile(r"(-?\d*)(:-?\d*)?(:-?\d*)?")
_FILTER: Final = re.compile(r"([^!<>=]+)([!<>=]+)(.+?)", re.DOTALL)
_OPERATORS: Final = frozenset({"==", "!=", "<", ">", "<=", ">="})


def _alphanumeric(char: str) -> bool:
    return char == "_" or char.isalpha() or char.isdigit()


class _Parser:
    """Recursive descent over one action, following client-go's parser rule by rule."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0

    def parse(self) -> tuple[_Node, ...]:
        nodes: list[_Node] = []
        text = self._text
        while self._pos < len(text):
            rest = text[self._pos :]
            char = rest[0]
            if rest.startswith("[?("):
                nodes.append(self._filter())
            elif rest.startswith(".."):
                if nodes and isinstance(nodes[-1], _Recursive):
                    raise JSONPathError("invalid multiple recursive descent")
                self._pos += 2
                nodes.append(_Recursive())
                if self._pos < len(text) and _alphanumeric(text[self._pos]):
                    nodes.append(self._field())
            elif char in " @$":
                self._pos += 1
            elif char == "[":
                nodes.extend(self._array())
            elif char in "\"'":
                nodes.append(self._quoted(char))
            elif char == ".":
                self._pos += 1
                nodes.append(self._field())
            elif char in "+-" or char.isdigit():
                nodes.append(self._number())
            elif _alphanumeric(char):
                nodes.append(self._identifier())
            elif char in "\r\n":
                raise JSONPathError("unclosed action")
            else:
                raise JSONPathError(f"unrecognized character in action: {char!r}")
        return tuple(nodes)

    def _field(self) -> _Node:
        text = self._text
        start = self._pos
        while self._pos < len(text):
            char = text[self._pos]
            if char == "\\":
                self._pos += 2
                continue
            if char in _TERMINATORS:
                break
            self._pos += 1
        value = text[start : self._pos]
        if value == "*":
            return _Wildcard()
        return _Field(value.replace("\\", ""))

    def _identifier(self) -> _Node:
        text = self._text
        start = self._pos
        while self._pos < len(text) and text[self._pos] not in _TERMINATORS:
            self._pos += 1
        value = text[start : self._pos]
        if value in ("true", "false"):
            return _Literal(value == "true")
        return _Identifier(value)

    def _number(self) -> _Node:
        text = self._text
        start = self._pos
        if text[self._pos] in "+-":
            self._pos += 1
        while self._pos < len(text) and (text[self._pos] == "." or text[self._pos].isdigit()):
            self._pos += 1
        value = text[start : self._pos]
        try:
            return _Literal(int(value))
        except ValueError:
            pass
        try:
            return _Literal(float(value))
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def _quoted(self, quote: str) -> _Node:
        text = self._text
        start = self._pos
        self._pos += 1
        while True:
            if self._pos >= len(text) or text[self._pos] == "\n":
                raise JSONPathError("unterminated quoted string")
            if text[self._pos] == quote and text[self._pos - 1] != "\\":
                break
            self._pos += 1
        self._pos += 1
        body = text[start + 1 : self._pos - 1]
        return _Literal(_unquote(body, quote))

    def _array(self) -> list[_Node]:
        text = self._text
        end = text.find("]", self._pos)
        newline = text.find("\n", self._pos)
        if end < 0 or 0 <= newline < end:
            raise JSONPathError("unterminated array")
        inner = text[self._pos + 1 : end]
        self._pos = end + 1
        if inner == "*":
            inner = ":"
        parts = inner.split(",")
        if len(parts) > 1:
            return [_Union(tuple(_Parser(f"[{part.strip()}]").parse() for part in parts))]
        key = _DICT_KEY.fullmatch(inner)
        if key is not None:
            return list(_Parser("." + key.group(1)).parse())
        match = _SLICE.fullmatch(inner)
        if match is None:
            raise JSONPathError(f"invalid array index {inner}")
        first, second, third = match.groups()
        start = int(first) if first else None
        if second is None:
            end_value: int | None = (start or 0) + 1
            derived = True
        else:
            end_value = int(second[1:]) if second[1:] else None
            derived = False
        step = int(third[1:]) if third and third[1:] else None
        return [_Slice(start, end_value, step, derived)]

    def _filter(self) -> _Node:
        text = self._text
        self._pos += 3
        start = self._pos
        begun = ended = False
        pair = ""
        while True:
            if self._pos >= len(text) or text[self._pos] == "\n":
                raise JSONPathError("unterminated filter")
            char = text[self._pos]
            self._pos += 1
            if char in "\"'":
                if not begun:
                    begun, pair = True, char
                elif text[self._pos - 2] != "\\" and char == pair:
                    ended = True
            elif char == ")" and begun == ended:
                break
        if self._pos >= len(text) or text[self._pos] != "]":
            raise JSONPathError("unclosed array expect ]")
        self._pos += 1
        body = text[start : self._pos - 2]
        match = _FILTER.fullmatch(body)
        if match is None:
            return _Filter(_Parser(body).parse(), "exists", ())
        left, operator, right = match.groups()
        return _Filter(_Parser(left).parse(), operator, _Parser(right).parse())


def _unquote(body: str, quote: str) -> str:
    """Undo backslash escapes the way Go's ``strconv.UnquoteChar`` does for common ones."""
    if "\\" not in body:
        return body
    escapes = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "\\": "\\",
        quote: quote,
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
    }
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in escapes:
            out.append(escapes[body[index + 1]])
            index += 2
            continue
        if char == "\\":
            raise JSONPathError(f"invalid escape in {body!r}")
        out.append(char)
        index += 1
    return "".join(out)


# --- evaluation -----------------------------------------------------------------------------


def _children(value: Any) -> list[Any]:
    """Map values (in key order), list items, or a string's bytes (Go indexes bytes)."""
    if isinstance(value, Mapping):
        return [value[key] for key in sorted(value)]
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())
    return []


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    raise JSONPathError("invalid type for comparison")


def _compare(left: Any, operator: str, right: Any) -> bool:
    kind = _kind(left)
    if kind != _kind(right):
        raise JSONPathError("incompatible types for comparison")
    if operator == "==":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if kind == "bool":
        raise JSONPathError("invalid type for comparison")
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    raise JSONPathError(f"unrecognized filter operator {operator}")


def _slice(values: list[Any], node: _Slice) -> list[Any]:
    length = len(values)
    start = node.start if node.start is not None else 0
    if start < 0:
        start += length
    end = node.end if node.end is not None else length
    if end < 0 or (end == 0 and node.end_derived):
        end += length
    if end == start:
        return []
    if start >= length or start < 0:
        raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
    if end > length or end < 0:
        raise JSONPathError(f"array index out of bounds: index {end - 1}, length {length}")
    if start > end:
        raise JSONPathError(f"starting index {start} is greater than ending index {end}")
    return values[start : end : node.step or 1]


def _walk(values: list[Any], nodes: Sequence[_Node]) -> list[Any]:
    for node in nodes:
        values = _step(values, node)
    return values


def _step(values: list[Any], node: _Node) -> list[Any]:
    if isinstance(node, _Field):
        if node.name == "":
            return values
        return [
            value[node.name]
            for value in values
            if isinstance(value, Mapping) and node.name in value
        ]
    if isinstance(node, _Wildcard):
        return [child for value in values for child in _children(value)]
    if isinstance(node, _Recursive):
        return _recursive(values)
    if isinstance(node, _Slice):
        found: list[Any] = []
        for value in values:
            if value is None:
                continue
            if not isinstance(value, list):
                raise JSONPathError(f"{type(value).__name__} is not array or slice")
            found.extend(_slice(value, node))
        return found
    if isinstance(node, _Union):
        return [item for branch in node.branches for item in _walk(values, branch)]
    if isinstance(node, _Filter):
        return _filter(values, node)
    if isinstance(node, _Literal):
        if isinstance(node.value, str):
            return [node.value]
        return [node.value for _ in values]
    raise JSONPathError(f"unrecognized identifier {node.name}")


def _recursive(values: list[Any]) -> list[Any]:
    found: list[Any] = []
    for value in values:
        children = _children(value)
        if children:
            found.append(value)
            found.extend(_recursive(children))
    return found


def _filter(values: list[Any], node: _Filter) -> list[Any]:
    kept: list[Any] = []
    for value in values:
        if not isinstance(value, list):
            raise JSONPathError("value is not array or slice and cannot be filtered")
        for element in value:
            if node.operator == "exists":
                try:
                    if _walk([element], node.left):
                        kept.append(element)
                except JSONPathError:
                    pass
                continue
            lefts = _walk([element], node.left)
            if len(lefts) != 1:
                raise JSONPathError("can only compare one element at a time")
            rights = _walk([element], node.right)
            if len(rights) != 1:
                raise JSONPathError("can only compare one element at a time")
            if _compare(lefts[0], node.operator, rights[0]):
                kept.append(element)
    return kept


class JSONPath:
    """A parsed path, e.g. ``JSONPath(".status.conditions[?(@.type=='Ready')].status")``.

    >>> JSONPath(".spec.ports[*].port").find({"spec": {"ports": [{"port": 80}, {"port": 443}]}})
    [80, 443]
    """

    __slots__ = ("_nodes", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._nodes = _Parser(path).parse()

    def find(self, data: Any) -> list[Any]:
        """Every value the path selects (missing keys select nothing).

        Raises ``JSONPathError`` where client-go's ``FindResults`` errors.
        """
        return _walk([data], self._nodes)


# --- cell rendering -------------------------------------------------------------------------


def _go_float(number: float) -> str:
    """Go's ``%v`` of a float64 (``strconv`` ``'g'``, shortest): exponent form below 1e-4
    or from 1e6 (``1e+06``), plain digits otherwise (``123456``, ``0.0001``)."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    point = len(digits) + exponent  # position of the decimal point within ``digits``
    prefix = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = point - 1
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return prefix + digits + "0" * (point - len(digits))
    return f"{prefix}{digits[:point]}.{digits[point:]}"


def go_text(value: Any) -> str:
    """How jsonpath prints one value: JSON for maps and lists, Go's ``%v`` otherwise.

    >>> [go_text(v) for v in ("a", 3, 2.5, True, None, {"b": 1, "a": [1]})]
    ['a', '3', '2.5', 'true', '<no value>', '{"a":[1],"b":1}']
    """
    if isinstance(value, Mapping | list):
        return go_json(value)
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _date_cell(value: Any, now: datetime.datetime) -> Cell:
    if not isinstance(value, str):
        return None
    if value in ("", "null"):
        return UNKNOWN
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        return "<invalid>"
    if parsed == datetime.datetime(1, 1, 1, tzinfo=datetime.UTC):
        return UNKNOWN
    return human_duration(now - parsed)


def _typed_cell(column_type: str, value: Any, now: datetime.datetime) -> Cell:
    """``cellForJSONValue``."""
    if value is None:
        return None
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return int(value)
        return None
    if column_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if column_type == "date":
        return _date_cell(value, now)
    return None


# --- the CRD printer ------------------------------------------------------------------------

_DEFAULT_COLUMNS: Final[tuple[Mapping[str, Any], ...]] = (
    {
        "name": "Age",
        "type": "date",
        "description": CREATION_TIMESTAMP_DESCRIPTION,
        "jsonPath": ".metadata.creationTimestamp",
    },
)


def crd_printer(columns: Sequence[Mapping[str, Any]] | None) -> Printer:
    """The table printer of a CRD version from its ``additionalPrinterColumns``.

    NAME comes first. With no columns the table is NAME, AGE. As upstream, the
    columns stop at the first path that does not parse.
    """
    specs = list(columns or ()) or list(_DEFAULT_COLUMNS)
    headers: list[Column] = [name_column()]
    paths: list[JSONPath] = []
    for spec in specs:
        json_path = str(spec.get("jsonPath", ""))
        try:
            path = JSONPath(json_path)
        except JSONPathError:
            break
        description = str(spec.get("description") or "") or (
            f"Custom resource definition column (in JSONPath format): {json_path}"
        )
        priority = spec.get("priority")
        headers.append(
            Column(
                str(spec.get("name", "")),
                str(spec.get("type", "")),
                description,
                priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
                str(spec.get("format") or ""),
            )
        )
        paths.append(path)
    types = [header.type for header in headers[1:]]

    def row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
        cells: list[Cell] = [name(obj)]
        for column_type, path in zip(types, paths, strict=True):
            try:
                found = path.find(obj)
            except JSONPathError:
                cells.append(None)
                continue
            if not found:
                cells.append(None)
            elif column_type == "string":
                cells.append(go_text(found[0]))
            else:
                cells.append(_typed_cell(column_type, found[0], now))
        return cells

    return Printer(tuple(headers), row)


def crd_printer_for_version(crd: Mapping[str, Any], version: str) -> Printer:
    """``crd_printer`` for the named version of a ``CustomResourceDefinition`` object."""
    spec = crd.get("spec")
    versions = spec.get("versions") if isinstance(spec, Mapping) else None
    for entry in versions or []:
        if isinstance(entry, Mapping) and entry.get("name") == version:
            return crd_printer(entry.get("additionalPrinterColumns"))
    return crd_printer(None)
