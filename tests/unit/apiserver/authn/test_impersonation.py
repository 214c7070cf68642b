"""Impersonate-* headers: who the request then acts as, what the authorizer is asked,
and Kubernetes' 400 and 403 answers."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.authentication.serviceaccount import split_username
from kubeling.api.authentication.user import UserInfo
from kubeling.api.errors import StatusError
from kubeling.apiserver.authn.impersonation import Impersonation, ImpersonationCheck

BOB = UserInfo("bob", groups=("admins", "system:authenticated"))


class Recording:
    """An authorizer that allows everything but ``denied`` (by resource), recording checks."""

    def __init__(self, denied: str = "", reason: str = "") -> None:
        self.denied = denied
        self.reason = reason
        self.checks: list[ImpersonationCheck] = []

    async def authorize_impersonation(self, check: ImpersonationCheck) -> tuple[bool, str]:
        self.checks.append(check)
        if check.resource == self.denied:
            return False, self.reason
        return True, ""


async def _apply(headers: list[tuple[str, str]], authorizer: Any = None) -> UserInfo:
    return await Impersonation(authorizer or Recording()).apply(BOB, headers)


async def test_no_headers_keep_the_user() -> None:
    """Without impersonation headers the authenticated user stays, and nothing is asked."""
    authorizer = Recording()
    assert await _apply([("Authorization", "Bearer x")], authorizer) is BOB
    assert authorizer.checks == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("Impersonate-User", "jane")], UserInfo("jane", groups=("system:authenticated",))),
        (
            [
                ("Impersonate-User", "jane"),
                ("Impersonate-Group", "dev"),
                ("impersonate-group", "ops"),
            ],
            UserInfo("jane", groups=("dev", "ops", "system:authenticated")),
        ),
        (
            [("Impersonate-User", "jane"), ("Impersonate-Group", "system:unauthenticated")],
            UserInfo("jane", groups=("system:unauthenticated",)),
        ),
        (
            [("Impersonate-User", "jane"), ("Impersonate-Group", "system:authenticated")],
            UserInfo("jane", groups=("system:authenticated",)),
        ),
        (
            [("Impersonate-User", "system:serviceaccount:dev:builder")],
            UserInfo(
                "system:serviceaccount:dev:builder",
                groups=(
                    "system:serviceaccounts",
                    "system:serviceaccounts:dev",
                    "system:authenticated",
                ),
            ),
        ),
        (
            [
                ("Impersonate-User", "system:serviceaccount:dev:builder"),
                ("Impersonate-Group", "custom"),
            ],
            UserInfo(
                "system:serviceaccount:dev:builder", groups=("custom", "system:authenticated")
            ),
        ),
        # not a valid service account name: an ordinary user
        (
            [("Impersonate-User", "system:serviceaccount:Dev:builder")],
            UserInfo("system:serviceaccount:Dev:builder", groups=("system:authenticated",)),
        ),
        (
            [("Impersonate-User", "system:anonymous")],
            UserInfo("system:anonymous", groups=("system:unauthenticated",)),
        ),
        (
            [
                ("Impersonate-User", "jane"),
                ("Impersonate-Uid", "u-1"),
                ("Impersonate-Extra-Scopes", "view"),
                ("Impersonate-Extra-scopes", "edit"),
                ("Impersonate-Extra-Acme.com%2Fproject", "p1"),
                ("Impersonate-Extra-Bad%zzKey", "x"),
            ],
            UserInfo(
                "jane",
                uid="u-1",
                groups=("system:authenticated",),
                extra={
                    "scopes": ("view", "edit"),
                    "acme.com/project": ("p1",),
                    "bad%zzkey": ("x",),
                },
            ),
        ),
    ],
)
async def test_impersonated_user(headers: list[tuple[str, str]], expected: UserInfo) -> None:
    """Name, groups (service accounts', system:authenticated), uid and extra, as Kubernetes."""
    assert await _apply(headers) == expected


async def test_every_value_is_asked_in_order() -> None:
    """One check per value: user, groups, extras, uid, with Kubernetes' attributes."""
    authorizer = Recording()
    await _apply(
        [
            ("Impersonate-Uid", "u-1"),
            ("Impersonate-Extra-Scopes", "view"),
            ("Impersonate-Group", "dev"),
            ("Impersonate-User", "system:serviceaccount:dev:builder"),
        ],
        authorizer,
    )
    assert [
        (c.verb, c.api_group, c.resource, c.subresource, c.namespace, c.name)
        for c in authorizer.checks
    ] == [
        ("impersonate", "", "serviceaccounts", "", "dev", "builder"),
        ("impersonate", "", "groups", "", "", "dev"),
        ("impersonate", "authentication.k8s.io", "userextras", "scopes", "", "view"),
        ("impersonate", "authentication.k8s.io", "uids", "", "", "u-1"),
    ]
    assert all(check.user is BOB for check in authorizer.checks)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            [("Impersonate-Group", "dev")],
            "requested [{Group  dev    }] without impersonating a user",
        ),
        (
            [("Impersonate-User", ""), ("Impersonate-Uid", "u-1")],
            "requested [{UID  u-1  authentication.k8s.io/v1  }] without impersonating a user",
        ),
        (
            [("Impersonate-Extra-Scopes", "view"), ("Impersonate-Group", "dev")],
            "requested [{Group  dev    } {UserExtra  view  authentication.k8s.io/v1  scopes}] "
            "without impersonating a user",
        ),
    ],
)
async def test_no_user_is_400(headers: list[tuple[str, str]], message: str) -> None:
    """Groups, a uid or extras without a user: 400 BadRequest with Kubernetes' message."""
    with pytest.raises(StatusError) as info:
        await _apply(headers)
    assert (info.value.code, info.value.reason, info.value.message) == (400, "BadRequest", message)


@pytest.mark.parametrize(
    ("headers", "denied", "message", "details"),
    [
        (
            [("Impersonate-User", "jane")],
            "users",
            'users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API '
            'group "" at the cluster scope',
            {"name": "jane", "kind": "users"},
        ),
        (
            [("Impersonate-User", "system:serviceaccount:dev:builder")],
            "serviceaccounts",
            'serviceaccounts "builder" is forbidden: User "bob" cannot impersonate resource '
            '"serviceaccounts" in API group "" in the namespace "dev"',
            {"name": "builder", "kind": "serviceaccounts"},
        ),
        (
            [("Impersonate-User", "jane"), ("Impersonate-Group", "system:masters")],
            "groups",
            'groups "system:masters" is forbidden: User "bob" cannot impersonate resource '
            '"groups" in API group "" at the cluster scope',
            {"name": "system:masters", "kind": "groups"},
        ),
        (
            [("Impersonate-User", "jane"), ("Impersonate-Extra-Scopes", "<all>")],
            "userextras",
            'userextras.authentication.k8s.io "<all>" is forbidden: User "bob" cannot '
            'impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at '
            "the cluster scope",
            {"name": "<all>", "group": "authentication.k8s.io", "kind": "userextras"},
        ),
        (
            [("Impersonate-User", "jane"), ("Impersonate-Uid", "1")],
            "uids",
            'uids.authentication.k8s.io "1" is forbidden: User "bob" cannot impersonate '
            'resource "uids" in API group "authentication.k8s.io" at the cluster scope',
            {"name": "1", "group": "authentication.k8s.io", "kind": "uids"},
        ),
    ],
)
async def test_refusals_are_403(
    headers: list[tuple[str, str]], denied: str, message: str, details: dict[str, str]
) -> None:
    """The first refused value ends the request: 403 Forbidden with Kubernetes' message."""
    with pytest.raises(StatusError) as info:
        await _apply(headers, Recording(denied))
    status = info.value.to_status()
    assert (status["code"], status["reason"], status["message"]) == (403, "Forbidden", message)
    assert status["details"] == details


async def test_refusal_reason_and_escaping() -> None:
    """The authorizer's reason ends the message; <, > and & in names are escaped."""
    with pytest.raises(StatusError) as info:
        await Impersonation(Recording("users", "no RBAC policy matched")).apply(
            UserInfo("<b>&", groups=("system:authenticated",)), [("Impersonate-User", "jane")]
        )
    assert info.value.message == (
        'users "jane" is forbidden: User "&lt;b&gt;&amp;" cannot impersonate resource "users" '
        'in API group "" at the cluster scope: no RBAC policy matched'
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("system:serviceaccount:dev:builder", ("dev", "builder")),
        ("system:serviceaccount:dev:a.b", ("dev", "a.b")),
        ("system:serviceaccount:dev", None),
        ("system:serviceaccount:dev:a:b", None),
        ("system:serviceaccount::builder", None),
        ("system:serviceaccount:dev:", None),
        ("system:serviceaccount:a.b:builder", None),
        ("system:serviceaccounts:dev:builder", None),
        ("jane", None),
    ],
)
def test_split_username(name: str, expected: tuple[str, str] | None) -> None:
    """A service account user name only when both parts are valid names."""
    assert split_username(name) == expected
