"""Small facts about stored objects: keys, timestamps, encoding to and from the store.

Objects are kept in the store as compact JSON without ``resourceVersion``:
the store's ``mod_revision`` *is* the resource version, and it is put back
into ``metadata.resourceVersion`` whenever an object is read, exactly as the
Kubernetes API server does with etcd.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from kubeling.api.timestamps import format_time
from kubeling.storage import KeyValue

__all__ = [
    "decode",
    "encode",
    "now_rfc3339",
    "object_key",
    "prefix_for",
]

Obj = dict[str, Any]


def now_rfc3339(now: datetime.datetime | None = None) -> str:
    """A metav1.Time: RFC 3339 in UTC, whole seconds.

    >>> now_rfc3339(datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC))
    '2024-01-02T03:04:05Z'
    """
    return format_time(now)


def prefix_for(storage_prefix: str, namespace: str) -> str:
    """The key prefix of a list: one namespace, or every object of the resource.

    >>> prefix_for("/registry/pods", "default"), prefix_for("/registry/pods", "")
    ('/registry/pods/default/', '/registry/pods/')
    """
    return f"{storage_prefix}/{namespace}/" if namespace else f"{storage_prefix}/"


def object_key(storage_prefix: str, namespace: str, name: str) -> str:
    """``/registry/pods/default/web``, or ``/registry/nodes/n1`` when cluster-scoped."""
    return f"{storage_prefix}/{namespace}/{name}" if namespace else f"{storage_prefix}/{name}"


def encode(obj: Mapping[str, Any]) -> bytes:
    """The stored form: compact JSON, without the resource version."""
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and "resourceVersion" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"}}
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def decode(kv: KeyValue, *, revision: int | None = None) -> Obj:
    """The object stored in ``kv``, its resourceVersion set (to ``revision`` if given)."""
    obj: Obj = json.loads(kv.value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision or kv.mod_revision)
    return obj
