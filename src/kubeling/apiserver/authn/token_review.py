"""TokenReview's question: does this token authenticate, for these audiences, and as whom?

Kubernetes answers a TokenReview with its own request authenticators, on a
request that carries only the token (``registry/authentication/tokenreview``):
the same token authenticators as bearer authentication, with the review's
``spec.audiences`` (the API server's by default) as the target audiences.

The error text follows what Kubernetes clusters answer. kube-apiserver puts
its loopback token authenticator before the chain, and it answers ``invalid
bearer token`` to every other token; so a token nobody recognises reads
``invalid bearer token``, and one an authenticator refused reads ``[invalid
bearer token, <reason>]``. kubeling has no loopback token, but answers alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.authentication import with_authenticated_group
from kubeling.apiserver.authn.bearer_token import INVALID_BEARER_TOKEN
from kubeling.apiserver.authn.interface import (
    AuthenticationError,
    TokenAuthenticator,
    aggregate_message,
)

__all__ = ["TokenReviewResult", "TokenReviewer"]


@dataclass(frozen=True, slots=True)
class TokenReviewResult:
    """A review's outcome: the user and audiences, or the error text."""

    user: UserInfo | None = None
    audiences: tuple[str, ...] = ()
    error: str = ""


class TokenReviewer:
    """Reviews tokens with the API server's token authenticators."""

    def __init__(self, tokens: TokenAuthenticator, *, api_audiences: Sequence[str]) -> None:
        self._tokens = tokens
        self._api_audiences = tuple(api_audiences)

    async def review(self, token: str, *, audiences: Sequence[str] = ()) -> TokenReviewResult:
        """Authenticate ``token`` for ``audiences`` (default: the API server's)."""
        try:
            authenticated = await self._tokens.verify(
                token, audiences=tuple(audiences) or self._api_audiences
            )
        except AuthenticationError as refused:
            return TokenReviewResult(
                error=aggregate_message((INVALID_BEARER_TOKEN, *refused.messages))
            )
        if authenticated is None:
            return TokenReviewResult(error=INVALID_BEARER_TOKEN)
        return TokenReviewResult(
            user=with_authenticated_group(authenticated.user),
            audiences=authenticated.audiences,
        )
