"""AdmissionReview: the request as JSON, and the checks on a webhook's answer."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.webhook.equivalents import GroupVersionResource
from kubeling.apiserver.admission.webhook.review import (
    AdmissionRequest,
    InvalidResponse,
    review_version,
    verify_response,
)

HPA_V2 = GroupVersionKind("autoscaling", "v2", "HorizontalPodAutoscaler")
HPA_V1 = GroupVersionKind("autoscaling", "v1", "HorizontalPodAutoscaler")


def test_request_json() -> None:
    """Every AdmissionRequest field, named as admission.k8s.io/v1 names it."""
    request = AdmissionRequest(
        uid="0d1f",
        kind=HPA_V2,
        resource=GroupVersionResource("autoscaling", "v2", "horizontalpodautoscalers"),
        sub_resource="status",
        request_kind=HPA_V1,
        request_resource=GroupVersionResource("autoscaling", "v1", "horizontalpodautoscalers"),
        request_sub_resource="status",
        name="web",
        namespace="default",
        operation="UPDATE",
        user=UserInfo("jane", uid="u1", groups=("dev",), extra={"scopes": ("a",)}),
        obj={"kind": "HorizontalPodAutoscaler"},
        old_obj={"kind": "HorizontalPodAutoscaler", "old": True},
        dry_run=True,
        options={"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
    )
    assert request.review("v1") == {
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": "0d1f",
            "kind": {"group": "autoscaling", "version": "v2", "kind": "HorizontalPodAutoscaler"},
            "resource": {
                "group": "autoscaling",
                "version": "v2",
                "resource": "horizontalpodautoscalers",
            },
            "subResource": "status",
            "requestKind": {
                "group": "autoscaling",
                "version": "v1",
                "kind": "HorizontalPodAutoscaler",
            },
            "requestResource": {
                "group": "autoscaling",
                "version": "v1",
                "resource": "horizontalpodautoscalers",
            },
            "requestSubResource": "status",
            "name": "web",
            "namespace": "default",
            "operation": "UPDATE",
            "userInfo": {
                "username": "jane",
                "uid": "u1",
                "groups": ["dev"],
                "extra": {"scopes": ["a"]},
            },
            "object": {"kind": "HorizontalPodAutoscaler"},
            "oldObject": {"kind": "HorizontalPodAutoscaler", "old": True},
            "dryRun": True,
            "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }


def test_request_json_leaves_out_empty_fields() -> None:
    """A create with a generated name has no name, subresource or old object."""
    pods = GroupVersionResource("", "v1", "pods")
    pod = GroupVersionKind("", "v1", "Pod")
    request = AdmissionRequest(
        "u", pod, pods, "", pod, pods, "", "", "default", "CREATE",
        UserInfo("jane"), {"kind": "Pod"}, None, False, None,
    )  # fmt: skip
    body = request.to_api()
    assert "name" not in body
    assert "subResource" not in body
    assert "requestSubResource" not in body
    assert body["oldObject"] is None
    assert body["dryRun"] is False
    assert body["resource"] == {"group": "", "version": "v1", "resource": "pods"}


@pytest.mark.parametrize(
    ("accepted", "chosen"),
    [(["v1"], "v1"), (["v1beta1", "v1"], "v1beta1"), (["v2", "v1"], "v1"), (["v2"], None)],
)
def test_review_version(accepted: list[str], chosen: str | None) -> None:
    """The first listed version the server speaks."""
    assert review_version(accepted) == chosen


def _review(response: Any, *, api_version: str = "admission.k8s.io/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "AdmissionReview", "response": response}


PATCH = "W3sib3AiOiJhZGQiLCJwYXRoIjoiL2EiLCJ2YWx1ZSI6MX1d"  # [{"op":"add","path":"/a","value":1}]


@pytest.mark.parametrize(
    ("review", "mutating", "message"),
    [
        ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, False,
         "webhook response was absent"),
        (_review({"uid": "other", "allowed": True}), False,
         'expected response.uid="u1", got "other"'),
        (_review({"uid": "u1", "allowed": True}, api_version="admission.k8s.io/v1beta1"), False,
         "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
         "admission.k8s.io/v1beta1, Kind=AdmissionReview"),
        (_review({"uid": "u1", "allowed": True, "patch": PATCH}), True,
         "webhook returned response.patch but not response.patchType"),
        (_review({"uid": "u1", "allowed": True, "patchType": "JSONPatch"}), True,
         "webhook returned response.patchType but not response.patch"),
        (_review({"uid": "u1", "allowed": True, "patch": PATCH, "patchType": ""}), True,
         'webhook returned invalid response.patchType of ""'),
        (_review({"uid": "u1", "allowed": True, "patch": PATCH}), False,
         "validating webhook may not return response.patch"),
        (_review({"uid": "u1", "allowed": True, "patchType": "JSONPatch"}), False,
         "validating webhook may not return response.patchType"),
        (_review({"uid": "u1", "allowed": "yes"}), False, "response.allowed is not a boolean"),
        (_review({"uid": "u1", "allowed": False, "status": {"code": "403"}}), False,
         "response.status.code is not an integer"),
        (_review({"uid": "u1", "allowed": True, "patch": "%%%", "patchType": "JSONPatch"}), True,
         "response.patch is not valid base64"),
        ([1, 2], False, "the webhook's answer is not an AdmissionReview object"),
    ],
)  # fmt: skip
def test_invalid_responses(review: Any, mutating: bool, message: str) -> None:
    """Answers Kubernetes refuses, with its reasons."""
    with pytest.raises(InvalidResponse) as caught:
        verify_response(review, uid="u1", version="v1", mutating=mutating)
    assert str(caught.value).startswith(message)


def test_valid_response_fields() -> None:
    """A mutating answer: the decoded patch, warnings, audit annotations, status."""
    response = verify_response(
        _review(
            {
                "uid": "u1",
                "allowed": True,
                "patch": PATCH,
                "patchType": "JSONPatch",
                "warnings": ["careful"],
                "auditAnnotations": {"k": "v"},
            }
        ),
        uid="u1",
        version="v1",
        mutating=True,
    )
    assert response.allowed
    assert response.patch == b'[{"op":"add","path":"/a","value":1}]'
    assert response.patch_type == "JSONPatch"
    assert response.warnings == ("careful",)
    assert response.audit_annotations == {"k": "v"}


def test_v1beta1_answers_are_not_checked_for_uid_or_patch_type() -> None:
    """v1beta1 never verified the uid or kind, and a patch is a JSON patch."""
    review = {"response": {"uid": "whatever", "allowed": True, "patch": PATCH}}
    response = verify_response(review, uid="u1", version="v1beta1", mutating=True)
    assert response.patch_type == "JSONPatch"
