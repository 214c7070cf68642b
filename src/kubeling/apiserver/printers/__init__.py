"""Server-side printing: the Table that ``kubectl get`` renders.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` and prints
the columns and cells it gets back verbatim, AGE included. This package
reproduces Kubernetes 1.32's printers for objects held as plain JSON:

* ``interface``: ``Column`` and ``Printer`` (columns plus a row function
  ``(object, now) -> cells``, always the wide form);
* ``age``: ``HumanDuration`` and timestamp handling;
* one module per API group (``core``, ``apps``, ``batch``, ...) with that
  group's printers, transcribed from upstream ``printers.go``;
* ``registry``: ``printer_for(group, plural)``, with apiserver's default
  NAME / CREATED AT table for resources upstream does not print specially;
* ``jsonpath``: the JSONPath subset of CRD ``additionalPrinterColumns`` and
  ``crd_printer``;
* ``table``: the ``meta.k8s.io/v1`` Table JSON for a list or one object,
  honouring ``includeObject`` and header-less watch events.

Everything takes ``now`` explicitly; nothing reads the clock.
"""

from __future__ import annotations

from kubeling.apiserver.printers.interface import Cell, Column, Printer
from kubeling.apiserver.printers.jsonpath import (
    JSONPath,
    JSONPathError,
    crd_printer,
    crd_printer_for_version,
)
from kubeling.apiserver.printers.registry import DEFAULT, printer_for
from kubeling.apiserver.printers.table import list_table, object_table

__all__ = [
    "DEFAULT",
    "Cell",
    "Column",
    "JSONPath",
    "JSONPathError",
    "Printer",
    "crd_printer",
    "crd_printer_for_version",
    "list_table",
    "object_table",
    "printer_for",
]
