"""May this user impersonate that one? RBAC's answer to authentication.

``kubectl --as=bob --as-group=dev`` sends ``Impersonate-*`` headers;
authentication (``authn.impersonation``) reads them and, before acting as
anyone, asks its :class:`~kubeling.apiserver.authn.impersonation.ImpersonationAuthorizer`
once per thing impersonated (verb ``impersonate`` on ``users``,
``serviceaccounts``, ``groups``, ``uids`` or ``userextras/<key>``). This is
that authorizer: the question goes to the same chain as every request
(``system:masters``, then RBAC), so ``kubectl auth can-i impersonate users``
and the impersonation itself agree. A refusal is the 403 of the first thing
not allowed: ``users "bob" is forbidden: User "alice" cannot impersonate
resource "users" in API group "" at the cluster scope``.
"""

from __future__ import annotations

from kubeling.apiserver.authn.impersonation import ImpersonationCheck
from kubeling.apiserver.authz.authorizer import Authorizer

__all__ = ["AuthorizerImpersonation"]


class AuthorizerImpersonation:
    """Answers impersonation checks with an authorizer (the server's chain)."""

    def __init__(self, authorizer: Authorizer) -> None:
        self._authorizer = authorizer

    async def authorize_impersonation(self, check: ImpersonationCheck) -> tuple[bool, str]:
        """``(allowed, reason)`` as the authorizer decides ``check``."""
        result = self._authorizer.authorize(check.attributes())
        return result.allowed, result.reason
