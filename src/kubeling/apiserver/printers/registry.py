"""Which printer serves which resource: ``(group, plural) -> Printer``.

Versions served by conversion (events.k8s.io/v1 Events, autoscaling/v1
HorizontalPodAutoscalers) print with their storage version's printer, over
the object converted back (``Printer.reading``, wired by the registry).
Resources without a printer upstream (roles, cluster roles, limit ranges,
custom resource definitions, ...) get ``DEFAULT``, apiserver's default table
convertor: NAME and ``Created At``, the creation time as an RFC 3339 UTC
string in a ``date`` column. Custom resources get a printer built from their
CRD's ``additionalPrinterColumns`` instead (``jsonpath.crd_printer``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers import (
    admissionregistration,
    apps,
    autoscaling,
    batch,
    certificates,
    coordination,
    core,
    discovery,
    networking,
    node,
    policy,
    rbac,
    scheduling,
    storage,
)
from kubeling.apiserver.printers._helpers import creation_timestamp, name
from kubeling.apiserver.printers.age import format_rfc3339
from kubeling.apiserver.printers.interface import (
    CREATION_TIMESTAMP_DESCRIPTION,
    Cell,
    Column,
    Printer,
    name_column,
)

__all__ = ["DEFAULT", "PRINTERS", "printer_for"]


def _default_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [name(obj), format_rfc3339(creation_timestamp(obj))]


DEFAULT: Final = Printer(
    (name_column(), Column("Created At", "date", CREATION_TIMESTAMP_DESCRIPTION)),
    _default_row,
)
"""apiserver's default table: NAME and CREATED AT."""

_BY_GROUP: Final[Mapping[str, Mapping[str, Printer]]] = {
    "": core.PRINTERS,
    "apps": apps.PRINTERS,
    "batch": batch.PRINTERS,
    "autoscaling": autoscaling.PRINTERS,
    "coordination.k8s.io": coordination.PRINTERS,
    "discovery.k8s.io": discovery.PRINTERS,
    "networking.k8s.io": networking.PRINTERS,
    "rbac.authorization.k8s.io": rbac.PRINTERS,
    "policy": policy.PRINTERS,
    "storage.k8s.io": storage.PRINTERS,
    "scheduling.k8s.io": scheduling.PRINTERS,
    "admissionregistration.k8s.io": admissionregistration.PRINTERS,
    "certificates.k8s.io": certificates.PRINTERS,
    "node.k8s.io": node.PRINTERS,
}

PRINTERS: Final[Mapping[tuple[str, str], Printer]] = {
    (group, plural): printer
    for group, printers in _BY_GROUP.items()
    for plural, printer in printers.items()
}
"""Every built-in printer by ``(group, resource plural)``."""


def printer_for(group: str, plural: str) -> Printer:
    """The printer of a built-in resource; ``DEFAULT`` when upstream has none.

    >>> [c.name for c in printer_for("", "configmaps").columns]
    ['Name', 'Data', 'Age']
    >>> [c.name for c in printer_for("rbac.authorization.k8s.io", "roles").columns]
    ['Name', 'Created At']
    """
    return PRINTERS.get((group, plural), DEFAULT)
