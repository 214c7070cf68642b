"""Pod events as service keys, for the controllers that keep a Service's endpoints.

Both endpoint controllers are keyed by service but must react to pods: a pod
added or deleted touches the services selecting it; an update touches them
only when it changes what endpoints show (readiness, IPs, deletion) or which
services select it (:func:`~kubeling.controllers.serviceendpoints.
services_to_update_on_pod_change`). The handlers read the service cache only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubeling.client import DeletedFinalStateUnknown, SharedInformer
from kubeling.controllers.serviceendpoints import (
    services_for_pod,
    services_to_update_on_pod_change,
)

__all__ = ["watch_pods_for_services"]


def watch_pods_for_services(
    pods: SharedInformer, services: SharedInformer, enqueue: Callable[[str], None]
) -> None:
    """Register handlers on ``pods`` that call ``enqueue(service_key)`` for every
    service a pod event concerns."""

    def in_namespace(pod: Mapping[str, Any]) -> list[dict[str, Any]]:
        namespace = str((pod.get("metadata") or {}).get("namespace", ""))
        return services.lister.list(namespace=namespace)

    def added(pod: dict[str, Any]) -> None:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        for key in sorted(services_for_pod(in_namespace(pod), labels)):
            enqueue(key)

    def updated(old: dict[str, Any], new: dict[str, Any]) -> None:
        for key in sorted(services_to_update_on_pod_change(in_namespace(new), old, new)):
            enqueue(key)

    def deleted(obj: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if isinstance(pod, dict):
            added(pod)

    pods.add_event_handler(on_add=added, on_update=updated, on_delete=deleted)
