"""``Authorization: Bearer <token>``: the token, checked by the token authenticators.

Kubernetes' ``request/bearertoken``, rule for rule:

- no ``Authorization`` header, another scheme (``Basic ...``), or an empty
  token: not a bearer token (None), so the request may still be anonymous;
- the scheme is case-insensitive, and the token is the second space-separated
  word (``Bearer a b`` presents ``a``; ``Bearer  a``, with two spaces,
  presents an empty token);
- a token no token authenticator recognises is an error, ``invalid bearer
  token``: a request with a bad token is refused, never anonymous.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.apiserver.authn.interface import (
    Authenticated,
    AuthenticationError,
    Credentials,
    TokenAuthenticator,
)

__all__ = ["INVALID_BEARER_TOKEN", "BearerTokenAuthenticator", "bearer_token"]

INVALID_BEARER_TOKEN = "invalid bearer token"


def bearer_token(authorization: str) -> str:
    """The token of an ``Authorization`` header; ``""`` if it presents none.

    >>> bearer_token("bearer abc"), bearer_token("Basic abc"), bearer_token("Bearer  abc")
    ('abc', '', '')
    """
    parts = authorization.strip().split(" ", 2)
    if len(parts) < 2 or parts[0].lower() != "bearer":
        return ""
    return parts[1]


class BearerTokenAuthenticator:
    """Authenticates a request by its bearer token, for the API server's ``audiences``."""

    def __init__(self, tokens: TokenAuthenticator, *, audiences: Sequence[str]) -> None:
        self._tokens = tokens
        self._audiences = tuple(audiences)

    async def authenticate(self, credentials: Credentials) -> Authenticated | None:
        """The token's user; None without a bearer token; ``invalid bearer token`` (or
        the token authenticators' own reasons) for a token that does not authenticate."""
        token = bearer_token(credentials.authorization)
        if not token:
            return None
        authenticated = await self._tokens.verify(token, audiences=self._audiences)
        if authenticated is None:
            raise AuthenticationError(INVALID_BEARER_TOKEN)
        return authenticated
