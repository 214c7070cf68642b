"""authorization.k8s.io/v1: the access review kinds (``kubectl auth can-i``).

All four kinds are create-only: the server fills in ``status`` and returns the
object without storing it. Field numbers come from
``k8s.io/api/authorization/v1/generated.proto``; ``SubjectAccessReviewStatus``
numbers ``denied`` 4, after ``reason`` 2 and ``evaluationError`` 3.

``ResourceAttributes.fieldSelector``/``labelSelector`` (fields 8 and 9) are the
1.31+ selector-aware authorization attributes. Their ``requirements`` refer to
meta/v1's FieldSelectorRequirement and LabelSelectorRequirement.

``extra`` is ``map[string]ExtraValue`` in Go, where ExtraValue is a named
``[]string``. JSON sees a map of string lists and is declared that way; in
protobuf each map value is an ExtraValue message whose ``items`` is field 1,
which the protobuf codec must apply to a map whose values are lists.
"""

from __future__ import annotations

import kubeling.api.meta.v1  # noqa: F401  (declares the ObjectMeta referred to below)
from kubeling.api.schema import (
    BOOL,
    STRING,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
)

__all__ = [
    "FieldSelectorAttributes",
    "LabelSelectorAttributes",
    "LocalSubjectAccessReview",
    "NonResourceAttributes",
    "NonResourceRule",
    "ResourceAttributes",
    "ResourceRule",
    "SelfSubjectAccessReview",
    "SelfSubjectAccessReviewSpec",
    "SelfSubjectRulesReview",
    "SelfSubjectRulesReviewSpec",
    "SubjectAccessReview",
    "SubjectAccessReviewSpec",
    "SubjectAccessReviewStatus",
    "SubjectRulesReviewStatus",
]

GROUP = "authorization.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.authorization.v1.", GROUP, VERSION, TYPE_META_TERSE)
_METADATA = Field(
    "metadata",
    1,
    Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
    "Standard object's metadata.",
)


FieldSelectorAttributes = Object(
    "io.k8s.api.authorization.v1.FieldSelectorAttributes",
    "A field-selector limit on the access being checked.",
    [
        Field("rawSelector", 1, STRING, "The field selector as it would appear in a query."),
        Field(
            "requirements",
            2,
            ListOf(Ref("io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement")),
            "The parsed field selector; all requirements must match.",
            list_type="atomic",
        ),
    ],
)

LabelSelectorAttributes = Object(
    "io.k8s.api.authorization.v1.LabelSelectorAttributes",
    "A label-selector limit on the access being checked.",
    [
        Field("rawSelector", 1, STRING, "The label selector as it would appear in a query."),
        Field(
            "requirements",
            2,
            ListOf(Ref("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement")),
            "The parsed label selector; all requirements must match.",
            list_type="atomic",
        ),
    ],
)

ResourceAttributes = Object(
    "io.k8s.api.authorization.v1.ResourceAttributes",
    "Authorization attributes of a resource request.",
    [
        Field("namespace", 1, STRING, "Namespace of the action; '' means all or cluster-scoped."),
        Field("verb", 2, STRING, "API verb, like get, list or watch; '*' means all."),
        Field("group", 3, STRING, "API group of the resource; '*' means all."),
        Field("version", 4, STRING, "API version of the resource; '*' means all."),
        Field("resource", 5, STRING, "The resource type; '*' means all."),
        Field("subresource", 6, STRING, "The subresource; '' means none."),
        Field("name", 7, STRING, "Name of the object; '' means all."),
        Field(
            "fieldSelector",
            8,
            FieldSelectorAttributes,
            "A field-selector limit on the access; can only narrow it.",
        ),
        Field(
            "labelSelector",
            9,
            LabelSelectorAttributes,
            "A label-selector limit on the access; can only narrow it.",
        ),
    ],
)

NonResourceAttributes = Object(
    "io.k8s.api.authorization.v1.NonResourceAttributes",
    "Authorization attributes of a non-resource request.",
    [
        Field("path", 1, STRING, "URL path of the request."),
        Field("verb", 2, STRING, "HTTP verb of the request."),
    ],
)

SubjectAccessReviewSpec = Object(
    "io.k8s.api.authorization.v1.SubjectAccessReviewSpec",
    "An access request; exactly one of the attribute kinds is set.",
    [
        Field("resourceAttributes", 1, ResourceAttributes, "A resource access request."),
        Field("nonResourceAttributes", 2, NonResourceAttributes, "A non-resource access request."),
        Field("user", 3, STRING, "The user being tested."),
        Field("groups", 4, ListOf(STRING), "The groups being tested.", list_type="atomic"),
        Field(
            "extra",
            5,
            MapOf(ListOf(STRING)),
            "Extra attributes of the user, as the authenticator reports them.",
        ),
        Field("uid", 6, STRING, "UID of the user being tested."),
    ],
)

SelfSubjectAccessReviewSpec = Object(
    "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec",
    "An access request for the requesting user; exactly one kind is set.",
    [
        Field("resourceAttributes", 1, ResourceAttributes, "A resource access request."),
        Field("nonResourceAttributes", 2, NonResourceAttributes, "A non-resource access request."),
    ],
)

SubjectAccessReviewStatus = Object(
    "io.k8s.api.authorization.v1.SubjectAccessReviewStatus",
    "The result of an access review.",
    [
        Field("allowed", 1, BOOL, "Whether the action would be allowed.", required=True),
        Field("reason", 2, STRING, "Why the request was allowed or denied."),
        Field("evaluationError", 3, STRING, "An error that occurred during the check."),
        Field("denied", 4, BOOL, "Whether the action would be explicitly denied."),
    ],
)

SelfSubjectRulesReviewSpec = Object(
    "io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec",
    "The specification of a SelfSubjectRulesReview.",
    [Field("namespace", 1, STRING, "Namespace to evaluate rules for.")],
)

ResourceRule = Object(
    "io.k8s.api.authorization.v1.ResourceRule",
    "Actions the subject may perform on resources.",
    [
        Field(
            "verbs",
            1,
            ListOf(STRING),
            "API verbs allowed; '*' means all.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "apiGroups",
            2,
            ListOf(STRING),
            "API groups of the resources; '*' means all.",
            list_type="atomic",
        ),
        Field(
            "resources",
            3,
            ListOf(STRING),
            "Resources the rule applies to; '*' means all.",
            list_type="atomic",
        ),
        Field(
            "resourceNames",
            4,
            ListOf(STRING),
            "Optional allow-list of object names; '*' means all.",
            list_type="atomic",
        ),
    ],
)

NonResourceRule = Object(
    "io.k8s.api.authorization.v1.NonResourceRule",
    "Actions the subject may perform on non-resource URLs.",
    [
        Field(
            "verbs",
            1,
            ListOf(STRING),
            "Non-resource verbs allowed, like get or post; '*' means all.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "nonResourceURLs",
            2,
            ListOf(STRING),
            "Partial URLs; '*' only as the final step.",
            list_type="atomic",
        ),
    ],
)

SubjectRulesReviewStatus = Object(
    "io.k8s.api.authorization.v1.SubjectRulesReviewStatus",
    "The result of a rules check; possibly incomplete.",
    [
        Field(
            "resourceRules",
            1,
            ListOf(ResourceRule),
            "Actions allowed on resources.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "nonResourceRules",
            2,
            ListOf(NonResourceRule),
            "Actions allowed on non-resource URLs.",
            required=True,
            list_type="atomic",
        ),
        Field("incomplete", 3, BOOL, "Whether the returned rules are incomplete.", required=True),
        Field("evaluationError", 4, STRING, "An error that occurred during rule evaluation."),
    ],
)

SubjectAccessReview = _KINDS.kind(
    "SubjectAccessReview",
    "Checks whether a user or group can perform an action.",
    [
        _METADATA,
        Field("spec", 2, SubjectAccessReviewSpec, "The request being evaluated.", required=True),
        Field("status", 3, SubjectAccessReviewStatus, "Whether the request is allowed."),
    ],
)

SelfSubjectAccessReview = _KINDS.kind(
    "SelfSubjectAccessReview",
    "Checks whether the requesting user can perform an action.",
    [
        _METADATA,
        Field(
            "spec",
            2,
            SelfSubjectAccessReviewSpec,
            "The request being evaluated.",
            required=True,
        ),
        Field("status", 3, SubjectAccessReviewStatus, "Whether the request is allowed."),
    ],
)

LocalSubjectAccessReview = _KINDS.kind(
    "LocalSubjectAccessReview",
    "Checks whether a user or group can perform an action in one namespace.",
    [
        _METADATA,
        Field(
            "spec",
            2,
            SubjectAccessReviewSpec,
            "The request being evaluated; its namespace must be the request's.",
            required=True,
        ),
        Field("status", 3, SubjectAccessReviewStatus, "Whether the request is allowed."),
    ],
)

SelfSubjectRulesReview = _KINDS.kind(
    "SelfSubjectRulesReview",
    "The actions the requesting user can perform within a namespace.",
    [
        _METADATA,
        Field(
            "spec",
            2,
            SelfSubjectRulesReviewSpec,
            "The request being evaluated.",
            required=True,
        ),
        Field("status", 3, SubjectRulesReviewStatus, "The actions the user can perform."),
    ],
)
