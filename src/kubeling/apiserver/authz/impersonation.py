"""May this user impersonate that one? The authorization half of impersonation.

``kubectl --as=bob --as-group=dev`` sends ``Impersonate-User``,
``Impersonate-Group``, ``Impersonate-Uid`` and ``Impersonate-Extra-<key>``
headers; authentication (``apiserver/authn``) reads them and, before acting
as anyone, asks :func:`check_impersonation` whether the requester may, once
per thing impersonated, as Kubernetes' impersonation filter does:

- a user: verb ``impersonate`` on ``users`` (core group), named by the user;
- a service account (a user named ``system:serviceaccount:<ns>:<name>``):
  ``impersonate`` on ``serviceaccounts`` in ``<ns>``, named ``<name>``;
- a group: ``groups``; a uid: ``uids`` (authentication.k8s.io);
- an extra value: ``userextras`` (authentication.k8s.io) with the key as
  subresource and the value as name.

A refusal is the 403 of the first one not allowed: ``users "bob" is
forbidden: User "alice" cannot impersonate resource "users" in API group ""
at the cluster scope``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from kubeling.apiserver.authz.attributes import Attributes, forbidden
from kubeling.apiserver.authz.authorizer import Authorizer
from kubeling.apiserver.authz.user import UserInfo

__all__ = ["Impersonated", "check_impersonation"]

AUTHENTICATION_GROUP: Final = "authentication.k8s.io"

Kind = Literal["User", "ServiceAccount", "Group", "UID", "UserExtra"]

# kind -> (API group, API version, resource)
_RESOURCES: Final[dict[str, tuple[str, str, str]]] = {
    "User": ("", "v1", "users"),
    "ServiceAccount": ("", "v1", "serviceaccounts"),
    "Group": ("", "v1", "groups"),
    "UID": (AUTHENTICATION_GROUP, "v1", "uids"),
    "UserExtra": (AUTHENTICATION_GROUP, "v1", "userextras"),
}


@dataclass(frozen=True, slots=True)
class Impersonated:
    """One thing a request asks to impersonate.

    ``namespace`` is a service account's; ``extra_key`` a UserExtra's key
    (its value is ``name``).
    """

    kind: Kind
    name: str
    namespace: str = ""
    extra_key: str = ""

    def attributes(self, requester: UserInfo) -> Attributes:
        group, version, resource = _RESOURCES[self.kind]
        return Attributes(
            user=requester,
            verb="impersonate",
            resource_request=True,
            api_group=group,
            api_version=version,
            resource=resource,
            subresource=self.extra_key,
            namespace=self.namespace,
            name=self.name,
        )


def check_impersonation(
    authorizer: Authorizer, requester: UserInfo, impersonated: Iterable[Impersonated]
) -> None:
    """Raise the 403 of the first impersonation ``requester`` may not make."""
    for target in impersonated:
        attributes = target.attributes(requester)
        result = authorizer.authorize(attributes)
        if not result.allowed:
            raise forbidden(attributes, result.reason)
