"""The ``store`` fixture: a fresh store (at revision 1) of every backend.

Backends are imported inside the fixture, so a backend that is missing or
broken fails its own parameter loudly (an ImportError is an error, never a
skip) while the others still run. The etcd parameter starts its own
single-member etcd per test, so every test sees a fresh revision 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubeling.storage import Store
from tests.conformance.helpers import BACKENDS, close_store, forget_closed, open_backend
from tests.support.etcd import EtcdMember, start_cluster


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh store of the parametrized backend, closed (and its etcd killed) after."""
    name: str = request.param
    member: EtcdMember | None = None
    try:
        if name == "etcd":
            member = (await asyncio.to_thread(start_cluster, tmp_path, 1))[0]
        opened = await open_backend(name, tmp_path, member.endpoint if member else None)
        try:
            yield opened
        finally:
            await close_store(opened)
            forget_closed(opened)
    finally:
        if member is not None:
            await asyncio.to_thread(member.kill)
