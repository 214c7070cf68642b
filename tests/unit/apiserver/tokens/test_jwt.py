"""Compact JWS with RS256: encoding, the kid, parsing, signature checks, the JWK."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kubeling.apiserver.auth import jwt


def _decode_part(part: str) -> bytes:
    """Independent of the module under test: the standard library, padded."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_sign_writes_go_jose_header_and_sorted_payload(signing_key: rsa.RSAPrivateKey) -> None:
    """Header {"alg","kid"}; payload keys sorted, compact, HTML-safe, as Go marshals a map."""
    token = jwt.sign({"sub": "a<b", "aud": ["x"], "iat": 1}, signing_key, kid="k1")
    header, payload, signature = token.split(".")
    assert _decode_part(header) == b'{"alg":"RS256","kid":"k1"}'
    assert _decode_part(payload) == b'{"aud":["x"],"iat":1,"sub":"a\\u003cb"}'
    assert "=" not in token
    signing_key.public_key().verify(
        _decode_part(signature),
        f"{header}.{payload}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_key_id_is_sha256_of_the_der_public_key(signing_key: rsa.RSAPrivateKey) -> None:
    """kid = unpadded base64url(SHA-256(DER SubjectPublicKeyInfo)), Kubernetes' derivation."""
    der = signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert jwt.key_id(signing_key.public_key()) == expected
    assert len(expected) == 43


def test_parse_and_verify_round_trip(signing_key: rsa.RSAPrivateKey) -> None:
    """What sign writes, parse reads back and verify_signature accepts."""
    token = jwt.sign({"iss": "i", "n": 2}, signing_key, kid="k")
    parsed = jwt.parse(token)
    assert parsed.header == {"alg": "RS256", "kid": "k"}
    assert parsed.claims == {"iss": "i", "n": 2}
    assert parsed.key_id == "k"
    jwt.verify_signature(parsed, signing_key.public_key())


def _reassemble(header: object, claims: object, signature: str) -> str:
    def part(value: object) -> str:
        return jwt.b64url_encode(json.dumps(value).encode())

    return f"{part(header)}.{part(claims)}.{signature}"


@pytest.mark.parametrize(
    "change",
    ["payload", "signature", "key", "truncate"],
)
def test_tampering_fails_with_go_jose_crypto_error(
    signing_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, change: str
) -> None:
    """A changed payload or signature, or another key, fails the RSA check."""
    token = jwt.sign({"sub": "alice"}, signing_key, kid="k")
    header, payload, signature = token.split(".")
    key = signing_key.public_key()
    if change == "payload":
        forged = jwt.b64url_encode(b'{"sub":"mallory"}')
        token = f"{header}.{forged}.{signature}"
    elif change == "signature":
        raw = bytearray(jwt.b64url_decode(signature))
        raw[0] ^= 1
        token = f"{header}.{payload}.{jwt.b64url_encode(bytes(raw))}"
    elif change == "key":
        key = other_key.public_key()
    else:
        token = f"{header}.{payload}.{signature[:-8]}"
    with pytest.raises(jwt.SignatureError) as info:
        jwt.verify_signature(jwt.parse(token), key)
    assert str(info.value) == "go-jose/go-jose: error in cryptographic primitive"


@pytest.mark.parametrize("alg", ["none", "HS256", "PS256", None])
def test_other_algorithms_are_refused(signing_key: rsa.RSAPrivateKey, alg: str | None) -> None:
    """Only RS256 verifies: alg none or HMAC over the public key never passes."""
    token = jwt.sign({"sub": "a"}, signing_key, kid="k")
    _, payload, signature = token.split(".")
    header = {"alg": alg} if alg else {}
    forged = f"{jwt.b64url_encode(json.dumps(header).encode())}.{payload}.{signature}"
    with pytest.raises(jwt.SignatureError) as info:
        jwt.verify_signature(jwt.parse(forged), signing_key.public_key())
    assert str(info.value) == "go-jose/go-jose: unknown/unsupported algorithm"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!.e30.",
        "e30.e30=.",  # padding
        "e30.e30.%%",
        _reassemble([], {}, ""),  # header not an object
        _reassemble({}, "claims", ""),  # payload not an object
        _reassemble({}, {}, "")[:-1] + "x.",  # broken base64 length
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.",  # payload not JSON
    ],
)
def test_parse_refuses_what_is_not_a_compact_jws(text: str) -> None:
    """Anything but three strict base64url parts of JSON objects is MalformedTokenError."""
    with pytest.raises(jwt.MalformedTokenError):
        jwt.parse(text)


@pytest.mark.parametrize(
    "data", [b"", b"\x00", b"\xfb\xff", b"any carnal pleasure.", bytes(range(256))]
)
def test_b64url_round_trip(data: bytes) -> None:
    """Encoding never pads; decoding reads it back."""
    encoded = jwt.b64url_encode(data)
    assert not set(encoded) & set("=+/")
    assert jwt.b64url_decode(encoded) == data


@pytest.mark.parametrize("text", ["a", "ab==", "a+b/", "ab c", "é"])
def test_b64url_decode_is_strict(text: str) -> None:
    """Padding, the standard alphabet, spaces and non-ASCII are refused."""
    with pytest.raises(ValueError, match="not unpadded base64url"):
        jwt.b64url_decode(text)


def test_public_jwk_rebuilds_the_key(signing_key: rsa.RSAPrivateKey) -> None:
    """n and e are the unpadded big-endian modulus and exponent; e is AQAB."""
    jwk = jwt.public_jwk(signing_key.public_key(), kid="k")
    assert list(jwk) == ["use", "kty", "kid", "alg", "n", "e"]
    assert (jwk["use"], jwk["kty"], jwk["kid"], jwk["alg"], jwk["e"]) == (
        "sig",
        "RSA",
        "k",
        "RS256",
        "AQAB",
    )
    modulus = _decode_part(jwk["n"])
    assert modulus[0] != 0
    assert int.from_bytes(modulus, "big") == signing_key.public_key().public_numbers().n
