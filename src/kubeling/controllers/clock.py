"""What time it is, for controllers that act on wall-clock time.

Kubernetes' controllers take a ``clock.Clock`` so that tests can move time by
hand; here a clock is any function returning an aware ``datetime``. Work-queue
delays still run on the event loop's own clock: a controller computes a delay
from its clock (``deadline - clock()``) and hands the queue seconds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

__all__ = ["Clock", "utc_now"]

#: A source of the current time (an aware datetime).
Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    """The real current time, in UTC."""
    return datetime.datetime.now(datetime.UTC)
