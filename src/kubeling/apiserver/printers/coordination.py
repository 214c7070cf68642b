"""Printers of ``coordination.k8s.io``: leases (HOLDER) and lease candidates."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import creation_timestamp, mapping, name, text
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _lease_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        text(mapping(obj, "spec"), "holderIdentity"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


LEASE: Final = Printer(
    (
        name_column(),
        Column(
            "Holder",
            "string",
            "holderIdentity contains the identity of the holder of a current lease.",
        ),
        age_column(),
    ),
    _lease_row,
)


def _lease_candidate_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    return [
        name(obj),
        text(spec, "leaseName"),
        text(spec, "binaryVersion"),
        text(spec, "emulationVersion"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


LEASE_CANDIDATE: Final = Printer(
    (
        name_column(),
        Column(
            "LeaseName",
            "string",
            "LeaseName is the name of the lease for which this candidate is contending.",
        ),
        Column("BinaryVersion", "string", ""),
        Column("EmulationVersion", "string", ""),
        age_column(),
    ),
    _lease_candidate_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"leases": LEASE, "leasecandidates": LEASE_CANDIDATE}
"""``coordination.k8s.io`` printers by resource plural."""
