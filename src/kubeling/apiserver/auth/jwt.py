"""JSON Web Tokens as Kubernetes writes them: compact JWS, RS256, a ``kid`` header.

Kubernetes signs service account tokens with go-jose; the few steps it takes are
done here by hand, with ``cryptography`` for the RSA arithmetic:

- every part is base64url without padding (RFC 7515 §2); decoding is strict
  (URL alphabet only, no ``=``), so a token that is not one of ours in every
  byte is not mistaken for one;
- the header is ``{"alg":"RS256","kid":<key id>}`` and the payload the claims,
  both written as Go's ``encoding/json`` writes a map (keys sorted, compact,
  HTML-safe), which is what go-jose produces;
- the signature is RSASSA-PKCS1-v1_5 with SHA-256 over ``header.payload``.

The key id is Kubernetes' ``keyIDFromPublicKey``: the unpadded base64url
SHA-256 of the public key's DER SubjectPublicKeyInfo, so a verifier that picks
keys by ``kid`` from our JWKS finds the right one.

Errors carry go-jose's messages, because Kubernetes reports them verbatim (a
TokenReview's ``status.error``).

>>> from cryptography.hazmat.primitives.asymmetric import rsa
>>> key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
>>> token = sign({"sub": "me"}, key, kid=key_id(key.public_key()))
>>> parsed = parse(token)
>>> parsed.header["alg"], parsed.claims
('RS256', {'sub': 'me'})
>>> verify_signature(parsed, key.public_key())
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kubeling.api.goformat import go_json

__all__ = [
    "ALGORITHM",
    "MalformedTokenError",
    "SignatureError",
    "SignedToken",
    "b64url_decode",
    "b64url_encode",
    "key_id",
    "parse",
    "public_jwk",
    "sign",
    "verify_signature",
]

ALGORITHM = "RS256"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

# go-jose's own words for the two ways a signature check fails.
_UNSUPPORTED_ALGORITHM = "go-jose/go-jose: unknown/unsupported algorithm"
_CRYPTO_FAILURE = "go-jose/go-jose: error in cryptographic primitive"


class MalformedTokenError(ValueError):
    """The text is not a compact JWS with JSON header and payload objects."""


class SignatureError(Exception):
    """The signature does not verify with the key (or uses another algorithm)."""


@dataclass(frozen=True, slots=True)
class SignedToken:
    """A parsed compact JWS. Nothing in it is trusted until its signature verifies."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def key_id(self) -> str:
        """The ``kid`` header, or ``""``."""
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else ""


def b64url_encode(data: bytes) -> str:
    """Base64url without padding.

    >>> b64url_encode(b"\\xfb\\xff")
    '-_8'
    """
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url; ``ValueError`` for anything else.

    >>> b64url_decode("-_8")
    b'\\xfb\\xff'
    >>> b64url_decode("-_8=")
    Traceback (most recent call last):
    ...
    ValueError: not unpadded base64url
    """
    if len(text) % 4 == 1 or not _BASE64URL.fullmatch(text):
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as err:
        raise ValueError("not unpadded base64url") from err


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """Kubernetes' key id: unpadded base64url SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64url_encode(hashlib.sha256(der).digest())


def sign(claims: Mapping[str, Any], key: rsa.RSAPrivateKey, *, kid: str) -> str:
    """The compact JWS of ``claims``, signed RS256 with ``key`` and ``kid`` in the header."""
    header = b64url_encode(go_json({"alg": ALGORITHM, "kid": kid}).encode())
    payload = b64url_encode(go_json(dict(claims)).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url_encode(signature)}"


def parse(token: str) -> SignedToken:
    """Split and decode a compact JWS; ``MalformedTokenError`` if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedTokenError("a compact JWS has three parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, RecursionError) as err:
        raise MalformedTokenError(f"not a compact JWS: {err}") from err
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedTokenError("the JWS header and payload must be JSON objects")
    return SignedToken(
        header=header,
        claims=claims,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
    )


def verify_signature(token: SignedToken, public_key: rsa.RSAPublicKey) -> None:
    """Check the RS256 signature; ``SignatureError`` (go-jose's message) if it fails."""
    if token.header.get("alg") != ALGORITHM:
        raise SignatureError(_UNSUPPORTED_ALGORITHM)
    try:
        public_key.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as err:
        raise SignatureError(_CRYPTO_FAILURE) from err


def public_jwk(public_key: rsa.RSAPublicKey, *, kid: str) -> dict[str, str]:
    """The JSON Web Key of an RSA public key, in the field order go-jose writes."""
    numbers = public_key.public_numbers()
    return {
        "use": "sig",
        "kty": "RSA",
        "kid": kid,
        "alg": ALGORITHM,
        "n": b64url_encode(_unsigned_bytes(numbers.n)),
        "e": b64url_encode(_unsigned_bytes(numbers.e)),
    }


def _unsigned_bytes(value: int) -> bytes:
    """Big-endian bytes of a non-negative integer, no leading zeros (RFC 7518 §6.3.1).

    >>> _unsigned_bytes(65537)
    b'\\x01\\x00\\x01'
    """
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
