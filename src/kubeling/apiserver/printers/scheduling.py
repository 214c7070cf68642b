"""Printers of ``scheduling.k8s.io``: priority classes.

PREEMPTIONPOLICY has priority 0 upstream, so it shows without ``-o wide``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import creation_timestamp, integer, name, text
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _priority_class_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        integer(obj, "value"),
        obj.get("globalDefault") is True,
        translate_timestamp_since(creation_timestamp(obj), now),
        text(obj, "preemptionPolicy"),
    ]


PRIORITY_CLASS: Final = Printer(
    (
        name_column(),
        Column("Value", "integer", "value represents the integer value of this priority class."),
        Column(
            "Global-Default",
            "boolean",
            "globalDefault specifies whether this PriorityClass "
            "should be considered as the default priority for pods that do not have any "
            "priority class.",
        ),
        age_column(),
        Column(
            "PreemptionPolicy",
            "string",
            "preemptionPolicy is the Policy for preempting pods with lower priority.",
        ),
    ),
    _priority_class_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"priorityclasses": PRIORITY_CLASS}
"""``scheduling.k8s.io`` printers by resource plural."""
