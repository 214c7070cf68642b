"""``etcd://``: the store on an etcd v3 cluster, for highly available control planes.

The backend speaks etcd's v3 gRPC protocol directly, with the generated stubs
shipped in ``aetcd`` (``aetcd.rpc``) over ``grpc.aio`` channels it manages
itself, so that it controls the exact request shapes (docs/adr/0001):

- ``client``: channels per endpoint, rotation on failure, retries, the
  meaning of etcd's errors;
- ``codec``: protobuf messages to and from KeyValue/WatchEvent;
- ``store``: each Store method as one Range/Txn/DeleteRange/Compact, and how
  the compacted revision is found;
- ``watch``: one Watch stream per Watcher, bounded, resumed on another member
  when one fails.

etcd's MVCC is the store's model, so results match the memory reference
store revision for revision.
"""

from kubeling.storage.etcd.store import EtcdStore

__all__ = ["EtcdStore"]
