"""``metav1.Time`` and ``metav1.MicroTime`` as they appear on the wire.

Kubernetes serialises its two timestamp types as RFC 3339 in UTC with a ``Z``:
``Time`` (``creationTimestamp``, an Event's ``lastTimestamp``) to whole seconds,
``MicroTime`` (a Lease's ``renewTime``, an events.k8s.io ``eventTime``) to exactly
six fractional digits. A ``Time`` drops the fraction (Go truncates, it does not
round), so a value written and read back compares equal on any client.
"""

from __future__ import annotations

import datetime

__all__ = ["format_micro_time", "format_time"]


def _utc(moment: datetime.datetime | float | None) -> datetime.datetime:
    if moment is None:
        return datetime.datetime.now(datetime.UTC)
    if isinstance(moment, (int, float)):
        return datetime.datetime.fromtimestamp(moment, datetime.UTC)
    return moment.astimezone(datetime.UTC)


def format_time(moment: datetime.datetime | float | None = None) -> str:
    """A ``metav1.Time``: whole seconds, UTC; ``moment`` is a datetime, a Unix time or now.

    >>> format_time(datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC))
    '2024-01-02T03:04:05Z'
    """
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(moment: datetime.datetime | float | None = None) -> str:
    """A ``metav1.MicroTime``: six fractional digits, UTC.

    >>> format_micro_time(datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC))
    '2024-01-02T03:04:05.000678Z'
    """
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
