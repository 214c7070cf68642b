"""CEL types as the type checker sees them, and when one may stand for another.

A ``CelType`` is a kind plus, for the parameterised kinds, its parameters:
``list(int)``, ``map(string, list(int))``, ``optional_type(string)``. Object
types (a structural schema's ``type: object`` with properties) carry their
fields. ``dyn`` is the type the checker knows nothing about: anything may be
assigned to it and it may be assigned to anything, and the check is left to
run time. Type *parameters* (``A``, ``K``, ``V``) appear only in function
signatures: ``size(list(A)) -> int`` matches a list of anything.

Names print as cel-go prints them in errors, so messages match Kubernetes':
``found no matching overload for '_+_' applied to '(int, string)'``.

>>> str(list_of(map_of(STRING, INT)))
'list(map(string, int))'
>>> is_assignable(list_of(DYN), list_of(INT), {})
True
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "BOOL",
    "BYTES",
    "CIDR",
    "DOUBLE",
    "DURATION",
    "DYN",
    "ERROR",
    "INT",
    "IP",
    "NULL",
    "QUANTITY",
    "STRING",
    "TIMESTAMP",
    "UINT",
    "URL",
    "CelType",
    "Kind",
    "is_assignable",
    "list_of",
    "map_of",
    "object_type",
    "opaque",
    "optional_of",
    "param",
    "substitute",
    "type_of",
]


class Kind(enum.Enum):
    DYN = enum.auto()
    ERROR = enum.auto()
    BOOL = enum.auto()
    INT = enum.auto()
    UINT = enum.auto()
    DOUBLE = enum.auto()
    STRING = enum.auto()
    BYTES = enum.auto()
    NULL = enum.auto()
    TIMESTAMP = enum.auto()
    DURATION = enum.auto()
    LIST = enum.auto()
    MAP = enum.auto()
    OBJECT = enum.auto()
    TYPE = enum.auto()
    OPAQUE = enum.auto()
    PARAM = enum.auto()


@dataclass(frozen=True)
class CelType:
    """A checker type; equal when kind, name and parameters are."""

    kind: Kind
    name: str
    params: tuple[CelType, ...] = ()
    #: Object types only: property (escaped) name -> type. Not part of equality.
    fields: Mapping[str, CelType] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        if self.kind is Kind.TYPE:
            return f"type({self.params[0]})" if self.params else "type"
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(str(p) for p in self.params)})"

    @property
    def is_dyn(self) -> bool:
        return self.kind in (Kind.DYN, Kind.ERROR)


def _simple(kind: Kind, name: str) -> CelType:
    return CelType(kind, name)


DYN: Final = _simple(Kind.DYN, "dyn")
ERROR: Final = _simple(Kind.ERROR, "*error*")
BOOL: Final = _simple(Kind.BOOL, "bool")
INT: Final = _simple(Kind.INT, "int")
UINT: Final = _simple(Kind.UINT, "uint")
DOUBLE: Final = _simple(Kind.DOUBLE, "double")
STRING: Final = _simple(Kind.STRING, "string")
BYTES: Final = _simple(Kind.BYTES, "bytes")
NULL: Final = _simple(Kind.NULL, "null_type")
TIMESTAMP: Final = _simple(Kind.TIMESTAMP, "google.protobuf.Timestamp")
DURATION: Final = _simple(Kind.DURATION, "google.protobuf.Duration")


def list_of(elem: CelType) -> CelType:
    return CelType(Kind.LIST, "list", (elem,))


def map_of(key: CelType, value: CelType) -> CelType:
    return CelType(Kind.MAP, "map", (key, value))


def optional_of(value: CelType) -> CelType:
    return CelType(Kind.OPAQUE, "optional_type", (value,))


def type_of(value: CelType) -> CelType:
    """The type of a type value: ``int`` as a value has type ``type(int)``."""
    return CelType(Kind.TYPE, "type", (value,))


def opaque(name: str) -> CelType:
    """A library type with no fields, like ``kubernetes.Quantity``."""
    return CelType(Kind.OPAQUE, name)


def param(name: str) -> CelType:
    """A type parameter of a function signature."""
    return CelType(Kind.PARAM, name)


def object_type(name: str, fields: Mapping[str, CelType]) -> CelType:
    return CelType(Kind.OBJECT, name, fields=dict(fields))


QUANTITY: Final = opaque("kubernetes.Quantity")
URL: Final = opaque("kubernetes.URL")
IP: Final = opaque("net.IP")
CIDR: Final = opaque("net.CIDR")

#: Type variables bound while checking one call: param name -> type.
Bindings = dict[str, CelType]


def substitute(t: CelType, bindings: Mapping[str, CelType], *, free_to_dyn: bool) -> CelType:
    """``t`` with bound type parameters replaced (unbound ones by ``dyn`` if asked)."""
    if t.kind is Kind.PARAM:
        bound = bindings.get(t.name)
        if bound is not None:
            return substitute(bound, bindings, free_to_dyn=free_to_dyn)
        return DYN if free_to_dyn else t
    if not t.params:
        return t
    params = tuple(substitute(p, bindings, free_to_dyn=free_to_dyn) for p in t.params)
    return CelType(t.kind, t.name, params, t.fields)


def _occurs(name: str, t: CelType, bindings: Mapping[str, CelType]) -> bool:
    t = substitute(t, bindings, free_to_dyn=False)
    if t.kind is Kind.PARAM:
        return t.name == name
    return any(_occurs(name, p, bindings) for p in t.params)


def _more_general(a: CelType, b: CelType) -> CelType:
    return a if a.is_dyn else b if b.is_dyn else a


def is_assignable(target: CelType, source: CelType, bindings: Bindings) -> bool:
    """Whether a value of type ``source`` may be used where ``target`` is expected.

    Type parameters in either type get bound in ``bindings`` (only kept by
    the caller when the whole signature matches), as cel-go's checker does.
    """
    if source.kind is Kind.PARAM:
        bound = bindings.get(source.name)
        if bound is not None:
            return is_assignable(target, bound, bindings)
        if target.kind is Kind.PARAM and target.name == source.name:
            return True
        if not _occurs(source.name, target, bindings):
            bindings[source.name] = target
            return True
    if target.kind is Kind.PARAM:
        bound = bindings.get(target.name)
        if bound is not None:
            if is_assignable(bound, source, bindings):
                bindings[target.name] = _more_general(bound, source)
                return True
            return False
        if not _occurs(target.name, source, bindings):
            bindings[target.name] = source
            return True
        return False
    if target.is_dyn or source.is_dyn:
        return True
    if target.kind is Kind.NULL:
        return source.kind in (Kind.NULL, Kind.OBJECT)
    if source.kind is Kind.NULL:
        return target.kind is Kind.OBJECT
    if target.kind is Kind.TYPE:
        return source.kind is Kind.TYPE
    if target.kind is not source.kind or target.name != source.name:
        return False
    if len(target.params) != len(source.params):
        return False
    pairs = zip(target.params, source.params, strict=True)
    return all(is_assignable(t, s, bindings) for t, s in pairs)
