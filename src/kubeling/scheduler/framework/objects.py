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
        # kind -> namespace -> name -> object: listing one namespace (a pod's Services, on
        # every cycle) does not walk the others.
        self._by_kind: dict[ObjectKind, dict[str, dict[str, Obj]]] = {
            kind: {} for kind in ObjectKind
        }

    def put(self, kind: ObjectKind, obj: Obj) -> None:
        """Add or replace an object."""
        namespace, name = _key(obj)
        self._by_kind[kind].setdefault(namespace, {})[name] = obj

    def remove(self, kind: ObjectKind, obj: Obj) -> None:
        """Forget an object (absent ones are fine)."""
        namespace, name = _key(obj)
        objects = self._by_kind[kind].get(namespace)
        if objects is not None:
            objects.pop(name, None)
            if not objects:
                del self._by_kind[kind][namespace]

    def get(self, kind: ObjectKind, namespace: str, name: str) -> Obj | None:
        """One object; cluster-scoped kinds use ``namespace=""``."""
        return self._by_kind[kind].get(namespace, {}).get(name)

    def list(self, kind: ObjectKind, namespace: str | None = None) -> Iterator[Obj]:
        """Every object of a kind, or those in one namespace."""
        by_namespace = self._by_kind[kind]
        if namespace is not None:
            yield from by_namespace.get(namespace, {}).values()
            return
        for objects in by_namespace.values():
            yield from objects.values()

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        """A namespace's labels, or None when the namespace is not known."""
        obj = self.get(ObjectKind.NAMESPACES, "", namespace)
        if obj is None:
            return None
        labels: Mapping[str, str] = (obj.get("metadata") or {}).get("labels") or {}
        return labels
