"""The authorization of impersonation (``kubectl --as``): RBAC answers the checks of
authentication's impersonation filter, and a refusal is the 403 of the first one refused."""

from __future__ import annotations

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.impersonation import Impersonation
from kubeling.apiserver.authz.impersonation import AuthorizerImpersonation
from kubeling.apiserver.authz.rbac import RBACAuthorizer
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


IMPERSONATION = Impersonation(AuthorizerImpersonation(RBAC))


async def test_allowed_impersonations_pass() -> None:
    user = await IMPERSONATION.apply(
        ALICE,
        [
            ("Impersonate-User", "bob"),
            ("Impersonate-Group", "dev"),
            ("Impersonate-Extra-Scopes", "view"),
        ],
    )
    assert (user.name, user.groups, dict(user.extra)) == (
        "bob",
        ("dev", "system:authenticated"),
        {"scopes": ("view",)},
    )
    account = await IMPERSONATION.apply(
        ALICE, [("Impersonate-User", "system:serviceaccount:ci:builder")]
    )
    assert account.name == "system:serviceaccount:ci:builder"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            [("Impersonate-User", "carol")],
            'users "carol" is forbidden: User "alice" cannot impersonate resource "users" '
            'in API group "" at the cluster scope',
        ),
        (
            [("Impersonate-User", "bob"), ("Impersonate-Group", "system:masters")],
            'groups "system:masters" is forbidden: User "alice" cannot impersonate resource '
            '"groups" in API group "" at the cluster scope',
        ),
        (
            [("Impersonate-User", "system:serviceaccount:prod:builder")],
            'serviceaccounts "builder" is forbidden: User "alice" cannot impersonate resource '
            '"serviceaccounts" in API group "" in the namespace "prod"',
        ),
        (
            [("Impersonate-User", "bob"), ("Impersonate-Uid", "1234")],
            'uids.authentication.k8s.io "1234" is forbidden: User "alice" cannot impersonate '
            'resource "uids" in API group "authentication.k8s.io" at the cluster scope',
        ),
        (
            [("Impersonate-User", "bob"), ("Impersonate-Extra-Roles", "admin")],
            'userextras.authentication.k8s.io "admin" is forbidden: User "alice" cannot '
            'impersonate resource "userextras/roles" in API group "authentication.k8s.io" at '
            "the cluster scope",
        ),
    ],
)
async def test_the_first_refused_impersonation_is_a_403(
    headers: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(errors.StatusError) as refused:
        await IMPERSONATION.apply(ALICE, headers)
    assert (refused.value.code, str(refused.value)) == (403, message)
