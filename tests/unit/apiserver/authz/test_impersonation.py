"""The authorization of impersonation (``kubectl --as``), for authentication to call."""

from __future__ import annotations

import pytest

from kubeling.api import errors
from kubeling.apiserver.authz.impersonation import Impersonated, check_impersonation
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.authz.user import UserInfo
from tests.unit.apiserver.authz._support import binding, policy, role, rule, subject

ALICE = UserInfo("alice", groups=("system:authenticated",))

POLICY = policy(
    cluster_roles=[
        role(
            "impersonate-bob",
            rule(["impersonate"], ["users"], names=["bob"]),
            rule(["impersonate"], ["groups"], names=["dev"]),
            rule(["impersonate"], ["userextras/scopes"], ["authentication.k8s.io"]),
        ),
        role("impersonate-sa", rule(["impersonate"], ["serviceaccounts"])),
    ],
    cluster_role_bindings=[
        binding("alice", "ClusterRole", "impersonate-bob", subject("User", "alice")),
    ],
    role_bindings=[
        binding("sa", "ClusterRole", "impersonate-sa", subject("User", "alice"), namespace="ci"),
    ],
)
RBAC = RBACAuthorizer(lambda: POLICY)


def test_allowed_impersonations_pass() -> None:
    check_impersonation(
        RBAC,
        ALICE,
        [
            Impersonated("User", "bob"),
            Impersonated("Group", "dev"),
            Impersonated("UserExtra", "view", extra_key="scopes"),
            Impersonated("ServiceAccount", "builder", namespace="ci"),
        ],
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            Impersonated("User", "carol"),
            'users "carol" is forbidden: User "alice" cannot impersonate resource "users" '
            'in API group "" at the cluster scope',
        ),
        (
            Impersonated("Group", "system:masters"),
            'groups "system:masters" is forbidden: User "alice" cannot impersonate resource '
            '"groups" in API group "" at the cluster scope',
        ),
        (
            Impersonated("ServiceAccount", "builder", namespace="prod"),
            'serviceaccounts "builder" is forbidden: User "alice" cannot impersonate resource '
            '"serviceaccounts" in API group "" in the namespace "prod"',
        ),
        (
            Impersonated("UID", "1234"),
            'uids.authentication.k8s.io "1234" is forbidden: User "alice" cannot impersonate '
            'resource "uids" in API group "authentication.k8s.io" at the cluster scope',
        ),
        (
            Impersonated("UserExtra", "admin", extra_key="roles"),
            'userextras.authentication.k8s.io "admin" is forbidden: User "alice" cannot '
            'impersonate resource "userextras/roles" in API group "authentication.k8s.io" at '
            "the cluster scope",
        ),
    ],
)
def test_the_first_refused_impersonation_is_a_403(target: Impersonated, message: str) -> None:
    with pytest.raises(errors.StatusError) as refused:
        check_impersonation(RBAC, ALICE, [Impersonated("User", "bob"), target])
    assert (refused.value.code, str(refused.value)) == (403, message)
