"""The review APIs: questions about the caller, answered, never stored.

``SelfSubjectReview`` (``kubectl auth whoami``) answers who the caller is.
The access reviews (``kubectl auth can-i``) are the authorizer's to answer:
``authz.reviews``.

``TokenReview`` asks whether a bearer token authenticates, and as whom: the
token is checked by the service account token authenticator
(``auth.serviceaccount_tokens``), the only token authenticator this server
has. Its answer reads as Kubernetes' authenticator chain reports it: a token
no authenticator recognises is ``invalid bearer token``; one the service
account authenticator rejects is ``[invalid bearer token, <its reason>]``;
a valid one names the user, in ``system:authenticated`` as every
authenticated user is, and the audiences both sides accept.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.authentication.v1 import TokenReview
from kubeling.apiserver.auth.serviceaccount_tokens import InvalidTokenError, ServiceAccountTokens
from kubeling.apiserver.rest.decoding import check_fields, check_kind
from kubeling.apiserver.rest.options import WriteOptions

__all__ = ["REVIEW_RESOURCES", "answer_review", "review_token"]

_INVALID_BEARER_TOKEN = "invalid bearer token"

Obj = dict[str, Any]

REVIEW_RESOURCES = frozenset(
    {
        ("authentication.k8s.io", "selfsubjectreviews"),
        ("authentication.k8s.io", "tokenreviews"),
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
    if plural != "selfsubjectreviews":
        raise ValueError(f"{group}/{plural} is not a review of who the caller is")
    review["status"] = {"userInfo": _user_info(user, groups)}
    return review


async def review_token(
    body: Any,
    *,
    tokens: ServiceAccountTokens | None,
    options: WriteOptions,
    duplicates: Sequence[str] = (),
) -> Obj:
    """A TokenReview with its ``status`` filled in (what a create returns).

    ``spec.audiences`` default to the API server's. ``tokens`` is None when
    the server has no service account signing key: no token is then ours.
    """
    gvk = TokenReview.gvk
    assert gvk is not None
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    check_kind(body, gvk)
    review = copy.deepcopy(body)
    check_fields(review, type=TokenReview, gvk=gvk, options=options, duplicates=duplicates)
    spec = review.get("spec") or {}
    token = spec.get("token") or ""
    if not token:
        raise errors.bad_request("token is required for TokenReview in authentication")
    meta = review.get("metadata") or {}
    meta.setdefault("creationTimestamp", None)
    review.update(apiVersion=gvk.api_version, kind=gvk.kind, metadata=meta, spec=spec)
    try:
        result = (
            await tokens.verify(token, audiences=spec.get("audiences") or ())
            if tokens is not None
            else None
        )
    except InvalidTokenError as err:
        review["status"] = {"user": {}, "error": f"[{_INVALID_BEARER_TOKEN}, {err}]"}
        return review
    if result is None:
        review["status"] = {"user": {}, "error": _INVALID_BEARER_TOKEN}
        return review
    user = result.user
    groups = _user_info(user.username, list(user.groups))["groups"]
    info: Obj = {"username": user.username, "uid": user.uid, "groups": groups}
    if user.extra:
        info["extra"] = user.extra
    review["status"] = {
        "authenticated": True,
        "user": info,
        "audiences": list(result.audiences),
    }
    return review
