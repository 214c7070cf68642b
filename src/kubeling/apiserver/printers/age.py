"""Human durations and timestamps as the Kubernetes printers render them.

Every AGE cell, the ``3 (5m ago)`` suffix of a pod's RESTARTS, a job's
DURATION and a CRD ``date`` column go through ``human_duration``, a
transcription of the rules of apimachinery's ``duration.HumanDuration``: about
two significant figures, with seconds shown up to two minutes, minutes and
seconds up to ten minutes, hours and minutes up to eight hours, days and hours
up to eight days and years and days up to eight years. A duration a little in
the future (up to 1.999s, clock skew) prints as ``0s``; anything further ahead
is ``<invalid>``.

Timestamps arrive as the RFC 3339 strings stored in the object.  A missing or
zero timestamp (Go's zero ``time.Time``, ``0001-01-01T00:00:00Z``) prints as
``<unknown>``, as ``translateTimestampSince`` does.  ``now`` is always passed
in so that tables are deterministic under test.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

__all__ = [
    "UNKNOWN",
    "format_rfc3339",
    "human_duration",
    "parse_timestamp",
    "short_human_duration",
    "timestamp",
    "translate_timestamp_since",
]

UNKNOWN: Final = "<unknown>"

_MICROS_PER_SECOND: Final = 1_000_000
_MICROS_PER_MINUTE: Final = 60 * _MICROS_PER_SECOND
_MICROS_PER_HOUR: Final = 60 * _MICROS_PER_MINUTE

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)

_ZERO_TIME: Final = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)


def parse_timestamp(text: str) -> datetime.datetime:
    """Parse an RFC 3339 timestamp (with optional fraction) to an aware datetime.

    Raises ``ValueError`` for anything Go's ``time.Parse(time.RFC3339, ...)``
    would reject. Digits past microseconds are dropped.

    >>> parse_timestamp("2024-05-01T10:00:00.123456789+02:00").isoformat()
    '2024-05-01T10:00:00.123456+02:00'
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "").ljust(6, "0")[:6])
    if zone == "Z":
        tz = datetime.UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        tz = datetime.timezone(sign * offset)
    return datetime.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=tz
    )


def _timestamp_or_none(value: object) -> datetime.datetime | None:
    """The timestamp in ``value``, or ``None`` when missing, malformed or zero."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_timestamp(value)
    except ValueError:
        return None
    return None if parsed == _ZERO_TIME else parsed


def format_rfc3339(value: object) -> str:
    """``t.UTC().Format(time.RFC3339)``; a missing timestamp is Go's zero time.

    >>> format_rfc3339("2024-05-01T10:00:00.5+02:00"), format_rfc3339(None)
    ('2024-05-01T08:00:00Z', '0001-01-01T00:00:00Z')
    """
    utc = (_timestamp_or_none(value) or _ZERO_TIME).astimezone(datetime.UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def _micros(delta: datetime.timedelta) -> int:
    return delta // datetime.timedelta(microseconds=1)


def _truncated_seconds(micros: int) -> int:
    """``int(d.Seconds())``: seconds rounded toward zero."""
    whole = abs(micros) // _MICROS_PER_SECOND
    return whole if micros >= 0 else -whole


def human_duration(delta: datetime.timedelta) -> str:
    """``duration.HumanDuration``: about two significant figures.

    >>> [human_duration(datetime.timedelta(seconds=s)) for s in (79, 123, 600, 11000, 200000)]
    ['79s', '2m3s', '10m', '3h3m', '2d7h']
    """
    micros = _micros(delta)
    seconds = _truncated_seconds(micros)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = micros // _MICROS_PER_MINUTE
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = micros // _MICROS_PER_HOUR
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{hours // 24 // 365}y"


def short_human_duration(delta: datetime.timedelta) -> str:
    """``duration.ShortHumanDuration``: a single unit.

    >>> [short_human_duration(datetime.timedelta(seconds=s)) for s in (59, 61, 7200, 90000)]
    ['59s', '1m', '2h', '1d']
    """
    micros = _micros(delta)
    seconds = _truncated_seconds(micros)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    minutes = micros // _MICROS_PER_MINUTE
    if minutes < 60:
        return f"{minutes}m"
    hours = micros // _MICROS_PER_HOUR
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def translate_timestamp_since(value: object, now: datetime.datetime) -> str:
    """The age of a stored timestamp at ``now``, or ``<unknown>`` when it is unset.

    >>> now = datetime.datetime(2024, 1, 1, 0, 5, tzinfo=datetime.UTC)
    >>> translate_timestamp_since("2024-01-01T00:00:00Z", now), translate_timestamp_since(None, now)
    ('5m', '<unknown>')
    """
    parsed = _timestamp_or_none(value)
    if parsed is None:
        return UNKNOWN
    return human_duration(now - parsed)


def timestamp(value: object) -> datetime.datetime | None:
    """The stored timestamp ``value`` as a datetime; ``None`` when unset or zero."""
    return _timestamp_or_none(value)
