"""Printers of ``rbac.authorization.k8s.io``: role bindings and cluster role bindings.

Roles and cluster roles have no printer upstream, so they get the default
NAME / CREATED AT table (see ``registry.DEFAULT``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import creation_timestamp, mapping, maps, name, text
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]


def subjects_strings(obj: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Users, groups and ``namespace/name`` service accounts among the subjects."""
    users: list[str] = []
    groups: list[str] = []
    service_accounts: list[str] = []
    for subject in maps(obj, "subjects"):
        kind = text(subject, "kind")
        if kind == "ServiceAccount":
            service_accounts.append(f"{text(subject, 'namespace')}/{text(subject, 'name')}")
        elif kind == "User":
            users.append(text(subject, "name"))
        elif kind == "Group":
            groups.append(text(subject, "name"))
    return users, groups, service_accounts


def _binding_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    role_ref = mapping(obj, "roleRef")
    users, groups, service_accounts = subjects_strings(obj)
    return [
        name(obj),
        f"{text(role_ref, 'kind')}/{text(role_ref, 'name')}",
        translate_timestamp_since(creation_timestamp(obj), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(service_accounts),
    ]


def _binding_printer(noun: str) -> Printer:
    return Printer(
        (
            name_column(),
            Column(
                "Role",
                "string",
                "RoleRef can reference a Role in the current namespace or "
                "a ClusterRole in the global namespace.",
            ),
            age_column(),
            Column("Users", "string", f"Users in the {noun}", priority=1),
            Column("Groups", "string", f"Groups in the {noun}", priority=1),
            Column("ServiceAccounts", "string", f"ServiceAccounts in the {noun}", priority=1),
        ),
        _binding_row,
    )


ROLE_BINDING: Final = _binding_printer("roleBinding")
CLUSTER_ROLE_BINDING: Final = _binding_printer("clusterRoleBinding")

PRINTERS: Final[Mapping[str, Printer]] = {
    "rolebindings": ROLE_BINDING,
    "clusterrolebindings": CLUSTER_ROLE_BINDING,
}
"""``rbac.authorization.k8s.io`` printers by resource plural."""
