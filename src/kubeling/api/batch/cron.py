"""CronJob schedules as Kubernetes reads them (robfig/cron v3 ``ParseStandard`` and ``Next``).

Both the API server (validating ``spec.schedule``) and the CronJob controller
(finding the next start time) use this one module, so a schedule the server
accepts is exactly a schedule the controller runs.

The grammar: five fields (minute, hour, day of month, month, day of week),
each a comma list of ``*``/``?``, ``N``, ``N-M`` with an optional ``/step``
(``N/step`` runs to the field's maximum); months and weekdays also take
three-letter names, case-insensitively. A schedule may instead be a
descriptor (``@yearly``/``@annually``, ``@monthly``, ``@weekly``,
``@daily``/``@midnight``, ``@hourly``, ``@every <Go duration>``), and may
start with ``TZ=<zone> `` or ``CRON_TZ=<zone> ``.

Errors are the library's own texts, which the API server puts after
``spec.schedule: Invalid value: "<schedule>": `` (``expected exactly 5
fields, found 1: [x]``, ``end of range (60) above maximum (59): 60``...).
Weekday 7 is out of range, as in the library.

:meth:`CronSchedule.next` is the library's ``Next``, including how it walks
over daylight-saving changes: it steps whole hours, minutes and seconds on
the absolute time line, days and months on the wall clock, and resolves a
wall time that falls in a gap the way Go's ``time.Date`` does (02:30 on a
spring-forward night in New York is 01:30 EST), so schedules fire at the same
instants as in Kubernetes. A schedule with no possible time within five
years (``0 0 30 2 *``) has no next time (``None``; the library's zero time).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass
from typing import Final

from kubeling.api.goformat import go_quote

__all__ = [
    "CronParseError",
    "CronSchedule",
    "load_location",
    "load_location_error",
    "parse_standard",
]


class CronParseError(ValueError):
    """A schedule the parser rejects; ``str()`` is the library's message."""


@dataclass(frozen=True, slots=True)
class _Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


_MINUTES: Final = _Bounds(0, 59)
_HOURS: Final = _Bounds(0, 23)
_DOM: Final = _Bounds(1, 31)
_MONTHS: Final = _Bounds(
    1,
    12,
    {
        name: i + 1
        for i, name in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
)
_DOW: Final = _Bounds(
    0, 6, {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
)
_STAR_BIT: Final = 1 << 63


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed schedule: a bit set per field (bit N: value N allowed; bit 63: ``*``),
    or for ``@every`` the period in whole seconds; ``location`` from a ``TZ=`` prefix."""

    minute: int = 0
    hour: int = 0
    dom: int = 0
    month: int = 0
    dow: int = 0
    every_seconds: int | None = None
    location: str | None = None

    def next(
        self, after: datetime.datetime, *, local: datetime.tzinfo = datetime.UTC
    ) -> datetime.datetime | None:
        """The first activation strictly after ``after`` (an aware datetime), in UTC.

        ``local`` is the zone of a schedule without ``TZ=`` (Kubernetes: the
        controller manager's local zone). None if nothing matches within five years.

        >>> at = datetime.datetime(2024, 3, 9, 12, 0, tzinfo=datetime.UTC)
        >>> parse_standard("*/15 * * * *").next(at).isoformat()
        '2024-03-09T12:15:00+00:00'
        >>> # 02:30 does not exist in New York on 10 March 2024: that day is skipped
        >>> parse_standard("TZ=America/New_York 30 2 * * *").next(at).isoformat()
        '2024-03-11T06:30:00+00:00'
        """
        moment = after.astimezone(datetime.UTC)
        if self.every_seconds is not None:
            return moment.replace(microsecond=0) + datetime.timedelta(seconds=self.every_seconds)
        zone = local if self.location is None else load_location(self.location)
        return _next_activation(self, moment, zone)


def load_location(name: str) -> datetime.tzinfo:
    """Go's ``time.LoadLocation`` for a name it accepts: ``""`` and ``UTC`` are UTC.

    (``Local`` cannot reach here: the API server refuses it in ``timeZone`` and the
    parser reads a ``TZ=Local`` schedule as local, like the library.)
    """
    if name in ("", "UTC"):
        return datetime.UTC
    return zoneinfo.ZoneInfo(name)


_ONE_SECOND: Final = datetime.timedelta(seconds=1)
_ONE_MINUTE: Final = datetime.timedelta(minutes=1)
_ONE_HOUR: Final = datetime.timedelta(hours=1)
_MIDNIGHT: Final = (0, 0, 0)


def _go_date(
    year: int, month: int, day: int, clock: tuple[int, int, int], zone: datetime.tzinfo
) -> datetime.datetime:
    """Go's ``time.Date(year, month, day, hour, minute, second, 0, zone)`` as a UTC instant.

    Out-of-range months and days carry over (month 13 is next January), and a
    wall time in a daylight-saving gap or overlap gets the offset Go picks: the
    offset in force at that wall time read as UTC, unless the result falls outside
    that offset's period, in which case the offset at the result.
    """
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    hour, minute, second = clock
    wall = datetime.datetime(year, month, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        days=day - 1, hours=hour, minutes=minute, seconds=second
    )
    guess = _offset_at(wall, zone)
    moment = wall - guess
    actual = _offset_at(moment, zone)
    return moment if actual == guess else wall - actual


def _offset_at(moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.timedelta:
    return moment.astimezone(zone).utcoffset() or datetime.timedelta(0)


def _weekday(wall: datetime.datetime) -> int:
    """Go's ``Weekday``: Sunday is 0."""
    return (wall.weekday() + 1) % 7


def _day_matches(schedule: CronSchedule, wall: datetime.datetime) -> bool:
    """Both day fields must match when either is ``*``; otherwise either may."""
    dom_match = bool(1 << wall.day & schedule.dom)
    dow_match = bool(1 << _weekday(wall) & schedule.dow)
    if schedule.dom & _STAR_BIT or schedule.dow & _STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def _next_activation(
    schedule: CronSchedule, moment: datetime.datetime, zone: datetime.tzinfo
) -> datetime.datetime | None:
    """``SpecSchedule.Next``: advance field by field from the next whole second.

    Each field that does not match is stepped until it does; a wrap of a field
    (into a new year, month, day, hour) starts the checks over, because the
    earlier fields must then be verified again. Seconds are always 0 (the
    standard format has no seconds field).
    """
    t = moment.replace(microsecond=0) + _ONE_SECOND
    added = False  # once a field moved, the lower ones restart from their minimum

    def wall() -> datetime.datetime:
        return t.astimezone(zone)

    year_limit = wall().year + 5
    while True:  # the library's WRAP label
        w = wall()
        if w.year > year_limit:
            return None
        wrapped = False
        while not 1 << w.month & schedule.month:
            if not added:
                added = True
                t = _go_date(w.year, w.month, 1, _MIDNIGHT, zone)
                w = wall()
            t = _go_date(w.year, w.month + 1, w.day, _clock(w), zone)
            w = wall()
            if w.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(schedule, w):
            if not added:
                added = True
                t = _go_date(w.year, w.month, w.day, _MIDNIGHT, zone)
                w = wall()
            t = _go_date(w.year, w.month, w.day + 1, _clock(w), zone)
            w = wall()
            # Midnight may not exist (a DST change at 00:00): land on the day's start.
            if w.hour != 0:
                shift = 24 - w.hour if w.hour > 12 else -w.hour
                t += datetime.timedelta(hours=shift)
                w = wall()
            if w.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not 1 << w.hour & schedule.hour:
            if not added:
                added = True
                t = _go_date(w.year, w.month, w.day, (w.hour, 0, 0), zone)
            t += _ONE_HOUR
            w = wall()
            if w.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not 1 << w.minute & schedule.minute:
            if not added:
                added = True
                t = t.replace(second=0)
            t += _ONE_MINUTE
            w = wall()
            if w.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while w.second != 0:
            added = True
            t += _ONE_SECOND
            w = wall()
            if w.second == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t


def _clock(wall: datetime.datetime) -> tuple[int, int, int]:
    """The time of day ``AddDate`` carries over to the new date."""
    return wall.hour, wall.minute, wall.second


def _atoi(text: str) -> int:
    """Go's ``strconv.Atoi`` with its error text."""
    if re.fullmatch(r"[+-]?[0-9]+", text) is None:
        raise CronParseError(f"strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    number = int(text)
    if not -(2**63) <= number < 2**63:
        raise CronParseError(f"strconv.Atoi: parsing {go_quote(text)}: value out of range")
    return number


def _must_parse_int(expr: str) -> int:
    try:
        number = _atoi(expr)
    except CronParseError as err:
        raise CronParseError(f"failed to parse int from {expr}: {err}") from None
    if number < 0:
        raise CronParseError(f"negative number ({number}) not allowed: {expr}")
    return number


def _int_or_name(expr: str, bounds: _Bounds) -> int:
    if bounds.names is not None and expr.lower() in bounds.names:
        return bounds.names[expr.lower()]
    return _must_parse_int(expr)


def _range_bits(expr: str, bounds: _Bounds) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = bounds.low, bounds.high, _STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds)
        else:
            raise CronParseError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1])
        if single:
            end = bounds.high
        if step > 1:
            extra = 0
    else:
        raise CronParseError(f"too many slashes: {expr}")
    if start < bounds.low:
        raise CronParseError(f"beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronParseError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronParseError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronParseError(f"step of range should be a positive number: {expr}")
    bits = 0
    for value in range(start, end + 1, step):
        bits |= 1 << value
    return bits | extra


def _field_bits(text: str, bounds: _Bounds) -> int:
    bits = 0
    for expr in (part for part in text.split(",") if part):
        bits |= _range_bits(expr, bounds)
    return bits


_DURATION_UNITS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART: Final = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def parse_go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` in seconds (``1h30m`` → 5400.0), with its errors."""
    original = text
    bad = CronParseError(f"time: invalid duration {go_quote(original)}")
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise bad
    total = 0.0
    while text:
        match = _DURATION_PART.match(text)
        assert match is not None
        number, unit = match.group(1), match.group(2)
        if number in ("", "."):
            raise bad
        if not unit:
            raise CronParseError(f"time: missing unit in duration {go_quote(original)}")
        known = next(
            (u for u in sorted(_DURATION_UNITS, key=len, reverse=True) if unit.startswith(u)), None
        )
        if known is None or (len(unit) > len(known) and not unit[len(known)].isdigit()):
            raise CronParseError(
                f"time: unknown unit {go_quote(unit)} in duration {go_quote(original)}"
            )
        total += float(number) * _DURATION_UNITS[known]
        text = text[match.start(2) + len(known) :]
    return sign * total


def load_location_error(name: str) -> str | None:
    """Go's ``time.LoadLocation`` error for ``name`` (``unknown time zone X``), or None."""
    if name in ("", "UTC", "Local"):
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name}"
    return None


def _descriptor(spec: str, location: str | None) -> CronSchedule:
    def at(minute: int, hour: int, dom: int, month: int, dow: int) -> CronSchedule:
        return CronSchedule(minute, hour, dom, month, dow, location=location)

    every_dom = _field_bits("*", _DOM)
    every_month = _field_bits("*", _MONTHS)
    every_dow = _field_bits("*", _DOW)
    if spec in ("@yearly", "@annually"):
        return at(1, 1, 1 << 1, 1 << 1, every_dow)
    if spec == "@monthly":
        return at(1, 1, 1 << 1, every_month, every_dow)
    if spec == "@weekly":
        return at(1, 1, every_dom, every_month, 1)
    if spec in ("@daily", "@midnight"):
        return at(1, 1, every_dom, every_month, every_dow)
    if spec == "@hourly":
        return at(1, _field_bits("*", _HOURS), every_dom, every_month, every_dow)
    prefix = "@every "
    if spec.startswith(prefix):
        try:
            seconds = parse_go_duration(spec[len(prefix) :])
        except CronParseError as err:
            raise CronParseError(f"failed to parse duration {spec}: {err}") from None
        # The library's Every: at least a second, whole seconds only.
        return CronSchedule(every_seconds=int(max(seconds, 1.0)), location=location)
    raise CronParseError(f"unrecognized descriptor: {spec}")


def parse_standard(spec: str) -> CronSchedule:
    """Parse a CronJob schedule or raise ``CronParseError`` with the library's message.

    >>> parse_standard("*/15 * * * *").minute == sum(1 << m for m in (0, 15, 30, 45))
    True
    >>> try:
    ...     parse_standard("x")
    ... except CronParseError as err:
    ...     print(err)
    expected exactly 5 fields, found 1: [x]
    """
    if not spec:
        raise CronParseError("empty spec string")
    location: str | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, equals = spec.find(" "), spec.find("=")
        name = spec[equals + 1 : space] if space >= 0 else spec[equals + 1 :]
        problem = load_location_error(name)
        if problem is not None:
            raise CronParseError(f"provided bad location {name}: {problem}")
        location = name
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        return _descriptor(spec, location)
    fields = spec.split()
    if len(fields) != 5:
        raise CronParseError(
            f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
        )
    return CronSchedule(
        minute=_field_bits(fields[0], _MINUTES),
        hour=_field_bits(fields[1], _HOURS),
        dom=_field_bits(fields[2], _DOM),
        month=_field_bits(fields[3], _MONTHS),
        dow=_field_bits(fields[4], _DOW),
        location=location,
    )
