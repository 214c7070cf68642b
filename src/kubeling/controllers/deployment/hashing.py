"""The ``pod-template-hash``: Kubernetes' ``controller.ComputeHash``.

A Deployment's ReplicaSet is named ``<deployment>-<hash>`` and carries the
hash as a label of itself, of its pod template and in its selector, so the
ReplicaSets of one Deployment never select each other's pods. As in
Kubernetes, the hash is 32-bit FNV-1a over the template; when the
Deployment has a ``status.collisionCount`` that count follows as eight
little-endian bytes (the uint32, then four zeros); the sum is printed in
decimal and each digit mapped through ``rand.SafeEncodeString``'s alphabet
(no vowels, no 0, 1 or 3: no words), so a hash is up to ten characters of
``4-9`` and ``b-f``.

What is hashed differs: Kubernetes feeds FNV the go-spew dump of the typed
Go struct, which has no counterpart outside Go; kubeling feeds it the
template's canonical JSON (keys sorted, in :func:`semantic_form`, so that
templates equal for the controller hash alike). The same template therefore
gets another hash than on a real cluster (docs/differences.md); everything
that depends on it (names, labels, collisions and ``collisionCount``)
behaves the same.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any, Final

from kubeling.controllers.deployment.templates import semantic_form

__all__ = ["compute_hash", "fnv32a", "safe_encode_string"]

#: ``rand.SafeEncodeString``'s alphabet (``k8s.io/apimachinery/pkg/util/rand``).
_ALPHANUMS: Final = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET: Final = 2166136261
_FNV32_PRIME: Final = 16777619


def fnv32a(data: bytes, start: int = _FNV32_OFFSET) -> int:
    """32-bit FNV-1a of ``data``, continuing from ``start``.

    >>> fnv32a(b""), fnv32a(b"a")
    (2166136261, 3826002220)
    """
    value = start
    for byte in data:
        value = ((value ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return value


def safe_encode_string(text: str) -> str:
    """Each character mapped into the alphabet by its code point.

    >>> safe_encode_string("0123456789")
    '456789bcdf'
    """
    return "".join(_ALPHANUMS[ord(char) % len(_ALPHANUMS)] for char in text)


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """The ``pod-template-hash`` of a Deployment's pod template."""
    canonical = json.dumps(
        semantic_form(template), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    value = fnv32a(canonical.encode())
    if collision_count is not None:
        value = fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + bytes(4), value)
    return safe_encode_string(str(value))
