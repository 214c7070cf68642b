"""Timestamps and durations: parsing, printing and calendar fields, as cel-go does them.

cel-go delegates to Go's ``time`` package, so this module follows Go:

- ``timestamp('2024-05-01T10:00:00.5+02:00')`` parses RFC 3339 (fractional
  seconds optional, ``Z`` or a numeric offset) and prints back in UTC with
  the fraction trimmed: ``2024-05-01T08:00:00.5Z``;
- ``duration('1h30m')`` parses Go durations (units ``h m s ms us µs ns``,
  decimals and a sign allowed) and prints as seconds: ``5400s``;
- calendar accessors (``getHours()``...) work in UTC or in a time zone given
  as an IANA name (``'Europe/Paris'``) or an offset (``'+05:30'``).

Python's ``datetime`` holds microseconds only, so a timestamp is kept as
seconds plus nanoseconds and ``datetime`` is used for the calendar part.

>>> format_timestamp(parse_timestamp("2024-05-01T10:00:00.5+02:00"))
'2024-05-01T08:00:00.5Z'
>>> format_duration(parse_go_duration("1h30m")), format_duration(Duration(1))
('5400s', '0.000000001s')
"""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo
from decimal import Decimal
from typing import Final

from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.values import Duration, Timestamp

__all__ = [
    "format_duration",
    "format_timestamp",
    "parse_go_duration",
    "parse_timestamp",
    "timestamp_field",
    "zone",
]

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)

_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART: Final = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]+)")


def parse_timestamp(text: str) -> Timestamp:
    """An RFC 3339 timestamp; the error is cel-go's conversion error."""
    match = _RFC3339.fullmatch(text)
    if not match:
        raise _conversion_error("timestamp")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7) or "", match.group(8)
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 1, month)[1]):
        raise _conversion_error("timestamp")
    if hour > 23 or minute > 59 or second > 59:
        raise _conversion_error("timestamp")
    seconds = calendar.timegm((year, month, day, hour, minute, second))
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise _conversion_error("timestamp")
        seconds -= sign * (hours * 3600 + minutes * 60)
    nanos = int((fraction + "000000000")[:9])
    return Timestamp(seconds, nanos)


def _conversion_error(target: str) -> EvalError:
    return EvalError(f"type conversion error from 'string' to 'google.protobuf.{target.title()}'")


def format_timestamp(ts: Timestamp) -> str:
    """Go's RFC3339Nano in UTC: trailing zeros of the fraction dropped."""
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=ts.seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.year < 1000:
        text = f"{moment.year:04d}" + text[text.index("-") :]
    if ts.nanos:
        text += "." + f"{ts.nanos:09d}".rstrip("0")
    return text + "Z"


def parse_go_duration(text: str) -> Duration:
    """A Go duration string (``time.ParseDuration``), e.g. ``-1.5h``, ``300ms``."""
    rest = text
    sign = 1
    if rest[:1] in ("+", "-"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return Duration(0)
    if not rest:
        raise _conversion_error("duration")
    total = Decimal(0)
    while rest:
        part = _DURATION_PART.match(rest)
        if not part or (not part.group(1) and not part.group(2)):
            raise _conversion_error("duration")
        whole, fraction, unit = part.groups()
        if unit not in _UNITS:
            raise _conversion_error("duration")
        total += Decimal(f"{whole or '0'}.{fraction or '0'}") * _UNITS[unit]
        rest = rest[part.end() :]
    nanos = sign * int(total)
    if not -(2**63) <= nanos <= 2**63 - 1:
        raise _conversion_error("duration")
    return Duration(nanos)


def format_duration(duration: Duration) -> str:
    """Seconds with the fraction trimmed, as cel-go prints a duration: ``1.5s``."""
    seconds = Decimal(duration.nanos) / Decimal(1_000_000_000)
    text = format(seconds, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "s"


def zone(name: str) -> datetime.tzinfo:
    """A time zone from an IANA name or a ``+HH:MM`` offset (cel-go's rules)."""
    offset = re.fullmatch(r"([+-]?)(\d{1,2}):(\d{2})", name)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = datetime.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        return datetime.timezone(sign * delta)
    if name in ("", "UTC"):
        return datetime.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise EvalError(f"unknown time zone {name}") from err


def timestamp_field(ts: Timestamp, name: str, tz: str = "UTC") -> int:
    """One calendar field of a timestamp in a time zone (``getHours`` → ``hours``)."""
    utc = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=ts.seconds
    )
    local = utc.astimezone(zone(tz))
    fields = {
        "getFullYear": local.year,
        "getMonth": local.month - 1,
        "getDate": local.day,
        "getDayOfMonth": local.day - 1,
        "getDayOfWeek": (local.weekday() + 1) % 7,
        "getDayOfYear": local.timetuple().tm_yday - 1,
        "getHours": local.hour,
        "getMinutes": local.minute,
        "getSeconds": local.second,
        "getMilliseconds": ts.nanos // 1_000_000,
    }
    return fields[name]
