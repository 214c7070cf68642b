"""What the webhook plugins read of other objects: namespace labels and Services.

Like Kubernetes' plugins, which read informers, these read the API server's
watch caches, so that admitting a request does not hit the store: a
Namespace's labels for ``namespaceSelector``, a Service's ClusterIP and ports
for ``clientConfig.service``. A namespace the cache has not seen yet (created
a moment ago) is read from the store, as upstream falls back to a live GET;
a missing one is its 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from kubeling.api import errors

if TYPE_CHECKING:
    from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = [
    "NamespaceLabels",
    "ServiceLookup",
    "labels_of",
    "namespace_labels_from",
    "services_from",
]

NamespaceLabels = Callable[[str], Awaitable[Mapping[str, str]]]
"""The labels of a namespace by name; raises its 404 StatusError when it does not exist."""

ServiceLookup = Callable[[str, str], Awaitable[Mapping[str, Any] | None]]
"""A Service by (namespace, name); None when it does not exist."""


def labels_of(obj: Mapping[str, Any] | None) -> Mapping[str, str] | None:
    """An object's labels; None for no object, or one without metadata (connect options).

    >>> labels_of({"metadata": {}}), labels_of({"kind": "PodExecOptions"})
    ({}, None)
    """
    if obj is None:
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return None
    labels = meta.get("labels")
    return labels if isinstance(labels, Mapping) else {}


def namespace_labels_from(namespaces: ResourceStore) -> NamespaceLabels:
    """Namespace labels from the namespaces' watch cache, else the store."""

    async def labels(name: str) -> Mapping[str, str]:
        cached = namespaces.watch_cache().get(namespaces.key("", name))
        if cached is None:
            cached = await namespaces.get("", name)
        return labels_of(cached) or {}

    return labels


def services_from(services: ResourceStore) -> ServiceLookup:
    """Services from their watch cache, else the store (None when missing)."""

    async def service(namespace: str, name: str) -> Mapping[str, Any] | None:
        cached = services.watch_cache().get(services.key(namespace, name))
        if cached is not None:
            return cached
        try:
            return await services.get(namespace, name)
        except errors.StatusError as err:
            if err.code == 404:
                return None
            raise

    return service
