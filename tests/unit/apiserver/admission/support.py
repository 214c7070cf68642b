"""Attributes built directly, for the plugins' table tests."""

from __future__ import annotations

from typing import Any

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.interfaces import Attributes, Operation

Obj = dict[str, Any]

_KINDS = {
    "pods": ("", "Pod"),
    "persistentvolumeclaims": ("", "PersistentVolumeClaim"),
    "priorityclasses": ("scheduling.k8s.io", "PriorityClass"),
    "namespaces": ("", "Namespace"),
    "configmaps": ("", "ConfigMap"),
}


def attributes(
    operation: Operation,
    resource: str,
    obj: Obj | None,
    old: Obj | None = None,
    *,
    namespace: str = "ns",
    name: str | None = None,
    subresource: str = "",
) -> Attributes:
    """What the API server would hand a plugin for this write."""
    group, kind = _KINDS[resource]
    if name is None:
        name = str(((obj or old or {}).get("metadata") or {}).get("name") or "")
    return Attributes(
        operation=operation,
        group=group,
        version="v1",
        resource=resource,
        subresource=subresource,
        kind_group=group,
        kind_version="v1",
        kind=kind,
        namespace=namespace,
        name=name,
        obj=obj,
        old_obj=old,
        user=UserInfo("tester"),
    )
