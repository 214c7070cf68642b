"""Shared fixtures: RSA keys (slow to generate, so one per session) and the type declarations."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.apiserver.registry.builtin import builtin_resources


@pytest.fixture(scope="session", autouse=True)
def _declared_types() -> None:
    """Load every type declaration, as the server does at start: Refs resolve by name."""
    builtin_resources()


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
