"""The other objects some plugins read: claims, volumes, classes, budgets, owners.

The scheduler receives these as they are listed and watched (the adapter feeds them
in through ``Scheduler.on_object_add`` and friends) and keeps the latest version of
each, keyed by namespace and name: the listers upstream's plugins read through
informers. Nothing here is modified.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ClusterObjects", "ObjectKind"]

Obj = Mapping[str, Any]


class ObjectKind(enum.StrEnum):
    """The kinds kept, by their resource (plural) name."""

    PERSISTENT_VOLUME_CLAIMS = "persistentvolumeclaims"
    PERSISTENT_VOLUMES = "persistentvolumes"
    STORAGE_CLASSES = "storageclasses"
    POD_DISRUPTION_BUDGETS = "poddisruptionbudgets"
    SERVICES = "services"
    REPLICA_SETS = "replicasets"
    STATEFUL_SETS = "statefulsets"
    REPLICATION_CONTROLLERS = "replicationcontrollers"
    NAMESPACES = "namespaces"


def _key(obj: Obj) -> tuple[str, str]:
    metadata: Obj = obj.get("metadata") or {}
    return str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


class ClusterObjects:
    """The latest version of every object of the kept kinds."""

    def __init__(self) -> None:
        """An empty store."""
        self._by_kind: dict[ObjectKind, dict[tuple[str, str], Obj]] = {
            kind: {} for kind in ObjectKind
        }

    def put(self, kind: ObjectKind, obj: Obj) -> None:
        """Add or replace an object."""
        self._by_kind[kind][_key(obj)] = obj

    def remove(self, kind: ObjectKind, obj: Obj) -> None:
        """Forget an object (absent ones are fine)."""
        self._by_kind[kind].pop(_key(obj), None)

    def get(self, kind: ObjectKind, namespace: str, name: str) -> Obj | None:
        """One object; cluster-scoped kinds use ``namespace=""``."""
        return self._by_kind[kind].get((namespace, name))

    def list(self, kind: ObjectKind, namespace: str | None = None) -> Iterator[Obj]:
        """Every object of a kind, or those in one namespace."""
        for (ns, _), obj in self._by_kind[kind].items():
            if namespace is None or ns == namespace:
                yield obj

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        """A namespace's labels, or None when the namespace is not known."""
        obj = self.get(ObjectKind.NAMESPACES, "", namespace)
        if obj is None:
            return None
        labels: Mapping[str, str] = (obj.get("metadata") or {}).get("labels") or {}
        return labels
