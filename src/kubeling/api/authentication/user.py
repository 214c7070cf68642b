"""Who a request comes from: the user information authentication produces.

This is Kubernetes' ``user.Info`` (``k8s.io/apiserver/pkg/authentication/user``):
a name, a uid, groups and extra values, produced by the authenticators, put on
the request, and read by everything that decides what the request may do
(authorization, admission, the review APIs). It carries no credential.

The well-known names are Kubernetes' own: every authenticated user is in
``system:authenticated``; a request without credentials, when anonymous
authentication is on, is ``system:anonymous`` in ``system:unauthenticated``;
``system:masters`` is the group every authorizer lets do everything.

>>> user = UserInfo("jane", groups=("dev", ALL_AUTHENTICATED))
>>> user.to_api()
{'username': 'jane', 'groups': ['dev', 'system:authenticated']}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALL_AUTHENTICATED",
    "ALL_UNAUTHENTICATED",
    "ANONYMOUS",
    "CREDENTIAL_ID_KEY",
    "NODES_GROUP",
    "SYSTEM_PRIVILEGED_GROUP",
    "UserInfo",
]

ANONYMOUS = "system:anonymous"
"""The user of a request that presented no credentials (anonymous authentication)."""

ALL_AUTHENTICATED = "system:authenticated"
"""The group of every user an authenticator (not the anonymous one) recognised."""

ALL_UNAUTHENTICATED = "system:unauthenticated"
"""The group of the anonymous user."""

SYSTEM_PRIVILEGED_GROUP = "system:masters"
"""The group allowed everything (the admin certificate's)."""

NODES_GROUP = "system:nodes"
"""The group of kubelets (``system:node:<name>``)."""

CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"
"""The extra key naming the credential used: ``JTI=<jti>``, ``X509SHA256=<hex>``."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as authentication knows it (``user.DefaultInfo``).

    ``extra`` maps keys to values in the order the authenticator gave them;
    it is not copied, so it must not be changed after the user is made.
    Users are hashable (authorizers may cache by user).

    >>> len({UserInfo("a", extra={"k": ("v",)}), UserInfo("a", extra={"k": ("v",)})})
    1
    """

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __hash__(self) -> int:
        # extra is a mapping: hash its items, so that users can key caches
        return hash((self.name, self.uid, self.groups, tuple(sorted(self.extra.items()))))

    def to_api(self) -> dict[str, Any]:
        """authentication.k8s.io/v1 ``UserInfo`` as JSON: empty fields left out, as
        Go's ``omitempty`` does, extra keys sorted, as Go encodes a map.

        >>> UserInfo("sa", uid="u1", extra={"b": ("2",), "a": ("1",)}).to_api()
        {'username': 'sa', 'uid': 'u1', 'extra': {'a': ['1'], 'b': ['2']}}
        """
        out: dict[str, Any] = {}
        if self.name:
            out["username"] = self.name
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {key: list(self.extra[key]) for key in sorted(self.extra)}
        return out
