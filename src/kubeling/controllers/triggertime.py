"""When did the change that an Endpoints (or EndpointSlice) update reflects happen?

The endpoint controllers stamp ``endpoints.kubernetes.io/last-change-trigger-time``
on what they write, so that kube-proxy can measure how long a change took to
reach it. Kubernetes' ``TriggerTimeTracker`` computes it per service:

- a service seen for the first time: its ``creationTimestamp``;
- after that, the earliest of the trigger times that moved since the last
  sync: a pod's ``Ready`` condition ``lastTransitionTime``, the service's
  ``creationTimestamp``;
- nothing moved: no time (the annotation is removed).

Like upstream's, the answer is approximate when one object changes several
times between two syncs. A key is never synced by two workers at once, so
the per-service state needs no lock.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.controllers.pods import condition, parse_time

__all__ = ["LAST_CHANGE_TRIGGER_TIME", "TriggerTimeTracker", "format_trigger_time"]

LAST_CHANGE_TRIGGER_TIME: Final = "endpoints.kubernetes.io/last-change-trigger-time"


def format_trigger_time(moment: datetime.datetime) -> str:
    """RFC 3339 with nanoseconds as Go prints them (trailing zeros dropped).

    >>> format_trigger_time(datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    '2024-01-02T03:04:05Z'
    >>> format_trigger_time(datetime.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=datetime.UTC))
    '2024-01-02T03:04:05.12Z'
    """
    moment = moment.astimezone(datetime.UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ("." + f"{moment.microsecond:06d}").rstrip("0")
    return text + "Z"


@dataclass
class _ServiceState:
    service_time: datetime.datetime | None = None
    pod_times: dict[str, datetime.datetime] = field(default_factory=dict)


def _pod_trigger_time(pod: Mapping[str, Any]) -> datetime.datetime | None:
    ready = condition(pod, "Ready")
    return parse_time(ready.get("lastTransitionTime")) if ready is not None else None


def _earliest(current: datetime.datetime | None, candidate: datetime.datetime) -> datetime.datetime:
    return candidate if current is None or candidate < current else current


class TriggerTimeTracker:
    """Per-service memory of the trigger times seen at the last sync."""

    def __init__(self) -> None:
        self._states: dict[str, _ServiceState] = {}

    def compute(
        self, key: str, service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]
    ) -> datetime.datetime | None:
        """The trigger time to stamp for ``service`` (``key``) and its ``pods``, or None;
        updates the remembered state even when nothing will be written."""
        state = self._states.get(key)
        known = state is not None
        previous = state or _ServiceState()
        earliest: datetime.datetime | None = None
        pod_times: dict[str, datetime.datetime] = {}
        for pod in pods:
            moment = _pod_trigger_time(pod)
            if moment is None:
                continue
            name = str((pod.get("metadata") or {}).get("name", ""))
            pod_times[name] = moment
            last = previous.pod_times.get(name)
            if last is None or moment > last:
                earliest = _earliest(earliest, moment)
        created = parse_time((service.get("metadata") or {}).get("creationTimestamp"))
        if created is not None and (
            previous.service_time is None or created > previous.service_time
        ):
            earliest = _earliest(earliest, created)
        self._states[key] = _ServiceState(service_time=created, pod_times=pod_times)
        if not known:
            return created  # a service seen for the first time
        return earliest

    def delete(self, key: str) -> None:
        """Forget a deleted service."""
        self._states.pop(key, None)
