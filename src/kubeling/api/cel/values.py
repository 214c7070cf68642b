"""CEL runtime values, and CEL's rules for comparing them.

Most CEL values are plain Python values:

=============  ==================================================
CEL type       Python value
=============  ==================================================
``bool``       ``bool``
``int``        ``int`` (kept within 64 bits by every operation)
``uint``       ``Uint`` (so that ``1u`` and ``1`` stay different)
``double``     ``float``
``string``     ``str``
``bytes``      ``bytes``
``null_type``  ``None``
``list``       ``list`` (``SetList``/``MapList`` for Kubernetes
               ``x-kubernetes-list-type: set`` / ``map`` lists)
``map``        ``dict`` (``CelObject`` for a schema object)
timestamp      ``Timestamp`` (nanosecond precision)
duration       ``Duration`` (nanoseconds)
``type``       ``TypeValue``
optional       ``Optional``
=============  ==================================================

Python's ``bool`` is an ``int``; every check here tests ``bool`` first.

Equality is *heterogeneous*, as CEL defines it since 2022: values of
different types are simply unequal (``1 == 'a'`` is ``false``, not an
error), except numbers, which compare by value across ``int``, ``uint`` and
``double`` (``1 == 1u == 1.0``). Lists and maps compare element-wise, and a
Kubernetes set or map list ignores order. Ordering (``<``) is defined within
a type, and across the three number types.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.cel.errors import EvalError

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "NONE",
    "UINT64_MAX",
    "CelObject",
    "Duration",
    "MapList",
    "Optional",
    "SetList",
    "Timestamp",
    "TypeValue",
    "Uint",
    "check_int",
    "check_uint",
    "compare",
    "equals",
    "is_number",
    "map_lookup",
    "register_opaque",
    "type_name",
]

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
UINT64_MAX: Final = 2**64 - 1


def check_int(value: int) -> int:
    """``value`` if it fits in an int64, else the ``integer overflow`` error."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise EvalError("integer overflow")
    return value


def check_uint(value: int) -> Uint:
    """``Uint(value)`` if it fits in a uint64, else ``unsigned integer overflow``."""
    if not 0 <= value <= UINT64_MAX:
        raise EvalError("unsigned integer overflow")
    return Uint(value)


@dataclass(frozen=True, order=True)
class Uint:
    """A CEL ``uint``: an unsigned 64-bit integer (``42u``)."""

    value: int

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, order=True)
class Duration:
    """A CEL duration: a signed count of nanoseconds that fits in 64 bits."""

    nanos: int

    def __post_init__(self) -> None:
        check_int(self.nanos)


# Timestamps span the years 0001 to 9999, as in cel-go.
MIN_TIMESTAMP_SECONDS: Final = -62135596800
MAX_TIMESTAMP_SECONDS: Final = 253402300799


@dataclass(frozen=True, order=True)
class Timestamp:
    """A CEL timestamp: seconds and nanoseconds since the Unix epoch, in UTC."""

    seconds: int
    nanos: int = 0

    def __post_init__(self) -> None:
        if not MIN_TIMESTAMP_SECONDS <= self.seconds <= MAX_TIMESTAMP_SECONDS:
            raise EvalError("timestamp overflow")

    @classmethod
    def from_nanos(cls, nanos: int) -> Timestamp:
        """The timestamp ``nanos`` nanoseconds after the epoch."""
        seconds, rest = divmod(nanos, 1_000_000_000)
        return cls(seconds, rest)

    @property
    def total_nanos(self) -> int:
        return self.seconds * 1_000_000_000 + self.nanos


@dataclass(frozen=True)
class TypeValue:
    """A type used as a value: ``int``, ``type(x)``; equal when the names are."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Optional:
    """``optional.of(v)`` (``has_value``) or ``optional.none()``."""

    value: Any = None
    has_value: bool = False

    @classmethod
    def of(cls, value: Any) -> Optional:
        return cls(value, has_value=True)


NONE: Final = Optional()


class CelObject(dict[str, Any]):
    """An object of a structural schema: a map of its (escaped) property names.

    At run time Kubernetes treats an object like a map whose keys are the
    properties that are set; the type checker is what tells them apart.
    """


class SetList(list[Any]):
    """A list with ``x-kubernetes-list-type: set``: equal regardless of order."""


class MapList(list[Any]):
    """A list with ``x-kubernetes-list-type: map``: items identified by ``keys``."""

    def __init__(self, items: Iterable[Any], keys: tuple[str, ...]) -> None:
        super().__init__(items)
        self.keys = keys

    def key_of(self, item: Any) -> tuple[Any, ...]:
        """The tuple of an item's key fields (``None`` where absent)."""
        if not isinstance(item, Mapping):
            raise EvalError(
                "unexpected data format for element of array with x-kubernetes-list-type=map"
            )
        return tuple(_hashable(item.get(key)) for key in self.keys)


def _hashable(value: Any) -> Any:
    return value.value if isinstance(value, Uint) else value


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Uint) and not isinstance(value, bool)


def _numeric(value: object) -> int | float:
    if isinstance(value, Uint):
        return value.value
    assert isinstance(value, int | float)
    return value


def type_name(value: object) -> str:
    """The CEL runtime type name of a value, as ``type(x)`` and errors show it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Uint):
        return "uint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "bytes"
    if value is None:
        return "null_type"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, Timestamp):
        return "google.protobuf.Timestamp"
    if isinstance(value, Duration):
        return "google.protobuf.Duration"
    if isinstance(value, TypeValue):
        return "type"
    if isinstance(value, Optional):
        return "optional_type"
    for cls, name in _OPAQUE_TYPES.items():
        if isinstance(value, cls):
            return name
    raise EvalError(f"unsupported value: {value!r}")


# Library types (a Kubernetes quantity, a URL...): Python class -> CEL type name.
_OPAQUE_TYPES: dict[type, str] = {}


def register_opaque(cls: type, name: str) -> None:
    """Make instances of ``cls`` CEL values of the opaque type ``name``."""
    _OPAQUE_TYPES[cls] = name


def equals(left: Any, right: Any) -> bool:
    """CEL's ``==`` (heterogeneous): never raises for values of different types.

    >>> equals(1, 1.0), equals(1, Uint(1)), equals(1, "1"), equals([1, 2], [1, 2.0])
    (True, True, False, True)
    >>> equals(SetList([1, 2]), [2, 1]), equals([1, 2], [2, 1])
    (True, False)
    """
    if isinstance(left, EvalError):
        raise left
    if isinstance(right, EvalError):
        raise right
    if is_number(left) and is_number(right):
        return _numeric(left) == _numeric(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return _lists_equal(left, right)
    if isinstance(left, dict) and isinstance(right, dict):
        return _maps_equal(left, right)
    if isinstance(left, Optional) and isinstance(right, Optional):
        if left.has_value and right.has_value:
            return equals(left.value, right.value)
        return left.has_value == right.has_value
    if type_name(left) != type_name(right):
        return False
    return bool(left == right)


def _lists_equal(left: list[Any], right: list[Any]) -> bool:
    if len(left) != len(right):
        return False
    if isinstance(left, MapList) or isinstance(right, MapList):
        keyed = left if isinstance(left, MapList) else right
        assert isinstance(keyed, MapList)
        other = right if keyed is left else left
        by_key = {keyed.key_of(item): item for item in keyed}
        for item in other:
            mine = by_key.get(keyed.key_of(item), _MISSING)
            if mine is _MISSING or not equals(mine, item):
                return False
        return True
    if isinstance(left, SetList) or isinstance(right, SetList):
        return all(any(equals(a, b) for b in right) for a in left) and all(
            any(equals(a, b) for a in left) for b in right
        )
    return all(equals(a, b) for a, b in zip(left, right, strict=True))


_MISSING: Final = object()


def _maps_equal(left: dict[Any, Any], right: dict[Any, Any]) -> bool:
    if len(left) != len(right):
        return False
    for key, value in left.items():
        other = map_lookup(right, key, _MISSING)
        if other is _MISSING or not equals(value, other):
            return False
    return True


def map_lookup(mapping: Mapping[Any, Any], key: Any, default: Any) -> Any:
    """``mapping[key]`` with CEL's key equality (``m[1u]`` finds the key ``1``)."""
    if is_number(key):
        number = _numeric(key)
        if isinstance(number, float) and not number.is_integer():
            return default
        for candidate in (int(number), Uint(int(number))):
            if candidate in mapping:
                found = mapping[candidate]
                stored = next(k for k in mapping if k == candidate)
                if not isinstance(stored, bool):
                    return found
        return default
    if isinstance(key, bool):
        for stored, found in mapping.items():
            if isinstance(stored, bool) and stored == key:
                return found
        return default
    try:
        return mapping.get(key, default)
    except TypeError:
        return default


def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1 for ``left`` against ``right``; ``no such overload`` if unordered.

    >>> compare(1, 2.5), compare(Uint(3), 2), compare("b", "a")
    (-1, 1, 1)
    """
    if is_number(left) and is_number(right):
        a, b = _numeric(left), _numeric(right)
        if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
            raise EvalError("NaN values cannot be ordered")
        return (a > b) - (a < b)
    same = type(left) is type(right)
    orderable = (bool, str, bytes, Timestamp, Duration)
    if same and isinstance(left, orderable):
        return int(left > right) - int(left < right)
    raise EvalError("no such overload")
