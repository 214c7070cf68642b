"""Putting the authenticators together, as kube-apiserver's flags choose them.

One token authenticator (the union of the static token file, the service
account tokens and the bootstrap tokens, in that order) serves both bearer
authentication of requests and TokenReviews; static and bootstrap tokens are
good for the API server's audiences only (``authn.audiences``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubeling.apiserver.auth.serviceaccount_tokens import ObjectLookup
from kubeling.apiserver.authn.anonymous import AnonymousAuthenticator
from kubeling.apiserver.authn.audiences import AudienceAgnostic
from kubeling.apiserver.authn.authentication import Authentication
from kubeling.apiserver.authn.bearer_token import BearerTokenAuthenticator
from kubeling.apiserver.authn.bootstrap_tokens import BootstrapTokens
from kubeling.apiserver.authn.interface import RequestAuthenticator, TokenAuthenticator
from kubeling.apiserver.authn.token_file import StaticTokens
from kubeling.apiserver.authn.token_review import TokenReviewer
from kubeling.apiserver.authn.token_union import TokenUnion
from kubeling.apiserver.authn.x509 import ClientCertificateAuthenticator

__all__ = ["AuthenticationChain", "build_chain"]


@dataclass(frozen=True, slots=True)
class AuthenticationChain:
    """What the HTTP application needs: request authentication and token reviews."""

    authentication: Authentication
    token_reviewer: TokenReviewer


def build_chain(
    *,
    api_audiences: Iterable[str],
    client_certificates: bool = True,
    static_tokens: StaticTokens | None = None,
    service_account_tokens: TokenAuthenticator | None = None,
    bootstrap_secrets: ObjectLookup | None = None,
    anonymous: bool = True,
    anonymous_paths: Iterable[str] | None = None,
) -> AuthenticationChain:
    """The chain for these settings.

    ``bootstrap_secrets`` reads Secrets for bootstrap tokens (None: bootstrap
    token authentication off); ``anonymous_paths`` limits anonymous requests
    to those paths (None: every path).
    """
    audiences = tuple(api_audiences)
    tokens: list[TokenAuthenticator] = []
    if static_tokens is not None:
        tokens.append(AudienceAgnostic(static_tokens, api_audiences=audiences))
    if service_account_tokens is not None:
        tokens.append(service_account_tokens)
    if bootstrap_secrets is not None:
        tokens.append(AudienceAgnostic(BootstrapTokens(bootstrap_secrets), api_audiences=audiences))
    union = TokenUnion(tokens)
    requests: list[RequestAuthenticator] = []
    if client_certificates:
        requests.append(ClientCertificateAuthenticator())
    requests.append(BearerTokenAuthenticator(union, audiences=audiences))
    return AuthenticationChain(
        authentication=Authentication(
            requests,
            anonymous=AnonymousAuthenticator(paths=anonymous_paths) if anonymous else None,
        ),
        token_reviewer=TokenReviewer(union, api_audiences=audiences),
    )
