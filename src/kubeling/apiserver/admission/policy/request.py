"""The values a policy's expressions read besides the objects: ``request`` and ``namespaceObject``.

``request`` is the AdmissionRequest a webhook would get, as JSON with Go's
``omitempty`` (an empty ``subResource`` or ``name`` is absent, and reading
it is a ``no such key`` error, as in Kubernetes), without ``uid``,
``object`` and ``oldObject``; ``kind`` and ``resource`` are what the policy
matched (another version under matchPolicy Equivalent), ``requestKind`` and
``requestResource`` what the client sent (``cel.CreateAdmissionRequest``).

``namespaceObject`` is the request's Namespace with only what Kubernetes
copies (``cel.CreateNamespaceObject``): its spec, status and the main
metadata fields (no managedFields or ownerReferences).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import Attributes
from kubeling.apiserver.admission.rules import ResourceRef

__all__ = ["admission_request", "namespace_object"]

_NAMESPACE_META: Final = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "finalizers",
)


def _gvr(ref: ResourceRef) -> dict[str, str]:
    return {"group": ref.group, "version": ref.version, "resource": ref.resource}


def _gvk(gvk: GroupVersionKind) -> dict[str, str]:
    return {"group": gvk.group, "version": gvk.version, "kind": gvk.kind}


def admission_request(
    attributes: Attributes, resource: ResourceRef, kind: GroupVersionKind
) -> dict[str, Any]:
    """``request`` for the CEL expressions of a policy matched as ``resource``/``kind``.

    >>> from kubeling.api.authentication.user import UserInfo
    >>> a = Attributes("CREATE", "", "v1", "pods", "", "", "v1", "Pod", "ns", "p", {}, None,
    ...                UserInfo("jane", groups=("dev",)))
    >>> r = admission_request(a, ResourceRef.of(a), GroupVersionKind("", "v1", "Pod"))
    >>> r["operation"], r["userInfo"], r["dryRun"], "subResource" in r
    ('CREATE', {'username': 'jane', 'groups': ['dev']}, False, False)
    """
    request_kind = GroupVersionKind(attributes.kind_group, attributes.kind_version, attributes.kind)
    out: dict[str, Any] = {
        "uid": "",
        "kind": _gvk(kind),
        "resource": _gvr(resource),
    }
    if attributes.subresource:
        out["subResource"] = attributes.subresource
    out["requestKind"] = _gvk(request_kind)
    out["requestResource"] = _gvr(ResourceRef.of(attributes))
    if attributes.subresource:
        out["requestSubResource"] = attributes.subresource
    if attributes.name:
        out["name"] = attributes.name
    if attributes.namespace:
        out["namespace"] = attributes.namespace
    out["operation"] = attributes.operation
    out["userInfo"] = attributes.user.to_api()
    out["dryRun"] = attributes.dry_run
    if attributes.options is not None:
        out["options"] = attributes.options
    return out


def namespace_object(namespace: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The Namespace as ``namespaceObject`` shows it (None: no namespace)."""
    if namespace is None:
        return None
    meta = namespace.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    out: dict[str, Any] = {
        "metadata": {key: meta[key] for key in _NAMESPACE_META if key in meta},
    }
    for key in ("spec", "status"):
        if key in namespace:
            out[key] = namespace[key]
    return out
