"""Fakes for the token tests: objects a lookup finds, a clock that only moves when told."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.apiserver.auth.serviceaccount_tokens import ServiceAccountTokens

NOW = 1_800_000_000.0


class FakeClock:
    """Unix time that moves only by ``advance``."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeObjects:
    """An ObjectLookup over a dict, recording what was asked."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.asked: list[tuple[str, str, str]] = []

    def put(self, kind: str, namespace: str, name: str, uid: str, **fields: Any) -> dict[str, Any]:
        meta = {"name": name, "uid": uid, **({"namespace": namespace} if namespace else {})}
        obj: dict[str, Any] = {"kind": kind, "metadata": meta, **fields}
        self.objects[(kind, namespace, name)] = obj
        return obj

    def remove(self, kind: str, namespace: str, name: str) -> None:
        del self.objects[(kind, namespace, name)]

    async def __call__(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        self.asked.append((kind, namespace, name))
        return self.objects.get((kind, namespace, name))


def make_tokens(
    key: rsa.RSAPrivateKey,
    objects: FakeObjects,
    clock: FakeClock,
    *,
    issuer: str = "https://kubernetes.default.svc.cluster.local",
    api_audiences: tuple[str, ...] = (),
) -> ServiceAccountTokens:
    """Tokens over the fakes, with jti values j1, j2, ... in order."""
    counter = iter(range(1, 1_000_000))
    return ServiceAccountTokens(
        signing_key=key,
        lookup=objects,
        issuer=issuer,
        api_audiences=api_audiences,
        clock=clock,
        new_jti=lambda: f"j{next(counter)}",
    )
