"""The RBAC policy Kubernetes 1.32 creates at start, and keeps there.

Every object carries ``kubernetes.io/bootstrapping: rbac-defaults`` and
``rbac.authorization.kubernetes.io/autoupdate: "true"``; the API server
reconciles them at each start (``authz.bootstrap``): missing ones are
created, missing rules, subjects, labels and annotations added, nothing an
administrator added removed, and objects whose autoupdate annotation says
``false`` left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeling.apiserver.authz.bootstrappolicy.cluster_roles import (
    AGGREGATE_TO,
    cluster_role_bindings,
    cluster_roles,
    node_rules,
)
from kubeling.apiserver.authz.bootstrappolicy.component_roles import (
    component_cluster_role_bindings,
    component_cluster_roles,
    component_role_bindings,
    component_roles,
)
from kubeling.apiserver.authz.bootstrappolicy.controller_roles import (
    CONTROLLER_ROLE_PREFIX,
    controller_role_bindings,
    controller_roles,
)
from kubeling.apiserver.authz.bootstrappolicy.namespace_roles import (
    namespace_role_bindings,
    namespace_roles,
)
from kubeling.apiserver.authz.rules import PolicyRule, rules_from_json

__all__ = [
    "AGGREGATE_TO",
    "CONTROLLER_ROLE_PREFIX",
    "BootstrapPolicy",
    "bootstrap_policy",
    "node_policy_rules",
]

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BootstrapPolicy:
    """The default objects, in the order the API server ensures them."""

    cluster_roles: tuple[Obj, ...]
    cluster_role_bindings: tuple[Obj, ...]
    roles: tuple[Obj, ...]
    role_bindings: tuple[Obj, ...]


def bootstrap_policy() -> BootstrapPolicy:
    """A fresh copy of the default policy (callers may change it)."""
    return BootstrapPolicy(
        cluster_roles=(*cluster_roles(), *controller_roles(), *component_cluster_roles()),
        cluster_role_bindings=(
            *cluster_role_bindings(),
            *controller_role_bindings(),
            *component_cluster_role_bindings(),
        ),
        roles=(*namespace_roles(), *component_roles()),
        role_bindings=(*namespace_role_bindings(), *component_role_bindings()),
    )


def node_policy_rules() -> tuple[PolicyRule, ...]:
    """The ``system:node`` ClusterRole's rules, which the Node authorizer allows to kubelets."""
    return rules_from_json([r.json() for r in node_rules()])
