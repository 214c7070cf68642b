"""The root CA publisher: a ``kube-root-ca.crt`` ConfigMap in every namespace.

Kubernetes' ``pkg/controller/certificates/rootcacertpublisher``. Pods verify
the API server with the CA bundle in this ConfigMap (key ``ca.crt``, which
projected service account volumes mount). The bundle is the CA the
controller manager itself trusts for the API server (Kubernetes uses
``--root-ca-file``, else its client configuration's CA; kubeling has no
such flag and uses the client's).

A namespace added or updated (while ``Active``), and the ConfigMap updated
or deleted, queue the namespace; ``sync`` creates the ConfigMap when missing
and puts back its ``ca.crt`` and description annotation when changed,
keeping anything else on it. A create refused because the namespace is gone
or terminating is dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.client import DeletedFinalStateUnknown
from kubeling.client.resources import CONFIGMAPS, NAMESPACES
from kubeling.controllers.base import Controller, ControllerContext

__all__ = ["ROOT_CA_CONFIGMAP", "RootCACertPublisher"]

ROOT_CA_CONFIGMAP: Final = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION: Final = "kubernetes.io/description"
DESCRIPTION: Final = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)


class RootCACertPublisher(Controller):
    """Publishes the cluster's root CA into every namespace."""

    name: ClassVar[str] = "root-ca-cert-publisher"
    component: ClassVar[str] = "root-ca-cert-publisher"
    workers: ClassVar[int] = 1
    max_retries: ClassVar[int | None] = None

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.root_ca = (self.client.config.ca_pem or b"").decode()
        self.namespaces = self.informers.informer_for(NAMESPACES)
        self.configmaps = self.informers.informer_for(CONFIGMAPS)
        self.configmaps_api = self.client.resource(CONFIGMAPS)
        self.namespaces.add_event_handler(
            on_add=self.enqueue, on_update=lambda _old, new: self._namespace_updated(new)
        )
        self.configmaps.add_event_handler(
            on_update=lambda _old, new: self._configmap_changed(new),
            on_delete=self._configmap_changed,
        )

    def _namespace_updated(self, namespace: Mapping[str, Any]) -> None:
        if (namespace.get("status") or {}).get("phase") == "Active":
            self.enqueue(namespace)

    def _configmap_changed(self, obj: dict[str, Any] | DeletedFinalStateUnknown) -> None:
        configmap = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        meta = configmap.get("metadata") or {}
        if meta.get("name") == ROOT_CA_CONFIGMAP and meta.get("namespace"):
            self.queue.add(str(meta["namespace"]))

    async def sync(self, key: str) -> None:
        data = {"ca.crt": self.root_ca}
        try:
            current = self.configmaps.lister.get(ROOT_CA_CONFIGMAP, namespace=key)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            await self._create(key, data)
            return
        annotations = (current.get("metadata") or {}).get("annotations") or {}
        if current.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return
        updated = copy.deepcopy(current)
        updated["data"] = data
        updated["metadata"]["annotations"] = {
            **annotations,
            DESCRIPTION_ANNOTATION: DESCRIPTION,
        }
        await self.configmaps_api.update(updated, namespace=key)

    async def _create(self, namespace: str, data: dict[str, str]) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": ROOT_CA_CONFIGMAP,
                "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
            },
            "data": data,
        }
        try:
            await self.configmaps_api.create(body, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err) or errors.has_status_cause(
                err, errors.CAUSE_NAMESPACE_TERMINATING
            ):
                return  # the namespace is gone or going
            raise
