"""rbac.authorization.k8s.io/v1: roles, cluster roles and their bindings.

Field numbers come from ``k8s.io/api/rbac/v1/generated.proto``; ``required``
follows the published OpenAPI (``PolicyRule.verbs``, ``*Binding.roleRef``, the
three RoleRef fields, ``Subject.kind``/``name``). None of the rbac lists
carries a ``+listType`` or patch strategy, so a strategic merge patch replaces
them whole, as it does upstream.

ClusterRole ``aggregationRule`` is what the clusterrole-aggregation controller
watches; the rules it writes back are ordinary ``rules``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    STRING,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
    list_kind,
)

__all__ = [
    "AggregationRule",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "ClusterRoleList",
    "PolicyRule",
    "Role",
    "RoleBinding",
    "RoleBindingList",
    "RoleList",
    "RoleRef",
    "Subject",
]

GROUP = "rbac.authorization.k8s.io"
VERSION = "v1"

_OBJECT_META = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
_LABEL_SELECTOR = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")

_KINDS = Kinds("io.k8s.api.rbac.v1.", GROUP, VERSION, TYPE_META_TERSE)
_METADATA = Field("metadata", 1, _OBJECT_META, "Standard object's metadata.")


PolicyRule = Object(
    "io.k8s.api.rbac.v1.PolicyRule",
    "A policy rule: which verbs are allowed on which resources or non-resource URLs.",
    [
        Field(
            "verbs", 1, ListOf(STRING), "Verbs allowed by this rule; '*' means all.", required=True
        ),
        Field("apiGroups", 2, ListOf(STRING), "API groups of the resources; '' is core, '*' all."),
        Field("resources", 3, ListOf(STRING), "Resources this rule applies to; '*' means all."),
        Field("resourceNames", 4, ListOf(STRING), "Optional allow-list of object names."),
        Field("nonResourceURLs", 5, ListOf(STRING), "Partial URLs; '*' only as the final step."),
    ],
)

AggregationRule = Object(
    "io.k8s.api.rbac.v1.AggregationRule",
    "How to locate ClusterRoles to aggregate into a ClusterRole.",
    [
        Field(
            "clusterRoleSelectors",
            1,
            ListOf(_LABEL_SELECTOR),
            "Selectors of ClusterRoles whose rules are aggregated; any match counts.",
        ),
    ],
)

RoleRef = Object(
    "io.k8s.api.rbac.v1.RoleRef",
    "A reference to the role being bound.",
    [
        Field("apiGroup", 1, STRING, "API group of the referenced role.", required=True),
        Field("kind", 2, STRING, "Kind of the referenced role.", required=True),
        Field("name", 3, STRING, "Name of the referenced role.", required=True),
    ],
    atomic=True,
)

Subject = Object(
    "io.k8s.api.rbac.v1.Subject",
    "An object or user identity a role binding applies to.",
    [
        Field(
            "kind",
            1,
            STRING,
            "Kind of subject: User, Group or ServiceAccount.",
            required=True,
        ),
        Field("apiGroup", 2, STRING, "API group of the subject; '' for ServiceAccount."),
        Field("name", 3, STRING, "Name of the subject.", required=True),
        Field("namespace", 4, STRING, "Namespace of the subject, for namespaced kinds."),
    ],
    atomic=True,
)

Role = _KINDS.kind(
    "Role",
    "A namespaced, logical grouping of PolicyRules.",
    [
        _METADATA,
        Field("rules", 2, ListOf(PolicyRule), "The PolicyRules of this Role."),
    ],
)

ClusterRole = _KINDS.kind(
    "ClusterRole",
    "A cluster-level, logical grouping of PolicyRules.",
    [
        _METADATA,
        Field("rules", 2, ListOf(PolicyRule), "The PolicyRules of this ClusterRole."),
        Field(
            "aggregationRule",
            3,
            AggregationRule,
            "If set, rules are controller-managed and built from matching ClusterRoles.",
        ),
    ],
)

RoleBinding = _KINDS.kind(
    "RoleBinding",
    "Grants the permissions of a Role or ClusterRole within a namespace.",
    [
        _METADATA,
        Field("subjects", 2, ListOf(Subject), "The objects the role applies to."),
        Field(
            "roleRef",
            3,
            RoleRef,
            "A Role in this namespace or a ClusterRole; immutable.",
            required=True,
        ),
    ],
)

ClusterRoleBinding = _KINDS.kind(
    "ClusterRoleBinding",
    "Grants the permissions of a ClusterRole cluster-wide.",
    [
        _METADATA,
        Field("subjects", 2, ListOf(Subject), "The objects the role applies to."),
        Field("roleRef", 3, RoleRef, "The ClusterRole being bound; immutable.", required=True),
    ],
)

RoleList = list_kind(Role, "A list of Roles.", "The Roles.")

ClusterRoleList = list_kind(ClusterRole, "A list of ClusterRoles.", "The ClusterRoles.")

RoleBindingList = list_kind(RoleBinding, "A list of RoleBindings.", "The RoleBindings.")

ClusterRoleBindingList = list_kind(
    ClusterRoleBinding, "A list of ClusterRoleBindings.", "The ClusterRoleBindings."
)
