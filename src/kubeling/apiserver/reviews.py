"""The review APIs: questions about the caller, answered, never stored.

``SelfSubjectReview`` (``kubectl auth whoami``) answers who the caller is.
The access reviews (``kubectl auth can-i``) answer what the authorizer says.
Until RBAC lands (issue 7) the authorizer allows every authenticated request
(Kubernetes' ``AlwaysAllow`` mode), so they say yes to everything, which is
the truth about this server today.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["REVIEW_RESOURCES", "answer_review"]

Obj = dict[str, Any]

REVIEW_RESOURCES = frozenset(
    {
        ("authentication.k8s.io", "selfsubjectreviews"),
        ("authorization.k8s.io", "selfsubjectaccessreviews"),
        ("authorization.k8s.io", "subjectaccessreviews"),
        ("authorization.k8s.io", "localsubjectaccessreviews"),
        ("authorization.k8s.io", "selfsubjectrulesreviews"),
    }
)


def _user_info(user: str, groups: list[str]) -> Obj:
    all_groups = [*groups]
    if "system:authenticated" not in all_groups:
        all_groups.append("system:authenticated")
    return {"username": user, "groups": all_groups}


def answer_review(
    group: str,
    plural: str,
    body: Obj,
    *,
    user: str,
    groups: list[str],
    api_version: str,
    kind: str,
) -> Obj:
    """The review with its ``status`` filled in (what a create returns)."""
    review = copy.deepcopy(body)
    review["apiVersion"] = api_version
    review["kind"] = kind
    meta = review.setdefault("metadata", {})
    meta.setdefault("creationTimestamp", None)
    if plural == "selfsubjectreviews":
        review["status"] = {"userInfo": _user_info(user, groups)}
    elif plural == "selfsubjectrulesreviews":
        review["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:
        review["status"] = {"allowed": True}
    return review
