"""OIDC discovery: the provider metadata, and a JWKS a relying party can verify tokens with."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kubeling.apiserver.auth.issuer_discovery import IssuerDiscovery
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectRef
from tests.unit.apiserver.tokens._support import FakeClock, FakeObjects, make_tokens


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_openid_configuration(signing_key: rsa.RSAPrivateKey) -> None:
    """Issuer, the JWKS at the API server's address, id_token, public subjects, RS256."""
    discovery = IssuerDiscovery(
        issuer="https://kubernetes.default.svc.cluster.local",
        public_key=signing_key.public_key(),
        key_id="kid-1",
    )
    assert discovery.openid_configuration("10.0.0.1:6443") == {
        "issuer": "https://kubernetes.default.svc.cluster.local",
        "jwks_uri": "https://10.0.0.1:6443/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def test_a_relying_party_verifies_a_token_with_the_jwks(signing_key: rsa.RSAPrivateKey) -> None:
    """The key found by the token's kid in the JWKS verifies the token's signature."""
    tokens = make_tokens(signing_key, FakeObjects(), FakeClock())
    token = tokens.issue(
        namespace="ns",
        service_account=ObjectRef("sa", "u"),
        audiences=["vault"],
        expiration_seconds=600,
    )
    discovery = IssuerDiscovery(
        issuer=tokens.issuer, public_key=tokens.public_key, key_id=tokens.key_id
    )
    header, payload, signature = token.split(".")
    keys = {key["kid"]: key for key in discovery.jwks()["keys"]}
    jwk = keys[tokens.key_id]
    public = rsa.RSAPublicNumbers(
        e=int.from_bytes(_b64(jwk["e"]), "big"), n=int.from_bytes(_b64(jwk["n"]), "big")
    ).public_key()
    public.verify(
        _b64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
