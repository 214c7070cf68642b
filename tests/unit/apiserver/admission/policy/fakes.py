"""Fakes and builders for the ValidatingAdmissionPolicy plugin's unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeling.api import errors, labels
from kubeling.api.authentication.user import UserInfo
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import Attributes, Operation
from kubeling.apiserver.admission.policy.params import ParamResource
from kubeling.apiserver.admission.rules import ResourceRef

Obj = dict[str, Any]

DEPLOYMENTS_RULE: Obj = {
    "apiGroups": ["apps"],
    "apiVersions": ["v1"],
    "operations": ["CREATE", "UPDATE"],
    "resources": ["deployments"],
    "scope": "*",
}


def policy(name: str = "demo", **spec: Any) -> Obj:
    """A stored-looking policy (defaults filled in) with ``spec`` over them."""
    full: Obj = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [DEPLOYMENTS_RULE],
            "matchPolicy": "Equivalent",
            "namespaceSelector": {},
            "objectSelector": {},
        },
        "validations": [{"expression": "object.spec.replicas <= 5"}],
    }
    full.update(spec)
    return {"metadata": {"name": name, "resourceVersion": "1"}, "spec": full}


def binding(
    name: str = "demo-binding",
    policy_name: str = "demo",
    actions: Sequence[str] = ("Deny",),
    **spec: Any,
) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {"policyName": policy_name, "validationActions": list(actions), **spec},
    }


def deployment(replicas: int = 6, name: str = "web", **labels_: str) -> Obj:
    meta: Obj = {"name": name, "namespace": "default"}
    if labels_:
        meta["labels"] = dict(labels_)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"replicas": replicas},
    }


def attributes(
    obj: Obj | None = None,
    *,
    operation: Operation = "CREATE",
    old: Obj | None = None,
    namespace: str = "default",
    name: str = "web",
    group: str = "apps",
    version: str = "v1",
    resource: str = "deployments",
    subresource: str = "",
    kind: str = "Deployment",
    user: UserInfo | None = None,
) -> Attributes:
    return Attributes(
        operation=operation,
        group=group,
        version=version,
        resource=resource,
        subresource=subresource,
        kind_group=group,
        kind_version=version,
        kind=kind,
        namespace=namespace,
        name=name,
        obj=deployment() if obj is None and operation != "DELETE" else obj,
        old_obj=old,
        user=user or UserInfo("jane", groups=("dev", "system:authenticated")),
    )


@dataclass
class FakeParams:
    """A param kind's objects, by namespace ("" when cluster-scoped)."""

    namespaced: bool
    objects: list[Obj] = field(default_factory=list)

    def _in(self, namespace: str) -> list[Obj]:
        return [o for o in self.objects if (o["metadata"].get("namespace") or "") == namespace]

    async def get(self, namespace: str, name: str) -> Obj | None:
        return next((o for o in self._in(namespace) if o["metadata"]["name"] == name), None)

    async def select(self, namespace: str, selector: labels.Selector) -> list[Obj]:
        return [
            o for o in self._in(namespace) if selector.matches(o["metadata"].get("labels") or {})
        ]


@dataclass
class FakeSources:
    """``PolicySources`` over plain lists."""

    policies_: list[Obj] = field(default_factory=list)
    bindings_: list[Obj] = field(default_factory=list)
    namespaces: dict[str, Obj] = field(
        default_factory=lambda: {
            "default": {"metadata": {"name": "default", "labels": {"env": "test"}}}
        }
    )
    params: dict[tuple[str, str], FakeParams] = field(default_factory=dict)
    equivalent: dict[ResourceRef, list[tuple[ResourceRef, GroupVersionKind]]] = field(
        default_factory=dict
    )

    async def policies(self) -> Sequence[Obj]:
        return self.policies_

    async def bindings(self) -> Sequence[Obj]:
        return self.bindings_

    async def namespace(self, name: str) -> Obj:
        found = self.namespaces.get(name)
        if found is None:
            raise errors.not_found("namespaces", name)
        return found

    async def param_resource(self, api_version: str, kind: str) -> ParamResource | None:
        return self.params.get((api_version, kind))

    def equivalents(self, ref: ResourceRef) -> Sequence[tuple[ResourceRef, GroupVersionKind]]:
        return self.equivalent.get(ref, [])
