"""The ``meta.k8s.io/v1`` Table a server sends for ``Accept: ...;as=Table``.

Shape, as upstream's ``TableConvertor`` and ``asTable`` build it::

    {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
     "metadata": {"resourceVersion": "...", "continue": "...", "remainingItemCount": N},
     "columnDefinitions": [{"name", "type", "format", "description", "priority"}, ...],
     "rows": [{"cells": [...], "conditions": [...]?, "object": ...}, ...]}

* ``metadata`` comes from the list's metadata (``continue`` and
  ``remainingItemCount`` only when set), or for one object from its
  ``metadata.resourceVersion``.
* ``includeObject`` decides each row's ``object``: ``Metadata`` (the default)
  is a ``PartialObjectMetadata`` carrying the object's whole ``metadata``
  (kubectl reads namespace and labels from it for ``-A``, ``-L`` and
  ``--show-labels``), ``Object`` is the full object, ``None`` is ``null``;
  anything else is a 400.
* With ``column_definitions=False`` (every watch event after the first)
  ``columnDefinitions`` is ``null``, as upstream's ``NoHeaders`` leaves it.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from kubeling.api.errors import bad_request
from kubeling.api.goformat import go_quote
from kubeling.apiserver.printers.interface import Printer

__all__ = ["INCLUDE_OBJECT_VALUES", "TABLE_GROUP_VERSIONS", "list_table", "object_table"]

INCLUDE_OBJECT_VALUES: Final = ("None", "Metadata", "Object")
"""The values ``includeObject`` accepts (empty means ``Metadata``)."""

TABLE_GROUP_VERSIONS: Final = ("meta.k8s.io/v1", "meta.k8s.io/v1beta1")

TableGroupVersion = Literal["meta.k8s.io/v1", "meta.k8s.io/v1beta1"]


def _row_object(
    obj: Mapping[str, Any],
    include_object: str,
    group_version: str,
    object_type: tuple[str, str] | None,
) -> dict[str, Any] | None:
    if include_object in ("Metadata", ""):
        metadata = obj.get("metadata")
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": group_version,
            "metadata": copy.deepcopy(dict(metadata)) if isinstance(metadata, Mapping) else {},
        }
    if include_object == "Object":
        full = copy.deepcopy(dict(obj))
        if object_type is not None:
            api_version, kind = object_type
            full.setdefault("apiVersion", api_version)
            full.setdefault("kind", kind)
        return full
    if include_object == "None":
        return None
    raise bad_request(f"unrecognized includeObject value: {go_quote(include_object)}")


def _table(
    printer: Printer,
    objects: Iterable[Mapping[str, Any]],
    metadata: dict[str, Any],
    *,
    now: datetime.datetime,
    include_object: str,
    column_definitions: bool,
    group_version: TableGroupVersion,
    object_type: tuple[str, str] | None,
) -> dict[str, Any]:
    if include_object not in (*INCLUDE_OBJECT_VALUES, ""):
        raise bad_request(f"unrecognized includeObject value: {go_quote(include_object)}")
    rows: list[dict[str, Any]] = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj)
        if conditions:
            row["conditions"] = conditions
        row["object"] = _row_object(obj, include_object, group_version, object_type)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": group_version,
        "metadata": metadata,
        "columnDefinitions": printer.column_definitions() if column_definitions else None,
        "rows": rows,
    }


def list_table(
    printer: Printer,
    items: Iterable[Mapping[str, Any]],
    list_metadata: Mapping[str, Any] | None = None,
    *,
    now: datetime.datetime,
    include_object: str = "Metadata",
    column_definitions: bool = True,
    group_version: TableGroupVersion = "meta.k8s.io/v1",
    object_type: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The Table of a list: one row per item, in order.

    ``object_type`` (``(apiVersion, kind)``) is filled into full row objects
    that lack it, as list items usually do.
    """
    source = list_metadata or {}
    metadata: dict[str, Any] = {}
    if source.get("resourceVersion"):
        metadata["resourceVersion"] = source["resourceVersion"]
    if source.get("continue"):
        metadata["continue"] = source["continue"]
    if source.get("remainingItemCount") is not None:
        metadata["remainingItemCount"] = source["remainingItemCount"]
    return _table(
        printer,
        items,
        metadata,
        now=now,
        include_object=include_object,
        column_definitions=column_definitions,
        group_version=group_version,
        object_type=object_type,
    )


def object_table(
    printer: Printer,
    obj: Mapping[str, Any],
    *,
    now: datetime.datetime,
    include_object: str = "Metadata",
    column_definitions: bool = True,
    group_version: TableGroupVersion = "meta.k8s.io/v1",
    object_type: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The one-row Table of a single object (a get, or one watch event)."""
    metadata: dict[str, Any] = {}
    object_metadata = obj.get("metadata")
    if isinstance(object_metadata, Mapping) and object_metadata.get("resourceVersion"):
        metadata["resourceVersion"] = object_metadata["resourceVersion"]
    return _table(
        printer,
        [obj],
        metadata,
        now=now,
        include_object=include_object,
        column_definitions=column_definitions,
        group_version=group_version,
        object_type=object_type,
    )
