"""Quantity parsing, canonical formatting, arithmetic and integer accessors."""

from __future__ import annotations

import pytest

from kubeling.api.quantity import (
    KILO,
    MILLI,
    Format,
    Quantity,
    QuantityParseError,
    parse_quantity,
)

FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


@pytest.mark.parametrize(
    ("text", "canonical", "fmt"),
    [
        ("0", "0", Format.DECIMAL_SI),
        ("100m", "100m", Format.DECIMAL_SI),
        ("0.5", "500m", Format.DECIMAL_SI),
        ("1000m", "1", Format.DECIMAL_SI),
        ("1.5", "1500m", Format.DECIMAL_SI),
        ("1.0", "1", Format.DECIMAL_SI),
        ("0.000001", "1u", Format.DECIMAL_SI),
        ("128974848", "128974848", Format.DECIMAL_SI),
        ("129e6", "129e6", Format.DECIMAL_EXPONENT),
        ("1e3", "1e3", Format.DECIMAL_EXPONENT),
        ("5e-1", "500e-3", Format.DECIMAL_EXPONENT),
        ("1E", "1E", Format.DECIMAL_SI),
        ("1000k", "1M", Format.DECIMAL_SI),
        ("1Gi", "1Gi", Format.BINARY_SI),
        ("1024Ki", "1Mi", Format.BINARY_SI),
        ("1.5Ki", "1536", Format.BINARY_SI),
        ("1.5Gi", "1536Mi", Format.BINARY_SI),
        ("0.5Ki", "512", Format.BINARY_SI),
        ("3.9Gi", "4187593113600m", Format.BINARY_SI),
        ("0.0001Ki", "102400u", Format.DECIMAL_SI),
        ("8Ei", "9223372036854775807", Format.BINARY_SI),
        ("-1.5", "-1500m", Format.DECIMAL_SI),
        ("-1Mi", "-1Mi", Format.BINARY_SI),
        ("0.1n", "1n", Format.DECIMAL_SI),
        ("-0.1n", "-1n", Format.DECIMAL_SI),
        ("1e-20", "1e-9", Format.DECIMAL_EXPONENT),
        ("0.0", "0", Format.DECIMAL_SI),
        ("00", "0", Format.DECIMAL_SI),
        (".", "0", Format.DECIMAL_SI),
        ("-", "0", Format.DECIMAL_SI),
        ("+1", "+1", Format.DECIMAL_SI),
        ("01", "01", Format.DECIMAL_SI),
        ("12345678901234567890", "12345678901234567890", Format.DECIMAL_SI),
        ("1000000E", "1e24", Format.DECIMAL_SI),
    ],
)
def test_canonical_form(text: str, canonical: str, fmt: Format) -> None:
    """Parsed quantities print as Kubernetes serializes them."""
    quantity = parse_quantity(text)
    assert str(quantity) == canonical
    assert quantity.format is fmt


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", FORMAT_ERROR),
        (" 1", FORMAT_ERROR),
        ("1 ", FORMAT_ERROR),
        ("abc", FORMAT_ERROR),
        ("1x", FORMAT_ERROR),
        ("1.2.3", FORMAT_ERROR),
        ("1Ki3", "unable to parse quantity's suffix"),
        ("1e", "unable to parse quantity's suffix"),
        ("1i", "unable to parse quantity's suffix"),
        ("1KiB", FORMAT_ERROR),
        ("e-10", "unable to parse numeric part of quantity"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    """Invalid strings are rejected with Kubernetes' messages."""
    with pytest.raises(QuantityParseError) as info:
        parse_quantity(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [
        ("100m", 1, 100),
        ("1", 1, 1000),
        ("1.5", 2, 1500),
        ("0.1m", 1, 1),
        ("1Gi", 1073741824, 1073741824000),
        ("-1.5", -2, -1500),
        ("0", 0, 0),
        ("1e3", 1000, 1000000),
    ],
)
def test_integer_accessors(text: str, value: int, milli: int) -> None:
    """value() and milli_value() round away from zero."""
    quantity = parse_quantity(text)
    assert quantity.value() == value
    assert quantity.milli_value() == milli


def test_scaled_value() -> None:
    """scaled_value divides by a power of ten, rounding up."""
    assert parse_quantity("1500").scaled_value(KILO) == 2
    assert parse_quantity("1").scaled_value(MILLI) == 1000


@pytest.mark.parametrize(
    ("a", "b", "total", "difference"),
    [
        ("0.5", "500m", "1", "0"),
        ("1Gi", "512Mi", "1536Mi", "512Mi"),
        ("0", "1Gi", "1Gi", "-1Gi"),
        ("1", "1Ki", "1025", "-1023"),
        ("100m", "0.2", "300m", "-100m"),
    ],
)
def test_add_and_sub(a: str, b: str, total: str, difference: str) -> None:
    """Sums are exact and keep the left format (the right's when the left is zero)."""
    left, right = parse_quantity(a), parse_quantity(b)
    assert str(left + right) == total
    assert str(left - right) == difference


def test_arithmetic_is_exact() -> None:
    """Ten 0.1s make exactly 1, which floats would not."""
    total = Quantity(0)
    for _ in range(10):
        total = total + parse_quantity("0.1")
    assert total == parse_quantity("1")
    assert str(total) == "1"


def test_neg_and_mul() -> None:
    """Negation and integer multiplication keep the format."""
    assert str(-parse_quantity("1Gi")) == "-1Gi"
    assert str(parse_quantity("512Mi") * 2) == "1Gi"
    assert str(3 * parse_quantity("100m")) == "300m"


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1", "1000m", 0),
        ("1Ki", "1024", 0),
        ("1Gi", "1G", 1),
        ("100m", "0.2", -1),
        ("-1", "1", -1),
        ("1e999999999", "1", 1),
        ("-1e999999999", "-1", -1),
        ("0", "-0", 0),
    ],
)
def test_comparison(a: str, b: str, order: int) -> None:
    """Comparison is by value, regardless of format."""
    left, right = parse_quantity(a), parse_quantity(b)
    assert left.cmp(right) == order
    assert (left == right) is (order == 0)
    assert (left < right) is (order < 0)
    assert (left > right) is (order > 0)


def test_equal_values_hash_equal() -> None:
    """Equal quantities in different formats hash alike."""
    assert hash(parse_quantity("1Ki")) == hash(parse_quantity("1024"))
    assert len({parse_quantity("1"), parse_quantity("1000m")}) == 1


def test_huge_exponents_stay_cheap() -> None:
    """A hostile exponent parses and prints without expanding the number."""
    assert str(parse_quantity("1e999999999")) == "1e999999999"
    assert str(parse_quantity("1e-999999999")) == "1e-9"


@pytest.mark.parametrize(
    ("quantity", "canonical"),
    [
        (Quantity.from_int(5), "5"),
        (Quantity.from_int(2048, Format.BINARY_SI), "2Ki"),
        (Quantity.from_int(1000, Format.BINARY_SI), "1k"),
        (Quantity.from_int(1023, Format.BINARY_SI), "1023"),
        (Quantity.from_milli(1500), "1500m"),
        (Quantity.from_milli(1500, Format.BINARY_SI), "1500m"),
        (Quantity.from_scaled(5, KILO), "5k"),
        (Quantity.from_int(0, Format.BINARY_SI), "0"),
    ],
)
def test_constructors(quantity: Quantity, canonical: str) -> None:
    """Constructed quantities canonicalize like parsed ones."""
    assert str(quantity) == canonical
