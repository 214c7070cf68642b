"""Escalation prevention on writes of roles and bindings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.authorizer import PrivilegedGroups, UnionAuthorizer
from kubeling.apiserver.authz.context import acting_as
from kubeling.apiserver.authz.escalation import EscalationGuard, only_gc_fields_changed
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from tests.unit.apiserver.authz._support import binding, policy, role, rule, subject

Obj = dict[str, Any]

LEAD = UserInfo("lead", groups=("leads", "system:authenticated"))
ROOT = UserInfo("root", groups=("system:masters",))
ESCALATOR = UserInfo("escalator")
BINDER = UserInfo("binder")

POLICY = policy(
    cluster_roles=[
        role("pod-admin", rule(["*"], ["pods"]), rule(["get", "list"], ["configmaps"])),
        role("pods-read", rule(["get", "list"], ["pods"])),
        role("nodes-read", rule(["get", "list"], ["nodes"])),
        role(
            "rbac-write",
            rule(
                ["create", "update"],
                ["roles", "rolebindings", "clusterroles"],
                ["rbac.authorization.k8s.io"],
            ),
        ),
        role(
            "escalate", rule(["escalate"], ["roles", "clusterroles"], ["rbac.authorization.k8s.io"])
        ),
        role(
            "bind-nodes",
            rule(["bind"], ["clusterroles"], ["rbac.authorization.k8s.io"], names=["nodes-read"]),
        ),
    ],
    cluster_role_bindings=[
        binding("escalators", "ClusterRole", "escalate", subject("User", "escalator")),
    ],
    role_bindings=[
        binding("lead", "ClusterRole", "pod-admin", subject("Group", "leads"), namespace="team"),
        binding("binder", "ClusterRole", "bind-nodes", subject("User", "binder"), namespace="team"),
    ],
)

RBAC = RBACAuthorizer(lambda: POLICY)
GUARD = EscalationGuard(
    authorizer=UnionAuthorizer([PrivilegedGroups(), RBAC]),
    rules_for=RBAC.policy_rules,
    policy=lambda: POLICY,
)


@pytest.fixture
def as_lead() -> Iterator[None]:
    with acting_as(LEAD):
        yield


def _role(name: str, *rules: Obj, namespace: str = "team") -> Obj:
    return role(name, *rules, namespace=namespace)


def _refusal(call: Any) -> str:
    with pytest.raises(errors.StatusError) as refused:
        call()
    assert refused.value.code == 403
    return str(refused.value)


@pytest.mark.usefixtures("as_lead")
def test_a_role_within_the_writers_rules_is_allowed() -> None:
    GUARD.check_role("roles", _role("r", rule(["get", "delete"], ["pods"])))
    GUARD.check_role("roles", _role("r", rule(["list"], ["configmaps"]), rule(["get"], ["pods"])))


@pytest.mark.usefixtures("as_lead")
def test_a_role_granting_more_is_refused_with_what_is_missing() -> None:
    wanted = _role(
        "too-much",
        rule(["get", "list"], ["pods", "secrets"]),
        rule(["delete"], ["configmaps"], names=["x"]),
    )
    assert _refusal(lambda: GUARD.check_role("roles", wanted)) == (
        'roles.rbac.authorization.k8s.io "too-much" is forbidden: user "lead" '
        '(groups=["leads" "system:authenticated"]) is attempting to grant RBAC permissions '
        "not currently held:\n"
        '{APIGroups:[""], Resources:["configmaps"], ResourceNames:["x"], Verbs:["delete"]}\n'
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}'
    )


@pytest.mark.usefixtures("as_lead")
def test_rules_held_in_another_namespace_do_not_count() -> None:
    elsewhere = _role("r", rule(["get"], ["pods"]), namespace="other")
    assert "is attempting to grant" in _refusal(lambda: GUARD.check_role("roles", elsewhere))
    cluster_role = role("r", rule(["get"], ["pods"]))
    assert _refusal(lambda: GUARD.check_role("clusterroles", cluster_role)).startswith(
        'clusterroles.rbac.authorization.k8s.io "r" is forbidden: user "lead"'
    )


def test_system_masters_and_the_escalate_verb_skip_the_check() -> None:
    everything = role("all", rule(["*"], ["*"], ["*"]))
    with acting_as(ROOT):
        GUARD.check_role("clusterroles", everything)
    with acting_as(ESCALATOR):
        GUARD.check_role("clusterroles", everything)
        GUARD.check_role("roles", _role("all", rule(["*"], ["*"], ["*"])))


def test_no_user_is_refused() -> None:
    assert _refusal(lambda: GUARD.check_role("roles", _role("r"))) == (
        'roles.rbac.authorization.k8s.io "r" is forbidden: no user on context'
    )


@pytest.mark.usefixtures("as_lead")
def test_an_aggregation_rule_needs_full_authority() -> None:
    aggregated = role("agg")
    aggregated["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}
    assert _refusal(lambda: GUARD.check_role("clusterroles", aggregated)) == (
        'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin '
        "privileges to use the aggregationRule"
    )
    with acting_as(ROOT):
        GUARD.check_role("clusterroles", aggregated)


@pytest.mark.usefixtures("as_lead")
def test_updates_that_only_touch_gc_fields_are_allowed() -> None:
    """So that garbage collection can remove owner references and finalizers."""
    old = _role("r", rule(["*"], ["*"], ["*"]))
    old["metadata"]["ownerReferences"] = [{"uid": "1"}]
    new = {**old, "metadata": {**old["metadata"], "ownerReferences": [], "finalizers": ["x"]}}
    assert only_gc_fields_changed(new, old)
    GUARD.check_role("roles", new, old)
    changed = {**new, "rules": [rule(["*"], ["*"], ["*"]), rule(["get"], ["x"])]}
    assert not only_gc_fields_changed(changed, old)
    assert "is attempting to grant" in _refusal(lambda: GUARD.check_role("roles", changed, old))


@pytest.mark.usefixtures("as_lead")
def test_binding_a_role_needs_its_rules_or_bind() -> None:
    held = binding("b", "ClusterRole", "pods-read", subject("User", "x"), namespace="team")
    GUARD.check_binding("rolebindings", held)
    not_held = binding("b", "ClusterRole", "nodes-read", subject("User", "x"), namespace="team")
    assert _refusal(lambda: GUARD.check_binding("rolebindings", not_held)) == (
        'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "lead" '
        '(groups=["leads" "system:authenticated"]) is attempting to grant RBAC permissions '
        "not currently held:\n"
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}'
    )
    missing = binding("b", "Role", "nowhere", subject("User", "x"), namespace="team")
    assert _refusal(lambda: GUARD.check_binding("rolebindings", missing)) == (
        'rolebindings.rbac.authorization.k8s.io "b" is forbidden: '
        'role.rbac.authorization.k8s.io "nowhere" not found'
    )
    cluster = binding("b", "ClusterRole", "pods-read", subject("User", "x"))
    assert "is attempting to grant" in _refusal(
        lambda: GUARD.check_binding("clusterrolebindings", cluster)
    )


def test_the_bind_verb_allows_binding_the_named_role_where_it_is_granted() -> None:
    with acting_as(BINDER):
        GUARD.check_binding(
            "rolebindings",
            binding("b", "ClusterRole", "nodes-read", subject("User", "x"), namespace="team"),
        )
        for other in (
            binding("b", "ClusterRole", "pods-read", subject("User", "x"), namespace="team"),
            binding("b", "ClusterRole", "nodes-read", subject("User", "x"), namespace="other"),
            binding("b", "ClusterRole", "nodes-read", subject("User", "x")),
        ):
            resource = (
                "rolebindings" if other["metadata"].get("namespace") else "clusterrolebindings"
            )
            assert "is attempting to grant" in _refusal(
                lambda other=other, resource=resource: GUARD.check_binding(resource, other)
            )
    with acting_as(ROOT):
        GUARD.check_binding("clusterrolebindings", binding("b", "ClusterRole", "nowhere"))
