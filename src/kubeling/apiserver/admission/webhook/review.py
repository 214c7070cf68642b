"""AdmissionReview: what a webhook is sent and what its answer must look like.

The request (``admission.k8s.io/v1``, or ``v1beta1`` for a webhook that
lists only that) carries a fresh ``uid``; ``kind``/``resource``/
``subResource`` name what the webhook is called with (an equivalent version
under ``matchPolicy: Equivalent``), ``requestKind``/``requestResource``/
``requestSubResource`` what the client asked for. ``object``/``oldObject``
are in the webhook's version; ``options`` are the request's
Create/Update/DeleteOptions.

The answer is checked as ``VerifyAdmissionResponse`` does: a ``response``
must be there; in v1 its ``uid`` must echo the request's and the review must
be ``admission.k8s.io/v1, Kind=AdmissionReview``; a mutating webhook's
``patch`` and ``patchType`` come together (only ``JSONPatch`` is applied); a
validating webhook may return neither. Any violation is a
:class:`InvalidResponse`, which the dispatchers report as
``received invalid webhook response: <reason>``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.authentication.user import UserInfo
from kubeling.api.goformat import go_quote
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.webhook.equivalents import GroupVersionResource

__all__ = [
    "SUPPORTED_VERSIONS",
    "AdmissionRequest",
    "AdmissionResponse",
    "InvalidResponse",
    "review_version",
    "verify_response",
]

_GROUP: Final = "admission.k8s.io"
#: The AdmissionReview versions this server can send, in its order of preference.
SUPPORTED_VERSIONS: Final = ("v1", "v1beta1")


class InvalidResponse(ValueError):
    """The webhook's answer is not a usable AdmissionReview."""


def review_version(accepted: Sequence[str]) -> str | None:
    """The first of the webhook's ``admissionReviewVersions`` this server speaks.

    >>> review_version(["v2", "v1beta1", "v1"])
    'v1beta1'
    """
    return next((v for v in accepted if v in SUPPORTED_VERSIONS), None)


def _gvk(gvk: GroupVersionKind) -> dict[str, str]:
    return {"group": gvk.group, "version": gvk.version, "kind": gvk.kind}


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """One webhook call's ``request`` (an ``AdmissionRequest``)."""

    uid: str
    kind: GroupVersionKind
    resource: GroupVersionResource
    sub_resource: str
    request_kind: GroupVersionKind
    request_resource: GroupVersionResource
    request_sub_resource: str
    name: str
    namespace: str
    operation: str
    user: UserInfo
    obj: Mapping[str, Any] | None
    old_obj: Mapping[str, Any] | None
    dry_run: bool
    options: Mapping[str, Any] | None

    def to_api(self) -> dict[str, Any]:
        """The request as JSON, ``omitempty`` fields left out as Go leaves them.

        ``object``, ``oldObject`` and ``options`` are ``null`` when absent (a
        ``RawExtension`` with no object encodes as ``null``).
        """
        out: dict[str, Any] = {
            "uid": self.uid,
            "kind": _gvk(self.kind),
            "resource": self.resource.to_api(),
        }
        if self.sub_resource:
            out["subResource"] = self.sub_resource
        out["requestKind"] = _gvk(self.request_kind)
        out["requestResource"] = self.request_resource.to_api()
        if self.request_sub_resource:
            out["requestSubResource"] = self.request_sub_resource
        if self.name:
            out["name"] = self.name
        if self.namespace:
            out["namespace"] = self.namespace
        out["operation"] = self.operation
        user = self.user.to_api()
        # Kubernetes always sends an extra map (possibly empty) and omits only empty strings.
        out["userInfo"] = user
        out["object"] = self.obj
        out["oldObject"] = self.old_obj
        out["dryRun"] = self.dry_run
        out["options"] = self.options
        return out

    def review(self, version: str) -> dict[str, Any]:
        """The whole ``AdmissionReview`` to POST, in ``version``."""
        return {
            "kind": "AdmissionReview",
            "apiVersion": f"{_GROUP}/{version}",
            "request": self.to_api(),
        }


@dataclass(frozen=True, slots=True)
class AdmissionResponse:
    """The parts of a webhook's answer the dispatchers act on."""

    allowed: bool
    result: Mapping[str, Any] | None = None
    #: The decoded JSON patch document (the bytes behind ``response.patch``).
    patch: bytes | None = None
    patch_type: str = ""
    warnings: tuple[str, ...] = ()
    audit_annotations: Mapping[str, str] = field(default_factory=dict)


def _response(review: Any) -> Mapping[str, Any]:
    if not isinstance(review, Mapping):
        raise InvalidResponse("the webhook's answer is not an AdmissionReview object")
    response = review.get("response")
    if response is None:
        raise InvalidResponse("webhook response was absent")
    if not isinstance(response, Mapping):
        raise InvalidResponse("response is not an object")
    return response


def _result(response: Mapping[str, Any]) -> Mapping[str, Any] | None:
    result = response.get("status")
    if result is None:
        return None
    if not isinstance(result, Mapping):
        raise InvalidResponse("response.status is not a Status object")
    code = result.get("code", 0)
    if not isinstance(code, int) or isinstance(code, bool):
        raise InvalidResponse("response.status.code is not an integer")
    for key in ("message", "reason", "status"):
        if not isinstance(result.get(key, ""), str):
            raise InvalidResponse(f"response.status.{key} is not a string")
    return result


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidResponse(f"response.{name} is not a list of strings")
    return tuple(value)


def _annotations(value: Any) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidResponse("response.auditAnnotations is not a map of strings")
    return {str(k): v for k, v in value.items()}


def _patch(response: Mapping[str, Any]) -> bytes | None:
    raw = response.get("patch")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidResponse("response.patch is not a base64 string")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidResponse(f"response.patch is not valid base64: {err}") from None


def verify_response(review: Any, *, uid: str, version: str, mutating: bool) -> AdmissionResponse:
    """Check a webhook's decoded answer; raises :class:`InvalidResponse`.

    >>> verify_response({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
    ...     "response": {"uid": "u1", "allowed": False}}, uid="u1", version="v1", mutating=False)
    AdmissionResponse(allowed=False, result=None, patch=None, patch_type='', warnings=(), \
audit_annotations={})
    """
    response = _response(review)
    patch = _patch(response) if mutating else None
    patch_type = response.get("patchType")
    if version == "v1":
        got_uid = response.get("uid", "")
        if got_uid != uid:
            raise InvalidResponse(
                f"expected response.uid={go_quote(uid)}, got {go_quote(str(got_uid))}"
            )
        api_version, kind = review.get("apiVersion", ""), review.get("kind", "")
        if (api_version, kind) != (f"{_GROUP}/v1", "AdmissionReview"):
            group, _, got_version = str(api_version).rpartition("/")
            # schema.GroupVersionKind.String(): "<group>/<version>, Kind=<kind>".
            raise InvalidResponse(
                f"expected webhook response of {_GROUP}/v1, Kind=AdmissionReview, got "
                f"{group}/{got_version}, Kind={kind}"
            )
        if mutating:
            if patch is not None and patch_type is None:
                raise InvalidResponse("webhook returned response.patch but not response.patchType")
            if patch is None and patch_type is not None:
                raise InvalidResponse("webhook returned response.patchType but not response.patch")
            if patch_type is not None and not patch_type:
                raise InvalidResponse(
                    f"webhook returned invalid response.patchType of {go_quote(str(patch_type))}"
                )
        else:
            if response.get("patch"):
                raise InvalidResponse("validating webhook may not return response.patch")
            if patch_type is not None:
                raise InvalidResponse("validating webhook may not return response.patchType")
    elif patch is not None:
        # v1beta1 never checked the patch type: a patch is a JSON patch.
        patch_type = "JSONPatch"
    allowed = response.get("allowed", False)
    if not isinstance(allowed, bool):
        raise InvalidResponse("response.allowed is not a boolean")
    return AdmissionResponse(
        allowed=allowed,
        result=_result(response),
        patch=patch,
        patch_type=str(patch_type or "") if patch is not None else "",
        warnings=_strings(response.get("warnings"), "warnings"),
        audit_annotations=_annotations(response.get("auditAnnotations")),
    )
