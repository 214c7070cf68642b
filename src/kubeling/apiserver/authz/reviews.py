"""The access reviews, answered by the authorizer: authorization.k8s.io/v1.

- **SubjectAccessReview**: may this user (``spec.user``, ``groups``, ``uid``,
  ``extra``) do this (``resourceAttributes`` or ``nonResourceAttributes``)?
- **LocalSubjectAccessReview**: the same, in the namespace of the request.
- **SelfSubjectAccessReview**: may *I* do this? (``kubectl auth can-i``)
- **SelfSubjectRulesReview**: what may I do in this namespace? (``kubectl
  auth can-i --list``): the rules the chain's resolvers list, ``incomplete``
  when one cannot list them all, and an ``evaluationError`` (a binding to a
  missing role...) that does not stop the rest.

The question is put to the same authorizer chain that guards every request,
so the answers are what the server would do. Bodies are decoded as any
written object is (unknown fields and wrong types refused as
``fieldValidation`` says) and validated as Kubernetes validates them;
nothing is stored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.authorization import v1
from kubeling.api.field import FieldError, aggregate_message, invalid
from kubeling.api.goformat import go_quote
from kubeling.api.groupversion import GroupKind
from kubeling.api.schema import Object
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Authorizer, Decision, RuleResolver
from kubeling.apiserver.authz.user import UserInfo
from kubeling.apiserver.rest.decoding import check_fields, check_kind
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.strategies.govalues import GoValue

__all__ = ["ACCESS_REVIEWS", "answer_access_review"]

Obj = dict[str, Any]

GROUP: Final = "authorization.k8s.io"

#: The reviews this module answers, by plural.
ACCESS_REVIEWS: Final[dict[str, Object]] = {
    "subjectaccessreviews": v1.SubjectAccessReview,
    "localsubjectaccessreviews": v1.LocalSubjectAccessReview,
    "selfsubjectaccessreviews": v1.SelfSubjectAccessReview,
    "selfsubjectrulesreviews": v1.SelfSubjectRulesReview,
}

_EXACTLY_ONE: Final = "exactly one of nonResourceAttributes or resourceAttributes must be specified"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _non_resource_value(attributes: Any) -> GoValue:
    """NonResourceAttributes as a field error shows them (Go's ``%#v``)."""
    values = _map(attributes)
    path, verb = go_quote(str(values.get("path") or "")), go_quote(str(values.get("verb") or ""))
    return GoValue(f"authorization.NonResourceAttributes{{Path:{path}, Verb:{verb}}}")


def _attributes_errors(spec: Mapping[str, Any]) -> list[FieldError]:
    """``ValidateSelfSubjectAccessReviewSpec``: exactly one kind of attributes."""
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        return [
            invalid(
                "spec.nonResourceAttributes",
                _non_resource_value(non_resource),
                "cannot be specified in combination with resourceAttributes",
            )
        ]
    if resource is None and non_resource is None:
        return [invalid("spec.resourceAttributes", "null", _EXACTLY_ONE)]
    return []


def _metadata_errors(review: Mapping[str, Any], *, allow_namespace: bool) -> list[FieldError]:
    """The metadata of a review must be empty (a local review's may name its namespace)."""
    # zero values are empty too: a protobuf body carries ``generation: 0``
    meta = {
        k: v
        for k, v in _map(review.get("metadata")).items()
        if v not in (None, "", 0, [], {})
        and k not in ("managedFields", "creationTimestamp")
        and not (allow_namespace and k == "namespace")
    }
    if not meta:
        return []
    detail = "must be empty except for namespace" if allow_namespace else "must be empty"
    return [invalid("metadata", meta, detail)]


def _user_of(spec: Mapping[str, Any]) -> UserInfo:
    extra = _map(spec.get("extra"))
    return UserInfo(
        name=str(spec.get("user") or ""),
        uid=str(spec.get("uid") or ""),
        groups=tuple(str(g) for g in spec.get("groups") or ()),
        extra={str(k): tuple(str(v) for v in values or ()) for k, values in extra.items()},
    )


def _attributes(user: UserInfo, spec: Mapping[str, Any]) -> Attributes:
    """``ResourceAttributesFrom`` / ``NonResourceAttributesFrom``."""
    resource = spec.get("resourceAttributes")
    if resource is not None:
        r = _map(resource)
        return Attributes(
            user=user,
            verb=str(r.get("verb") or ""),
            resource_request=True,
            namespace=str(r.get("namespace") or ""),
            api_group=str(r.get("group") or ""),
            api_version=str(r.get("version") or "*"),
            resource=str(r.get("resource") or ""),
            subresource=str(r.get("subresource") or ""),
            name=str(r.get("name") or ""),
        )
    n = _map(spec.get("nonResourceAttributes"))
    return Attributes(
        user=user,
        verb=str(n.get("verb") or ""),
        resource_request=False,
        path=str(n.get("path") or ""),
    )


def _access_status(authorizer: Authorizer, attributes: Attributes) -> Obj:
    result = authorizer.authorize(attributes)
    status: Obj = {"allowed": result.decision is Decision.ALLOW}
    if result.decision is Decision.DENY:
        status["denied"] = True
    if result.reason:
        status["reason"] = result.reason
    return status


def _rules_status(resolver: RuleResolver, user: UserInfo, namespace: str) -> Obj:
    rules = resolver.rules_for(user, namespace)
    status: Obj = {
        "resourceRules": [
            {
                key: list(values)
                for key, values in (
                    ("verbs", r.verbs),
                    ("apiGroups", r.api_groups),
                    ("resources", r.resources),
                    ("resourceNames", r.resource_names),
                )
                if values or key == "verbs"
            }
            for r in rules.resource_rules
        ],
        "nonResourceRules": [
            {"verbs": list(r.verbs), "nonResourceURLs": list(r.non_resource_urls)}
            for r in rules.non_resource_rules
        ],
        "incomplete": rules.incomplete,
    }
    if rules.errors:
        status["evaluationError"] = aggregate_message(rules.errors)
    return status


def answer_access_review(
    plural: str,
    body: Any,
    *,
    requester: UserInfo,
    namespace: str,
    authorizer: Authorizer,
    resolver: RuleResolver,
    options: WriteOptions,
    duplicates: Sequence[str] = (),
) -> Obj:
    """The review of kind ``plural`` with its status filled in (what a create returns).

    ``namespace`` is the request's (a LocalSubjectAccessReview's); ``requester``
    the authenticated user, whom the self reviews are about.
    """
    kind = ACCESS_REVIEWS[plural]
    gvk = kind.gvk
    assert gvk is not None
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    check_kind(body, gvk)
    review = copy.deepcopy(body)
    check_fields(review, type=kind, gvk=gvk, options=options, duplicates=duplicates)
    meta = review.get("metadata")
    if not isinstance(meta, dict):
        meta = review["metadata"] = {}
    spec = _map(review.get("spec"))
    group_kind = GroupKind(GROUP, gvk.kind)
    if plural == "selfsubjectrulesreviews":
        rules_namespace = str(spec.get("namespace") or "")
        if not rules_namespace:
            raise errors.bad_request("no namespace on request")
        # Kubernetes answers with a new review: the status alone.
        return {
            "kind": gvk.kind,
            "apiVersion": gvk.api_version,
            "metadata": {"creationTimestamp": None},
            "spec": {},
            "status": _rules_status(resolver, requester, rules_namespace),
        }
    problems: list[FieldError] = []
    if plural == "localsubjectaccessreviews":
        if not namespace:
            raise errors.bad_request("namespace is required on this type: ")
        if meta.get("namespace") not in (None, "", namespace):
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = namespace
    problems += _attributes_errors(spec)
    if plural != "selfsubjectaccessreviews" and not spec.get("user") and not spec.get("groups"):
        problems.append(
            invalid(
                "spec.user",
                str(spec.get("user") or ""),
                "at least one of user or group must be specified",
            )
        )
    problems += _metadata_errors(review, allow_namespace=plural == "localsubjectaccessreviews")
    if plural == "localsubjectaccessreviews":
        resource = spec.get("resourceAttributes")
        if resource is not None and _map(resource).get("namespace", "") != namespace:
            problems.append(
                invalid(
                    "spec.resourceAttributes.namespace",
                    str(_map(resource).get("namespace") or ""),
                    "must match metadata.namespace",
                )
            )
        if spec.get("nonResourceAttributes") is not None:
            problems.append(
                invalid(
                    "spec.nonResourceAttributes",
                    _non_resource_value(spec.get("nonResourceAttributes")),
                    "disallowed on this kind of request",
                )
            )
    if problems:
        raise errors.invalid(group_kind, "", problems)
    user = requester if plural == "selfsubjectaccessreviews" else _user_of(spec)
    review.update(apiVersion=gvk.api_version, kind=gvk.kind)
    meta.setdefault("creationTimestamp", None)
    review["status"] = _access_status(authorizer, _attributes(user, spec))
    return review
