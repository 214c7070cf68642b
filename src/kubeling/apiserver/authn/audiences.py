"""Tokens that carry no audience, checked against the API server's own.

A static or bootstrap token says nothing about whom it is for: it is good for
the API server and nothing else. Kubernetes wraps such authenticators
(``authenticator.WrapAudienceAgnosticToken``): such a token authenticates only
when the audiences asked for (the API server's on a request, a TokenReview's
``spec.audiences``) include one of the API server's, and the answer names
those shared audiences.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.apiserver.authn.interface import Authenticated, TokenAuthenticator

__all__ = ["AudienceAgnostic"]


class AudienceAgnostic:
    """``inner``'s tokens, valid for the API server's ``api_audiences`` only."""

    def __init__(self, inner: TokenAuthenticator, *, api_audiences: Sequence[str]) -> None:
        self._inner = inner
        self._api_audiences = tuple(api_audiences)

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """``inner``'s answer with the shared audiences; None when none is shared."""
        # in the order asked for, as Go's Audiences.Intersect
        shared = tuple(audience for audience in audiences if audience in self._api_audiences)
        if not shared:
            return None
        authenticated = await self._inner.verify(token, audiences=shared)
        if authenticated is None:
            return None
        return Authenticated(authenticated.user, shared)
