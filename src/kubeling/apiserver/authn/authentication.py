"""The API server's authentication chain: from a request's credentials to a user.

Assembled as kube-apiserver assembles it (``pkg/kubeapiserver/authenticator``)::

    client certificate ─┐
    bearer token ───────┤ first that recognises → + system:authenticated ─┐
      (token file, service accounts,                                      ├─ user
       bootstrap tokens)                                                  │
    nothing recognised, nothing refused ─────────→ anonymous (if on) ─────┘
    anything refused, or nothing and no anonymous ─→ 401 Unauthorized

- the request authenticators are asked in order; the first that recognises
  the credentials wins (a client certificate beats a token sent with it);
- every user so found is put in ``system:authenticated`` (unless it is the
  anonymous user or already in that group or ``system:unauthenticated``);
- a refusal (an expired token) is final: such a request is never anonymous.

The answer to a failure is Kubernetes' ``401 Unauthorized`` Status, whatever
the reason; the reason goes to the log (never the credential itself).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from kubeling.api import errors
from kubeling.api.authentication.user import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    ANONYMOUS,
    UserInfo,
)
from kubeling.apiserver.authn.anonymous import AnonymousAuthenticator
from kubeling.apiserver.authn.interface import (
    Authenticated,
    AuthenticationError,
    Credentials,
    RequestAuthenticator,
)

__all__ = ["Authentication", "with_authenticated_group"]

log = logging.getLogger(__name__)


def with_authenticated_group(user: UserInfo) -> UserInfo:
    """``user`` in ``system:authenticated`` (Kubernetes' ``AuthenticatedGroupAdder``).

    >>> with_authenticated_group(UserInfo("jane", groups=("dev",))).groups
    ('dev', 'system:authenticated')
    >>> with_authenticated_group(UserInfo("system:anonymous")).groups
    ()
    """
    if user.name == ANONYMOUS:
        return user
    if ALL_AUTHENTICATED in user.groups or ALL_UNAUTHENTICATED in user.groups:
        return user
    return dataclasses.replace(user, groups=(*user.groups, ALL_AUTHENTICATED))


class Authentication:
    """Authenticates requests with ``authenticators``, then ``anonymous`` if given."""

    def __init__(
        self,
        authenticators: Sequence[RequestAuthenticator],
        *,
        anonymous: AnonymousAuthenticator | None = None,
    ) -> None:
        self._authenticators = tuple(authenticators)
        self._anonymous = anonymous

    async def authenticate(self, credentials: Credentials) -> UserInfo:
        """The request's user; 401 Unauthorized if there is none."""
        try:
            authenticated = await self._first(credentials)
        except AuthenticationError as refused:
            log.info("Unable to authenticate the request: %s", refused)
            raise errors.unauthorized("Unauthorized") from refused
        if authenticated is None and self._anonymous is not None:
            authenticated = await self._anonymous.authenticate(credentials)
        if authenticated is None:
            raise errors.unauthorized("Unauthorized")
        return authenticated.user

    async def _first(self, credentials: Credentials) -> Authenticated | None:
        """The first authenticator's user, with ``system:authenticated`` (Kubernetes' union)."""
        refusals: list[AuthenticationError] = []
        for authenticator in self._authenticators:
            try:
                authenticated = await authenticator.authenticate(credentials)
            except AuthenticationError as refused:
                refusals.append(refused)
                continue
            if authenticated is not None:
                user = with_authenticated_group(authenticated.user)
                return dataclasses.replace(authenticated, user=user)
        if refusals:
            raise AuthenticationError.gathered(refusals)
        return None
