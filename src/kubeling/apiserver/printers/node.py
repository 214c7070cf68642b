"""Printers of ``node.k8s.io``: runtime classes (HANDLER)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import creation_timestamp, name, text
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _runtime_class_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        text(obj, "handler"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


RUNTIME_CLASS: Final = Printer(
    (
        name_column(),
        Column("Handler", "string", "Handler is the name of the underlying runtime."),
        age_column(),
    ),
    _runtime_class_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"runtimeclasses": RUNTIME_CLASS}
"""``node.k8s.io`` printers by resource plural."""
