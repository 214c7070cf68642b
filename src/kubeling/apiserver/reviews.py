"""The review APIs: questions about the caller, answered, never stored.

``SelfSubjectReview`` (``kubectl auth whoami``) answers who the caller is.
The access reviews (``kubectl auth can-i``) are the authorizer's to answer:
``authz.reviews``.

``TokenReview`` asks whether a bearer token authenticates, and as whom: the
token goes through the API server's token authenticators
(``authn.token_review``: static tokens, service account tokens, bootstrap
tokens). Its answer reads as Kubernetes' authenticator chain reports it: a
token no authenticator recognises is ``invalid bearer token``; one an
authenticator rejects is ``[invalid bearer token, <its reason>]``; a valid one
names the user, in ``system:authenticated`` as every authenticated user is,
and the audiences both sides accept.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.api.authentication.v1 import TokenReview
from kubeling.apiserver.authn.bearer_token import INVALID_BEARER_TOKEN
from kubeling.apiserver.authn.token_review import TokenReviewer
from kubeling.apiserver.rest.decoding import check_fields, check_kind
from kubeling.apiserver.rest.options import WriteOptions

__all__ = ["REVIEW_RESOURCES", "answer_review", "review_token"]

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


def answer_review(
    group: str,
    plural: str,
    body: Obj,
    *,
    user: UserInfo,
    api_version: str,
    kind: str,
) -> Obj:
    """The review with its ``status`` filled in (what a create returns) for the
    request's ``user``."""
    review = copy.deepcopy(body)
    review["apiVersion"] = api_version
    review["kind"] = kind
    meta = review.setdefault("metadata", {})
    meta.setdefault("creationTimestamp", None)
    if plural != "selfsubjectreviews":
        raise ValueError(f"{group}/{plural} is not a review of who the caller is")
    review["status"] = {"userInfo": user.to_api()}
    return review


async def review_token(
    body: Any,
    *,
    reviewer: TokenReviewer | None,
    options: WriteOptions,
    duplicates: Sequence[str] = (),
) -> Obj:
    """A TokenReview with its ``status`` filled in (what a create returns).

    ``spec.audiences`` default to the API server's. ``reviewer`` is None when
    the server has no token authenticator: no token is then recognised.
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
    if reviewer is None:
        review["status"] = {"user": {}, "error": INVALID_BEARER_TOKEN}
        return review
    result = await reviewer.review(token, audiences=spec.get("audiences") or ())
    if result.user is None:
        review["status"] = {"user": {}, "error": result.error}
        return review
    review["status"] = {
        "authenticated": True,
        "user": result.user.to_api(),
        "audiences": list(result.audiences),
    }
    return review
