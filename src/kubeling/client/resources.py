"""Which resource a request is about: group, version, plural, kind and scope.

A :class:`Resource` is client-go's ``GroupVersionResource`` plus the two facts a client needs to
build a URL and an object: the ``kind`` and whether the resource lives in namespaces. It knows
its own paths::

    >>> DEPLOYMENTS.path(namespace="web", name="front", subresource="scale")
    '/apis/apps/v1/namespaces/web/deployments/front/scale'
    >>> NODES.path(name="n1")
    '/api/v1/nodes/n1'

The constants below are the resources kubeling's own components read and write (the scheduler,
the controller manager, the kubelet, proxy and DNS). They are facts of the Kubernetes API, the
client's side of the contract the API server serves; a unit test checks them against the server's
registry so the two cannot drift. Anything else (custom resources included) is a
``Resource(...)`` away, or found by kind with
:meth:`kubeling.client.rest.ApiClient.find_resource`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from kubeling.api.groupversion import GroupResource

__all__ = [
    "CLUSTERROLEBINDINGS",
    "CONFIGMAPS",
    "CONTROLLERREVISIONS",
    "CRONJOBS",
    "CSINODES",
    "DAEMONSETS",
    "DEPLOYMENTS",
    "ENDPOINTS",
    "ENDPOINTSLICES",
    "EVENTS",
    "HORIZONTALPODAUTOSCALERS",
    "INGRESSCLASSES",
    "INGRESSES",
    "JOBS",
    "LEASES",
    "LIMITRANGES",
    "NAMESPACES",
    "NODES",
    "PERSISTENTVOLUMECLAIMS",
    "PERSISTENTVOLUMES",
    "PODDISRUPTIONBUDGETS",
    "PODS",
    "PODTEMPLATES",
    "PRIORITYCLASSES",
    "REPLICASETS",
    "REPLICATIONCONTROLLERS",
    "RESOURCEQUOTAS",
    "SECRETS",
    "SERVICEACCOUNTS",
    "SERVICES",
    "STATEFULSETS",
    "STORAGECLASSES",
    "Resource",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One resource at one group/version: ``Resource(group="apps", version="v1",
    plural="deployments", kind="Deployment", namespaced=True)``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """``apps/v1``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> GroupResource:
        """``deployments.apps``: how errors and messages name the resource."""
        return GroupResource(self.group, self.plural)

    def path(self, *, namespace: str = "", name: str = "", subresource: str = "") -> str:
        """The URL path of the collection (no ``name``) or of one object or its subresource.

        ``namespace`` is ignored for a cluster-scoped resource; for a namespaced one, an empty
        namespace addresses the collection across all namespaces (lists and watches).
        """
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{quote(namespace, safe='')}")
        parts.append(self.plural)
        if name:
            parts.append(quote(name, safe=""))
            if subresource:
                parts.append(subresource)
        return "/".join(parts)

    def __str__(self) -> str:
        return str(self.group_resource)


def _core(plural: str, kind: str, *, namespaced: bool = True) -> Resource:
    return Resource(group="", version="v1", plural=plural, kind=kind, namespaced=namespaced)


def _grouped(
    group: str, version: str, plural: str, kind: str, *, namespaced: bool = True
) -> Resource:
    return Resource(group=group, version=version, plural=plural, kind=kind, namespaced=namespaced)


# core/v1
NAMESPACES = _core("namespaces", "Namespace", namespaced=False)
NODES = _core("nodes", "Node", namespaced=False)
PODS = _core("pods", "Pod")
PODTEMPLATES = _core("podtemplates", "PodTemplate")
SERVICES = _core("services", "Service")
ENDPOINTS = _core("endpoints", "Endpoints")
CONFIGMAPS = _core("configmaps", "ConfigMap")
SECRETS = _core("secrets", "Secret")
SERVICEACCOUNTS = _core("serviceaccounts", "ServiceAccount")
EVENTS = _core("events", "Event")
PERSISTENTVOLUMES = _core("persistentvolumes", "PersistentVolume", namespaced=False)
PERSISTENTVOLUMECLAIMS = _core("persistentvolumeclaims", "PersistentVolumeClaim")
LIMITRANGES = _core("limitranges", "LimitRange")
RESOURCEQUOTAS = _core("resourcequotas", "ResourceQuota")
REPLICATIONCONTROLLERS = _core("replicationcontrollers", "ReplicationController")
# apps/v1
DEPLOYMENTS = _grouped("apps", "v1", "deployments", "Deployment")
REPLICASETS = _grouped("apps", "v1", "replicasets", "ReplicaSet")
STATEFULSETS = _grouped("apps", "v1", "statefulsets", "StatefulSet")
DAEMONSETS = _grouped("apps", "v1", "daemonsets", "DaemonSet")
CONTROLLERREVISIONS = _grouped("apps", "v1", "controllerrevisions", "ControllerRevision")
# batch/v1
JOBS = _grouped("batch", "v1", "jobs", "Job")
CRONJOBS = _grouped("batch", "v1", "cronjobs", "CronJob")
# everything else the control plane touches
HORIZONTALPODAUTOSCALERS = _grouped(
    "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"
)
PODDISRUPTIONBUDGETS = _grouped("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")
LEASES = _grouped("coordination.k8s.io", "v1", "leases", "Lease")
ENDPOINTSLICES = _grouped("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
INGRESSES = _grouped("networking.k8s.io", "v1", "ingresses", "Ingress")
INGRESSCLASSES = _grouped(
    "networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False
)
STORAGECLASSES = _grouped(
    "storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False
)
CLUSTERROLEBINDINGS = _grouped(
    "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False
)
CSINODES = _grouped("storage.k8s.io", "v1", "csinodes", "CSINode", namespaced=False)
PRIORITYCLASSES = _grouped(
    "scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced=False
)
