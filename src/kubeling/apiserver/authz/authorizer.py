"""Authorizers and how they combine: Kubernetes' ``authorizer`` and ``union`` packages.

An authorizer answers one question (:class:`~.attributes.Attributes`) with a
:class:`Decision`: allow, deny, or no opinion, and a reason. The API server
asks a chain of them in order, as ``--authorization-mode`` lists them; the
first that allows or denies decides, and a request no one allows is
forbidden, with every reason given on the way. Kubernetes 1.32 always puts a
privileged-group authorizer first: members of ``system:masters`` may do
everything, whatever the policy says.

A rule resolver lists what a user may do in a namespace (the
SelfSubjectRulesReview behind ``kubectl auth can-i --list``); the chain's
resolvers are asked in turn and their rules concatenated.

Authorizers here are synchronous: they read in-memory policy (the RBAC
authorizer reads the watch caches), never the network.

The Node authorizer (``--authorization-mode=Node``: a kubelet may read only
what its pods use) is the next one to come; it will take its place in the
chain before RBAC, as an :class:`Authorizer` and a :class:`RuleResolver`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.rules import PolicyRule
from kubeling.apiserver.authz.user import SYSTEM_PRIVILEGED_GROUP, UserInfo

__all__ = [
    "AlwaysAllow",
    "Authorizer",
    "Decision",
    "PrivilegedGroups",
    "Result",
    "RuleResolver",
    "Rules",
    "UnionAuthorizer",
    "UnionRuleResolver",
]


class Decision(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    NO_OPINION = "NoOpinion"


@dataclass(frozen=True, slots=True)
class Result:
    """A decision and why (the reason is shown to clients, as Kubernetes does)."""

    decision: Decision
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@dataclass(frozen=True, slots=True)
class Rules:
    """What a user may do in a namespace, as far as a resolver can tell.

    ``incomplete`` when some authorizer cannot list its rules; ``errors`` the
    problems met (a binding to a missing role...), which do not stop the rest.
    """

    resource_rules: tuple[PolicyRule, ...] = ()
    non_resource_rules: tuple[PolicyRule, ...] = ()
    incomplete: bool = False
    errors: tuple[str, ...] = field(default=())


class Authorizer(Protocol):
    def authorize(self, attributes: Attributes) -> Result:
        """Decide the request ``attributes`` describe."""
        ...


class RuleResolver(Protocol):
    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        """Everything ``user`` may do in ``namespace`` ('' for cluster-wide rules only)."""
        ...


class PrivilegedGroups:
    """Allows every request of a member of the given groups (``system:masters``)."""

    def __init__(self, groups: Sequence[str] = (SYSTEM_PRIVILEGED_GROUP,)) -> None:
        self._groups = frozenset(groups)

    def authorize(self, attributes: Attributes) -> Result:
        if self._groups.intersection(attributes.user.groups):
            return Result(Decision.ALLOW)
        return Result(Decision.NO_OPINION)


class AlwaysAllow:
    """``--authorization-mode=AlwaysAllow``: every request is allowed."""

    def authorize(self, attributes: Attributes) -> Result:
        return Result(Decision.ALLOW)

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        everything = PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",))
        return Rules(
            resource_rules=(everything,),
            non_resource_rules=(PolicyRule(verbs=("*",), non_resource_urls=("*",)),),
        )


class UnionAuthorizer:
    """Asks each authorizer in turn: the first that allows or denies decides;
    otherwise no opinion, with every reason given, one per line."""

    def __init__(self, authorizers: Sequence[Authorizer]) -> None:
        self._authorizers = tuple(authorizers)

    def authorize(self, attributes: Attributes) -> Result:
        reasons: list[str] = []
        for authorizer in self._authorizers:
            result = authorizer.authorize(attributes)
            if result.decision is not Decision.NO_OPINION:
                return result
            if result.reason:
                reasons.append(result.reason)
        return Result(Decision.NO_OPINION, "\n".join(reasons))


class UnionRuleResolver:
    """Every resolver's rules, one after another; incomplete if any is."""

    def __init__(self, resolvers: Sequence[RuleResolver]) -> None:
        self._resolvers = tuple(resolvers)

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        resource: list[PolicyRule] = []
        non_resource: list[PolicyRule] = []
        incomplete = False
        problems: list[str] = []
        for resolver in self._resolvers:
            rules = resolver.rules_for(user, namespace)
            resource.extend(rules.resource_rules)
            non_resource.extend(rules.non_resource_rules)
            incomplete = incomplete or rules.incomplete
            problems.extend(rules.errors)
        return Rules(tuple(resource), tuple(non_resource), incomplete, tuple(problems))
