"""The last-change trigger time: creation first, then the earliest change since the last sync."""

from __future__ import annotations

import datetime
from typing import Any

from kubeling.controllers.triggertime import TriggerTimeTracker

Obj = dict[str, Any]
SERVICE = {"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"}}


def at(second: int) -> datetime.datetime:
    return datetime.datetime(2024, 1, 1, 0, 0, second, tzinfo=datetime.UTC)


def pod(name: str, ready_since: int | None) -> Obj:
    conditions = []
    if ready_since is not None:
        conditions.append(
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": f"2024-01-01T00:00:{ready_since:02d}Z",
            }
        )
    return {"metadata": {"name": name}, "status": {"conditions": conditions}}


def test_trigger_times() -> None:
    """First sync: the service's creation; later: the earliest moved pod time, or none."""
    tracker = TriggerTimeTracker()
    assert tracker.compute("ns/web", SERVICE, [pod("a", 5)]) == at(0)
    assert tracker.compute("ns/web", SERVICE, [pod("a", 5)]) is None  # nothing moved
    assert tracker.compute("ns/web", SERVICE, [pod("a", 9), pod("b", 7)]) == at(7)
    assert tracker.compute("ns/web", SERVICE, [pod("a", 9), pod("b", 7), pod("c", None)]) is None
    tracker.delete("ns/web")
    assert tracker.compute("ns/web", SERVICE, [pod("a", 9)]) == at(0)  # new again
