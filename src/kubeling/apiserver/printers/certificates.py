"""Printers of ``certificates.k8s.io``: certificate signing requests and cluster trust
bundles. A CSR's CONDITION is ``Denied``/``Approved``/``Pending`` plus ``,Failed``
and ``,Issued`` where they apply."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    creation_timestamp,
    has,
    integer,
    mapping,
    maps,
    name,
    text,
)
from kubeling.apiserver.printers.age import human_duration, translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def csr_condition(obj: Mapping[str, Any]) -> str:
    """The CONDITION cell of a certificate signing request."""
    status = mapping(obj, "status")
    types = {text(condition, "type") for condition in maps(status, "conditions")}
    if "Denied" in types:
        rendered = "Denied"
    elif "Approved" in types:
        rendered = "Approved"
    else:
        rendered = "Pending"
    if "Failed" in types:
        rendered += ",Failed"
    if text(status, "certificate"):
        rendered += ",Issued"
    return rendered


def _csr_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    requested = "<none>"
    if has(spec, "expirationSeconds"):
        requested = human_duration(datetime.timedelta(seconds=integer(spec, "expirationSeconds")))
    return [
        name(obj),
        translate_timestamp_since(creation_timestamp(obj), now),
        text(spec, "signerName") or "<none>",
        text(spec, "username"),
        requested,
        csr_condition(obj),
    ]


CERTIFICATE_SIGNING_REQUEST: Final = Printer(
    (
        name_column(),
        age_column(),
        Column("SignerName", "string", "Requested signer for the request."),
        Column("Requestor", "string", "Name of the user who requested the certificate."),
        Column("RequestedDuration", "string", "Requested duration of the issued certificate."),
        Column("Condition", "string", "Conditions applied to the request."),
    ),
    _csr_row,
)


def _cluster_trust_bundle_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [name(obj), text(mapping(obj, "spec"), "signerName") or "<none>"]


CLUSTER_TRUST_BUNDLE: Final = Printer(
    (name_column(), Column("SignerName", "string", "Requested signer for the bundle.")),
    _cluster_trust_bundle_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "certificatesigningrequests": CERTIFICATE_SIGNING_REQUEST,
    "clustertrustbundles": CLUSTER_TRUST_BUNDLE,
}
"""``certificates.k8s.io`` printers by resource plural."""
