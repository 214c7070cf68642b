"""Printers of ``networking.k8s.io``: ingresses, ingress classes, network policies,
service CIDRs and IP addresses.

An ingress's HOSTS lists up to three rule hosts (``*`` when none), then
``+ N more...`` counted over all rules; PORTS is ``80``, or ``80, 443`` with
TLS; ADDRESS is the load balancer's sorted IPs or hostnames, never clipped
because the server renders the wide form.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    NONE,
    creation_timestamp,
    format_label_selector,
    has,
    mapping,
    maps,
    name,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.core import load_balancer_ingress
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _hosts(rules: list[Mapping[str, Any]]) -> str:
    limit = 3
    shown: list[str] = []
    more = False
    for rule in rules:
        if len(shown) == limit:
            more = True
        if not more and text(rule, "host"):
            shown.append(text(rule, "host"))
    if not shown:
        return "*"
    joined = ",".join(shown)
    return f"{joined} + {len(rules) - limit} more..." if more else joined


def _ingress_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    return [
        name(obj),
        text(spec, "ingressClassName") if has(spec, "ingressClassName") else NONE,
        _hosts(maps(spec, "rules")),
        load_balancer_ingress(mapping(obj, "status")),
        "80, 443" if maps(spec, "tls") else "80",
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


INGRESS: Final = Printer(
    (
        name_column(),
        Column(
            "Class",
            "string",
            "The name of the IngressClass resource that should be used "
            "for additional configuration",
        ),
        Column(
            "Hosts",
            "string",
            "Hosts that incoming requests are matched against before the ingress rule",
        ),
        Column(
            "Address", "string", "Address is a list containing ingress points for the load-balancer"
        ),
        Column("Ports", "string", "Ports of TLS configurations that open"),
        age_column(),
    ),
    _ingress_row,
)


def _ingress_class_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    parameters = NONE
    reference = spec.get("parameters")
    if isinstance(reference, Mapping):
        parameters = text(reference, "kind")
        if has(reference, "apiGroup"):
            parameters += "." + text(reference, "apiGroup")
        parameters += "/" + text(reference, "name")
    return [
        name(obj),
        text(spec, "controller"),
        parameters,
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


INGRESS_CLASS: Final = Printer(
    (
        name_column(),
        Column("Controller", "string", "Controller that is responsible for handling this class"),
        Column("Parameters", "string", "A reference to a resource with additional parameters"),
        age_column(),
    ),
    _ingress_class_row,
)


def _network_policy_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        format_label_selector(mapping(obj, "spec", "podSelector")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


NETWORK_POLICY: Final = Printer(
    (
        name_column(),
        Column(
            "Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies."
        ),
        age_column(),
    ),
    _network_policy_row,
)


def _service_cidr_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    cidrs = mapping(obj, "spec").get("cidrs") or []
    return [
        name(obj),
        ",".join(str(cidr) for cidr in cidrs),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


SERVICE_CIDR: Final = Printer(
    (
        name_column(),
        Column(
            "CIDRs",
            "string",
            "CIDRs defines the IP blocks in CIDR notation from which to "
            "assign service cluster IPs.",
        ),
        age_column(),
    ),
    _service_cidr_row,
)


def _ip_address_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    parent = mapping(obj, "spec").get("parentRef")
    parent_name = NONE
    if isinstance(parent, Mapping):
        resource = text(parent, "resource")
        group = text(parent, "group")
        parent_name = (f"{resource}.{group}" if group else resource).lower()
        if text(parent, "namespace"):
            parent_name += "/" + text(parent, "namespace")
        parent_name += "/" + text(parent, "name")
    # Upstream declares two columns but sends the age as a third cell; kubectl ignores it.
    return [name(obj), parent_name, translate_timestamp_since(creation_timestamp(obj), now)]


IP_ADDRESS: Final = Printer(
    (
        name_column(),
        Column(
            "ParentRef",
            "string",
            "ParentRef references the resource that an IPAddress is attached to.",
        ),
    ),
    _ip_address_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "ingresses": INGRESS,
    "ingressclasses": INGRESS_CLASS,
    "networkpolicies": NETWORK_POLICY,
    "servicecidrs": SERVICE_CIDR,
    "ipaddresses": IP_ADDRESS,
}
"""``networking.k8s.io`` printers by resource plural."""
