"""The built-in resources kubeling serves, declared once each.

Each row names the resource as Kubernetes 1.32 does (group, version, kind,
plural, singular, scope, short names, categories, subresources) and points at
its type declaration by OpenAPI definition name. Discovery, OpenAPI, routing
and the REST handlers are all generated from this table.

A version Kubernetes stores as another one names its conversion
(``api/conversion``): events.k8s.io/v1 Events are stored as core/v1 Events,
autoscaling/v1 HorizontalPodAutoscalers as autoscaling/v2 ones. Within a
group, the first row of a resource is its preferred version.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from kubeling.api.conversion import Conversion
from kubeling.api.conversion.autoscaling import HPA_V1
from kubeling.api.conversion.events import EVENTS_V1
from kubeling.api.schema import DEFINITIONS, GroupVersionKind
from kubeling.apiserver.registry.resource import ALL_VERBS, Resource, Subresource

__all__ = ["TYPE_MODULES", "builtin_resources"]

TYPE_MODULES = (
    "kubeling.api.meta.v1",
    "kubeling.api.core.v1.pod",
    "kubeling.api.core.v1.cluster",
    "kubeling.api.apps.v1",
    "kubeling.api.batch.v1",
    "kubeling.api.policy.v1",
    "kubeling.api.autoscaling.v1",
    "kubeling.api.autoscaling.v2",
    "kubeling.api.coordination.v1",
    "kubeling.api.discovery.v1",
    "kubeling.api.events.v1",
    "kubeling.api.networking.v1",
    "kubeling.api.rbac.v1",
    "kubeling.api.storage.v1",
    "kubeling.api.scheduling.v1",
    "kubeling.api.apiextensions.v1",
    "kubeling.api.authorization.v1",
    "kubeling.api.authentication.v1",
    "kubeling.api.admissionregistration.v1",
)

_GET_LIST = ("get", "list")
_CREATE = ("create",)
_STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True, slots=True)
class _Row:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    definition: str = ""
    conversion: Conversion | None = None
    #: False for resources with no storage (reviews, bindings, componentstatuses)
    stored: bool = True


_ALL = ("all",)

_ROWS: tuple[_Row, ...] = (
    # core/v1
    _Row(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        ("ns",),
        (),
        ("status", "finalize"),
        ("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _Row(
        "",
        "v1",
        "Pod",
        "pods",
        True,
        ("po",),
        _ALL,
        (
            "status",
            "binding",
            "eviction",
            "log",
            "exec",
            "attach",
            "portforward",
            "ephemeralcontainers",
        ),
    ),
    _Row(
        "",
        "v1",
        "Service",
        "services",
        True,
        ("svc",),
        _ALL,
        ("status", "proxy"),
        ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _Row("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    _Row("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    _Row("", "v1", "Secret", "secrets", True),
    _Row("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), (), ("token",)),
    _Row("", "v1", "Event", "events", True, ("ev",)),
    _Row("", "v1", "Node", "nodes", False, ("no",), (), ("status", "proxy")),
    _Row("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), (), ("status",)),
    _Row(
        "", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), (), ("status",)
    ),
    _Row("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    _Row("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), (), ("status",)),
    _Row(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        True,
        ("rc",),
        _ALL,
        ("status", "scale"),
    ),
    _Row("", "v1", "PodTemplate", "podtemplates", True),
    _Row("", "v1", "Binding", "bindings", True, verbs=_CREATE, stored=False),
    _Row(
        "",
        "v1",
        "ComponentStatus",
        "componentstatuses",
        False,
        ("cs",),
        verbs=_GET_LIST,
        stored=False,
    ),
    # apps/v1
    _Row("apps", "v1", "Deployment", "deployments", True, ("deploy",), _ALL, ("status", "scale")),
    _Row("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), _ALL, ("status", "scale")),
    _Row("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), _ALL, ("status", "scale")),
    _Row("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), _ALL, ("status",)),
    _Row("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    # batch/v1
    _Row("batch", "v1", "Job", "jobs", True, (), _ALL, ("status",)),
    _Row("batch", "v1", "CronJob", "cronjobs", True, ("cj",), _ALL, ("status",)),
    # autoscaling: v2 (preferred, stored) and v1
    _Row(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        _ALL,
        ("status",),
    ),
    _Row(
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        ("hpa",),
        _ALL,
        ("status",),
        conversion=HPA_V1,
    ),
    # policy/v1
    _Row(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        True,
        ("pdb",),
        (),
        ("status",),
    ),
    # coordination, discovery, events
    _Row("coordination.k8s.io", "v1", "Lease", "leases", True),
    _Row("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    _Row("events.k8s.io", "v1", "Event", "events", True, ("ev",), conversion=EVENTS_V1),
    # networking.k8s.io/v1
    _Row("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), (), ("status",)),
    _Row("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _Row("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    # rbac.authorization.k8s.io/v1
    _Row("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _Row("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _Row("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _Row("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    # storage, scheduling
    _Row("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    _Row("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    _Row("storage.k8s.io", "v1", "CSINode", "csinodes", False),
    _Row(
        "storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", False, (), (), ("status",)
    ),
    _Row("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    # admissionregistration.k8s.io/v1: the webhook configurations
    _Row(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
        (),
        ("api-extensions",),
    ),
    _Row(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
        (),
        ("api-extensions",),
    ),
    # apiextensions.k8s.io/v1
    _Row(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
        ("api-extensions",),
        ("status",),
    ),
    # admissionregistration.k8s.io/v1: admission policies
    _Row(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        False,
        (),
        ("api-extensions",),
        ("status",),
    ),
    _Row(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        False,
        (),
        ("api-extensions",),
    ),
    # reviews: create only
    _Row(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=_CREATE,
        stored=False,
    ),
    _Row(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        verbs=_CREATE,
        stored=False,
    ),
    _Row(
        "authorization.k8s.io",
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        False,
        verbs=_CREATE,
        stored=False,
    ),
    _Row(
        "authorization.k8s.io",
        "v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        True,
        verbs=_CREATE,
        stored=False,
    ),
    _Row(
        "authentication.k8s.io",
        "v1",
        "TokenReview",
        "tokenreviews",
        False,
        verbs=_CREATE,
        stored=False,
    ),
    _Row(
        "authentication.k8s.io",
        "v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        False,
        verbs=_CREATE,
        stored=False,
    ),
)

_SUBRESOURCE_KINDS = {
    "scale": (GroupVersionKind("autoscaling", "v1", "Scale"), ("get", "patch", "update")),
    "eviction": (GroupVersionKind("policy", "v1", "Eviction"), _CREATE),
    "binding": (GroupVersionKind("", "v1", "Binding"), _CREATE),
    "token": (GroupVersionKind("authentication.k8s.io", "v1", "TokenRequest"), _CREATE),
    "log": (GroupVersionKind("", "v1", "Pod"), ("get",)),
    "exec": (GroupVersionKind("", "v1", "PodExecOptions"), ("create", "get")),
    "attach": (GroupVersionKind("", "v1", "PodAttachOptions"), ("create", "get")),
    "portforward": (GroupVersionKind("", "v1", "PodPortForwardOptions"), ("create", "get")),
    "proxy": (None, ("create", "delete", "get", "patch", "update")),
    "finalize": (None, ("update",)),
    "ephemeralcontainers": (None, ("get", "patch", "update")),
}

_API_GROUP_PREFIX = {
    "": "io.k8s.api.core",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
}


def _definition_name(row: _Row) -> str:
    if row.definition:
        return row.definition
    prefix = _API_GROUP_PREFIX.get(row.group)
    if prefix is None:
        prefix = "io.k8s.api." + row.group.split(".")[0]
    return f"{prefix}.{row.version}.{row.kind}"


def _subresource(row: _Row, name: str) -> Subresource:
    gvk, verbs = _SUBRESOURCE_KINDS.get(name, (None, _STATUS_VERBS))
    own = GroupVersionKind(row.group, row.version, row.kind)
    return Subresource(name, gvk or own, verbs)


def builtin_resources() -> list[Resource]:
    """Every built-in Resource, with its type declaration loaded."""
    for module in TYPE_MODULES:
        importlib.import_module(module)
    resources = []
    for row in _ROWS:
        plural = row.plural
        resources.append(
            Resource(
                group=row.group,
                version=row.version,
                kind=row.kind,
                plural=plural,
                singular=row.kind.lower(),
                namespaced=row.namespaced,
                type=DEFINITIONS[_definition_name(row)],
                short_names=row.short_names,
                categories=row.categories,
                verbs=row.verbs,
                subresources=tuple(_subresource(row, s) for s in row.subresources),
                conversion=row.conversion,
                stored=row.stored,
            )
        )
    return resources
