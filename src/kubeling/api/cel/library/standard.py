"""CEL's standard library: the operators and functions every CEL has.

Arithmetic is 64-bit and checked, as cel-go does it: ``int`` and ``uint``
overflow is an error (``integer overflow``, ``unsigned integer overflow``),
never a wrap-around; integer division truncates toward zero and the
remainder takes the dividend's sign (Go's ``/`` and ``%``, not Python's
``//``); dividing by zero is ``division by zero`` (or ``modulus by zero``),
while ``double`` follows IEEE 754 (``1.0 / 0.0`` is infinity).

There is no implicit conversion between number types: ``1 + 1.0`` does not
type-check; ``double(1) + 1.0`` does. Comparisons (``<``...) do work across
``int``, ``uint`` and ``double``, and so does equality at run time.

Conversions follow cel-go (``int('12')``, ``string(1.5)``, ``timestamp('...')``,
``duration('1h')``); a string that does not convert is ``type conversion
error from 'string' to 'int'``.

>>> _int_div(-7, 2), _int_mod(-7, 2)
(-3, -1)
>>> go_g(1e6), go_g(123456.0), go_g(0.5)
('1e+06', '123456', '0.5')
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Final

from kubeling.api.cel import timeutil
from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.regex import search
from kubeling.api.cel.values import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    Duration,
    MapList,
    SetList,
    Timestamp,
    TypeValue,
    Uint,
    check_int,
    check_uint,
    compare,
    equals,
    map_lookup,
    type_name,
)

__all__ = ["STANDARD", "go_g", "to_string"]

A, B, K, V = t.param("A"), t.param("B"), t.param("K"), t.param("V")
LIST_A = t.list_of(A)
MAP_KV = t.map_of(K, V)

STANDARD: Final = Library()
_add = STANDARD.add


# -- arithmetic -----------------------------------------------------------


def _int_div(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("division by zero")
    quotient = abs(a) // abs(b)
    return check_int(quotient if (a < 0) == (b < 0) else -quotient)


def _int_mod(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("modulus by zero")
    if a == INT64_MIN and b == -1:
        raise EvalError("integer overflow")
    remainder = abs(a) % abs(b)
    return remainder if a >= 0 else -remainder


def _uint_div(a: Uint, b: Uint) -> Uint:
    if b.value == 0:
        raise EvalError("division by zero")
    return Uint(a.value // b.value)


def _uint_mod(a: Uint, b: Uint) -> Uint:
    if b.value == 0:
        raise EvalError("modulus by zero")
    return Uint(a.value % b.value)


def _double_div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def concat_lists(left: list[Any], right: list[Any]) -> list[Any]:
    """``left + right``; Kubernetes set and map lists merge instead of appending."""
    if isinstance(left, SetList):
        merged = SetList(left)
        for item in right:
            if not any(equals(item, existing) for existing in merged):
                merged.append(item)
        return merged
    if isinstance(left, MapList):
        combined = MapList(left, left.keys)
        positions = {combined.key_of(item): index for index, item in enumerate(combined)}
        for item in right:
            key = combined.key_of(item)
            if key in positions:
                combined[positions[key]] = item
            else:
                positions[key] = len(combined)
                combined.append(item)
        return combined
    return [*left, *right]


def _add_timestamp(ts: Timestamp, d: Duration) -> Timestamp:
    return Timestamp.from_nanos(ts.total_nanos + d.nanos)


def _sub_timestamps(a: Timestamp, b: Timestamp) -> Duration:
    return Duration(check_int(a.total_nanos - b.total_nanos))


_add(
    "_+_",
    overload("add_int64", [t.INT, t.INT], t.INT, lambda a, b: check_int(a + b)),
    overload("add_uint64", [t.UINT, t.UINT], t.UINT, lambda a, b: check_uint(a.value + b.value)),
    overload("add_double", [t.DOUBLE, t.DOUBLE], t.DOUBLE, lambda a, b: a + b),
    overload("add_string", [t.STRING, t.STRING], t.STRING, lambda a, b: a + b),
    overload("add_bytes", [t.BYTES, t.BYTES], t.BYTES, lambda a, b: a + b),
    overload("add_list", [LIST_A, LIST_A], LIST_A, concat_lists),
    overload("add_timestamp_duration", [t.TIMESTAMP, t.DURATION], t.TIMESTAMP, _add_timestamp),
    overload(
        "add_duration_timestamp",
        [t.DURATION, t.TIMESTAMP],
        t.TIMESTAMP,
        lambda d, ts: _add_timestamp(ts, d),
    ),
    overload(
        "add_duration_duration",
        [t.DURATION, t.DURATION],
        t.DURATION,
        lambda a, b: Duration(check_int(a.nanos + b.nanos)),
    ),
)
_add(
    "_-_",
    overload("subtract_int64", [t.INT, t.INT], t.INT, lambda a, b: check_int(a - b)),
    overload(
        "subtract_uint64", [t.UINT, t.UINT], t.UINT, lambda a, b: check_uint(a.value - b.value)
    ),
    overload("subtract_double", [t.DOUBLE, t.DOUBLE], t.DOUBLE, lambda a, b: a - b),
    overload(
        "subtract_timestamp_timestamp",
        [t.TIMESTAMP, t.TIMESTAMP],
        t.DURATION,
        _sub_timestamps,
    ),
    overload(
        "subtract_timestamp_duration",
        [t.TIMESTAMP, t.DURATION],
        t.TIMESTAMP,
        lambda ts, d: Timestamp.from_nanos(ts.total_nanos - d.nanos),
    ),
    overload(
        "subtract_duration_duration",
        [t.DURATION, t.DURATION],
        t.DURATION,
        lambda a, b: Duration(check_int(a.nanos - b.nanos)),
    ),
)
_add(
    "_*_",
    overload("multiply_int64", [t.INT, t.INT], t.INT, lambda a, b: check_int(a * b)),
    overload(
        "multiply_uint64", [t.UINT, t.UINT], t.UINT, lambda a, b: check_uint(a.value * b.value)
    ),
    overload("multiply_double", [t.DOUBLE, t.DOUBLE], t.DOUBLE, lambda a, b: a * b),
)
_add(
    "_/_",
    overload("divide_int64", [t.INT, t.INT], t.INT, _int_div),
    overload("divide_uint64", [t.UINT, t.UINT], t.UINT, _uint_div),
    overload("divide_double", [t.DOUBLE, t.DOUBLE], t.DOUBLE, _double_div),
)
_add(
    "_%_",
    overload("modulo_int64", [t.INT, t.INT], t.INT, _int_mod),
    overload("modulo_uint64", [t.UINT, t.UINT], t.UINT, _uint_mod),
)
_add(
    "-_",
    overload("negate_int64", [t.INT], t.INT, lambda a: check_int(-a)),
    overload("negate_double", [t.DOUBLE], t.DOUBLE, lambda a: -a),
)

# -- logic, equality, ordering ----------------------------------------------

# The interpreter evaluates &&, || and @not_strictly_false itself (they are not
# strict); these declarations give the checker their signatures.
_add("_&&_", overload("logical_and", [t.BOOL, t.BOOL], t.BOOL, lambda a, b: a and b))
_add("_||_", overload("logical_or", [t.BOOL, t.BOOL], t.BOOL, lambda a, b: a or b))
_add("!_", overload("logical_not", [t.BOOL], t.BOOL, lambda a: not a))
_add("@not_strictly_false", overload("not_strictly_false", [t.BOOL], t.BOOL, lambda a: a))
_add("_==_", overload("equals", [A, A], t.BOOL, equals))
_add("_!=_", overload("not_equals", [A, A], t.BOOL, lambda a, b: not equals(a, b)))

_ORDERED: Final = [
    ("bool", t.BOOL, t.BOOL),
    ("int64", t.INT, t.INT),
    ("int64_uint64", t.INT, t.UINT),
    ("int64_double", t.INT, t.DOUBLE),
    ("uint64", t.UINT, t.UINT),
    ("uint64_int64", t.UINT, t.INT),
    ("uint64_double", t.UINT, t.DOUBLE),
    ("double", t.DOUBLE, t.DOUBLE),
    ("double_int64", t.DOUBLE, t.INT),
    ("double_uint64", t.DOUBLE, t.UINT),
    ("string", t.STRING, t.STRING),
    ("bytes", t.BYTES, t.BYTES),
    ("timestamp", t.TIMESTAMP, t.TIMESTAMP),
    ("duration", t.DURATION, t.DURATION),
]
for _op, _name, _test in (
    ("_<_", "less", lambda c: c < 0),
    ("_<=_", "less_equals", lambda c: c <= 0),
    ("_>_", "greater", lambda c: c > 0),
    ("_>=_", "greater_equals", lambda c: c >= 0),
):
    for _suffix, _left, _right in _ORDERED:
        _add(
            _op,
            overload(
                f"{_name}_{_suffix}",
                [_left, _right],
                t.BOOL,
                lambda a, b, test=_test: test(compare(a, b)),
            ),
        )


def _in_list(item: Any, items: list[Any]) -> bool:
    return any(equals(item, candidate) for candidate in items)


_ABSENT: Final = object()

_add(
    "@in",
    overload("in_list", [A, LIST_A], t.BOOL, _in_list),
    overload(
        "in_map", [A, t.map_of(A, B)], t.BOOL, lambda k, m: map_lookup(m, k, _ABSENT) is not _ABSENT
    ),
)

# -- indexing and size ------------------------------------------------------


def index_list(items: list[Any], index: Any) -> Any:
    """``items[index]`` (an int, or a whole double or uint at run time)."""
    if isinstance(index, Uint):
        index = index.value
    elif isinstance(index, float) and index.is_integer():
        index = int(index)
    elif isinstance(index, bool) or not isinstance(index, int):
        raise EvalError(f"unsupported index type '{type_name(index)}' in list")
    if not 0 <= index < len(items):
        raise EvalError(f"index out of bounds: {index}")
    item = items[index]
    if isinstance(item, EvalError):
        raise item  # an element that did not convert from its schema
    return item


def index_map(mapping: dict[Any, Any], key: Any) -> Any:
    """``mapping[key]``, or ``no such key: <key>``."""
    value = map_lookup(mapping, key, _ABSENT)
    if value is _ABSENT:
        raise EvalError(f"no such key: {to_string(key) if not isinstance(key, str) else key}")
    if isinstance(value, EvalError):
        raise value
    return value


_add(
    "_[_]",
    overload("index_list", [LIST_A, t.INT], A, index_list),
    overload("index_map", [MAP_KV, K], V, index_map),
)


def _size(value: Any) -> int:
    return len(value)


for _kind, _param in (
    ("string", t.STRING),
    ("bytes", t.BYTES),
    ("list", LIST_A),
    ("map", MAP_KV),
):
    _add(
        "size",
        overload(f"size_{_kind}", [_param], t.INT, _size),
        member(f"{_kind}_size", [_param], t.INT, _size),
    )

# -- strings ----------------------------------------------------------------


def _matches(text: str, pattern: str) -> bool:
    return search(pattern, text) is not None


_add("contains", member("contains_string", [t.STRING, t.STRING], t.BOOL, lambda s, x: x in s))
_add(
    "startsWith",
    member("starts_with_string", [t.STRING, t.STRING], t.BOOL, lambda s, x: s.startswith(x)),
)
_add(
    "endsWith",
    member("ends_with_string", [t.STRING, t.STRING], t.BOOL, lambda s, x: s.endswith(x)),
)
_add(
    "matches",
    overload("matches", [t.STRING, t.STRING], t.BOOL, _matches),
    member("matches_string", [t.STRING, t.STRING], t.BOOL, _matches),
)

# -- conversions ------------------------------------------------------------


def _conversion_error(source: str, target: str) -> EvalError:
    return EvalError(f"type conversion error from '{source}' to '{target}'")


def _double_to_int(value: float) -> int:
    if math.isnan(value) or math.isinf(value) or not INT64_MIN < value < INT64_MAX:
        raise EvalError("integer overflow")
    return int(value)


def _double_to_uint(value: float) -> Uint:
    if math.isnan(value) or math.isinf(value) or not 0 <= value < 2.0**64:
        raise EvalError("unsigned integer overflow")
    return Uint(int(value))


def _parse_go_int(text: str, target: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise _conversion_error("string", target)
    return int(text)


def _string_to_int(text: str) -> int:
    value = _parse_go_int(text, "int")
    if not INT64_MIN <= value <= INT64_MAX:
        raise _conversion_error("string", "int")
    return value


def _string_to_uint(text: str) -> Uint:
    if text.startswith("-"):
        raise _conversion_error("string", "uint")
    value = _parse_go_int(text, "uint")
    if value > UINT64_MAX:
        raise _conversion_error("string", "uint")
    return Uint(value)


_FLOAT_WORDS: Final = {"inf": math.inf, "infinity": math.inf, "nan": math.nan}


def _string_to_double(text: str) -> float:
    body = text[1:] if text[:1] in "+-" else text
    word = _FLOAT_WORDS.get(body.lower())
    if word is not None:
        return -word if text.startswith("-") else word
    if not body or body.lower().startswith(("in", "na")) or "_" in body:
        raise _conversion_error("string", "double")
    try:
        return float(text)
    except ValueError:
        raise _conversion_error("string", "double") from None


_BOOL_WORDS: Final = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}


def _string_to_bool(text: str) -> bool:
    if text not in _BOOL_WORDS:
        raise _conversion_error("string", "bool")
    return _BOOL_WORDS[text]


def go_g(value: float) -> str:
    """Go's ``%g`` of a float64 (shortest digits, exponent from 1e+06 or below 1e-04)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    exact = Decimal(repr(value)).normalize()
    sign, digit_tuple, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    sci_exponent = len(digits) - 1 + exponent
    prefix = "-" if sign else ""
    if -4 <= sci_exponent < 6:
        return prefix + format(abs(exact), "f")
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp_sign = "-" if sci_exponent < 0 else "+"
    return f"{prefix}{mantissa}e{exp_sign}{abs(sci_exponent):02d}"


def _bytes_to_string(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise EvalError("invalid UTF-8 in bytes, cannot convert to string") from None


def to_string(value: Any) -> str:
    """``string(value)`` for the scalar types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Uint):
        return str(value)
    if isinstance(value, float):
        return go_g(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return _bytes_to_string(value)
    if isinstance(value, Timestamp):
        return timeutil.format_timestamp(value)
    if isinstance(value, Duration):
        return timeutil.format_duration(value)
    if isinstance(value, TypeValue):
        return value.name
    raise _conversion_error(type_name(value), "string")


def _timestamp_to_int(ts: Timestamp) -> int:
    return ts.seconds


_add(
    "int",
    overload("int64_to_int64", [t.INT], t.INT, lambda x: x),
    overload("uint64_to_int64", [t.UINT], t.INT, lambda x: check_int(x.value)),
    overload("double_to_int64", [t.DOUBLE], t.INT, _double_to_int),
    overload("string_to_int64", [t.STRING], t.INT, _string_to_int),
    overload("timestamp_to_int64", [t.TIMESTAMP], t.INT, _timestamp_to_int),
)
_add(
    "uint",
    overload("uint64_to_uint64", [t.UINT], t.UINT, lambda x: x),
    overload("int64_to_uint64", [t.INT], t.UINT, check_uint),
    overload("double_to_uint64", [t.DOUBLE], t.UINT, _double_to_uint),
    overload("string_to_uint64", [t.STRING], t.UINT, _string_to_uint),
)
_add(
    "double",
    overload("double_to_double", [t.DOUBLE], t.DOUBLE, lambda x: x),
    overload("int64_to_double", [t.INT], t.DOUBLE, float),
    overload("uint64_to_double", [t.UINT], t.DOUBLE, lambda x: float(x.value)),
    overload("string_to_double", [t.STRING], t.DOUBLE, _string_to_double),
)
_add(
    "string",
    *(
        overload(f"{name}_to_string", [param], t.STRING, to_string)
        for name, param in (
            ("string", t.STRING),
            ("bool", t.BOOL),
            ("int64", t.INT),
            ("uint64", t.UINT),
            ("double", t.DOUBLE),
            ("bytes", t.BYTES),
            ("timestamp", t.TIMESTAMP),
            ("duration", t.DURATION),
        )
    ),
)
_add(
    "bytes",
    overload("bytes_to_bytes", [t.BYTES], t.BYTES, lambda x: x),
    overload("string_to_bytes", [t.STRING], t.BYTES, lambda x: x.encode()),
)
_add(
    "bool",
    overload("bool_to_bool", [t.BOOL], t.BOOL, lambda x: x),
    overload("string_to_bool", [t.STRING], t.BOOL, _string_to_bool),
)
_add(
    "timestamp",
    overload("timestamp_to_timestamp", [t.TIMESTAMP], t.TIMESTAMP, lambda x: x),
    overload("string_to_timestamp", [t.STRING], t.TIMESTAMP, timeutil.parse_timestamp),
    overload("int64_to_timestamp", [t.INT], t.TIMESTAMP, lambda x: Timestamp(x)),
)
_add(
    "duration",
    overload("duration_to_duration", [t.DURATION], t.DURATION, lambda x: x),
    overload("string_to_duration", [t.STRING], t.DURATION, timeutil.parse_go_duration),
)
_add("dyn", overload("to_dyn", [A], t.DYN, lambda x: x))
_add("type", overload("type", [A], t.type_of(A), lambda x: TypeValue(type_name(x))))

# -- timestamp and duration accessors ----------------------------------------

_TIMESTAMP_FIELDS: Final = (
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
)
_DURATION_UNITS: Final = {
    "getHours": 3_600_000_000_000,
    "getMinutes": 60_000_000_000,
    "getSeconds": 1_000_000_000,
    "getMilliseconds": 1_000_000,
}

for _field in _TIMESTAMP_FIELDS:
    _add(
        _field,
        member(
            f"timestamp_{_field}",
            [t.TIMESTAMP],
            t.INT,
            lambda ts, f=_field: timeutil.timestamp_field(ts, f),
        ),
        member(
            f"timestamp_{_field}_with_tz",
            [t.TIMESTAMP, t.STRING],
            t.INT,
            lambda ts, tz, f=_field: timeutil.timestamp_field(ts, f, tz),
        ),
    )


def _truncated(nanos: int, unit: int) -> int:
    """Whole units in a duration, truncated toward zero as Go's ``Hours()`` etc. do."""
    return nanos // unit if nanos >= 0 else -(-nanos // unit)


for _field, _unit in _DURATION_UNITS.items():
    _add(
        _field,
        member(
            f"duration_{_field}",
            [t.DURATION],
            t.INT,
            lambda d, u=_unit: _truncated(d.nanos, u),
        ),
    )
