"""Table output: ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``.

kubectl asks for Tables for ``get`` (KUBECTL-CONTRACT.md §5) and prints the
cells the server computes. This module reads that request from the headers
and hands objects to the printers (``apiserver.printers``), which know each
resource's columns.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors
from kubeling.apiserver.printers.interface import Printer
from kubeling.apiserver.printers.registry import printer_for
from kubeling.apiserver.printers.table import list_table, object_table
from kubeling.apiserver.registry.resource import Resource

__all__ = ["TableRequest", "table_for", "table_request"]

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TableRequest:
    """A client's request for Table output and what each row should carry."""

    include_object: str = "Metadata"  # Metadata | Object | None


def table_request(accept: str, query: Mapping[str, str]) -> TableRequest | None:
    """The Table request in an Accept header, or None when the client wants objects.

    >>> table_request("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", {})
    TableRequest(include_object='Metadata')
    """
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if (
            "as=Table" in params
            and "g=meta.k8s.io" in params
            and ("v=v1" in params or "v=v1beta1" in params)
        ):
            include = query.get("includeObject") or "Metadata"
            if include not in ("Metadata", "Object", "None"):
                raise errors.bad_request(
                    f'includeObject: Unsupported value: "{include}": supported values: '
                    '"Metadata", "None", "Object"'
                )
            return TableRequest(include_object=include)
    return None


def table_for(
    resource: Resource,
    obj: Obj,
    request: TableRequest,
    *,
    with_columns: bool = True,
    printer: Printer | None = None,
) -> Obj:
    """The Table for one object or a List of them (``items`` present)."""
    printer = printer or printer_for(resource.group, resource.plural)
    now = datetime.datetime.now(datetime.UTC)
    if "items" in obj and obj.get("kind", "").endswith("List"):
        return list_table(
            printer,
            obj["items"],
            obj.get("metadata"),
            now=now,
            include_object=request.include_object,
            column_definitions=with_columns,
            object_type=(resource.gvk.api_version, resource.kind),
        )
    return object_table(
        printer,
        obj,
        now=now,
        include_object=request.include_object,
        column_definitions=with_columns,
        object_type=(resource.gvk.api_version, resource.kind),
    )
