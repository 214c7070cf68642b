"""AES transformers: the ``aesgcm`` and ``aescbc`` providers, laid out as Kubernetes does.

``aesgcm``: a random 12-byte nonce, then the GCM ciphertext with its 16-byte
tag; the authenticated data is the value's store key (Kubernetes'
``authenticatedDataString``), so a ciphertext moved to another key fails.
Random nonces limit a key to about 2^32 writes (NIST SP 800-38D), hence
Kubernetes' advice to rotate ``aesgcm`` keys often.

``aescbc``: a random 16-byte IV, then the CBC ciphertext of the value with
PKCS#7 padding; no authentication (Kubernetes keeps it for compatibility and
recommends against it).

The ``cryptography`` package does the ciphers; the framing and the error
messages (Go's, as kube-apiserver reports them) are ours.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kubeling.storage.value.transformer import TransformFailure

__all__ = ["AES_KEY_SIZES", "CbcTransformer", "GcmTransformer"]

AES_KEY_SIZES = (16, 24, 32)
_NONCE = 12
_TAG = 16
_BLOCK = 16
_SHORT = "the stored data was shorter than the required size"


class GcmTransformer:
    """AES-GCM with a random nonce and the store key as authenticated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def from_storage(self, data: bytes, context: bytes) -> tuple[bytes, bool]:
        if len(data) < _NONCE:
            raise TransformFailure(_SHORT)
        try:
            return self._aead.decrypt(data[:_NONCE], data[_NONCE:], context), False
        except (InvalidTag, ValueError):
            raise TransformFailure("cipher: message authentication failed") from None

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data, context)


class CbcTransformer:
    """AES-CBC with a random IV and PKCS#7 padding (no authentication)."""

    def __init__(self, key: bytes) -> None:
        self._algorithm = algorithms.AES(key)

    def from_storage(self, data: bytes, context: bytes) -> tuple[bytes, bool]:
        if len(data) < _BLOCK:
            raise TransformFailure(_SHORT)
        iv, body = data[:_BLOCK], data[_BLOCK:]
        if len(body) % _BLOCK:
            raise TransformFailure("the stored data is not a multiple of the block size")
        decryptor = Cipher(self._algorithm, modes.CBC(iv)).decryptor()
        plain = decryptor.update(body) + decryptor.finalize()
        padding = plain[-1] if plain else 0
        if padding == 0 or padding > len(plain):
            raise TransformFailure("invalid PKCS7 data (empty or not padded)")
        if plain[-padding:] != bytes([padding]) * padding:
            raise TransformFailure("invalid padding on input")
        return plain[:-padding], False

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        padding = _BLOCK - len(data) % _BLOCK
        iv = os.urandom(_BLOCK)
        encryptor = Cipher(self._algorithm, modes.CBC(iv)).encryptor()
        return iv + encryptor.update(data + bytes([padding]) * padding) + encryptor.finalize()
