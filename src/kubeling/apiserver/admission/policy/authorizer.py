"""The ``authorizer`` of policy expressions, answered by the API server's authorizer.

The CEL library (``api/cel/library/authz``) asks :class:`AuthzQuery`
questions; here they become the API server's authorization attributes for
the requesting user, or for the service account named by
``authorizer.serviceAccount(namespace, name)`` (``system:serviceaccount:<ns>:<name>``
in ``system:serviceaccounts`` and ``system:serviceaccounts:<ns>``), with
API version ``*``, and the authorizer's decision and reason come back.
Without an authorizer (an API server without authorization), every check
errs: ``.errored()`` is true and ``.allowed()`` false.
"""

from __future__ import annotations

from kubeling.api.authentication import serviceaccount
from kubeling.api.authentication.user import UserInfo
from kubeling.api.cel.library.authz import Authorizer as CelAuthorizer
from kubeling.api.cel.library.authz import AuthzAnswer, AuthzQuery, ResourceCheck
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.authz.attributes import Attributes as AuthzAttributes
from kubeling.apiserver.authz.authorizer import Authorizer, Decision

__all__ = ["cel_authorizer"]

_DECISIONS = {Decision.ALLOW: "allow", Decision.DENY: "deny", Decision.NO_OPINION: "noOpinion"}


def _user(query: AuthzQuery, requester: UserInfo) -> UserInfo:
    if query.service_account is None:
        return requester
    namespace, name = query.service_account
    return UserInfo(
        serviceaccount.username(namespace, name), groups=serviceaccount.group_names(namespace)
    )


def cel_authorizer(
    authorizer: Authorizer | None, attributes: Attributes
) -> tuple[CelAuthorizer, ResourceCheck]:
    """``authorizer`` and ``authorizer.requestResource`` for one request."""

    def answer(query: AuthzQuery) -> AuthzAnswer:
        if authorizer is None:
            return AuthzAnswer("noOpinion", error="no authorizer is configured")
        result = authorizer.authorize(
            AuthzAttributes(
                user=_user(query, attributes.user),
                verb=query.verb,
                resource_request=query.resource_request,
                path=query.path,
                namespace=query.namespace,
                api_group=query.group,
                api_version="*" if query.resource_request else "",
                resource=query.resource,
                subresource=query.subresource,
                name=query.name,
            )
        )
        return AuthzAnswer(_DECISIONS[result.decision], result.reason)

    cel = CelAuthorizer(answer)
    request_resource = ResourceCheck(
        cel,
        attributes.group,
        attributes.resource,
        subresource=attributes.subresource,
        namespace=attributes.namespace,
        name=attributes.name,
    )
    return cel, request_resource
