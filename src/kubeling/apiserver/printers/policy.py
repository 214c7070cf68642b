"""Printers of ``policy``: pod disruption budgets (``N/A`` for an unset bound)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    creation_timestamp,
    has,
    int_or_string,
    integer,
    mapping,
    name,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _bound(spec: Mapping[str, Any], key: str) -> str:
    return int_or_string(spec.get(key)) if has(spec, key) else "N/A"


def _pod_disruption_budget_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    return [
        name(obj),
        _bound(spec, "minAvailable"),
        _bound(spec, "maxUnavailable"),
        integer(mapping(obj, "status"), "disruptionsAllowed"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


POD_DISRUPTION_BUDGET: Final = Printer(
    (
        name_column(),
        Column("Min Available", "string", "The minimum number of pods that must be available."),
        Column("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
        Column(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
        ),
        age_column(),
    ),
    _pod_disruption_budget_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"poddisruptionbudgets": POD_DISRUPTION_BUDGET}
"""``policy`` printers by resource plural."""
