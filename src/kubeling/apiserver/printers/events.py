"""Printers of ``events.k8s.io``: the same table as core events.

Upstream stores both APIs' events as one internal type and prints them with
the core event printer. The ``events.k8s.io/v1`` field names are mapped back
to the core ones (``regarding`` is ``involvedObject``, ``note`` is ``message``,
``deprecated*`` are the legacy timestamps, count and source) before printing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers.core import EVENT
from kubeling.apiserver.printers.interface import Cell, Printer

__all__ = ["PRINTERS", "as_core_event"]

_RENAMED: Final = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}


def as_core_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """An ``events.k8s.io/v1`` Event with the core ``v1`` field names."""
    core: dict[str, Any] = {}
    for key, value in event.items():
        core[_RENAMED.get(key, key)] = value
    return core


def _event_row(event: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return EVENT.row(as_core_event(event), now)


EVENT_V1: Final = Printer(EVENT.columns, _event_row)

PRINTERS: Final[Mapping[str, Printer]] = {"events": EVENT_V1}
"""``events.k8s.io`` printers by resource plural."""
