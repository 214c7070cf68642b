"""Impersonation: ``Impersonate-User``, ``-Group``, ``-Uid`` and ``-Extra-*`` headers.

``kubectl --as jane --as-group dev`` sends these headers; an authenticated user
who is allowed to may act as someone else. This is Kubernetes'
``WithImpersonation`` filter (``endpoints/filters/impersonation.go``), run right
after authentication:

1. The headers become requests to impersonate, in this order: the user (a
   ``system:serviceaccount:<ns>:<name>`` name asks for that service account,
   any other name for a user), each group, each extra value, the uid. Groups,
   extras or a uid without a user are refused with 400.
2. Each is put to the authorizer as the verb ``impersonate`` on ``users``,
   ``serviceaccounts`` (in the namespace), ``groups``, ``userextras/<key>`` or
   ``uids`` (both ``authentication.k8s.io``), named by the value. The first
   refusal ends the request with 403 and Kubernetes' message, for instance
   ``users "jane" is forbidden: User "bob" cannot impersonate resource "users"
   in API group "" at the cluster scope``.
3. The request then carries the impersonated user: a service account without
   ``Impersonate-Group`` gets its two groups; every user but
   ``system:anonymous`` gets ``system:authenticated`` unless the groups asked
   for include it or ``system:unauthenticated``; ``system:anonymous`` gets
   ``system:unauthenticated``.

The authorizer is asked through :class:`ImpersonationAuthorizer`; the API
server wires RBAC's (``authz.impersonation``) in. A refusal is the 403 every
refused request gets (``authz.attributes.forbidden``).
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from kubeling.api import errors
from kubeling.api.authentication import serviceaccount
from kubeling.api.authentication.user import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    ANONYMOUS,
    UserInfo,
)
from kubeling.apiserver.authz.attributes import Attributes, forbidden

__all__ = [
    "EXTRA_HEADER_PREFIX",
    "GROUP_HEADER",
    "UID_HEADER",
    "USER_HEADER",
    "Impersonation",
    "ImpersonationAuthorizer",
    "ImpersonationCheck",
]

log = logging.getLogger(__name__)

USER_HEADER = "Impersonate-User"
GROUP_HEADER = "Impersonate-Group"
UID_HEADER = "Impersonate-Uid"
EXTRA_HEADER_PREFIX = "Impersonate-Extra-"

_AUTHENTICATION_GROUP = "authentication.k8s.io"
_AUTHENTICATION_VERSION = f"{_AUTHENTICATION_GROUP}/v1"
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class ImpersonationCheck:
    """What the authorizer is asked: may ``user`` ``impersonate`` this?

    The fields are Kubernetes' authorizer attributes for the question
    (always a resource request with the verb ``impersonate``): ``resource`` is
    ``users``, ``groups``, ``serviceaccounts`` (core, with the namespace),
    ``uids`` or ``userextras`` (``authentication.k8s.io``, the extra key as
    the subresource); ``name`` is the value asked for.
    """

    user: UserInfo
    resource: str
    name: str
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    subresource: str = ""
    verb: str = "impersonate"

    def attributes(self) -> Attributes:
        """The question as the authorizer chain takes any request's."""
        return Attributes(
            user=self.user,
            verb=self.verb,
            resource_request=True,
            api_group=self.api_group,
            api_version=self.api_version,
            resource=self.resource,
            subresource=self.subresource,
            namespace=self.namespace,
            name=self.name,
        )


class ImpersonationAuthorizer(Protocol):
    """The authorizer, as impersonation asks it."""

    async def authorize_impersonation(self, check: ImpersonationCheck) -> tuple[bool, str]:
        """``(allowed, reason)``; the reason, if any, ends the 403 message of a refusal."""
        ...


@dataclass(frozen=True, slots=True)
class _Wanted:
    """One thing asked for, as Kubernetes records it (a ``v1.ObjectReference``)."""

    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""
    field_path: str = ""

    def go_value(self) -> str:
        """Go's ``%v`` of the ObjectReference: its seven fields, space separated."""
        fields = (self.kind, self.namespace, self.name, "", self.api_version, "", self.field_path)
        return "{" + " ".join(fields) + "}"


def _unescape_extra_key(encoded: str) -> str:
    """Go's ``url.PathUnescape``, keeping the key as sent when it is not valid escaping."""
    if _PERCENT.search(encoded):
        return encoded
    return urllib.parse.unquote(encoded, errors="surrogateescape")


def _wanted(headers: Iterable[tuple[str, str]]) -> tuple[list[_Wanted], bool]:
    """What the headers ask for, in Kubernetes' order, and whether groups were given."""
    user = uid = None
    groups: list[str] = []
    extras: dict[str, list[str]] = {}
    prefix = EXTRA_HEADER_PREFIX.lower()
    for name, value in headers:
        lowered = name.lower()
        if lowered == USER_HEADER.lower():
            user = value if user is None else user
        elif lowered == UID_HEADER.lower():
            uid = value if uid is None else uid
        elif lowered == GROUP_HEADER.lower():
            groups.append(value)
        elif lowered.startswith(prefix):
            extras.setdefault(_unescape_extra_key(lowered[len(prefix) :]), []).append(value)
    wanted: list[_Wanted] = []
    if user:
        account = serviceaccount.split_username(user)
        if account is not None:
            wanted.append(_Wanted("ServiceAccount", account[1], namespace=account[0]))
        else:
            wanted.append(_Wanted("User", user))
    wanted += [_Wanted("Group", group) for group in groups]
    for key, values in extras.items():
        wanted += [
            _Wanted("UserExtra", value, api_version=_AUTHENTICATION_VERSION, field_path=key)
            for value in values
        ]
    if uid:
        wanted.append(_Wanted("UID", uid, api_version=_AUTHENTICATION_VERSION))
    if wanted and not user:
        listed = "[" + " ".join(item.go_value() for item in wanted) + "]"
        raise errors.bad_request(f"requested {listed} without impersonating a user")
    return wanted, bool(groups)


def _check(requestor: UserInfo, wanted: _Wanted) -> ImpersonationCheck:
    if wanted.kind == "ServiceAccount":
        return ImpersonationCheck(
            requestor, "serviceaccounts", wanted.name, namespace=wanted.namespace
        )
    if wanted.kind == "User":
        return ImpersonationCheck(requestor, "users", wanted.name)
    if wanted.kind == "Group":
        return ImpersonationCheck(requestor, "groups", wanted.name)
    if wanted.kind == "UserExtra":
        return ImpersonationCheck(
            requestor,
            "userextras",
            wanted.name,
            api_group=_AUTHENTICATION_GROUP,
            api_version="v1",
            subresource=wanted.field_path,
        )
    return ImpersonationCheck(
        requestor, "uids", wanted.name, api_group=_AUTHENTICATION_GROUP, api_version="v1"
    )


class Impersonation:
    """Applies a request's impersonation headers to its authenticated user."""

    def __init__(self, authorizer: ImpersonationAuthorizer) -> None:
        self._authorizer = authorizer

    async def apply(self, requestor: UserInfo, headers: Iterable[tuple[str, str]]) -> UserInfo:
        """The user the request acts as: ``requestor`` itself without impersonation
        headers, else the impersonated user (400 or 403 as Kubernetes refuses)."""
        wanted, groups_given = _wanted(headers)
        if not wanted:
            return requestor
        name, uid = "", ""
        groups: list[str] = []
        extra: dict[str, list[str]] = {}
        for item in wanted:
            check = _check(requestor, item)
            allowed, reason = await self._authorizer.authorize_impersonation(check)
            if not allowed:
                raise forbidden(check.attributes(), reason)
            if item.kind == "ServiceAccount":
                name = serviceaccount.username(item.namespace, item.name)
                if not groups_given:
                    groups = list(serviceaccount.group_names(item.namespace))
            elif item.kind == "User":
                name = item.name
            elif item.kind == "Group":
                groups.append(item.name)
            elif item.kind == "UserExtra":
                extra.setdefault(item.field_path, []).append(item.name)
            else:
                uid = item.name
        if name != ANONYMOUS:
            if ALL_AUTHENTICATED not in groups and ALL_UNAUTHENTICATED not in groups:
                groups.append(ALL_AUTHENTICATED)
        elif ALL_UNAUTHENTICATED not in groups:
            groups.append(ALL_UNAUTHENTICATED)
        impersonated = UserInfo(
            name=name,
            uid=uid,
            groups=tuple(groups),
            extra={key: tuple(values) for key, values in extra.items()},
        )
        log.debug("%s is impersonating %s", _user_string(requestor), _user_string(impersonated))
        return impersonated


def _user_string(user: UserInfo) -> str:
    """``name[group,group]``, as Kubernetes logs impersonation."""
    groups = f"[{','.join(user.groups)}]" if user.groups else ""
    return f"{user.name or '<empty>'}{groups}"
