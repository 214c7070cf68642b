"""The RBAC authorizer over a policy: who is granted what, by which binding."""

from __future__ import annotations

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Decision
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.authz.rules import PolicyRule
from tests.unit.apiserver.authz._support import binding, policy, request, role, rule, subject

ALICE = UserInfo("alice", groups=("dev", "system:authenticated"))
BOB = UserInfo("bob", groups=("system:authenticated",))
BUILDER = UserInfo(
    "system:serviceaccount:ci:builder",
    groups=("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"),
)

POLICY = policy(
    cluster_roles=[
        role("view", rule(["get", "list", "watch"], ["pods", "configmaps"])),
        role("node-reader", rule(["get"], ["nodes"])),
        role("healthz", rule(["get"], urls=["/healthz", "/metrics"])),
    ],
    roles=[
        role("deployer", rule(["create"], ["deployments"], ["apps"]), namespace="ci"),
        role("lonely", rule(["*"], ["*"], ["*"]), namespace="elsewhere"),
    ],
    cluster_role_bindings=[
        binding("nodes", "ClusterRole", "node-reader", subject("Group", "dev")),
        binding("health", "ClusterRole", "healthz", subject("Group", "system:authenticated")),
        binding("dangling", "ClusterRole", "missing", subject("User", "bob")),
    ],
    role_bindings=[
        binding(
            "readers",
            "ClusterRole",
            "view",
            subject("User", "carol"),
            subject("User", "alice"),
            namespace="team",
        ),
        # a service account of the binding's namespace, namespace left out
        binding(
            "builders", "Role", "deployer", subject("ServiceAccount", "builder"), namespace="ci"
        ),
        # a Role of another namespace is not visible from here
        binding("far", "Role", "lonely", subject("User", "alice"), namespace="team"),
    ],
)

RBAC = RBACAuthorizer(lambda: POLICY)


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        (
            request(ALICE, "list", "pods", namespace="team"),
            'RBAC: allowed by RoleBinding "readers/team" of ClusterRole "view" to User "alice"',
        ),
        (
            request(ALICE, "get", "nodes"),
            'RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to '
            'Group "dev"',
        ),
        (
            request(ALICE, "get", "nodes", namespace="any"),  # cluster bindings apply everywhere
            'RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to '
            'Group "dev"',
        ),
        (
            request(BUILDER, "create", "deployments", namespace="ci", group="apps"),
            'RBAC: allowed by RoleBinding "builders/ci" of Role "deployer" to '
            'ServiceAccount "builder/ci"',
        ),
        (
            Attributes(user=BOB, verb="get", resource_request=False, path="/metrics"),
            'RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "healthz" to '
            'Group "system:authenticated"',
        ),
    ],
)
def test_allowed_with_the_binding_that_allows(attributes: Attributes, reason: str) -> None:
    result = RBAC.authorize(attributes)
    assert (result.decision, result.reason) == (Decision.ALLOW, reason)


@pytest.mark.parametrize(
    "attributes",
    [
        request(ALICE, "list", "pods", namespace="other"),  # the binding is in "team"
        request(ALICE, "list", "pods"),  # all namespaces: a RoleBinding is not enough
        request(ALICE, "delete", "pods", namespace="team"),
        request(ALICE, "get", "secrets", namespace="team"),  # "far": a Role of "elsewhere"
        request(BOB, "list", "pods", namespace="team"),
        request(
            UserInfo("system:serviceaccount:other:builder"),
            "create",
            "deployments",
            namespace="ci",
            group="apps",
        ),
        Attributes(user=ALICE, verb="post", resource_request=False, path="/metrics"),
    ],
)
def test_no_opinion_otherwise(attributes: Attributes) -> None:
    """RBAC never denies: what it does not allow, it has no opinion on."""
    assert RBAC.authorize(attributes).decision is Decision.NO_OPINION


def test_bindings_to_missing_roles_are_reasons() -> None:
    """A binding to a role that does not exist grants nothing, and says so."""
    result = RBAC.authorize(request(BOB, "get", "nodes"))
    assert result.decision is Decision.NO_OPINION
    assert result.reason == 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found'
    far = RBAC.authorize(request(ALICE, "get", "secrets", namespace="team"))
    assert far.reason == 'RBAC: role.rbac.authorization.k8s.io "lonely" not found'
    both = policy(
        role_bindings=[
            binding("a", "Role", "x", subject("User", "bob"), namespace="n"),
            binding("b", "Role", "y", subject("User", "bob"), namespace="n"),
        ]
    )
    assert RBACAuthorizer(lambda: both).authorize(
        request(BOB, "get", "pods", namespace="n")
    ).reason == (
        'RBAC: [role.rbac.authorization.k8s.io "x" not found, '
        'role.rbac.authorization.k8s.io "y" not found]'
    )


def test_rules_for_lists_resource_and_url_rules_and_problems() -> None:
    """What SelfSubjectRulesReview shows: cluster-wide rules, then the namespace's."""
    rules = RBAC.rules_for(ALICE, "team")
    assert rules.resource_rules == (
        PolicyRule(verbs=("get",), api_groups=("",), resources=("nodes",)),
        PolicyRule(
            verbs=("get", "list", "watch"), api_groups=("",), resources=("pods", "configmaps")
        ),
    )
    assert rules.non_resource_rules == (
        PolicyRule(verbs=("get",), non_resource_urls=("/healthz", "/metrics")),
    )
    assert rules.errors == ('role.rbac.authorization.k8s.io "lonely" not found',)
    assert not rules.incomplete
    assert RBAC.rules_for(ALICE, "").resource_rules == rules.resource_rules[:1]


def test_the_first_subject_that_names_the_user_is_the_one_described() -> None:
    both = policy(
        cluster_roles=[role("r", rule(["get"], ["pods"]))],
        cluster_role_bindings=[
            binding("b", "ClusterRole", "r", subject("Group", "dev"), subject("User", "alice"))
        ],
    )
    reason = RBACAuthorizer(lambda: both).authorize(request(ALICE, "get", "pods")).reason
    assert reason.endswith('to Group "dev"')


def test_a_cluster_service_account_subject_needs_its_namespace() -> None:
    """In a ClusterRoleBinding a service account must name its namespace; without one
    it matches no one."""
    loose = policy(
        cluster_roles=[role("r", rule(["get"], ["pods"]))],
        cluster_role_bindings=[
            binding("b", "ClusterRole", "r", subject("ServiceAccount", "builder")),
            binding("c", "ClusterRole", "r", subject("ServiceAccount", "builder", "ci")),
        ],
    )
    result = RBACAuthorizer(lambda: loose).authorize(request(BUILDER, "get", "pods"))
    assert result.reason.startswith('RBAC: allowed by ClusterRoleBinding "c"')
