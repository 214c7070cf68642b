"""Value transformers: how a stored value is turned into what is kept at rest and back.

Kubernetes' ``storage/value`` model. A :class:`Transformer` maps the bytes
the API server stores to the bytes the store keeps (``to_storage``) and back
(``from_storage``), given the authenticated context of the value: its store
key, so that a ciphertext copied to another key does not decrypt.

:class:`PrefixTransformers` chooses by prefix: writes use the first
transformer and put its prefix in front; reads use the first transformer
whose prefix the value starts with, and report the value *stale* when that
is not the first one (it would be written differently now: key rotation).
A prefix match that fails does not stop the search (two ``aescbc`` providers
share a prefix while a key is being rotated).

:class:`IdentityTransformer` is the ``identity`` provider: values as they
are, with the empty prefix; it refuses to read a value that is encrypted
(``k8s:enc:``), so that the providers after it get their chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ENCRYPTED_PREFIX",
    "IdentityTransformer",
    "PrefixTransformer",
    "PrefixTransformers",
    "TransformFailure",
    "Transformer",
]

ENCRYPTED_PREFIX = b"k8s:enc:"


class TransformFailure(Exception):
    """A value could not be transformed; the message is Kubernetes' reason (never the value)."""


class Transformer(Protocol):
    """Transforms values to and from their form at rest."""

    def from_storage(self, data: bytes, context: bytes) -> tuple[bytes, bool]:
        """``(value, stale)`` of ``data`` as kept at rest; TransformFailure if it cannot."""
        ...

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        """``data`` as it is to be kept at rest."""
        ...


@dataclass(frozen=True, slots=True)
class PrefixTransformer:
    """A transformer and the prefix its values carry at rest."""

    prefix: bytes
    transformer: Transformer


class PrefixTransformers:
    """The first transformer writes; reads pick by prefix (see the module docstring)."""

    def __init__(self, transformers: Sequence[PrefixTransformer], *, no_match: str) -> None:
        if not transformers:
            raise ValueError("PrefixTransformers needs at least one transformer")
        self._transformers = tuple(transformers)
        self._first = self._transformers[0]
        self._no_match = no_match

    def from_storage(self, data: bytes, context: bytes) -> tuple[bytes, bool]:
        failures: list[str] = []
        for index, candidate in enumerate(self._transformers):
            prefix = candidate.prefix
            if not data.startswith(prefix):
                continue
            try:
                value, stale = candidate.transformer.from_storage(data[len(prefix) :], context)
            except TransformFailure as failure:
                # identity refusing an encrypted value is no failure of its own
                if prefix:
                    failures.append(str(failure))
                continue
            return value, stale or index != 0
        if failures:
            # Kubernetes' errors.Reduce: one error as itself, several as a list
            raise TransformFailure(
                failures[0] if len(failures) == 1 else f"[{', '.join(failures)}]"
            )
        raise TransformFailure(self._no_match)

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        first = self._first
        return first.prefix + first.transformer.to_storage(data, context)


class IdentityTransformer:
    """The ``identity`` provider: no encryption, and no reading of encrypted values."""

    def from_storage(self, data: bytes, context: bytes) -> tuple[bytes, bool]:
        if data.startswith(ENCRYPTED_PREFIX):
            raise TransformFailure("identity transformer tried to read encrypted data")
        return data, False

    def to_storage(self, data: bytes, context: bytes) -> bytes:
        return data
