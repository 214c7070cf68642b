"""Function declarations: each CEL function is a name with typed overloads.

An overload has a signature (parameter types, result type), a call style
(global ``size(x)`` or member ``x.size()``) and a Python implementation. The
same declaration serves both phases:

- the *checker* picks the overloads whose signature accepts the argument
  types it inferred, and takes the result type from them;
- the *interpreter* picks, at run time, the first overload whose parameters
  accept the actual values (needed because ``dyn`` values, such as an
  ``x-kubernetes-int-or-string`` field, are only known then).

Implementations receive CEL values (never errors: CEL functions are strict,
and an error argument makes the call that error) and return a CEL value or
raise ``EvalError``.

>>> from kubeling.api.cel import types
>>> lib = Library()
>>> lib.add("twice", overload("twice_int", [types.INT], types.INT, lambda x: 2 * x))
>>> lib.functions["twice"].find([21], member=False).impl(21)
42
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.types import CelType, Kind
from kubeling.api.cel.values import (
    CelObject,
    Duration,
    Optional,
    Timestamp,
    TypeValue,
    Uint,
    type_name,
)

__all__ = [
    "Function",
    "Library",
    "Overload",
    "describe_args",
    "member",
    "overload",
    "value_has_type",
]

Impl = Callable[..., Any]


@dataclass(frozen=True)
class Overload:
    """One signature of a function; for a member overload ``params[0]`` is the receiver."""

    id: str
    params: tuple[CelType, ...]
    result: CelType
    impl: Impl
    is_member: bool = False

    def accepts(self, args: Sequence[Any]) -> bool:
        """Whether the runtime values fit this signature."""
        return len(args) == len(self.params) and all(
            value_has_type(arg, t) for arg, t in zip(args, self.params, strict=True)
        )


def overload(id: str, params: Iterable[CelType], result: CelType, impl: Impl) -> Overload:
    """A global overload: ``f(a, b)``."""
    return Overload(id, tuple(params), result, impl)


def member(id: str, params: Iterable[CelType], result: CelType, impl: Impl) -> Overload:
    """A member overload: ``a.f(b)``; the first parameter is the receiver ``a``."""
    return Overload(id, tuple(params), result, impl, is_member=True)


@dataclass
class Function:
    name: str
    overloads: list[Overload] = field(default_factory=list)

    def find(self, args: Sequence[Any], *, member: bool) -> Overload | None:
        """The first overload of this call style that accepts ``args``."""
        for candidate in self.overloads:
            if candidate.is_member == member and candidate.accepts(args):
                return candidate
        return None


class Library:
    """A set of function declarations (the standard library, an extension...)."""

    def __init__(self) -> None:
        self.functions: dict[str, Function] = {}

    def add(self, name: str, *overloads: Overload) -> None:
        function = self.functions.setdefault(name, Function(name))
        function.overloads.extend(overloads)

    def merge(self, others: Iterable[Library]) -> Library:
        """A library holding this one's functions and the others'."""
        merged = Library()
        for lib in (self, *others):
            for name, function in lib.functions.items():
                merged.add(name, *function.overloads)
        return merged


_RUNTIME_CLASSES: Mapping[Kind, type | tuple[type, ...]] = {
    Kind.UINT: Uint,
    Kind.DOUBLE: float,
    Kind.STRING: str,
    Kind.BYTES: bytes,
    Kind.TIMESTAMP: Timestamp,
    Kind.DURATION: Duration,
    Kind.LIST: list,
    Kind.MAP: dict,
    Kind.OBJECT: CelObject,
    Kind.TYPE: TypeValue,
}


def value_has_type(value: Any, t: CelType) -> bool:
    """Whether a runtime value fits a (type-erased) declared type.

    As in cel-go, a list or map is judged by its first element only.
    """
    if t.kind in (Kind.DYN, Kind.PARAM, Kind.ERROR):
        return True
    if t.kind is Kind.BOOL:
        return isinstance(value, bool)
    if t.kind is Kind.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if t.kind is Kind.NULL:
        return value is None
    if t.kind is Kind.OPAQUE:
        if t.name == "optional_type":
            if not isinstance(value, Optional):
                return False
            return not (value.has_value and t.params) or value_has_type(value.value, t.params[0])
        try:
            return type_name(value) == t.name
        except EvalError:
            return False
    expected = _RUNTIME_CLASSES[t.kind]
    if not isinstance(value, expected):
        return False
    if isinstance(value, list) and value:
        return value_has_type(value[0], t.params[0])
    if isinstance(value, dict) and value and t.kind is Kind.MAP:
        key = next(iter(value))
        return value_has_type(key, t.params[0]) and value_has_type(value[key], t.params[1])
    return True


def describe_args(args: Sequence[Any]) -> str:
    """``int, string``: the runtime types of arguments, for error messages."""
    return ", ".join(type_name(arg) for arg in args)
