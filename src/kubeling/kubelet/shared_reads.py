"""Reads of one object that are under way at once share one request.

The kubelet reads the ConfigMaps and Secrets its pods' volumes and environment name when it
sets up each pod; a burst of pods from one template reads the same few (every pod's service
account volume has the namespace's ``kube-root-ca.crt``) a hundred times at once. Kubernetes'
kubelet reads them from a cache its watches keep (``configMapAndSecretChangeDetectionStrategy:
Watch``); here a read asked for while the same read is under way waits for that one's answer
instead of asking again. The answer is what the API had at some moment after the waiting read
was asked for or shortly before (the shared request may have left first), as a watch-fed
cache's may be; a read asked for once the answer came asks the API again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SharedReads"]

T = TypeVar("T")


class SharedReads(Generic[T]):
    """``read(namespace, name)``, with the reads of one object under way at once shared."""

    def __init__(self, read: Callable[[str, str], Awaitable[T]]) -> None:
        self._read = read
        self._under_way: dict[tuple[str, str], asyncio.Future[T]] = {}

    async def __call__(self, namespace: str, name: str) -> T:
        key = (namespace, name)
        shared = self._under_way.get(key)
        if shared is None:
            shared = asyncio.ensure_future(self._read(namespace, name))
            self._under_way[key] = shared
            shared.add_done_callback(lambda done: self._done(key, done))
        # One reader that gives up (cancelled) does not cancel the others' read.
        return await asyncio.shield(shared)

    def _done(self, key: tuple[str, str], done: asyncio.Future[T]) -> None:
        if self._under_way.get(key) is done:
            del self._under_way[key]
        if not done.cancelled():
            done.exception()  # every reader may have given up: the error is not "unretrieved"
