"""What time it is, for controllers that act on wall-clock time.

Kubernetes' controllers take a ``clock.Clock`` so that tests can move time by
hand; here a clock is any function returning an aware ``datetime``. Work-queue
delays still run on the event loop's own clock: a controller computes a delay
from its clock (``deadline - clock()``) and hands the queue seconds.
"""

from __future__ import annotations

import datetime
import os
import zoneinfo
from collections.abc import Callable

__all__ = ["Clock", "local_zone", "utc_now"]

#: A source of the current time (an aware datetime).
Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    """The real current time, in UTC."""
    return datetime.datetime.now(datetime.UTC)


def local_zone() -> datetime.tzinfo:
    """This machine's time zone: ``$TZ`` if it names a zone, else ``/etc/localtime``, else UTC.

    Kubernetes reads a CronJob schedule without ``timeZone`` in the controller
    manager's local zone (Go's ``time.Local``, found the same way).
    """
    name = os.environ.get("TZ", "").removeprefix(":")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return datetime.UTC  # Go falls back to UTC for a TZ it cannot load
    try:
        with open("/etc/localtime", "rb") as tzfile:
            return zoneinfo.ZoneInfo.from_file(tzfile, key="Local")
    except (OSError, ValueError):
        return datetime.UTC
