"""A snapshot of the RBAC policy: roles, cluster roles, their bindings, and who they grant.

Kubernetes' ``DefaultRuleResolver``: for a user and a namespace, visit every
rule granted by a ClusterRoleBinding (anywhere) or a RoleBinding in that
namespace, whose subjects include the user, one of the user's groups, or
the service account the user is. A binding to a role that does not exist
grants nothing and is reported (``clusterrole.rbac.authorization.k8s.io
"x" not found``), as Kubernetes reports it, without stopping the visit.

A :class:`Policy` is immutable and built from the objects' JSON; bindings
are indexed by the users and groups they name, so a request visits only the
bindings that can apply to it, in name order (Kubernetes visits its lister's
order, which is arbitrary).

>>> policy = Policy.build(
...     cluster_roles=[{"metadata": {"name": "view"}, "rules": [
...         {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}],
...     role_bindings=[{"metadata": {"name": "b", "namespace": "dev"},
...         "roleRef": {"kind": "ClusterRole", "name": "view"},
...         "subjects": [{"kind": "User", "name": "alice"}]}])
>>> [grant.describe() for grant in policy.visit(UserInfo("alice"), "dev")]
['RoleBinding "b/dev" of ClusterRole "view" to User "alice"']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.authentication import serviceaccount
from kubeling.api.goformat import go_quote
from kubeling.apiserver.authz.rules import PolicyRule, rules_from_json
from kubeling.apiserver.authz.user import UserInfo

__all__ = ["Binding", "Grant", "Policy", "Role", "RoleRef", "Subject"]

Obj = dict[str, Any]

USER: Final = "User"
GROUP: Final = "Group"
SERVICE_ACCOUNT: Final = "ServiceAccount"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class Role:
    """A Role (with a namespace) or ClusterRole: its rules, and what aggregation reads."""

    name: str
    namespace: str = ""
    rules: tuple[PolicyRule, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    #: ``aggregationRule`` as written (ClusterRoles only), or None.
    aggregation_rule: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Role:
        meta = _meta(obj)
        labels = meta.get("labels")
        aggregation = obj.get("aggregationRule")
        return cls(
            name=_str(meta.get("name")),
            namespace=_str(meta.get("namespace")),
            rules=rules_from_json(obj.get("rules")),
            labels=dict(labels) if isinstance(labels, Mapping) else {},
            aggregation_rule=aggregation if isinstance(aggregation, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class RoleRef:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""

    def describe(self, binding_namespace: str) -> str:
        """``User "alice"``, ``ServiceAccount "name/namespace"``."""
        if self.kind == SERVICE_ACCOUNT:
            namespace = self.namespace or binding_namespace
            return f"{self.kind} {go_quote(f'{self.name}/{namespace}')}"
        return f"{self.kind} {go_quote(self.name)}"

    def user_name(self, binding_namespace: str) -> str | None:
        """The user name this subject names (a User, or a service account's), else None."""
        if self.kind == USER:
            return self.name
        if self.kind == SERVICE_ACCOUNT:
            namespace = self.namespace or binding_namespace
            return serviceaccount.username(namespace, self.name) if namespace else None
        return None

    def applies_to(self, user: UserInfo, binding_namespace: str) -> bool:
        if self.kind == GROUP:
            return self.name in user.groups
        name = self.user_name(binding_namespace)
        return name is not None and name == user.name


@dataclass(frozen=True, slots=True)
class Binding:
    """A RoleBinding (with a namespace) or ClusterRoleBinding."""

    name: str
    namespace: str
    role_ref: RoleRef
    subjects: tuple[Subject, ...]

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Binding:
        meta = _meta(obj)
        ref = obj.get("roleRef")
        ref = ref if isinstance(ref, Mapping) else {}
        subjects = obj.get("subjects")
        return cls(
            name=_str(meta.get("name")),
            namespace=_str(meta.get("namespace")),
            role_ref=RoleRef(_str(ref.get("kind")), _str(ref.get("name"))),
            subjects=tuple(
                Subject(_str(s.get("kind")), _str(s.get("name")), _str(s.get("namespace")))
                for s in (subjects if isinstance(subjects, list) else [])
                if isinstance(s, Mapping)
            ),
        )

    def first_subject_for(self, user: UserInfo) -> Subject | None:
        """The first subject that names ``user`` (directly, by group or as a service account)."""
        for subject in self.subjects:
            if subject.applies_to(user, self.namespace):
                return subject
        return None

    def index_keys(self) -> Iterator[tuple[str, str]]:
        """``(USER, name)`` and ``(GROUP, name)`` for each subject that can match anyone."""
        for subject in self.subjects:
            if subject.kind == GROUP:
                yield (GROUP, subject.name)
            else:
                name = subject.user_name(self.namespace)
                if name is not None:
                    yield (USER, name)

    def describe(self, subject: Subject) -> str:
        """The source Kubernetes names in an RBAC decision's reason."""
        ref = self.role_ref
        if self.namespace:
            return (
                f"RoleBinding {go_quote(f'{self.name}/{self.namespace}')} of {ref.kind} "
                f"{go_quote(ref.name)} to {subject.describe(self.namespace)}"
            )
        return (
            f"ClusterRoleBinding {go_quote(self.name)} of {ref.kind} {go_quote(ref.name)} "
            f"to {subject.describe('')}"
        )


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule granted to a user, and the binding and subject that granted it."""

    rule: PolicyRule
    binding: Binding
    subject: Subject

    def describe(self) -> str:
        return self.binding.describe(self.subject)


class _Bindings:
    """Bindings in name order, indexed by the users and groups they name."""

    def __init__(self, bindings: Iterable[Binding]) -> None:
        self.ordered = tuple(sorted(bindings, key=lambda b: b.name))
        self._index: dict[tuple[str, str], list[int]] = {}
        for position, binding in enumerate(self.ordered):
            for key in set(binding.index_keys()):
                self._index.setdefault(key, []).append(position)

    def for_user(self, user: UserInfo) -> Iterator[Binding]:
        positions: set[int] = set(self._index.get((USER, user.name), ()))
        for group in user.groups:
            positions.update(self._index.get((GROUP, group), ()))
        for position in sorted(positions):
            yield self.ordered[position]


def _not_found(kind: str, name: str) -> str:
    return f"{kind.lower()}.rbac.authorization.k8s.io {go_quote(name)} not found"


class Policy:
    """Roles and bindings at one moment; what they grant whom."""

    def __init__(
        self,
        *,
        cluster_roles: Iterable[Role] = (),
        roles: Iterable[Role] = (),
        cluster_role_bindings: Iterable[Binding] = (),
        role_bindings: Iterable[Binding] = (),
    ) -> None:
        self.cluster_roles: dict[str, Role] = {r.name: r for r in cluster_roles}
        self.roles: dict[tuple[str, str], Role] = {(r.namespace, r.name): r for r in roles}
        self._cluster_role_bindings = _Bindings(cluster_role_bindings)
        by_namespace: dict[str, list[Binding]] = {}
        for binding in role_bindings:
            by_namespace.setdefault(binding.namespace, []).append(binding)
        self._role_bindings = {ns: _Bindings(items) for ns, items in by_namespace.items()}

    @classmethod
    def build(
        cls,
        *,
        cluster_roles: Sequence[Mapping[str, Any]] = (),
        roles: Sequence[Mapping[str, Any]] = (),
        cluster_role_bindings: Sequence[Mapping[str, Any]] = (),
        role_bindings: Sequence[Mapping[str, Any]] = (),
    ) -> Policy:
        """A policy from the objects' JSON (as stored)."""
        return cls(
            cluster_roles=[Role.from_json(o) for o in cluster_roles],
            roles=[Role.from_json(o) for o in roles],
            cluster_role_bindings=[Binding.from_json(o) for o in cluster_role_bindings],
            role_bindings=[Binding.from_json(o) for o in role_bindings],
        )

    def cluster_role_bindings(self) -> tuple[Binding, ...]:
        return self._cluster_role_bindings.ordered

    def role_bindings(self, namespace: str) -> tuple[Binding, ...]:
        bindings = self._role_bindings.get(namespace)
        return bindings.ordered if bindings is not None else ()

    def role_ref_rules(self, ref: RoleRef, binding_namespace: str) -> tuple[PolicyRule, ...]:
        """``GetRoleReferenceRules``: the rules a binding's roleRef names; raises
        LookupError with Kubernetes' message when the role is missing."""
        if ref.kind == "Role":
            role = self.roles.get((binding_namespace, ref.name))
        elif ref.kind == "ClusterRole":
            role = self.cluster_roles.get(ref.name)
        else:
            raise LookupError(f"unsupported role reference kind: {go_quote(ref.kind)}")
        if role is None:
            raise LookupError(_not_found(ref.kind, ref.name))
        return role.rules

    def visit(self, user: UserInfo, namespace: str) -> Iterator[Grant | LookupError]:
        """Every rule granted to ``user`` by cluster role bindings, then (with a
        ``namespace``) by that namespace's role bindings; problems as LookupErrors.
        Stop iterating as soon as the answer is known."""
        sources = [self._cluster_role_bindings]
        if namespace and namespace in self._role_bindings:
            sources.append(self._role_bindings[namespace])
        for bindings in sources:
            for binding in bindings.for_user(user):
                subject = binding.first_subject_for(user)
                if subject is None:
                    continue
                try:
                    rules = self.role_ref_rules(binding.role_ref, binding.namespace)
                except LookupError as missing:
                    yield missing
                    continue
                for rule in rules:
                    yield Grant(rule, binding, subject)
