"""The API server's authorization, assembled from ``--authorization-mode``.

Kubernetes 1.32 puts the ``system:masters`` authorizer first, then the
configured modes in order. kubeling knows:

- ``RBAC`` (the default): roles and bindings from the watch caches;
- ``AlwaysAllow``: everything is allowed (then nothing is checked);
- ``Node``: kubelets reach their own Node and Lease, their pods and what
  those use (:mod:`.node`); clusters put it before RBAC (``Node,RBAC``,
  kubeling's default), since the ``system:node`` role is bound to no one.

The same chain decides requests, answers access reviews, and is what
escalation checks ask about ``escalate`` and ``bind``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from kubeling.apiserver.authz.authorizer import (
    AlwaysAllow,
    Authorizer,
    PrivilegedGroups,
    RuleResolver,
    UnionAuthorizer,
    UnionRuleResolver,
)
from kubeling.apiserver.authz.bootstrappolicy import node_policy_rules
from kubeling.apiserver.authz.escalation import EscalationGuard
from kubeling.apiserver.authz.node import NodeAuthorizer, NodeGraphSource
from kubeling.apiserver.authz.policy_source import PolicySource
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.registry.registry import Registry

__all__ = ["DEFAULT_MODES", "MODES", "Authorization", "build_authorization"]

#: The modes ``--authorization-mode`` accepts.
MODES: Final = ("Node", "RBAC", "AlwaysAllow")

#: What kubeling's API server authorizes with unless told otherwise (kubeadm's choice).
DEFAULT_MODES: Final = ("Node", "RBAC")


@dataclass(frozen=True, slots=True)
class Authorization:
    """What the API server authorizes with."""

    authorizer: Authorizer
    rule_resolver: RuleResolver
    policy: PolicySource
    escalation: EscalationGuard


def build_authorization(registry: Registry, modes: Sequence[str] = DEFAULT_MODES) -> Authorization:
    """The chain for ``modes`` over ``registry``'s RBAC resources; ValueError
    for a mode kubeling does not have."""
    if not modes:
        raise ValueError("at least one authorization mode is required")
    policy = PolicySource(registry)
    rbac = RBACAuthorizer(policy)
    authorizers: list[Authorizer] = [PrivilegedGroups()]
    resolvers: list[RuleResolver] = []
    for mode in modes:
        if mode == "RBAC":
            authorizers.append(rbac)
            resolvers.append(rbac)
        elif mode == "AlwaysAllow":
            always = AlwaysAllow()
            authorizers.append(always)
            resolvers.append(always)
        elif mode == "Node":
            node = NodeAuthorizer(NodeGraphSource(registry), node_policy_rules())
            authorizers.append(node)
            resolvers.append(node)
        else:
            raise ValueError(
                f"unknown authorization mode {mode!r}: expected one of {', '.join(MODES)}"
            )
    if len(set(modes)) != len(modes):
        raise ValueError(f"authorization modes may not repeat: {','.join(modes)}")
    authorizer = UnionAuthorizer(authorizers)
    return Authorization(
        authorizer=authorizer,
        rule_resolver=UnionRuleResolver(resolvers),
        policy=policy,
        escalation=EscalationGuard(
            authorizer=authorizer, rules_for=rbac.policy_rules, policy=policy
        ),
    )
