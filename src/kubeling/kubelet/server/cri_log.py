"""The CRI container log format, sans-IO: one line of the file per write of the container.

Container runtimes write every line a container prints as::

    2016-10-06T00:17:09.669794202Z stdout F log content 1
    2016-10-06T00:17:09.669794203Z stderr P a long line, split here
    2016-10-06T00:17:09.669794204Z stderr F and ended here

timestamp (RFC 3339 with up to nine fraction digits), stream, tag (``F`` a full line, ``P`` a
partial one continued by the next entry; ``:``-separated tags may follow for forward
compatibility), a space, and the content with its newline. Timestamps keep nanoseconds and their
UTC offset: ``kubectl logs --timestamps`` prints them back with exactly nine fraction digits
(Go's ``RFC3339NanoFixed``) in the offset they were written with.

>>> line = parse_line(b"2016-10-06T00:17:09.6697942Z stdout F hello\\n")
>>> line.stream, line.partial, line.content, line.timestamp.format()
('stdout', False, b'hello\\n', '2016-10-06T00:17:09.669794200Z')
>>> format_line(line.timestamp, "stdout", b"hi\\n", partial=False)
b'2016-10-06T00:17:09.669794200Z stdout F hi\\n'
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from dataclasses import dataclass

__all__ = ["LogLine", "LogTimestamp", "format_line", "parse_line"]

_TIMESTAMP = re.compile(
    rb"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$",
    re.IGNORECASE,
)
_EPOCH = datetime.datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True, order=True)
class LogTimestamp:
    """An instant with nanoseconds, and the UTC offset it was written in (ordered by instant)."""

    epoch_ns: int
    offset_seconds: int = 0

    @classmethod
    def now(cls) -> LogTimestamp:
        """The current time, in UTC."""
        return cls(time.time_ns())

    @classmethod
    def parse(cls, text: bytes) -> LogTimestamp:
        """An RFC 3339 timestamp with an optional fraction (Go's ``RFC3339NanoLenient``).

        >>> LogTimestamp.parse(b"1970-01-01T01:00:00.5+01:00")
        LogTimestamp(epoch_ns=500000000, offset_seconds=3600)
        """
        match = _TIMESTAMP.match(text)
        if match is None:
            raise ValueError(f"unexpected timestamp format: {text[:40]!r}")
        year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
        fraction, zone = match.group(7), match.group(8).upper()
        offset = 0
        if zone != b"Z":
            sign = -1 if zone[:1] == b"-" else 1
            offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
        try:
            datetime.datetime(year, month, day, hour, minute, second)
        except ValueError as err:
            raise ValueError(f"unexpected timestamp: {err}") from err
        seconds = calendar.timegm((year, month, day, hour, minute, second)) - offset
        nanos = int(fraction.ljust(9, b"0")) if fraction else 0
        return cls(seconds * 1_000_000_000 + nanos, offset)

    def format(self) -> str:
        """RFC 3339 with exactly nine fraction digits, in the written offset (``Z`` for UTC)."""
        seconds, nanos = divmod(self.epoch_ns + self.offset_seconds * 1_000_000_000, 1_000_000_000)
        local = _EPOCH + datetime.timedelta(seconds=seconds)
        if self.offset_seconds == 0:
            zone = "Z"
        else:
            sign = "-" if self.offset_seconds < 0 else "+"
            hours, rest = divmod(abs(self.offset_seconds), 3600)
            zone = f"{sign}{hours:02d}:{rest // 60:02d}"
        return f"{local:%Y-%m-%dT%H:%M:%S}.{nanos:09d}{zone}"


@dataclass(frozen=True, slots=True)
class LogLine:
    """One entry of a CRI log file."""

    timestamp: LogTimestamp
    stream: str
    partial: bool
    #: What the container wrote: a full line keeps its newline, a partial one has none.
    content: bytes


def parse_line(raw: bytes) -> LogLine:
    """One line of a CRI log file (with or without its newline); ValueError if it is not one."""
    stamp, sep, rest = raw.partition(b" ")
    if not sep:
        raise ValueError("timestamp is not found")
    timestamp = LogTimestamp.parse(stamp)
    stream, sep, rest = rest.partition(b" ")
    if not sep:
        raise ValueError("stream type is not found")
    if stream not in (b"stdout", b"stderr"):
        raise ValueError(f"unexpected stream type {stream[:20]!r}")
    tags, sep, content = rest.partition(b" ")
    if not sep:
        raise ValueError("log tag is not found")
    partial = tags.split(b":", 1)[0] == b"P"
    if partial and content.endswith(b"\n"):
        content = content[:-1]
    return LogLine(timestamp, stream.decode(), partial, content)


def format_line(timestamp: LogTimestamp, stream: str, content: bytes, *, partial: bool) -> bytes:
    """The file line for ``content`` (which must hold no newline but a full line's last byte)."""
    tag = b"P" if partial else b"F"
    body = content if content.endswith(b"\n") else content + b"\n"
    return timestamp.format().encode() + b" " + stream.encode() + b" " + tag + b" " + body
