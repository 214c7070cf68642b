"""Translation between etcd's protobuf messages and the store's dataclasses.

Keys are stored as their UTF-8 bytes exactly as given (the API server already
uses ``/registry/...``), so etcd's byte order is the store's key order.

An etcd watch event is a PUT or a DELETE. A PUT whose ``create_revision``
equals its ``mod_revision`` created the key (ADDED); any other PUT is
MODIFIED. A DELETE carries a tombstone whose ``mod_revision`` is the
revision of the delete; the deleted value is its ``prev_kv`` (requested with
``prev_kv=True``).
"""

from __future__ import annotations

from typing import Any

from aetcd.rpc import rpc_pb2

from kubeling.storage.interface import EventType, KeyValue, WatchEvent

__all__ = [
    "compare_create",
    "compare_mod",
    "delete_op",
    "key_value",
    "put_op",
    "range_op",
    "watch_event",
]

_PUT = 0  # mvccpb.Event.EventType.PUT


def key_value(kv: Any) -> KeyValue:
    """A store KeyValue from an ``mvccpb.KeyValue``."""
    return KeyValue(
        key=bytes(kv.key).decode("utf-8"),
        value=bytes(kv.value),
        create_revision=int(kv.create_revision),
        mod_revision=int(kv.mod_revision),
        version=int(kv.version),
    )


def watch_event(event: Any) -> WatchEvent:
    """A store WatchEvent from an ``mvccpb.Event`` (watched with prev_kv)."""
    kv = key_value(event.kv)
    prev = key_value(event.prev_kv) if event.HasField("prev_kv") else None
    if event.type == _PUT:
        if kv.create_revision == kv.mod_revision:
            return WatchEvent(EventType.ADDED, kv.key, kv.mod_revision, kv, None)
        return WatchEvent(EventType.MODIFIED, kv.key, kv.mod_revision, kv, prev)
    return WatchEvent(EventType.DELETED, kv.key, kv.mod_revision, None, prev)


def compare_create(key: bytes, result: int, value: int) -> Any:
    """``create_revision(key) <result> value`` (EQUAL=0, GREATER=1)."""
    return rpc_pb2.Compare(
        key=key,
        target=rpc_pb2.Compare.CREATE,
        result=result,
        create_revision=value,
    )


def compare_mod(key: bytes, mod_revision: int) -> Any:
    """``mod_revision(key) == mod_revision`` (a missing key has 0)."""
    return rpc_pb2.Compare(
        key=key,
        target=rpc_pb2.Compare.MOD,
        result=rpc_pb2.Compare.EQUAL,
        mod_revision=mod_revision,
    )


def put_op(key: bytes, value: bytes) -> Any:
    return rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key, value=value, prev_kv=True))


def range_op(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=key))


def delete_op(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=key, prev_kv=True))
