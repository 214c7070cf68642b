"""Access and rules reviews, answered by the authorizer chain."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.authorizer import (
    PrivilegedGroups,
    UnionAuthorizer,
    UnionRuleResolver,
)
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.authz.reviews import answer_access_review
from kubeling.apiserver.rest.options import WriteOptions
from tests.unit.apiserver.authz._support import binding, policy, role, rule, subject

Obj = dict[str, Any]

POLICY = policy(
    cluster_roles=[
        role("view", rule(["get", "list"], ["pods"]), rule(["get"], urls=["/healthz"])),
    ],
    role_bindings=[
        binding("v", "ClusterRole", "view", subject("Group", "dev"), namespace="team"),
        binding("gone", "Role", "missing", subject("Group", "dev"), namespace="team"),
    ],
)
RBAC = RBACAuthorizer(lambda: POLICY)
CHAIN = UnionAuthorizer([PrivilegedGroups(), RBAC])
ALICE = UserInfo("alice", groups=("dev", "system:authenticated"))


def _answer(plural: str, body: Obj, *, namespace: str = "", requester: UserInfo = ALICE) -> Obj:
    return answer_access_review(
        plural,
        body,
        requester=requester,
        namespace=namespace,
        authorizer=CHAIN,
        resolver=UnionRuleResolver([RBAC]),
        options=WriteOptions(),
    )


def _review(kind: str, spec: Obj, **metadata: Any) -> Obj:
    body: Obj = {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": spec}
    if metadata:
        body["metadata"] = metadata
    return body


LIST_PODS = {"namespace": "team", "verb": "list", "resource": "pods"}


def test_subject_access_review_for_a_user_and_groups() -> None:
    allowed = _answer(
        "subjectaccessreviews",
        _review(
            "SubjectAccessReview",
            {"user": "bob", "groups": ["dev"], "resourceAttributes": LIST_PODS},
        ),
    )
    assert allowed["status"] == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "v/team" of ClusterRole "view" to Group "dev"',
    }
    assert allowed["metadata"] == {"creationTimestamp": None}
    assert allowed["spec"]["user"] == "bob"
    # groups are taken as given: no system:authenticated is added
    denied = _answer(
        "subjectaccessreviews",
        _review("SubjectAccessReview", {"user": "bob", "resourceAttributes": LIST_PODS}),
    )
    assert denied["status"] == {"allowed": False}
    masters = _answer(
        "subjectaccessreviews",
        _review(
            "SubjectAccessReview",
            {"groups": ["system:masters"], "nonResourceAttributes": {"path": "/x", "verb": "get"}},
        ),
    )
    assert masters["status"] == {"allowed": True}


def test_self_subject_access_review_asks_about_the_requester() -> None:
    yes = _answer(
        "selfsubjectaccessreviews",
        _review("SelfSubjectAccessReview", {"resourceAttributes": LIST_PODS}),
    )
    assert yes["status"]["allowed"] is True
    healthz = _answer(
        "selfsubjectaccessreviews",
        _review(
            "SelfSubjectAccessReview",
            {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}},
        ),
    )
    # URL rules apply only through ClusterRoleBindings: "view" is bound in a namespace
    assert healthz["status"]["allowed"] is False
    no = _answer(
        "selfsubjectaccessreviews",
        _review("SelfSubjectAccessReview", {"resourceAttributes": {**LIST_PODS, "verb": "delete"}}),
        requester=UserInfo("nobody"),
    )
    assert no["status"] == {"allowed": False}


def test_local_subject_access_review_is_about_its_namespace() -> None:
    local = _answer(
        "localsubjectaccessreviews",
        _review(
            "LocalSubjectAccessReview",
            {"user": "x", "groups": ["dev"], "resourceAttributes": LIST_PODS},
        ),
        namespace="team",
    )
    assert local["metadata"]["namespace"] == "team"
    assert local["status"]["allowed"] is True
    with pytest.raises(errors.StatusError) as wrong:
        _answer(
            "localsubjectaccessreviews",
            _review("LocalSubjectAccessReview", {"user": "x", "resourceAttributes": LIST_PODS}),
            namespace="other",
        )
    assert wrong.value.code == 422
    assert str(wrong.value) == (
        'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: '
        'spec.resourceAttributes.namespace: Invalid value: "team": must match metadata.namespace'
    )


@pytest.mark.parametrize(
    ("plural", "body", "message"),
    [
        (
            "subjectaccessreviews",
            _review("SubjectAccessReview", {"user": "x"}),
            'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
            'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes '
            "must be specified",
        ),
        (
            "subjectaccessreviews",
            _review("SubjectAccessReview", {"resourceAttributes": LIST_PODS}),
            'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: '
            '"": at least one of user or group must be specified',
        ),
        (
            "selfsubjectaccessreviews",
            _review(
                "SelfSubjectAccessReview",
                {
                    "resourceAttributes": LIST_PODS,
                    "nonResourceAttributes": {"path": "/x", "verb": "get"},
                },
            ),
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: '
            "spec.nonResourceAttributes: Invalid value: "
            'authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be '
            "specified in combination with resourceAttributes",
        ),
        (
            "selfsubjectaccessreviews",
            _review("SelfSubjectAccessReview", {"resourceAttributes": LIST_PODS}, name="named"),
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: metadata: Invalid value: '
            '{"name":"named"}: must be empty',
        ),
    ],
)
def test_invalid_reviews(plural: str, body: Obj, message: str) -> None:
    with pytest.raises(errors.StatusError) as invalid:
        _answer(plural, body)
    assert (invalid.value.code, str(invalid.value)) == (422, message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            _review("SelfSubjectAccessReview", {"resourceAttributes": LIST_PODS, "bogus": 1}),
            'SelfSubjectAccessReview in version "v1" cannot be handled as a '
            'SelfSubjectAccessReview: strict decoding error: unknown field "spec.bogus"',
        ),
        (
            _review("SelfSubjectAccessReview", {"resourceAttributes": {"verb": 3}}),
            'SelfSubjectAccessReview in version "v1" cannot be handled as a '
            "SelfSubjectAccessReview",
        ),
        (
            {**_review("SelfSubjectAccessReview", {}), "kind": "Pod"},
            'Pod in version "v1" cannot be handled as a SelfSubjectAccessReview',
        ),
        (["not", "an", "object"], "the request body must be a JSON object"),
    ],
)
def test_bodies_are_decoded_strictly(body: Any, message: str) -> None:
    with pytest.raises(errors.StatusError) as refused:
        _answer("selfsubjectaccessreviews", body)
    assert refused.value.code == 400
    assert str(refused.value).startswith(message)


def test_self_subject_rules_review_lists_rules_and_problems() -> None:
    answer = _answer(
        "selfsubjectrulesreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview",
            "spec": {"namespace": "team"},
        },
    )
    assert answer == {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": {},
        "status": {
            "resourceRules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
            "incomplete": False,
            "evaluationError": 'role.rbac.authorization.k8s.io "missing" not found',
        },
    }
    with pytest.raises(errors.StatusError) as no_namespace:
        _answer("selfsubjectrulesreviews", {"spec": {}})
    assert (no_namespace.value.code, str(no_namespace.value)) == (400, "no namespace on request")
