"""The authorizer chain: system:masters first, then the modes, first decision wins."""

from __future__ import annotations

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import (
    Decision,
    PrivilegedGroups,
    Result,
    UnionAuthorizer,
)
from kubeling.apiserver.authz.chain import build_authorization
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.storage.memory import MemoryStore


class _Fixed:
    def __init__(self, decision: Decision, reason: str = "") -> None:
        self.result = Result(decision, reason)
        self.asked = 0

    def authorize(self, attributes: Attributes) -> Result:
        self.asked += 1
        return self.result


ASK = Attributes(user=UserInfo("u"), verb="get", resource_request=False, path="/x")


def test_the_first_decision_wins_and_reasons_accumulate() -> None:
    quiet = _Fixed(Decision.NO_OPINION, "first")
    deny = _Fixed(Decision.DENY, "no")
    after = _Fixed(Decision.ALLOW)
    assert UnionAuthorizer([quiet, deny, after]).authorize(ASK) == Result(Decision.DENY, "no")
    assert after.asked == 0
    silent = _Fixed(Decision.NO_OPINION)
    assert UnionAuthorizer([quiet, silent, _Fixed(Decision.NO_OPINION, "third")]).authorize(
        ASK
    ) == Result(Decision.NO_OPINION, "first\nthird")


def test_system_masters_may_do_anything() -> None:
    root = Attributes(
        user=UserInfo("r", groups=("x", "system:masters")), verb="nuke", resource_request=False
    )
    assert PrivilegedGroups().authorize(root).allowed
    assert PrivilegedGroups().authorize(ASK).decision is Decision.NO_OPINION


def _registry() -> Registry:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    return registry


def test_modes() -> None:
    always = build_authorization(_registry(), ["AlwaysAllow"])
    assert always.authorizer.authorize(ASK).allowed
    assert always.rule_resolver.rules_for(UserInfo("u"), "ns").resource_rules[0].verbs == ("*",)
    for modes, message in (
        (["ABAC"], "unknown authorization mode 'ABAC': expected one of Node, RBAC, AlwaysAllow"),
        (["RBAC", "RBAC"], "authorization modes may not repeat: RBAC,RBAC"),
        ([], "at least one authorization mode is required"),
    ):
        with pytest.raises(ValueError, match=message):
            build_authorization(_registry(), modes)
