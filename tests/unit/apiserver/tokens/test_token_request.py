"""serviceaccounts/<name>/token: defaults, validation, binding, lifetimes, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.api.errors import StatusError
from kubeling.apiserver.auth import jwt
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.token_request import TokenRequests
from kubeling.apiserver.warnings import collect_warnings
from tests.unit.apiserver.tokens._support import NOW, FakeClock, FakeObjects, make_tokens

ISSUER = "https://kubernetes.default.svc.cluster.local"
YEAR = 365 * 24 * 3600


@pytest.fixture
def objects() -> FakeObjects:
    objects = FakeObjects()
    objects.put("ServiceAccount", "dev", "builder", "sa-uid")
    objects.put("Pod", "dev", "web", "pod-uid", spec={"serviceAccountName": "builder"})
    objects.put(
        "Pod",
        "dev",
        "placed",
        "placed-uid",
        spec={"serviceAccountName": "builder", "nodeName": "node-1"},
    )
    objects.put("Pod", "dev", "stranger", "s-uid", spec={"serviceAccountName": "other"})
    objects.put("Node", "", "node-1", "node-uid")
    objects.put("Secret", "dev", "creds", "secret-uid")
    return objects


@pytest.fixture
def requests(signing_key: rsa.RSAPrivateKey, objects: FakeObjects) -> TokenRequests:
    return TokenRequests(make_tokens(signing_key, objects, FakeClock()), objects)


async def _create(
    requests: TokenRequests, body: Any, *, name: str = "builder", validation: str = "Strict"
) -> dict[str, Any]:
    options = WriteOptions(field_validation=validation)
    return await requests.create("dev", name, body, options)


def _claims(answer: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(jwt.b64url_decode(answer["status"]["token"].split(".")[1]))
    return claims


def _bound(kind: str, name: str, uid: str = "", api_version: str = "v1") -> dict[str, Any]:
    ref = {"kind": kind, "apiVersion": api_version, "name": name}
    if uid:
        ref["uid"] = uid
    return {"spec": {"boundObjectRef": ref}}


async def test_an_empty_request_gets_kubernetes_defaults(requests: TokenRequests) -> None:
    """3600 s, the API server's audiences, name, namespace and creationTimestamp filled."""
    answer = await _create(requests, {})
    assert answer == {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": "builder",
            "namespace": "dev",
            "creationTimestamp": "2027-01-15T08:00:00Z",
        },
        "spec": {"audiences": [ISSUER], "expirationSeconds": 3600, "boundObjectRef": None},
        "status": {
            "token": answer["status"]["token"],
            "expirationTimestamp": "2027-01-15T09:00:00Z",
        },
    }
    claims = _claims(answer)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] == int(NOW)
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "builder", "uid": "sa-uid"}


async def test_audiences_and_lifetime_as_asked(requests: TokenRequests) -> None:
    """Requested audiences and expirationSeconds are used as they are."""
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "metadata": {"name": "builder", "namespace": "dev"},
        "spec": {"audiences": ["vault", "api"], "expirationSeconds": 7200},
    }
    answer = await _create(requests, body)
    assert answer["spec"]["audiences"] == ["vault", "api"]
    assert answer["status"]["expirationTimestamp"] == "2027-01-15T10:00:00Z"
    claims = _claims(answer)
    assert (claims["aud"], claims["exp"] - claims["iat"]) == (["vault", "api"], 7200)


@pytest.mark.parametrize(
    ("seconds", "detail"),
    [
        (10, "may not specify a duration less than 10 minutes"),
        (599, "may not specify a duration less than 10 minutes"),
        ((1 << 32) + 1, "may not specify a duration larger than 2^32 seconds"),
    ],
)
async def test_lifetime_bounds_are_422(requests: TokenRequests, seconds: int, detail: str) -> None:
    """Below 10 minutes or above 2^32 s: 422 Invalid, reported for name "" as Kubernetes does."""
    with pytest.raises(StatusError) as info:
        await _create(requests, {"spec": {"expirationSeconds": seconds}})
    err = info.value
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == (
        f'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
        f"Invalid value: {seconds}: {detail}"
    )
    status = err.to_status()
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": f"Invalid value: {seconds}: {detail}",
            "field": "spec.expirationSeconds",
        }
    ]


async def test_the_minimum_lifetime_is_allowed(requests: TokenRequests) -> None:
    """Exactly 600 s is fine."""
    answer = await _create(requests, {"spec": {"expirationSeconds": 600}})
    assert answer["spec"]["expirationSeconds"] == 600


async def test_missing_service_account_is_404(requests: TokenRequests) -> None:
    """No such service account: 404 with Kubernetes' message."""
    with pytest.raises(StatusError) as info:
        await _create(requests, {}, name="ghost")
    assert (info.value.code, info.value.message) == (404, 'serviceaccounts "ghost" not found')


async def test_body_name_must_match(requests: TokenRequests) -> None:
    """A name in the body other than the service account's is 422 on metadata.name."""
    with pytest.raises(StatusError) as info:
        await _create(requests, {"metadata": {"name": "other"}})
    assert info.value.code == 422
    assert info.value.message == (
        'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid '
        'value: "other": must match the service account name if specified'
    )


async def test_body_namespace_must_match(requests: TokenRequests) -> None:
    """A namespace in the body other than the URL's is 400, as for every create."""
    with pytest.raises(StatusError) as info:
        await _create(requests, {"metadata": {"namespace": "prod"}})
    assert (info.value.code, info.value.message) == (
        400,
        "the namespace of the provided object does not match the namespace sent on the request",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"spec": {"expirationSeconds": "1h"}},
            'TokenRequest in version "v1" cannot be handled as a TokenRequest: ',
        ),
        (
            {"spec": {"audiences": "api"}},
            'TokenRequest in version "v1" cannot be handled as a TokenRequest: ',
        ),
        (
            {"spec": {"lifetime": 3600}},
            'TokenRequest in version "v1" cannot be handled as a TokenRequest: strict decoding '
            'error: unknown field "spec.lifetime"',
        ),
        (
            {"kind": "Pod"},
            'Pod in version "v1" cannot be handled as a TokenRequest: no kind "Pod" is '
            'registered for version "authentication.k8s.io/v1"',
        ),
        (
            {"apiVersion": "v1"},
            "the API version in the data (v1) does not match the expected API version "
            "(authentication.k8s.io/v1)",
        ),
        (["not", "an", "object"], "the request body must be a JSON object"),
    ],
)
async def test_malformed_bodies_are_400(requests: TokenRequests, body: Any, message: str) -> None:
    """Wrong types, unknown fields (Strict), another kind or version: 400 BadRequest."""
    with pytest.raises(StatusError) as info:
        await _create(requests, body)
    assert info.value.code == 400
    assert info.value.message.startswith(message)


async def test_unknown_fields_are_dropped_when_ignored(requests: TokenRequests) -> None:
    """fieldValidation=Ignore: the unknown field is dropped, the token issued."""
    answer = await _create(requests, {"spec": {"lifetime": 1}}, validation="Ignore")
    assert "lifetime" not in answer["spec"]


# -- binding ---------------------------------------------------------------------------


async def test_pod_binding_records_pod_and_node(requests: TokenRequests) -> None:
    """A pod on a node: the token names the pod and the node, both with uids."""
    answer = await _create(requests, _bound("Pod", "placed", "placed-uid"))
    assert answer["spec"]["boundObjectRef"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "name": "placed",
        "uid": "placed-uid",
    }
    private = _claims(answer)["kubernetes.io"]
    assert private["pod"] == {"name": "placed", "uid": "placed-uid"}
    assert private["node"] == {"name": "node-1", "uid": "node-uid"}


async def test_pod_binding_without_uid_and_with_a_missing_node(
    requests: TokenRequests, objects: FakeObjects
) -> None:
    """No uid asked: the pod's is used; a node that does not exist is named without uid."""
    objects.remove("Node", "", "node-1")
    private = _claims(await _create(requests, _bound("Pod", "placed")))["kubernetes.io"]
    assert private["pod"] == {"name": "placed", "uid": "placed-uid"}
    assert private["node"] == {"name": "node-1"}


async def test_unscheduled_pod_has_no_node_claim(requests: TokenRequests) -> None:
    """A pod not on a node: no node claim."""
    private = _claims(await _create(requests, _bound("Pod", "web")))["kubernetes.io"]
    assert "node" not in private


@pytest.mark.parametrize(
    ("kind", "name", "uid", "claim"),
    [
        ("Secret", "creds", "secret-uid", "secret"),
        ("Node", "node-1", "node-uid", "node"),
    ],
)
async def test_secret_and_node_binding(
    requests: TokenRequests, kind: str, name: str, uid: str, claim: str
) -> None:
    """A Secret (in the namespace) or a Node (cluster-wide) is recorded with its uid."""
    private = _claims(await _create(requests, _bound(kind, name)))["kubernetes.io"]
    assert private[claim] == {"name": name, "uid": uid}
    assert "pod" not in private


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            _bound("Pod", "stranger"),
            400,
            'cannot bind token for serviceaccount "builder" to pod running with different '
            "serviceaccount name.",
        ),
        (
            _bound("Pod", "web", "wrong"),
            409,
            'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference '
            "(wrong) does not match the UID in record. The object might have been deleted and "
            "then recreated",
        ),
        (_bound("Pod", "gone"), 404, 'pods "gone" not found'),
        (_bound("Secret", "gone"), 404, 'secrets "gone" not found'),
        (_bound("Node", "gone"), 404, 'nodes "gone" not found'),
        (_bound("ConfigMap", "c"), 400, "cannot bind token to object of type /v1, Kind=ConfigMap"),
        (
            _bound("Deployment", "d", api_version="apps/v1"),
            400,
            "cannot bind token to object of type apps/v1, Kind=Deployment",
        ),
        (_bound("Pod", ""), 400, "Name parameter required."),
        (_bound("Pod", "a/b"), 400, "Name parameter invalid: \"a/b\": may not contain '/'"),
    ],
)
async def test_binding_refusals(
    requests: TokenRequests, body: dict[str, Any], code: int, message: str
) -> None:
    """Each way a bound object reference fails, with Kubernetes' code and message."""
    with pytest.raises(StatusError) as info:
        await _create(requests, body)
    assert (info.value.code, info.value.message) == (code, message)


async def test_uid_conflict_details_name_the_kind(requests: TokenRequests) -> None:
    """The 409's details carry the object's name and its kind, as NewConflict writes them."""
    with pytest.raises(StatusError) as info:
        await _create(requests, _bound("Pod", "web", "wrong"))
    assert info.value.reason == "Conflict"
    assert info.value.to_status()["details"] == {"name": "web", "kind": "Pod"}


# -- lifetimes -------------------------------------------------------------------------


async def test_maximum_lifetime_shortens_with_a_warning(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects
) -> None:
    """Above --service-account-max-token-expiration the lifetime is cut, and the client told."""
    requests = TokenRequests(
        make_tokens(signing_key, objects, FakeClock()), objects, max_expiration_seconds=7200
    )
    warnings = collect_warnings()
    answer = await _create(requests, {"spec": {"expirationSeconds": 86400}})
    assert warnings == ["requested expiration of 86400 seconds shortened to 7200 seconds"]
    assert answer["spec"]["expirationSeconds"] == 7200
    claims = _claims(answer)
    assert claims["exp"] - claims["iat"] == 7200


async def test_kubelet_projected_tokens_are_extended(requests: TokenRequests) -> None:
    """Pod-bound, 3607 s, API audiences: the token lives a year with warnafter at 3607 s."""
    body = _bound("Pod", "web")
    body["spec"]["expirationSeconds"] = 3607
    answer = await _create(requests, body)
    claims = _claims(answer)
    assert claims["exp"] - claims["iat"] == YEAR
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    # the client is told the lifetime it asked for
    assert answer["spec"]["expirationSeconds"] == 3607
    assert answer["status"]["expirationTimestamp"] == "2027-01-15T09:00:07Z"


@pytest.mark.parametrize(
    "body",
    [
        {"spec": {"expirationSeconds": 3607, "audiences": ["vault"]}, "pod": True},
        {"spec": {"expirationSeconds": 3607}, "pod": False},
        {"spec": {"expirationSeconds": 3600}, "pod": True},
    ],
)
async def test_other_tokens_are_not_extended(requests: TokenRequests, body: dict[str, Any]) -> None:
    """Other audiences, no pod, or another lifetime: exp is what was asked, no warnafter."""
    request: dict[str, Any] = {"spec": dict(body["spec"])}
    if body["pod"]:
        request["spec"]["boundObjectRef"] = {"kind": "Pod", "apiVersion": "v1", "name": "web"}
    claims = _claims(await _create(requests, request))
    assert claims["exp"] - claims["iat"] == body["spec"]["expirationSeconds"]
    assert "warnafter" not in claims["kubernetes.io"]


async def test_extension_can_be_turned_off(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects
) -> None:
    """--service-account-extend-token-expiration=false: 3607 s means 3607 s."""
    requests = TokenRequests(
        make_tokens(signing_key, objects, FakeClock()), objects, extend_expiration=False
    )
    body = _bound("Pod", "web")
    body["spec"]["expirationSeconds"] = 3607
    claims = _claims(await _create(requests, body))
    assert claims["exp"] - claims["iat"] == 3607
