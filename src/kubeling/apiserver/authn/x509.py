"""Client certificates: the subject's CN is the user, its O values the groups.

Kubernetes' x509 authenticator (``request/x509``, ``CommonNameUserConversion``)
with the chain already verified: the API server's TLS context asks for a client
certificate, verifies any it gets against the cluster CA for client use, and
fails the handshake otherwise (``Pki.server_ssl_context``). What arrives here
is a verified certificate or none.

A certificate without a CN names no one (None: the next authenticator is
asked). The user's ``extra`` names the credential by the SHA-256 of the
certificate (``X509SHA256=<hex>``), as Kubernetes 1.32 does; there is no uid.
"""

from __future__ import annotations

import functools
import hashlib

from kubeling.api.authentication.user import CREDENTIAL_ID_KEY, UserInfo
from kubeling.apiserver.authn.interface import Authenticated, Credentials
from kubeling.pki import identity_from_cert

__all__ = ["ClientCertificateAuthenticator", "certificate_user"]


@functools.lru_cache(maxsize=256)
def certificate_user(der: bytes) -> UserInfo | None:
    """The user a verified certificate (DER) names, None without a CN.

    Cached: a client sends the same certificate on every request, and parsing
    it again each time would be wasted.
    """
    identity = identity_from_cert(der)
    if identity is None:
        return None
    credential_id = "X509SHA256=" + hashlib.sha256(der).hexdigest()
    return UserInfo(
        name=identity.user,
        groups=identity.groups,
        extra={CREDENTIAL_ID_KEY: (credential_id,)},
    )


class ClientCertificateAuthenticator:
    """The user of the request's verified client certificate."""

    async def authenticate(self, credentials: Credentials) -> Authenticated | None:
        """The certificate's user; None without a certificate or without a CN."""
        if credentials.peer_certificate is None:
            return None
        user = certificate_user(credentials.peer_certificate)
        return Authenticated(user) if user is not None else None
