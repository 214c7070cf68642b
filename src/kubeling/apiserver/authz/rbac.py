"""The RBAC authorizer: Kubernetes' ``plugin/pkg/auth/authorizer/rbac``.

A request is allowed when any rule granted to its user, by a binding that
applies in its namespace, allows it; the reason names that binding (``RBAC:
allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "z"``), as
SubjectAccessReviews show. Otherwise RBAC has no opinion (RBAC never
denies); its reason lists the problems it met, such as a binding to a role
that does not exist, and becomes the tail of the 403 message.

The policy comes from a callable returning the current
:class:`~.policy.Policy` (built from the watch caches by
:class:`~.policy_source.PolicySource`), so each decision sees the policy as
the caches hold it then, without a store read.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeling.api.field import aggregate_message
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Decision, Result, Rules
from kubeling.apiserver.authz.policy import Policy
from kubeling.apiserver.authz.rules import PolicyRule, rule_allows
from kubeling.apiserver.authz.user import UserInfo

__all__ = ["RBACAuthorizer"]


class RBACAuthorizer:
    """Decides requests, and lists a user's rules, from the RBAC policy."""

    def __init__(self, policy: Callable[[], Policy]) -> None:
        self._policy = policy

    def authorize(self, attributes: Attributes) -> Result:
        problems: list[str] = []
        for granted in self._policy().visit(attributes.user, attributes.namespace):
            if isinstance(granted, LookupError):
                problems.append(str(granted.args[0]))
            elif rule_allows(attributes, granted.rule):
                return Result(Decision.ALLOW, f"RBAC: allowed by {granted.describe()}")
        reason = f"RBAC: {aggregate_message(problems)}" if problems else ""
        return Result(Decision.NO_OPINION, reason)

    def policy_rules(self, user: UserInfo, namespace: str) -> tuple[list[PolicyRule], list[str]]:
        """``RulesFor``: every rule granted to ``user`` in ``namespace`` and the
        problems met (what escalation checks compare against)."""
        rules: list[PolicyRule] = []
        problems: list[str] = []
        for granted in self._policy().visit(user, namespace):
            if isinstance(granted, LookupError):
                problems.append(str(granted.args[0]))
            else:
                rules.append(granted.rule)
        return rules, problems

    def rules_for(self, user: UserInfo, namespace: str) -> Rules:
        rules, problems = self.policy_rules(user, namespace)
        return Rules(
            resource_rules=tuple(
                PolicyRule(
                    verbs=r.verbs,
                    api_groups=r.api_groups,
                    resources=r.resources,
                    resource_names=r.resource_names,
                )
                for r in rules
                if r.resources
            ),
            non_resource_rules=tuple(
                PolicyRule(verbs=r.verbs, non_resource_urls=r.non_resource_urls)
                for r in rules
                if r.non_resource_urls
            ),
            errors=tuple(problems),
        )
