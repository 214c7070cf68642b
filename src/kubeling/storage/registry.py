"""Choosing a backend by URL.

``sqlite:///path/state.db`` (the default; the path is everything after
``sqlite://``), ``etcd://host:port[,host:port...]`` and ``memory://``.
Backends are imported only when chosen, so the etcd client's gRPC stack is
loaded only by clusters that use etcd.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from kubeling.storage.errors import UnsupportedError
from kubeling.storage.interface import Store

__all__ = ["open_store"]


async def open_store(url: str) -> Store:
    """Open the store that ``url`` names; raise UnsupportedError for others.

    >>> # await open_store("memory://")
    """
    scheme, _, rest = url.partition("://")
    if not rest and scheme != "memory":
        raise UnsupportedError(f"datastore URL {url!r} is not of the form scheme://...")
    if scheme == "memory":
        from kubeling.storage.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        from kubeling.storage.sqlite import SqliteStore

        if not rest.startswith("/"):
            raise UnsupportedError(f"sqlite URL needs an absolute path: {url!r}")
        return await SqliteStore.open(rest)
    if scheme == "etcd":
        from kubeling.storage.etcd import EtcdStore

        endpoints = [urlsplit(f"//{part}").netloc for part in rest.strip("/").split(",") if part]
        if not endpoints:
            raise UnsupportedError(f"etcd URL names no endpoint: {url!r}")
        return await EtcdStore.open(endpoints)
    raise UnsupportedError(f"unknown datastore scheme {scheme!r} (use sqlite, etcd or memory)")
