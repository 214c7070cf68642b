"""Compacting etcd's history every few minutes, as the Kubernetes API server does.

etcd keeps every revision of every key until it is compacted; without compaction its database
grows until it reaches its quota and etcd refuses writes (the ``NOSPACE`` alarm). The
Kubernetes API server compacts every ``--etcd-compaction-interval`` (5 minutes), and so does
every kubeling server on etcd, in the same way (``storage/etcd3/compact.go``):

- Each turn is a ``Txn`` on the key ``compact_rev_key`` (outside ``/registry``, so no watch of
  a resource sees it): *if its version is still the one this server saw at its previous turn,
  put the current revision there, else read it*. Of several servers sharing etcd, only the
  first in each interval wins; the others learn the key's new version and win a later turn.
- The winner compacts to the revision it recorded at its previous turn, one interval ago, so
  that at least one interval of history stays: a paged list or a watch resuming within it
  finds its revision. The first turn of a server only records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from aetcd.rpc import rpc_pb2

from kubeling.storage.errors import CompactedError, FutureRevisionError, StoreError
from kubeling.storage.etcd.client import EtcdClient
from kubeling.storage.etcd.codec import put_op, range_op

__all__ = ["COMPACT_REV_KEY", "DEFAULT_INTERVAL", "Turn", "compact_every", "take_turn"]

log = logging.getLogger(__name__)

COMPACT_REV_KEY: Final = b"compact_rev_key"
#: kube-apiserver's default ``--etcd-compaction-interval``.
DEFAULT_INTERVAL: Final = 300.0


@dataclass(frozen=True, slots=True)
class Turn:
    """What a server knows after a turn: the version of ``compact_rev_key`` it expects, and
    the revision to compact to when it wins the next turn (0: nothing yet)."""

    version: int = 0
    revision: int = 0


async def take_turn(
    client: EtcdClient, turn: Turn, compact: Callable[[int], Awaitable[None]]
) -> Turn:
    """One turn (see the module docstring); ``compact(revision)`` compacts the store."""
    expected = rpc_pb2.Compare(
        key=COMPACT_REV_KEY,
        target=rpc_pb2.Compare.VERSION,
        result=rpc_pb2.Compare.EQUAL,
        version=turn.version,
    )
    request = rpc_pb2.TxnRequest(
        compare=[expected],
        success=[put_op(COMPACT_REV_KEY, str(turn.revision).encode())],
        failure=[range_op(COMPACT_REV_KEY)],
    )
    # Not retried as a write: a retry of an applied attempt only fails its compare, and the
    # next turn then wins with the version it read.
    response, _ = await client.call("Txn", request)
    current = int(response.header.revision)
    if not response.succeeded:
        kvs = response.responses[0].response_range.kvs if response.responses else []
        return Turn(int(kvs[0].version) if kvs else 0, current)
    if turn.revision:
        # CompactedError: compacted further by someone else (etcdctl): nothing left to do.
        with contextlib.suppress(CompactedError, FutureRevisionError):
            await compact(turn.revision)
    return Turn(turn.version + 1, current)


async def compact_every(
    client: EtcdClient, interval: float, compact: Callable[[int], Awaitable[None]]
) -> None:
    """Take a turn every ``interval`` seconds until cancelled; a failed turn is logged and
    the next one tried as usual."""
    turn = Turn()
    while True:
        await asyncio.sleep(interval)
        try:
            turn = await take_turn(client, turn, compact)
        except StoreError as err:
            log.warning("etcd compaction failed, trying again in %.0f s: %s", interval, err)
        except Exception:
            log.warning("etcd compaction failed, trying again in %.0f s", interval, exc_info=True)
