"""The NodeRestriction admission plugin: Kubernetes' ``plugin/pkg/admission/noderestriction``.

The Node authorizer lets every kubelet write Nodes, pods and their status,
evictions, Leases and service account tokens in general; this plugin, given
the objects themselves, keeps each kubelet (``system:node:<name>`` in
``system:nodes``) to its own:

- **Node**: it may create, update and delete only its own Node; on create no
  ``configSource`` and no forbidden labels, on update no new
  ``configSource``, no change to its taints and no change to forbidden
  labels. Forbidden: anything under ``node-restriction.kubernetes.io/``, and
  any other ``kubernetes.io``/``k8s.io`` label but the ones kubelets set
  (hostname, os, arch, zone, region, instance type, ``kubelet.kubernetes.io/``
  and ``node.kubernetes.io/``).
- **Pods**: it may create only mirror pods bound to itself, owned (as
  controller, without blockOwnerDeletion) by its Node, and naming no service
  account, secret, config map, cluster trust bundle or claim; delete only
  pods bound to it; update the status only of pods bound to it, without
  changing their labels or resource claim statuses; evict only its pods.
- **PersistentVolumeClaims**: only ``status``, and there only
  ``status.capacity``, ``status.conditions`` and the allocated resources.
- **Service account tokens**: only bound to a pod (with its uid) that runs on
  it.
- **Leases** and **CSINodes**: only its own (the Lease in ``kube-node-lease``).

It refuses with 403 Forbidden and Kubernetes' messages
(``nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"``);
a pod or node it must read and cannot find is 404 (``pod "x" not found``, the
informer lister's wording). It takes part in the mutating phase, as in
Kubernetes (it changes nothing), for CREATE, UPDATE and DELETE.

Construct it with the two reads it needs, ``NodeRestriction(pods=..., nodes=...)``,
or over the API server's watch caches (as Kubernetes reads informers) with
:func:`node_restriction`; it goes after ServiceAccount and before PodSecurity
in the chain.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from kubeling.api import errors
from kubeling.api.authentication.node_identity import node_identity
from kubeling.api.groupversion import GroupResource
from kubeling.api.podreferences import pod_references
from kubeling.apiserver.admission.interfaces import (
    CREATE,
    DELETE,
    UPDATE,
    AdmissionPlugin,
    Attributes,
)

if TYPE_CHECKING:  # the registry's stores will call the admission chain: no import cycle
    from kubeling.apiserver.registry.registry import Registry

__all__ = [
    "MIRROR_POD_ANNOTATION",
    "NODE_LEASE_NAMESPACE",
    "NodeRestriction",
    "forbidden_labels",
    "node_restriction",
]

Obj = dict[str, Any]
PodGetter = Callable[[str, str], Awaitable[Obj | None]]
NodeGetter = Callable[[str], Awaitable[Obj | None]]

MIRROR_POD_ANNOTATION: Final = "kubernetes.io/config.mirror"
NODE_LEASE_NAMESPACE: Final = "kube-node-lease"
_NODE_RESTRICTION_NAMESPACE: Final = "node-restriction.kubernetes.io"
# k8s.io/kubelet/pkg/apis: the labels a kubelet may set on its own Node.
_KUBELET_LABELS: Final = frozenset(
    {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    }
)
_KUBELET_LABEL_NAMESPACES: Final = ("kubelet.kubernetes.io", "node.kubernetes.io")


def _label_namespace(key: str) -> str:
    prefix, slash, _ = key.partition("/")
    return prefix if slash else ""


def _in_namespace(namespace: str, domain: str) -> bool:
    return namespace == domain or namespace.endswith("." + domain)


def _is_kubelet_label(key: str) -> bool:
    namespace = _label_namespace(key)
    return key in _KUBELET_LABELS or any(
        _in_namespace(namespace, allowed) for allowed in _KUBELET_LABEL_NAMESPACES
    )


def forbidden_labels(new: Mapping[str, str], old: Mapping[str, str]) -> list[str]:
    """The label keys changed between ``old`` and ``new`` that a kubelet may not set, sorted.

    >>> forbidden_labels({"node-restriction.kubernetes.io/x": "1", "kubernetes.io/os": "linux",
    ...                   "example.com/y": "2", "node-role.kubernetes.io/master": ""}, {})
    ['node-restriction.kubernetes.io/x', 'node-role.kubernetes.io/master']
    """
    changed = {k for k in {*new, *old} if new.get(k) != old.get(k) or (k in new) != (k in old)}
    out = set()
    for key in changed:
        namespace = _label_namespace(key)
        if _in_namespace(namespace, _NODE_RESTRICTION_NAMESPACE):
            out.add(key)
        kubernetes = _in_namespace(namespace, "kubernetes.io") or _in_namespace(namespace, "k8s.io")
        if kubernetes and not _is_kubelet_label(key):
            out.add(key)
    return sorted(out)


def _map(value: Any, *path: str) -> Mapping[str, Any]:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    return {k: v for k, v in _map(obj, "metadata", "labels").items() if isinstance(v, str)}


def _node_name_of(pod: Mapping[str, Any]) -> str:
    value = _map(pod, "spec").get("nodeName")
    return value if isinstance(value, str) else ""


class NodeRestriction(AdmissionPlugin):
    """Keeps each kubelet to its own Node, pods, Lease and tokens (see the module notes)."""

    name = "NodeRestriction"
    operations = frozenset({CREATE, UPDATE, DELETE})

    def __init__(self, *, pods: PodGetter, nodes: NodeGetter) -> None:
        self._pods = pods
        self._nodes = nodes

    def handles(self, attributes: Attributes) -> bool:
        return attributes.operation in self.operations and node_identity(attributes.user).is_node

    async def admit(self, attributes: Attributes) -> None:
        node, is_node = node_identity(attributes.user)
        if not is_node:
            return
        a = attributes
        if not node:
            raise _forbidden(a, f'could not determine node from user "{a.user.name}"')
        if a.group == "":
            if a.resource == "pods":
                await self._pod(node, a)
            elif a.resource == "nodes":
                self._node(node, a)
            elif a.resource == "persistentvolumeclaims":
                self._claim_status(node, a)
            elif a.resource == "serviceaccounts":
                await self._token(node, a)
        elif a.group == "coordination.k8s.io" and a.resource == "leases":
            if a.namespace != NODE_LEASE_NAMESPACE:
                raise _forbidden(
                    a, f'can only access leases in the "{NODE_LEASE_NAMESPACE}" system namespace'
                )
            self._own_name(
                node, a, "can only access node lease with the same name as the requesting node"
            )
        elif a.group == "storage.k8s.io" and a.resource == "csinodes":
            self._own_name(
                node, a, "can only access CSINode with the same name as the requesting node"
            )

    # -- pods ------------------------------------------------------------------

    async def _pod(self, node: str, a: Attributes) -> None:
        if a.subresource == "":
            if a.operation == CREATE:
                await self._mirror_pod(node, a)
            elif a.operation == DELETE:
                existing = await self._existing_pod(a, a.name)
                if _node_name_of(existing) != node:
                    raise _forbidden(
                        a, f'node "{node}" can only delete pods with spec.nodeName set to itself'
                    )
            else:
                raise _forbidden(
                    a,
                    f'unexpected operation "{a.operation}", node "{node}" can only create and '
                    "delete mirror pods",
                )
        elif a.subresource == "status":
            self._pod_status(node, a)
        elif a.subresource == "eviction":
            await self._eviction(node, a)
        else:
            raise _forbidden(
                a,
                f"unexpected pod subresource \"{a.subresource}\", only 'status' and "
                "'eviction' are allowed",
            )

    async def _existing_pod(self, a: Attributes, name: str) -> Obj:
        pod = await self._pods(a.namespace, name)
        if pod is None:
            raise errors.not_found(GroupResource("", "pod"), name)
        return pod

    async def _mirror_pod(self, node: str, a: Attributes) -> None:
        pod = a.obj or {}
        if MIRROR_POD_ANNOTATION not in _map(pod, "metadata", "annotations"):
            raise _forbidden(
                a,
                f'pod does not have "{MIRROR_POD_ANNOTATION}" annotation, node "{node}" can '
                "only create mirror pods",
            )
        if _node_name_of(pod) != node:
            raise _forbidden(
                a, f'node "{node}" can only create pods with spec.nodeName set to itself'
            )
        await self._mirror_pod_owner(node, a, _list(_map(pod, "metadata").get("ownerReferences")))
        spec = _map(pod, "spec")
        if spec.get("serviceAccountName"):
            raise _forbidden(
                a, f'node "{node}" can not create pods that reference a service account'
            )
        refs = pod_references(pod)
        if refs.secrets:
            raise _forbidden(a, f'node "{node}" can not create pods that reference secrets')
        if refs.config_maps:
            raise _forbidden(a, f'node "{node}" can not create pods that reference configmaps')
        volumes = [v for v in _list(spec.get("volumes")) if isinstance(v, Mapping)]
        for volume in volumes:
            for source in _list(_map(volume, "projected").get("sources")):
                if isinstance(source, Mapping) and source.get("clusterTrustBundle") is not None:
                    raise _forbidden(
                        a, f'node "{node}" can not create pods that reference clustertrustbundles'
                    )
        if any(v.get("persistentVolumeClaim") is not None for v in volumes):
            raise _forbidden(
                a, f'node "{node}" can not create pods that reference persistentvolumeclaims'
            )

    async def _mirror_pod_owner(self, node: str, a: Attributes, owners: list[Any]) -> None:
        if len(owners) > 1:
            raise _forbidden(
                a, f'node "{node}" can only create pods with a single owner reference set to itself'
            )
        if not owners or not isinstance(owners[0], Mapping):
            raise _forbidden(
                a, f'node "{node}" can only create pods with an owner reference set to itself'
            )
        owner = owners[0]
        if (owner.get("apiVersion"), owner.get("kind"), owner.get("name")) != ("v1", "Node", node):
            raise _forbidden(
                a, f'node "{node}" can only create pods with an owner reference set to itself'
            )
        if owner.get("controller") is not True:
            raise _forbidden(
                a,
                f'node "{node}" can only create pods with a controller owner reference set to '
                "itself",
            )
        if owner.get("blockOwnerDeletion") is True:
            raise _forbidden(
                a, f'node "{node}" must not set blockOwnerDeletion on an owner reference'
            )
        found = await self._nodes(node)
        if found is None:
            raise errors.not_found(GroupResource("", "node"), node)
        uid = _map(found, "metadata").get("uid") or ""
        if owner.get("uid") != uid:
            raise _forbidden(
                a, f"node {node} UID mismatch: expected {owner.get('uid') or ''} got {uid}"
            )

    def _pod_status(self, node: str, a: Attributes) -> None:
        if a.operation != UPDATE:
            raise _forbidden(a, f'unexpected operation "{a.operation}"')
        old = a.old_obj or {}
        if _node_name_of(old) != node:
            raise _forbidden(
                a,
                f'node "{node}" can only update pod status for pods with spec.nodeName set to '
                "itself",
            )
        new = a.obj or {}
        if _labels(old) != _labels(new):
            raise _forbidden(a, f'node "{node}" cannot update labels through pod status')
        if _claim_statuses(old) != _claim_statuses(new):
            raise _forbidden(a, f'node "{node}" cannot update resource claim statues')

    async def _eviction(self, node: str, a: Attributes) -> None:
        if a.operation != CREATE:
            raise _forbidden(a, f"unexpected operation {a.operation}")
        name = a.name
        if not name:
            evicted = _map(a.obj, "metadata").get("name")
            if not isinstance(evicted, str) or not evicted:
                raise _forbidden(a, "could not determine pod from request data")
            name = evicted
        pod = await self._existing_pod(a, name)
        if _node_name_of(pod) != node:
            raise _forbidden(a, f"node {node} can only evict pods with spec.nodeName set to itself")

    # -- nodes, claims, tokens, leases ---------------------------------------------

    def _node(self, node: str, a: Attributes) -> None:
        name = _request_name(a)
        if name != node:
            raise _forbidden(a, f'node "{node}" is not allowed to modify node "{name}"')
        if a.operation == CREATE:
            new = a.obj or {}
            if _map(new, "spec").get("configSource") is not None:
                raise _forbidden(
                    a, f'node "{node}" is not allowed to create pods with a non-nil configSource'
                )
            labels = forbidden_labels(_labels(new), {})
            if labels:
                raise _forbidden(
                    a,
                    f'node "{node}" is not allowed to set the following labels: '
                    + ", ".join(labels),
                )
        elif a.operation == UPDATE:
            new, old = a.obj or {}, a.old_obj or {}
            source = _map(new, "spec").get("configSource")
            if source is not None and source != _map(old, "spec").get("configSource"):
                raise _forbidden(
                    a,
                    f'node "{node}" is not allowed to update configSource to a new non-nil '
                    "configSource",
                )
            if (_map(new, "spec").get("taints") or []) != (_map(old, "spec").get("taints") or []):
                raise _forbidden(a, f'node "{node}" is not allowed to modify taints')
            labels = forbidden_labels(_labels(new), _labels(old))
            if labels:
                # Kubernetes' message starts without the node here
                raise _forbidden(a, "is not allowed to modify labels: " + ", ".join(labels))

    def _claim_status(self, node: str, a: Attributes) -> None:
        if a.subresource != "status":
            raise _forbidden(a, "may only update PVC status")
        if a.operation != UPDATE:
            raise _forbidden(a, f'unexpected operation "{a.operation}"')
        old, new = _claim_without_status_fields(a.old_obj), _claim_without_status_fields(a.obj)
        if old != new:
            changed = sorted(
                f"{part}.{key}"
                for part in ("metadata", "spec", "status")
                for key in {*_map(old, part), *_map(new, part)}
                if _map(old, part).get(key) != _map(new, part).get(key)
            ) or sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
            raise _forbidden(
                a,
                f'node "{node}" is not allowed to update fields other than status.capacity and '
                f"status.conditions: {', '.join(changed)}",
            )

    async def _token(self, node: str, a: Attributes) -> None:
        if a.operation != CREATE or a.subresource != "token":
            return
        ref = _map(a.obj, "spec", "boundObjectRef")
        if (
            not ref
            or ref.get("apiVersion") != "v1"
            or ref.get("kind") != "Pod"
            or not ref.get("name")
        ):
            raise _forbidden(a, "node requested token not bound to a pod")
        if not ref.get("uid"):
            raise _forbidden(a, "node requested token with a pod binding without a uid")
        pod = await self._existing_pod(a, str(ref["name"]))
        if ref.get("uid") != _map(pod, "metadata").get("uid"):
            raise _forbidden(
                a,
                f"the UID in the bound object reference ({ref.get('uid')}) does not match the "
                "UID in record. The object might have been deleted and then recreated",
            )
        if _node_name_of(pod) != node:
            raise _forbidden(a, "node requested token bound to a pod scheduled on a different node")

    def _own_name(self, node: str, a: Attributes, message: str) -> None:
        if _request_name(a) != node:
            raise _forbidden(a, message)


def _claim_statuses(pod: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (s.get("name"), s.get("resourceClaimName"))
        for s in _list(_map(pod, "status").get("resourceClaimStatuses"))
        if isinstance(s, Mapping)
    ]


# What a kubelet may change in a claim's status (RecoverVolumeExpansionFailure, on in 1.32,
# adds the allocated resources), and what is not compared at all.
_CLAIM_STATUS_FIELDS: Final = (
    "capacity",
    "conditions",
    "allocatedResourceStatuses",
    "allocatedResources",
)
_CLAIM_METADATA_IGNORED: Final = ("resourceVersion", "managedFields")


def _claim_without_status_fields(claim: Mapping[str, Any] | None) -> Obj:
    out: Obj = dict(claim or {})
    out["metadata"] = {
        k: v for k, v in _map(claim, "metadata").items() if k not in _CLAIM_METADATA_IGNORED
    }
    out["status"] = {
        k: v for k, v in _map(claim, "status").items() if k not in _CLAIM_STATUS_FIELDS
    }
    return out


def _request_name(a: Attributes) -> str:
    """The object's name: the request's, or on create (whose path names none) the new
    object's."""
    if a.name:
        return a.name
    name = _map(a.obj, "metadata").get("name")
    return name if isinstance(name, str) else ""


def _forbidden(a: Attributes, message: str) -> errors.StatusError:
    """``admission.NewForbidden``: 403 on the resource (no subresource), named as the
    request names it."""
    return errors.forbidden(GroupResource(a.group, a.resource), _request_name(a), message)


def node_restriction(registry: Registry) -> NodeRestriction:
    """The plugin reading pods and nodes from ``registry``'s watch caches."""

    def cached(plural: str, namespace: str, name: str) -> Obj | None:
        store = registry.lookup("", "v1", plural)
        if store is None:
            raise LookupError(f"{plural} is not registered")
        return store.watch_cache().get(store.key(namespace, name))

    async def pods(namespace: str, name: str) -> Obj | None:
        return cached("pods", namespace, name)

    async def nodes(name: str) -> Obj | None:
        return cached("nodes", "", name)

    return NodeRestriction(pods=pods, nodes=nodes)
