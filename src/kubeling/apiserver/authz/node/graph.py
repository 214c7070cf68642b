"""Which objects each node may reach: the Node authorizer's graph (Kubernetes' ``graph.go``).

Kubernetes keeps a directed graph whose edges run from what a pod uses to the
pod and from the pod to its node::

    secret, configmap, pvc, serviceaccount, resourceclaim -> pod -> node
    pv -> pvc           (the volume's claimRef)
    secret -> pv        (the volume's secret references)
    volumeattachment -> node (its spec.nodeName)

and a kubelet may read an object when a path leads from it to the kubelet's
node. Every path is at most three edges long, so instead of a general graph
this keeps, per node, a count of the (kind, namespace, name) its pods use,
and two indexes for the persistent-volume edges; a question is then a few
dictionary lookups. Only pods bound to a node (``spec.nodeName`` set) are in
it, as in Kubernetes.

Sans-IO: it is told about pods and volumes (:mod:`.graph_source` feeds it
from the watch caches) and answers :meth:`NodeGraph.related`.

>>> graph = NodeGraph()
>>> graph.set_pod({"metadata": {"namespace": "ns", "name": "p"},
...                "spec": {"nodeName": "n1", "volumes": [{"secret": {"secretName": "s"}}]}})
>>> graph.related("n1", SECRET, "ns", "s"), graph.related("n2", SECRET, "ns", "s")
(True, False)
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.podreferences import pod_references, pv_secret_references

__all__ = [
    "CONFIG_MAP",
    "POD",
    "PV",
    "PVC",
    "RESOURCE_CLAIM",
    "SECRET",
    "SERVICE_ACCOUNT",
    "VOLUME_ATTACHMENT",
    "NodeGraph",
]

# The vertex types, named as Kubernetes' error messages name them.
POD: Final = "pod"
SECRET: Final = "secret"
CONFIG_MAP: Final = "configmap"
PVC: Final = "pvc"
PV: Final = "pv"
SERVICE_ACCOUNT: Final = "serviceAccount"
RESOURCE_CLAIM: Final = "resourceclaim"
VOLUME_ATTACHMENT: Final = "volumeattachment"

_Ref = tuple[str, str, str]  # (kind, namespace, name)
_Key = tuple[str, str]  # (namespace, name)


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return "", ""
    namespace, name = metadata.get("namespace"), metadata.get("name")
    return (
        namespace if isinstance(namespace, str) else "",
        name if isinstance(name, str) else "",
    )


def _pod_edges(namespace: str, pod: Mapping[str, Any]) -> frozenset[_Ref]:
    refs = pod_references(pod)
    edges: set[_Ref] = {(SECRET, namespace, n) for n in refs.secrets}
    edges.update((CONFIG_MAP, namespace, n) for n in refs.config_maps)
    edges.update((PVC, namespace, n) for n in refs.claims)
    edges.update((RESOURCE_CLAIM, namespace, n) for n in refs.resource_claims)
    if refs.service_account:
        edges.add((SERVICE_ACCOUNT, namespace, refs.service_account))
    return frozenset(edges)


class NodeGraph:
    """Pods bound to nodes, what they use, and the persistent volumes of their claims."""

    def __init__(self) -> None:
        # (namespace, name) -> (node, what the pod uses)
        self._pods: dict[_Key, tuple[str, frozenset[_Ref]]] = {}
        # node -> how many of its pods use each object
        self._used: dict[str, collections.Counter[_Ref]] = {}
        # node -> how many pods are bound to it
        self._pod_counts: collections.Counter[str] = collections.Counter()
        # volume name -> (its claim, the secrets it names)
        self._pvs: dict[str, tuple[_Key | None, frozenset[_Key]]] = {}
        # secret (namespace, name) -> the volumes naming it
        self._pv_secrets: dict[_Key, set[str]] = {}
        # volume attachment name -> its node
        self._attachments: dict[str, str] = {}

    # -- pods ----------------------------------------------------------------

    def set_pod(self, pod: Mapping[str, Any]) -> None:
        """Add or replace a pod (a pod not bound to a node is removed)."""
        namespace, name = _meta(pod)
        spec = pod.get("spec")
        node = spec.get("nodeName") if isinstance(spec, Mapping) else None
        if not isinstance(node, str) or not node or not name:
            self.delete_pod(namespace, name)
            return
        edges = _pod_edges(namespace, pod)
        if self._pods.get((namespace, name)) == (node, edges):
            return  # a status update: nothing the graph holds changed
        self.delete_pod(namespace, name)
        self._pods[(namespace, name)] = (node, edges)
        self._used.setdefault(node, collections.Counter()).update(edges)
        self._pod_counts[node] += 1

    def delete_pod(self, namespace: str, name: str) -> None:
        """Forget a pod (nothing if it is not there)."""
        old = self._pods.pop((namespace, name), None)
        if old is None:
            return
        node, edges = old
        used = self._used[node]
        used.subtract(edges)
        for edge in edges:
            if used[edge] <= 0:
                del used[edge]
        self._pod_counts[node] -= 1
        if self._pod_counts[node] <= 0:
            del self._pod_counts[node]
            del self._used[node]

    def clear_pods(self) -> None:
        """Forget every pod (before a relist)."""
        self._pods.clear()
        self._used.clear()
        self._pod_counts.clear()

    # -- persistent volumes --------------------------------------------------

    def set_pv(self, pv: Mapping[str, Any]) -> None:
        """Add or replace a PersistentVolume."""
        _, name = _meta(pv)
        if not name:
            return
        self.delete_pv(name)
        spec = pv.get("spec")
        claim_ref = spec.get("claimRef") if isinstance(spec, Mapping) else None
        claim: _Key | None = None
        if isinstance(claim_ref, Mapping):
            ns, claim_name = claim_ref.get("namespace"), claim_ref.get("name")
            if isinstance(ns, str) and isinstance(claim_name, str) and claim_name:
                claim = (ns, claim_name)
        secrets = pv_secret_references(pv)
        self._pvs[name] = (claim, secrets)
        for secret in secrets:
            self._pv_secrets.setdefault(secret, set()).add(name)

    def delete_pv(self, name: str) -> None:
        """Forget a PersistentVolume (nothing if it is not there)."""
        old = self._pvs.pop(name, None)
        if old is None:
            return
        for secret in old[1]:
            names = self._pv_secrets.get(secret)
            if names is not None:
                names.discard(name)
                if not names:
                    del self._pv_secrets[secret]

    def clear_pvs(self) -> None:
        """Forget every PersistentVolume (before a relist)."""
        self._pvs.clear()
        self._pv_secrets.clear()

    # -- volume attachments --------------------------------------------------

    def set_volume_attachment(self, attachment: Mapping[str, Any]) -> None:
        """Add or replace a VolumeAttachment (one without a node is removed)."""
        _, name = _meta(attachment)
        spec = attachment.get("spec")
        node = spec.get("nodeName") if isinstance(spec, Mapping) else None
        if isinstance(node, str) and node and name:
            self._attachments[name] = node
        else:
            self.delete_volume_attachment(name)

    def delete_volume_attachment(self, name: str) -> None:
        self._attachments.pop(name, None)

    def clear_volume_attachments(self) -> None:
        self._attachments.clear()

    # -- questions -----------------------------------------------------------

    def has_node(self, node: str) -> bool:
        """Whether any pod is bound to ``node`` (Kubernetes: the node vertex exists)."""
        return node in self._pod_counts

    def related(self, node: str, kind: str, namespace: str, name: str) -> bool:
        """Whether a path leads from the object to ``node``."""
        if kind == POD:
            pod = self._pods.get((namespace, name))
            return pod is not None and pod[0] == node
        if kind == VOLUME_ATTACHMENT:
            return self._attachments.get(name) == node
        used = self._used.get(node)
        if used is None:
            return False
        if kind == PV:
            return self._pv_related(used, name)
        if used[(kind, namespace, name)] > 0:
            return True
        if kind == SECRET:
            volumes = self._pv_secrets.get((namespace, name), ())
            return any(self._pv_related(used, pv) for pv in volumes)
        return False

    def _pv_related(self, used: collections.Counter[_Ref], pv: str) -> bool:
        volume = self._pvs.get(pv)
        if volume is None or volume[0] is None:
            return False
        claim_namespace, claim_name = volume[0]
        return used[(PVC, claim_namespace, claim_name)] > 0

    def statistics(self) -> dict[str, int]:
        return {"pods": len(self._pods), "nodes": len(self._used), "pvs": len(self._pvs)}
