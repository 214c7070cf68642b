"""Building the default roles and bindings: Kubernetes' ``rbac/v1`` rule and binding builders.

The bootstrap policy is written the way Kubernetes writes it: ``rule("get",
"list").groups("").resources("pods")``, each list sorted (as ``RuleOrDie``
sorts it), and every default object labelled
``kubernetes.io/bootstrapping: rbac-defaults`` and annotated
``rbac.authorization.kubernetes.io/autoupdate: "true"`` (the reconciler
leaves alone an object whose annotation an administrator set to false).

>>> rule("list", "get").groups("").resources("pods").json()
{'apiGroups': [''], 'resources': ['pods'], 'verbs': ['get', 'list']}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

__all__ = [
    "AUTOUPDATE_ANNOTATION",
    "BOOTSTRAP_LABEL",
    "READ",
    "READ_UPDATE",
    "READ_WRITE",
    "WRITE",
    "Rule",
    "cluster_binding",
    "cluster_role",
    "events_rule",
    "namespace_binding",
    "namespace_role",
    "rule",
]

RBAC_GROUP: Final = "rbac.authorization.k8s.io"
AUTOUPDATE_ANNOTATION: Final = "rbac.authorization.kubernetes.io/autoupdate"
BOOTSTRAP_LABEL: Final = {"kubernetes.io/bootstrapping": "rbac-defaults"}

READ: Final = ("get", "list", "watch")
WRITE: Final = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE: Final = (*READ, *WRITE)
READ_UPDATE: Final = ("get", "list", "watch", "update", "patch")

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    """A PolicyRule under construction (``rbacv1helpers.PolicyRuleBuilder``)."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resource_list: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    urls: tuple[str, ...] = field(default=())

    def groups(self, *groups: str) -> Rule:
        return replace(self, api_groups=(*self.api_groups, *groups))

    def resources(self, *resources: str) -> Rule:
        return replace(self, resource_list=(*self.resource_list, *resources))

    def names(self, *names: str) -> Rule:
        return replace(self, resource_names=(*self.resource_names, *names))

    def non_resource_urls(self, *urls: str) -> Rule:
        return replace(self, urls=(*self.urls, *urls))

    def json(self) -> Obj:
        """The rule as stored: every list sorted, empty ones left out."""
        out: Obj = {}
        for key, values in (
            ("apiGroups", self.api_groups),
            ("resources", self.resource_list),
            ("resourceNames", self.resource_names),
            ("nonResourceURLs", self.urls),
        ):
            if values:
                out[key] = sorted(values)
        out["verbs"] = sorted(self.verbs)
        return out


def rule(*verbs: str) -> Rule:
    return Rule(verbs=verbs)


def events_rule() -> Rule:
    """What every component that records events needs (core and events.k8s.io)."""
    return rule("create", "update", "patch").groups("", "events.k8s.io").resources("events")


def _metadata(name: str, namespace: str = "", labels: Mapping[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {**(labels or {}), **BOOTSTRAP_LABEL}
    meta["annotations"] = {AUTOUPDATE_ANNOTATION: "true"}
    return meta


def cluster_role(
    name: str,
    rules: Sequence[Rule] = (),
    *,
    labels: Mapping[str, str] | None = None,
    aggregate_from: str = "",
) -> Obj:
    """A default ClusterRole; ``aggregate_from`` gives it an aggregationRule
    selecting ClusterRoles labelled ``<aggregate_from>: "true"``."""
    role: Obj = {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": _metadata(name, labels=labels),
    }
    if aggregate_from:
        role["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {aggregate_from: "true"}}]
        }
    if rules:
        role["rules"] = [r.json() for r in rules]
    return role


def namespace_role(namespace: str, name: str, rules: Sequence[Rule]) -> Obj:
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "Role",
        "metadata": _metadata(name, namespace),
        "rules": [r.json() for r in rules],
    }


def _subjects(
    users: Sequence[str], groups: Sequence[str], service_accounts: Sequence[tuple[str, str]]
) -> list[Obj]:
    subjects: list[Obj] = [{"apiGroup": RBAC_GROUP, "kind": "User", "name": u} for u in users]
    subjects += [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": g} for g in groups]
    subjects += [
        {"kind": "ServiceAccount", "name": name, "namespace": namespace}
        for namespace, name in service_accounts
    ]
    return subjects


def cluster_binding(
    role: str,
    *,
    users: Sequence[str] = (),
    groups: Sequence[str] = (),
    service_accounts: Sequence[tuple[str, str]] = (),
) -> Obj:
    """A default ClusterRoleBinding named after its ClusterRole."""
    binding: Obj = {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _metadata(role),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
    }
    subjects = _subjects(users, groups, service_accounts)
    if subjects:
        binding["subjects"] = subjects
    return binding


def namespace_binding(
    namespace: str,
    role: str,
    *,
    name: str = "",
    users: Sequence[str] = (),
    service_accounts: Sequence[tuple[str, str]] = (),
) -> Obj:
    """A default RoleBinding of the Role ``role`` (named after it unless ``name``)."""
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(name or role, namespace),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": role},
        "subjects": _subjects(users, (), service_accounts),
    }
