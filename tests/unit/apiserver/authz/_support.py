"""Roles, bindings and policies for the authorization unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.policy import Policy

Obj = dict[str, Any]


def rule(
    verbs: Sequence[str],
    resources: Sequence[str] = (),
    groups: Sequence[str] = ("",),
    names: Sequence[str] = (),
    urls: Sequence[str] = (),
) -> Obj:
    out: Obj = {"verbs": list(verbs)}
    if resources:
        out["apiGroups"] = list(groups)
        out["resources"] = list(resources)
    if names:
        out["resourceNames"] = list(names)
    if urls:
        out["nonResourceURLs"] = list(urls)
    return out


def role(name: str, *rules: Obj, namespace: str = "", labels: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, "rules": list(rules)}


def subject(kind: str, name: str, namespace: str = "") -> Obj:
    out: Obj = {"kind": kind, "name": name}
    if kind != "ServiceAccount":
        out["apiGroup"] = "rbac.authorization.k8s.io"
    if namespace:
        out["namespace"] = namespace
    return out


def binding(name: str, role_kind: str, role_name: str, *subjects: Obj, namespace: str = "") -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": list(subjects),
    }


def policy(
    *,
    cluster_roles: Sequence[Obj] = (),
    roles: Sequence[Obj] = (),
    cluster_role_bindings: Sequence[Obj] = (),
    role_bindings: Sequence[Obj] = (),
) -> Policy:
    return Policy.build(
        cluster_roles=cluster_roles,
        roles=roles,
        cluster_role_bindings=cluster_role_bindings,
        role_bindings=role_bindings,
    )


def request(
    user: UserInfo,
    verb: str,
    resource: str,
    *,
    namespace: str = "",
    group: str = "",
    name: str = "",
    subresource: str = "",
) -> Attributes:
    return Attributes(
        user=user,
        verb=verb,
        resource_request=True,
        namespace=namespace,
        api_group=group,
        resource=resource,
        name=name,
        subresource=subresource,
    )
