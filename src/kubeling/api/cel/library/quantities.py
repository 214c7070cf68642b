"""Kubernetes' quantity library: ``quantity('1.5Gi')`` and arithmetic on quantities.

Values are ``kubeling.api.quantity.Quantity``, the same exact decimal the
API server uses for resource requests, so ``quantity('1Gi') ==
quantity('1024Mi')``. Functions: ``quantity``, ``isQuantity``, ``sign``,
``isInteger``, ``asInteger``, ``asApproximateFloat``, ``add``, ``sub``
(a quantity or an int), ``isGreaterThan``, ``isLessThan``, ``compareTo``.

>>> q = parse_quantity("50k")
>>> sub = QUANTITIES.functions["sub"].find([q, 20000], member=True)
>>> sub.impl(q, 20000) == parse_quantity("30k")
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.values import INT64_MAX, INT64_MIN, register_opaque
from kubeling.api.quantity import NANO, Format, Quantity, QuantityParseError, parse_quantity

__all__ = ["QUANTITIES"]

register_opaque(Quantity, t.QUANTITY.name)

QUANTITIES: Final = Library()
_Q = t.QUANTITY
# Past this magnitude a float64 is infinite anyway.
_FLOAT_LIMIT: Final = Quantity(1, 309)


def _parse(text: str) -> Quantity:
    try:
        return parse_quantity(text)
    except QuantityParseError as err:
        raise EvalError(str(err)) from None


def _is_quantity(text: str) -> bool:
    try:
        parse_quantity(text)
    except QuantityParseError:
        return False
    return True


def _as_int64(q: Quantity) -> int | None:
    """The value as an int64 when it is a whole number that fits (``AsInt64``)."""
    if abs(q.sign()) and (q.cmp(Quantity(INT64_MAX)) > 0 or q.cmp(Quantity(INT64_MIN)) < 0):
        return None
    whole = q.value()
    return whole if Quantity(whole) == q else None


def _as_integer(q: Quantity) -> int:
    value = _as_int64(q)
    if value is None:
        raise EvalError("cannot convert value to integer")
    return value


def _as_float(q: Quantity) -> float:
    if q.cmp(_FLOAT_LIMIT) > 0:
        return float("inf")
    if q.cmp(-_FLOAT_LIMIT) < 0:
        return float("-inf")
    return float(Fraction(q.scaled_value(NANO), 10**9))


def _from_int(value: int) -> Quantity:
    return Quantity.from_int(value, Format.DECIMAL_EXPONENT)


QUANTITIES.add("quantity", overload("string_to_quantity", [t.STRING], _Q, _parse))
QUANTITIES.add("isQuantity", overload("is_quantity_string", [t.STRING], t.BOOL, _is_quantity))
QUANTITIES.add(
    "sign",
    overload("quantity_sign", [_Q], t.INT, Quantity.sign),
    member("quantity_sign_member", [_Q], t.INT, Quantity.sign),
)
QUANTITIES.add(
    "isInteger", member("quantity_is_integer", [_Q], t.BOOL, lambda q: _as_int64(q) is not None)
)
QUANTITIES.add("asInteger", member("quantity_get_int", [_Q], t.INT, _as_integer))
QUANTITIES.add("asApproximateFloat", member("quantity_get_float", [_Q], t.DOUBLE, _as_float))
QUANTITIES.add(
    "add",
    member("quantity_add", [_Q, _Q], _Q, lambda a, b: a + b),
    member("quantity_add_int", [_Q, t.INT], _Q, lambda a, b: a + _from_int(b)),
)
QUANTITIES.add(
    "sub",
    member("quantity_sub", [_Q, _Q], _Q, lambda a, b: a - b),
    member("quantity_sub_int", [_Q, t.INT], _Q, lambda a, b: a - _from_int(b)),
)
QUANTITIES.add(
    "isGreaterThan",
    member("quantity_is_greater_than", [_Q, _Q], t.BOOL, lambda a, b: a.cmp(b) == 1),
)
QUANTITIES.add(
    "isLessThan", member("quantity_is_less_than", [_Q, _Q], t.BOOL, lambda a, b: a.cmp(b) == -1)
)
QUANTITIES.add("compareTo", member("quantity_compare_to", [_Q, _Q], t.INT, Quantity.cmp))
