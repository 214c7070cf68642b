"""Printers of ``admissionregistration.k8s.io``: webhook configurations and
validating/mutating admission policies and their bindings."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    creation_timestamp,
    label_selector_string,
    mapping,
    maps,
    name,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def _webhook_configuration_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        len(maps(obj, "webhooks")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


WEBHOOK_CONFIGURATION: Final = Printer(
    (
        name_column(),
        Column(
            "Webhooks",
            "integer",
            "Webhooks indicates the number of webhooks registered in this configuration",
        ),
        age_column(),
    ),
    _webhook_configuration_row,
)


def _param_kind(spec: Mapping[str, Any]) -> str:
    kind = spec.get("paramKind")
    if not isinstance(kind, Mapping):
        return "<unset>"
    return f"{text(kind, 'apiVersion')}/{text(kind, 'kind')}"


def _policy_printer(field: str, column: str, description: str) -> Printer:
    def row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
        spec = mapping(obj, "spec")
        return [
            name(obj),
            len(maps(spec, field)),
            _param_kind(spec),
            translate_timestamp_since(creation_timestamp(obj), now),
        ]

    return Printer(
        (
            name_column(),
            Column(column, "integer", description),
            Column(
                "ParamKind",
                "string",
                "ParamKind specifies the kind of resources used to parameterize this policy",
            ),
            age_column(),
        ),
        row,
    )


def _param_ref(spec: Mapping[str, Any]) -> str:
    reference = spec.get("paramRef")
    if not isinstance(reference, Mapping):
        return "<unset>"
    if text(reference, "name"):
        namespace = text(reference, "namespace") or "*"
        return f"{namespace}/{text(reference, 'name')}"
    if isinstance(reference.get("selector"), Mapping):
        return label_selector_string(reference["selector"])
    return "<unset>"


def _binding_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    return [
        name(obj),
        text(spec, "policyName"),
        _param_ref(spec),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


BINDING: Final = Printer(
    (
        name_column(),
        Column(
            "PolicyName",
            "string",
            "PolicyName indicates the policy definition which the policy binding binded to",
        ),
        Column(
            "ParamRef",
            "string",
            "ParamRef indicates the param resource which sets the configration param",
        ),
        age_column(),
    ),
    _binding_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "mutatingwebhookconfigurations": WEBHOOK_CONFIGURATION,
    "validatingwebhookconfigurations": WEBHOOK_CONFIGURATION,
    "validatingadmissionpolicies": _policy_printer(
        "validations",
        "Validations",
        "Validations indicates the number of validation rules defined in this configuration",
    ),
    "mutatingadmissionpolicies": _policy_printer(
        "mutations",
        "Mutations",
        "Mutation indicates the number of mutations rules defined in this configuration",
    ),
    "validatingadmissionpolicybindings": BINDING,
    "mutatingadmissionpolicybindings": BINDING,
}
"""``admissionregistration.k8s.io`` printers by resource plural."""
