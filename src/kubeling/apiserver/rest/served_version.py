"""The boundary between a served version and the objects in the store.

Every object is kept once, in its resource's storage version; a version
served differently declares a ``Conversion`` (``api/conversion``). The
generic REST store (``resource_store``) crosses this boundary at fixed
points, and only there:

- *in*: a request body, once checked against the served version's type, is
  converted to the storage version; defaulting, the strategy's validation,
  spec/status rules and the store all see storage-version objects (as
  Kubernetes' strategies see its internal version). Patches and server-side
  apply are applied to the served version's view of the live object first.
- *out*: every object a client gets (get, list, watch, the results of
  writes, dry runs included) is converted from the storage version.
- *selectors*: field selectors use the served version's labels, mapped onto
  the storage version's selectable fields, so one watch cache (holding
  storage-version objects) filters for every version.
- *managedFields*: entries are computed on the served version's view and
  keep the ``apiVersion`` they were written with.
- *tables*: a version's Table is its storage version's printer applied to the
  object converted back to the storage version.

Versions stored as served have no conversion; every hook is then the
identity, and list encodings come from the watch cache as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.apiserver.codec import dumps
from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.watch_cache import CachedObject

__all__ = ["ServedVersion"]

Obj = dict[str, Any]


class ServedVersion:
    """One served version of a resource and how it maps onto the stored objects."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.conversion = resource.conversion
        self.storage = resource.storage_gvk

    def incoming(self, obj: Obj) -> Obj:
        """A request's object (served version) as the storage version holds it."""
        if self.conversion is None:
            return obj
        return self.conversion.to_storage(obj)

    def outgoing(self, obj: Obj) -> Obj:
        """A stored object as this version serves it (``obj`` itself when no conversion)."""
        if self.conversion is None:
            return obj
        return self.conversion.from_storage(obj)

    def storage_typed(self, obj: Obj) -> Obj:
        """Stamp a decoded stored object with the storage version (the watch cache's form)."""
        obj["apiVersion"] = self.storage.api_version
        obj["kind"] = self.storage.kind
        return obj

    def encoded(self, cached: CachedObject) -> bytes:
        """The JSON of this version's view of a cached object (the cache's own
        encoding when there is no conversion)."""
        if self.conversion is None:
            return cached.raw
        return dumps(self.outgoing(cached.decode()))

    def field_set(self, storage_fields: Mapping[str, str]) -> Mapping[str, str]:
        """The field values this version's selectors see, from the storage version's."""
        labels = self.conversion.field_labels if self.conversion is not None else None
        if labels is None:
            return storage_fields
        return {label: storage_fields.get(stored, "") for label, stored in labels.items()}
