"""Printers of ``discovery.k8s.io``: endpoint slices (ADDRESSTYPE PORTS ENDPOINTS).

Both lists show at most three entries, then ``+ N more...``; an empty list is
``<unset>``. A port with neither number nor name prints as ``*``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    creation_timestamp,
    has,
    integer,
    list_with_more,
    maps,
    name,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]

_LIMIT: Final = 3


def _ports(obj: Mapping[str, Any]) -> str:
    rendered = []
    for port in maps(obj, "ports"):
        if has(port, "port"):
            rendered.append(str(integer(port, "port")))
        elif has(port, "name"):
            rendered.append(text(port, "name"))
        else:
            rendered.append("*")
    return list_with_more(rendered, len(rendered), _LIMIT, empty="<unset>")


def _endpoints(obj: Mapping[str, Any]) -> str:
    addresses = [
        str(address)
        for endpoint in maps(obj, "endpoints")
        for address in endpoint.get("addresses") or []
    ]
    return list_with_more(addresses, len(addresses), _LIMIT, empty="<unset>")


def _endpoint_slice_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        text(obj, "addressType"),
        _ports(obj),
        _endpoints(obj),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


ENDPOINT_SLICE: Final = Printer(
    (
        name_column(),
        Column(
            "AddressType",
            "string",
            "addressType specifies the type of address carried by this EndpointSlice.",
        ),
        Column(
            "Ports",
            "string",
            "ports specifies the list of network ports exposed by each endpoint in this slice.",
        ),
        Column("Endpoints", "string", "endpoints is a list of unique endpoints in this slice."),
        age_column(),
    ),
    _endpoint_slice_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {"endpointslices": ENDPOINT_SLICE}
"""``discovery.k8s.io`` printers by resource plural."""
