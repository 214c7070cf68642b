"""OIDC discovery for the service account issuer: how others verify our tokens.

Kubernetes serves two documents (``pkg/serviceaccount/openidmetadata.go``)
so that a relying party (a cloud IAM, Vault, another cluster) can check a
service account token without calling TokenReview:

- ``/.well-known/openid-configuration``: the issuer, where its keys are, and
  what it signs with;
- ``/openid/v1/jwks``: the JSON Web Key Set of the signing public key.

Both are served with ``Cache-Control: public, max-age=3600``, the JWKS as
``application/jwk-set+json``. The ``jwks_uri`` is the API server's external
address (Kubernetes' default when ``--service-account-jwks-uri`` is unset),
and discovery is only offered for an ``https`` issuer with no query or
fragment, as the OIDC specification and Kubernetes require.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.apiserver.auth import jwt

__all__ = [
    "CACHE_CONTROL",
    "JWKS_CONTENT_TYPE",
    "JWKS_PATH",
    "OPENID_CONFIG_PATH",
    "IssuerDiscovery",
    "discovery_available",
]

OPENID_CONFIG_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/openid/v1/jwks"
JWKS_CONTENT_TYPE = "application/jwk-set+json"
CACHE_CONTROL = "public, max-age=3600"


def discovery_available(issuer: str) -> bool:
    """Whether OIDC discovery can be offered for ``issuer`` (an https URL, no query/fragment).

    >>> discovery_available("https://kubernetes.default.svc.cluster.local")
    True
    >>> discovery_available("kubernetes/serviceaccount"), discovery_available("https://x/?a=b")
    (False, False)
    """
    url = urllib.parse.urlsplit(issuer)
    return url.scheme == "https" and bool(url.netloc) and not url.query and not url.fragment


@dataclass(frozen=True, slots=True)
class IssuerDiscovery:
    """The two discovery documents for one issuer and its signing key."""

    issuer: str
    public_key: rsa.RSAPublicKey
    key_id: str

    def openid_configuration(self, external_address: str) -> dict[str, Any]:
        """The provider metadata; ``external_address`` is the API server's ``host:port``."""
        return {
            "issuer": self.issuer,
            "jwks_uri": f"https://{external_address}{JWKS_PATH}",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [jwt.ALGORITHM],
        }

    def jwks(self) -> dict[str, Any]:
        """The key set: our one public signing key."""
        return {"keys": [jwt.public_jwk(self.public_key, kid=self.key_id)]}
