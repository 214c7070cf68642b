"""Resource quantities (apimachinery's ``resource.Quantity``): parse, compare, add, print.

A quantity is an exact decimal: ``100m`` CPU, ``1.5Gi`` memory. It is never a
float, here or upstream. It remembers the *format* its suffix implied
(``DecimalSI`` for ``m``/``k``/``M``..., ``BinarySI`` for ``Ki``/``Mi``...,
``DecimalExponent`` for ``e3``) and prints itself in *canonical form* in that
format: no fractional digits, the largest suffix that loses nothing
(``0.5`` → ``500m``, ``1024Ki`` → ``1Mi``, ``1.5Gi`` → ``1536Mi``). A
BinarySI value that is not a whole number, or is under 1024 in magnitude,
prints as DecimalSI instead.

Parsing ports upstream's scanner, with its rules and quirks:

* Precision is kept to the nano (``1e-9``); a finer non-zero value rounds
  *away from zero* (``0.1n`` → ``1n``). Decimal values are not capped;
  BinarySI values are capped, silently, at 2^63-1.
* When the input is already canonical, upstream keeps the *original text* and
  prints it back unchanged, which is why ``+1`` stays ``+1``, ``01`` stays
  ``01`` and ``1e3`` stays ``1e3`` (DecimalExponent is preserved; it does not
  become ``1k``). That cache is reproduced exactly.
* ``.``, ``-`` and ``+`` alone parse as zero, as upstream.

Deliberate differences, both where upstream silently corrupts a value:
``value()``/``milli_value()`` return exact Python ints instead of overflowing
int64, and always round away from zero (upstream does so for int64-backed
values but not for big-decimal-backed negatives); a DecimalSI value of
``1000E`` or more prints with an ``e`` exponent (as newer apimachinery does)
rather than losing its exponent.

Internally a value is ``mantissa * 10**exponent`` with no trailing zeros in
the mantissa, so a hostile ``1e999999999`` stays two small integers.
"""

from __future__ import annotations

import enum
import functools
from typing import Final

__all__ = [
    "EXA",
    "GIGA",
    "KILO",
    "MEGA",
    "MICRO",
    "MILLI",
    "NANO",
    "PETA",
    "TERA",
    "Format",
    "Quantity",
    "QuantityParseError",
    "parse_quantity",
]

NANO: Final = -9
MICRO: Final = -6
MILLI: Final = -3
KILO: Final = 3
MEGA: Final = 6
GIGA: Final = 9
TERA: Final = 12
PETA: Final = 15
EXA: Final = 18


class Format(enum.StrEnum):
    """How a quantity prints; taken from the suffix it was parsed with."""

    DECIMAL_EXPONENT = "DecimalExponent"
    BINARY_SI = "BinarySI"
    DECIMAL_SI = "DecimalSI"


class QuantityParseError(ValueError):
    """A string that is not a quantity; ``str()`` is upstream's message."""


_SPLIT_RE: Final = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_ERR_FORMAT: Final = f"quantities must match the regular expression '{_SPLIT_RE}'"
_ERR_NUMERIC: Final = "unable to parse numeric part of quantity"
_ERR_SUFFIX: Final = "unable to parse quantity's suffix"

_DECIMAL_SUFFIXES: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_BY_EXPONENT: Final = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIXES: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_BY_POWER: Final = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_SUFFIX_CHARS: Final = frozenset("eEinumkKMGTP")
_DIGITS: Final = frozenset("0123456789")
_MAX_INT64: Final = 2**63 - 1
# Digits that always fit an int64 (upstream's maxInt64Factors).
_MAX_INT64_DIGITS: Final = 18


def _normalize(mantissa: int, exponent: int) -> tuple[int, int]:
    if mantissa == 0:
        return 0, 0
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    return mantissa, exponent


def _round_to_nano(mantissa: int, exponent: int) -> tuple[int, int]:
    """Round a non-zero value away from zero to a multiple of 1e-9."""
    if exponent >= NANO or mantissa == 0:
        return mantissa, exponent
    shift = NANO - exponent
    magnitude = abs(mantissa)
    if len(str(magnitude)) <= shift:
        rounded = 1  # smaller than one nano: round up to exactly one
    else:
        rounded, remainder = divmod(magnitude, _pow10(shift))
        rounded += 1 if remainder else 0
    return _normalize(rounded if mantissa > 0 else -rounded, NANO)


def _pow10(exponent: int) -> int:
    if exponent < 0:
        raise ValueError(f"negative power of ten: {exponent}")
    return int(10**exponent)


def _int_value(mantissa: int, exponent: int) -> int:
    return mantissa * _pow10(exponent)


@functools.total_ordering
class Quantity:
    """An exact, formatted resource amount.

    >>> q = parse_quantity("1.5Gi")
    >>> str(q), q.value(), str(parse_quantity("0.5") + parse_quantity("500m"))
    ('1536Mi', 1610612736, '1')
    """

    __slots__ = ("_exponent", "_format", "_mantissa", "_text")

    def __init__(self, mantissa: int, exponent: int = 0, fmt: Format = Format.DECIMAL_SI) -> None:
        """The value ``mantissa * 10**exponent`` in format ``fmt``."""
        self._mantissa, self._exponent = _normalize(mantissa, exponent)
        self._format = fmt
        self._text: str | None = None

    @classmethod
    def _cached(cls, mantissa: int, exponent: int, fmt: Format, text: str | None) -> Quantity:
        quantity = cls(mantissa, exponent, fmt)
        quantity._text = text
        return quantity

    @classmethod
    def from_int(cls, value: int, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        """``NewQuantity``: a whole number in ``fmt``."""
        return cls(value, 0, fmt)

    @classmethod
    def from_milli(cls, value: int, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        """``NewMilliQuantity``: ``value`` thousandths, e.g. millicores."""
        return cls(value, MILLI, fmt)

    @classmethod
    def from_scaled(cls, value: int, scale: int) -> Quantity:
        """``NewScaledQuantity``: ``value * 10**scale`` in DecimalSI."""
        return cls(value, scale, Format.DECIMAL_SI)

    @property
    def format(self) -> Format:
        """The format the canonical string is written in."""
        return self._format

    def is_zero(self) -> bool:
        """True for any zero, whatever its format."""
        return self._mantissa == 0

    def sign(self) -> int:
        """-1, 0 or 1."""
        return (self._mantissa > 0) - (self._mantissa < 0)

    def scaled_value(self, scale: int) -> int:
        """``value / 10**scale`` as an int, rounded away from zero.

        >>> parse_quantity("1500m").scaled_value(0), parse_quantity("1k").scaled_value(KILO)
        (2, 1)
        """
        exponent = self._exponent - scale
        if exponent >= 0:
            return _int_value(self._mantissa, exponent)
        whole, remainder = divmod(abs(self._mantissa), _pow10(-exponent))
        whole += 1 if remainder else 0
        return whole if self._mantissa >= 0 else -whole

    def value(self) -> int:
        """The value rounded away from zero to a whole number: ``100m`` → 1."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """The value in thousandths, rounded away from zero: ``0.1m`` → 1."""
        return self.scaled_value(MILLI)

    def _with_value(self, mantissa: int, exponent: int, other: Quantity | None) -> Quantity:
        fmt = other._format if other is not None and self.is_zero() else self._format
        return Quantity(mantissa, exponent, fmt)

    def _aligned(self, other: Quantity) -> tuple[int, int, int]:
        exponent = min(self._exponent, other._exponent)
        return (
            self._mantissa * _pow10(self._exponent - exponent),
            other._mantissa * _pow10(other._exponent - exponent),
            exponent,
        )

    def __add__(self, other: Quantity) -> Quantity:
        """The sum, in this quantity's format (the other's when this one is zero)."""
        if not isinstance(other, Quantity):
            return NotImplemented
        mine, theirs, exponent = self._aligned(other)
        return self._with_value(mine + theirs, exponent, other)

    def __sub__(self, other: Quantity) -> Quantity:
        """The difference, formatted as ``__add__``."""
        if not isinstance(other, Quantity):
            return NotImplemented
        mine, theirs, exponent = self._aligned(other)
        return self._with_value(mine - theirs, exponent, other)

    def __neg__(self) -> Quantity:
        return Quantity(-self._mantissa, self._exponent, self._format)

    def __mul__(self, factor: int) -> Quantity:
        """Multiply by a whole number, keeping the format."""
        if not isinstance(factor, int) or isinstance(factor, bool):
            return NotImplemented
        return Quantity(self._mantissa * factor, self._exponent, self._format)

    __rmul__ = __mul__

    def _cmp(self, other: Quantity) -> int:
        a, b = self.sign(), other.sign()
        if a != b or a == 0:
            return (a > b) - (a < b)
        # Same sign: compare orders of magnitude first so huge exponents stay cheap.
        mag_a = len(str(abs(self._mantissa))) + self._exponent
        mag_b = len(str(abs(other._mantissa))) + other._exponent
        if mag_a != mag_b:
            bigger = (mag_a > mag_b) - (mag_a < mag_b)
            return bigger * a
        mine, theirs, _ = self._aligned(other)
        return (mine > theirs) - (mine < theirs)

    def cmp(self, other: Quantity) -> int:
        """-1, 0 or 1 as this quantity is less than, equal to or greater than ``other``."""
        return self._cmp(other)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self._mantissa == other._mantissa and self._exponent == other._exponent

    def __lt__(self, other: Quantity) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self._cmp(other) < 0

    def __hash__(self) -> int:
        return hash((self._mantissa, self._exponent))

    def __str__(self) -> str:
        if self._text is not None:
            return self._text
        number, suffix = self._canonical()
        return number + suffix

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def _canonical(self) -> tuple[str, str]:
        if self._mantissa == 0:
            return "0", ""
        fmt = self._format
        if fmt is Format.BINARY_SI:
            # Fractions and values under 1024 print in decimal: no rounding, no confusion.
            fractional = self._exponent < 0
            digits = len(str(abs(self._mantissa))) + self._exponent
            small = (
                not fractional
                and digits <= 4
                and abs(_int_value(self._mantissa, self._exponent)) < 1024
            )
            if fractional or small:
                fmt = Format.DECIMAL_SI
        if fmt is Format.BINARY_SI:
            return self._canonical_binary()
        mantissa, exponent = self._mantissa, self._exponent
        # Lower the exponent to a multiple of three, growing the mantissa to match.
        spare = exponent % 3
        mantissa, exponent = mantissa * _pow10(spare), exponent - spare
        if fmt is Format.DECIMAL_SI and exponent in _DECIMAL_BY_EXPONENT:
            return str(mantissa), _DECIMAL_BY_EXPONENT[exponent]
        return str(mantissa), f"e{exponent}" if exponent else ""

    def _canonical_binary(self) -> tuple[str, str]:
        value = _int_value(self._mantissa, self._exponent)
        magnitude, power = abs(value), 0
        while magnitude >= 1024 and magnitude % 1024 == 0 and power < len(_BINARY_BY_POWER) - 1:
            magnitude //= 1024
            power += 1
        number = str(magnitude if value > 0 else -magnitude)
        return number, _BINARY_BY_POWER[power]


def _scan(text: str) -> tuple[bool, str, str, str, str]:
    """Split ``text`` into sign, numeric text, integer digits, fraction digits and suffix.

    A port of upstream's ``parseQuantityString``; raises on a malformed suffix.
    """
    positive = True
    pos, end = 0, len(text)
    if text[:1] == "-":
        positive, pos = False, 1
    elif text[:1] == "+":
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos >= end:
        return positive, text, text[start:], "", ""
    num = text[start:pos] or "0"
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, text, num, denom, ""
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityParseError(_ERR_FORMAT)
    return positive, value, num, denom, text[suffix_start:]


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def _interpret_suffix(suffix: str) -> tuple[int, int, Format]:
    """``(base, exponent, format)`` for a suffix, or raise."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        # strconv.ParseInt: an optional sign, ASCII digits, within int64.
        exponent_text = suffix[1:]
        digits = exponent_text[1:] if exponent_text[0] in "+-" else exponent_text
        if digits and all(c in _DIGITS for c in digits):
            parsed = int(exponent_text)
            if -(2**63) <= parsed <= _MAX_INT64:
                # Upstream narrows the exponent to int32, wrapping around.
                return 10, _int32(parsed), Format.DECIMAL_EXPONENT
    raise QuantityParseError(_ERR_SUFFIX)


def _parse_decimal(text: str) -> tuple[int, int]:
    """``[+-]digits[.digits]`` with at least one digit → ``(mantissa, exponent)``."""
    sign = -1 if text[:1] == "-" else 1
    body = text[1:] if text[:1] in "+-" else text
    whole, _, fraction = body.partition(".")
    digits = whole + fraction
    if not digits or any(c not in _DIGITS for c in digits):
        raise QuantityParseError(_ERR_NUMERIC)
    return sign * int(digits), -len(fraction)


def parse_quantity(text: str) -> Quantity:
    """Parse a quantity string, raising ``QuantityParseError`` with upstream's message.

    >>> [str(parse_quantity(s)) for s in ("100m", "0.5", "1024Ki", "1e3", "128974848")]
    ['100m', '500m', '1Mi', '1e3', '128974848']
    """
    if not text:
        raise QuantityParseError(_ERR_FORMAT)
    if text == "0":
        return Quantity._cached(0, 0, Format.DECIMAL_SI, "0")
    positive, value, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret_suffix(suffix)

    # The fast path: the digits fit an int64 and the scale is no finer than nano.
    multiplier = 1
    if fmt is Format.BINARY_SI:
        scale = 0
        if exponent >= 0 and not denom:
            multiplier = 1 << exponent
            precision = 15 - len(num) - exponent * 3 // 10 - 1
        else:
            precision = -1
    else:
        scale = exponent
        precision = _MAX_INT64_DIGITS - len(num) - len(denom)
    if precision >= 0 and scale - len(denom) >= NANO:
        scale -= len(denom)
        shifted = num + denom
        digits = int(shifted)
        result = digits * multiplier
        if result <= _MAX_INT64:
            result = result if positive else -result
            if fmt is Format.BINARY_SI:
                canonical = exponent % 10 == 0 and digits & 0x07 != 0
            else:
                canonical = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
            return Quantity._cached(result, scale, fmt, text if canonical else None)

    mantissa, dec_exponent = _parse_decimal(value)
    if base == 10:
        dec_exponent += exponent
    else:
        mantissa <<= exponent
    mantissa, dec_exponent = _round_to_nano(mantissa, dec_exponent)
    if fmt is Format.BINARY_SI:
        magnitude = Quantity(abs(mantissa), dec_exponent)
        if magnitude > _MAX_BINARY:
            mantissa, dec_exponent = _MAX_INT64 if mantissa > 0 else -_MAX_INT64, 0
        elif mantissa != 0 and magnitude < _ONE:
            fmt = Format.DECIMAL_SI
    return Quantity(mantissa, dec_exponent, fmt)


_MAX_BINARY: Final = Quantity(_MAX_INT64)
_ONE: Final = Quantity(1)
