"""Several token authenticators asked in turn, as Kubernetes' ``token/union``.

The first that recognises the token answers. Refusals on the way are kept: if
none recognises it, they are raised together (``[reason 1, reason 2]``), and
if none even refused, the token is simply not anyone's (None). The order is
kube-apiserver's: the static token file, service account tokens, bootstrap
tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.apiserver.authn.interface import (
    Authenticated,
    AuthenticationError,
    TokenAuthenticator,
)

__all__ = ["TokenUnion"]


class TokenUnion:
    """The first answer of ``authenticators`` for a token."""

    def __init__(self, authenticators: Sequence[TokenAuthenticator]) -> None:
        self._authenticators = tuple(authenticators)

    async def verify(self, token: str, *, audiences: Sequence[str]) -> Authenticated | None:
        """The first user found; the gathered refusals if none; None if no one knew the token."""
        refusals: list[AuthenticationError] = []
        for authenticator in self._authenticators:
            try:
                authenticated = await authenticator.verify(token, audiences=audiences)
            except AuthenticationError as refused:
                refusals.append(refused)
                continue
            if authenticated is not None:
                return authenticated
        if refusals:
            raise AuthenticationError.gathered(refusals)
        return None
