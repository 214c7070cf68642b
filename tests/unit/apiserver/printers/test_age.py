"""HumanDuration boundaries and timestamp handling for AGE cells."""

from __future__ import annotations

import datetime

import pytest

from kubeling.apiserver.printers.age import (
    format_rfc3339,
    human_duration,
    parse_timestamp,
    short_human_duration,
    translate_timestamp_since,
)
from tests.unit.apiserver.printers._support import NOW, ago

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-2, "<invalid>"),
        (-1.5, "0s"),
        (-1, "0s"),
        (0, "0s"),
        (1, "1s"),
        (79, "79s"),
        (119, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * HOUR - 1, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + 3 * MINUTE + 20, "3h3m"),
        (8 * HOUR - 1, "7h59m"),
        (8 * HOUR, "8h"),
        (48 * HOUR - 1, "47h"),
        (2 * DAY, "2d"),
        (2 * DAY + HOUR, "2d1h"),
        (8 * DAY - 1, "7d23h"),
        (8 * DAY, "8d"),
        (730 * DAY - 1, "729d"),
        (730 * DAY, "2y"),
        (775 * DAY, "2y45d"),
        (4 * 365 * DAY + 45 * DAY, "4y45d"),
        (8 * 365 * DAY, "8y"),
        (3000 * DAY, "8y"),
    ],
)
def test_human_duration(seconds: float, expected: str) -> None:
    """HumanDuration picks units exactly at upstream's thresholds."""
    assert human_duration(datetime.timedelta(seconds=seconds)) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (59, "59s"),
        (60, "1m"),
        (HOUR, "1h"),
        (DAY, "1d"),
        (366 * DAY, "1y"),
    ],
)
def test_short_human_duration(seconds: float, expected: str) -> None:
    """ShortHumanDuration keeps a single unit."""
    assert short_human_duration(datetime.timedelta(seconds=seconds)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ago(300), "5m"),
        (None, "<unknown>"),
        ("", "<unknown>"),
        ("0001-01-01T00:00:00Z", "<unknown>"),
        ("yesterday", "<unknown>"),
        ("2024-06-01T14:00:00+02:00", "0s"),
        ("2024-06-01T11:59:58.999999Z", "1s"),
    ],
)
def test_translate_timestamp_since(value: object, expected: str) -> None:
    """Missing or zero timestamps print as <unknown>; offsets are honoured."""
    assert translate_timestamp_since(value, NOW) == expected


def test_parse_timestamp_rejects_non_rfc3339() -> None:
    """A date without a time or zone is not RFC 3339."""
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_timestamp("2024-06-01")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-01T14:00:00.5+02:00", "2024-06-01T12:00:00Z"),
        (None, "0001-01-01T00:00:00Z"),
    ],
)
def test_format_rfc3339(value: object, expected: str) -> None:
    """CREATED AT cells are UTC RFC 3339 without fractions."""
    assert format_rfc3339(value) == expected
