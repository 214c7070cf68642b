"""Service account tokens against a real ``kubeling server``: kubectl, the Python client, OIDC.

``kubectl create token`` sends its TokenRequest as protobuf; the Python client
sends JSON. Every token is decoded here and its claims checked, and its
signature verified with the key the server publishes in its JWKS, with
nothing from kubeling: what a relying party outside the cluster would do.
(The ``default`` ServiceAccount is created by the tests: the controller that
creates it in every namespace comes later.)
"""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, running_server

ISSUER = "https://kubernetes.default.svc.cluster.local"

NODE = textwrap.dedent(
    """
    apiVersion: v1
    kind: Node
    metadata: {name: node-a}
    """
)


def _pod(name: str, *, node: str = "") -> str:
    """A pod running as the default service account, on ``node`` if given."""
    placement = f"nodeName: {node}" if node else ""
    return textwrap.dedent(
        f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}, namespace: default}}
        spec:
          serviceAccountName: default
          {placement}
          containers: [{{name: web, image: nginx}}]
        """
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("tokens")) as running:
        running.kubectl("create", "serviceaccount", "default", "-n", "default")
        yield running


@pytest.fixture
def api(server: RunningServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(_b64(header)), json.loads(_b64(payload))


def _verify_with_jwks(server: RunningServer, token: str) -> None:
    """Check the signature with the JWKS key the token's kid names (raises if it fails)."""
    jwks = json.loads(server.kubectl("get", "--raw", "/openid/v1/jwks").stdout)
    header, payload, signature = token.split(".")
    kid = json.loads(_b64(header))["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    public = rsa.RSAPublicNumbers(
        e=int.from_bytes(_b64(jwk["e"]), "big"), n=int.from_bytes(_b64(jwk["n"]), "big")
    ).public_key()
    public.verify(
        _b64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def _uid(server: RunningServer, *what: str) -> str:
    obj = server.kubectl_json("get", *what)
    metadata = obj["metadata"]
    assert isinstance(metadata, dict)
    return str(metadata["uid"])


def _review(
    api: client.ApiClient, token: str, audiences: list[str] | None = None
) -> client.V1TokenReviewStatus:
    review = client.AuthenticationV1Api(api).create_token_review(
        client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token, audiences=audiences))
    )
    status: client.V1TokenReviewStatus = review.status
    return status


# -- kubectl ---------------------------------------------------------------------------


def test_kubectl_create_token(server: RunningServer) -> None:
    """kubectl create token default: an hour-long token for the API server, verifiable."""
    token = server.kubectl("create", "token", "default", "-n", "default").stdout
    header, claims = _decode(token)
    assert header["alg"] == "RS256"
    assert header["kid"]
    sa_uid = _uid(server, "serviceaccount", "default", "-n", "default")
    assert claims["iss"] == ISSUER
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["aud"] == [ISSUER]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]
    assert len(claims["jti"]) == 36
    assert claims["kubernetes.io"] == {
        "namespace": "default",
        "serviceaccount": {"name": "default", "uid": sa_uid},
    }
    _verify_with_jwks(server, token)


def test_kubectl_duration_and_audiences(server: RunningServer) -> None:
    """--duration and repeated --audience end up in exp and aud; -o yaml shows the request."""
    flags = ["--duration", "2h", "--audience", "vault", "--audience", "api", "-o", "json"]
    out = server.kubectl("create", "token", "default", *flags).stdout
    answer = json.loads(out)
    assert answer["kind"] == "TokenRequest"
    assert answer["spec"]["audiences"] == ["vault", "api"]
    assert answer["spec"]["expirationSeconds"] == 7200
    _, claims = _decode(answer["status"]["token"])
    assert claims["aud"] == ["vault", "api"]
    assert claims["exp"] - claims["iat"] == 7200


def test_kubectl_token_bound_to_a_pod(server: RunningServer, api: client.ApiClient) -> None:
    """--bound-object-kind Pod: the token names the pod and its node, and dies with the pod."""
    server.kubectl("apply", "-f", "-", input=NODE)
    server.kubectl("apply", "-f", "-", input=_pod("web", node="node-a"))
    pod_uid = _uid(server, "pod", "web", "-n", "default")
    node_uid = _uid(server, "node", "node-a")
    token = server.kubectl(
        "create", "token", "default", "--bound-object-kind", "Pod", "--bound-object-name", "web"
    ).stdout
    _, claims = _decode(token)
    assert claims["kubernetes.io"]["pod"] == {"name": "web", "uid": pod_uid}
    assert claims["kubernetes.io"]["node"] == {"name": "node-a", "uid": node_uid}
    status = _review(api, token)
    assert status.authenticated is True
    assert status.user.extra == {
        "authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"],
        "authentication.kubernetes.io/node-name": ["node-a"],
        "authentication.kubernetes.io/node-uid": [node_uid],
        "authentication.kubernetes.io/pod-name": ["web"],
        "authentication.kubernetes.io/pod-uid": [pod_uid],
    }
    server.kubectl("delete", "pod", "web", "--grace-period=0", "--force")
    status = _review(api, token)
    assert not status.authenticated
    assert status.error == "[invalid bearer token, service account token has been invalidated]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost"], 'error: failed to create token: serviceaccounts "ghost" not found'),
        (
            ["default", "--duration", "10s"],
            'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: '
            "spec.expirationSeconds: Invalid value: 10: may not specify a duration less than "
            "10 minutes",
        ),
        (
            ["default", "--bound-object-kind", "Secret", "--bound-object-name", "nope"],
            'error: failed to create token: secrets "nope" not found',
        ),
        (
            [
                "default",
                *("--bound-object-kind", "Pod", "--bound-object-name", "keeper"),
                *("--bound-object-uid", "0d4691ed-659b-4935-a832-355f77ee47cc"),
            ],
            'error: failed to create token: Operation cannot be fulfilled on Pod "keeper": the '
            "UID in the bound object reference (0d4691ed-659b-4935-a832-355f77ee47cc) does not "
            "match the UID in record. The object might have been deleted and then recreated",
        ),
    ],
)
def test_kubectl_create_token_refusals(
    server: RunningServer, args: list[str], message: str
) -> None:
    """A missing service account or object, a too-short duration, a stale uid: kubectl says why."""
    server.kubectl("apply", "-f", "-", input=_pod("keeper"))
    result = server.kubectl("create", "token", *args, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == message


# -- the kubernetes Python package -----------------------------------------------------


def test_python_client_token_request_and_review(
    server: RunningServer, api: client.ApiClient
) -> None:
    """create_namespaced_service_account_token, then create_token_review for its audience."""
    answer = client.CoreV1Api(api).create_namespaced_service_account_token(
        "default",
        "default",
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=["vault"], expiration_seconds=600)
        ),
    )
    lifetime = answer.status.expiration_timestamp - answer.metadata.creation_timestamp
    assert lifetime == datetime.timedelta(seconds=600)
    assert (answer.metadata.name, answer.metadata.namespace) == ("default", "default")
    token = answer.status.token
    _, claims = _decode(token)
    assert claims["aud"] == ["vault"]

    status = _review(api, token, ["vault", "other"])
    assert status.authenticated is True
    assert status.audiences == ["vault"]
    assert status.user.username == "system:serviceaccount:default:default"
    assert status.user.uid == _uid(server, "serviceaccount", "default", "-n", "default")
    assert status.user.groups == [
        "system:serviceaccounts",
        "system:serviceaccounts:default",
        "system:authenticated",
    ]
    assert status.user.extra == {
        "authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]
    }
    # for the API server's own audience this token is no good
    refused = _review(api, token)
    assert not refused.authenticated
    assert refused.error == (
        '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences '
        '["https://kubernetes.default.svc.cluster.local"]]'
    )


def test_review_after_the_service_account_is_deleted(
    server: RunningServer, api: client.ApiClient
) -> None:
    """A token outlives nothing: delete the service account and the review fails."""
    core = client.CoreV1Api(api)
    core.create_namespaced_service_account(
        "default", client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="temp"))
    )
    request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
    token = core.create_namespaced_service_account_token("temp", "default", request).status.token
    assert _review(api, token).authenticated is True
    core.delete_namespaced_service_account("temp", "default")
    status = _review(api, token)
    assert not status.authenticated
    assert status.error == '[invalid bearer token, serviceaccounts "temp" not found]'


def test_review_of_garbage(api: client.ApiClient) -> None:
    """A token that is not a JWT of ours: not authenticated, "invalid bearer token"."""
    status = _review(api, "not-a-token")
    assert not status.authenticated
    assert status.error == "invalid bearer token"


@pytest.mark.parametrize(
    ("name", "spec", "status", "reason", "message"),
    [
        ("ghost", {}, 404, "NotFound", 'serviceaccounts "ghost" not found'),
        (
            "default",
            {"expiration_seconds": 10},
            422,
            "Invalid",
            'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid '
            "value: 10: may not specify a duration less than 10 minutes",
        ),
        (
            "default",
            {
                "bound_object_ref": client.V1BoundObjectReference(
                    kind="Node", api_version="v1", name="node-a", uid="stale"
                )
            },
            409,
            "Conflict",
            'Operation cannot be fulfilled on Node "node-a": the UID in the bound object '
            "reference (stale) does not match the UID in record. The object might have been "
            "deleted and then recreated",
        ),
        (
            "default",
            {
                "bound_object_ref": client.V1BoundObjectReference(
                    kind="ConfigMap", api_version="v1", name="c"
                )
            },
            400,
            "BadRequest",
            "cannot bind token to object of type /v1, Kind=ConfigMap",
        ),
    ],
)
def test_python_client_refusals(
    server: RunningServer,
    api: client.ApiClient,
    name: str,
    spec: dict[str, Any],
    status: int,
    reason: str,
    message: str,
) -> None:
    """Bad token requests get Kubernetes' Status: code, reason and message."""
    server.kubectl("apply", "-f", "-", input=NODE)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], **spec)
    )
    with pytest.raises(ApiException) as info:
        client.CoreV1Api(api).create_namespaced_service_account_token(name, "default", request)
    assert info.value.status == status
    body = json.loads(info.value.body)
    assert (body["kind"], body["reason"], body["message"]) == ("Status", reason, message)
    if status == 422:
        assert body["details"]["causes"][0]["field"] == "spec.expirationSeconds"


# -- OIDC discovery --------------------------------------------------------------------


def _get(server: RunningServer, path: str, *, with_cert: bool) -> tuple[int, dict[str, str], bytes]:
    pki = server.data_dir / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if with_cert:
        context.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    try:
        with urllib.request.urlopen(server.url + path, context=context, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_openid_configuration_and_jwks(server: RunningServer) -> None:
    """Both documents, with Kubernetes' content types and an hour of caching."""
    code, headers, body = _get(server, "/.well-known/openid-configuration", with_cert=True)
    assert code == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert json.loads(body) == {
        "issuer": ISSUER,
        "jwks_uri": f"{server.url}/openid/v1/jwks",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    code, headers, body = _get(server, "/openid/v1/jwks", with_cert=True)
    assert code == 200
    assert headers["Content-Type"] == "application/jwk-set+json"
    assert headers["Cache-Control"] == "public, max-age=3600"
    (key,) = json.loads(body)["keys"]
    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")


def test_discovery_needs_authentication(server: RunningServer) -> None:
    """The documents are not served to anonymous callers: Kubernetes' default RBAC lets
    only service accounts read them (system:service-account-issuer-discovery), so 403."""
    code, _, body = _get(server, "/.well-known/openid-configuration", with_cert=False)
    assert code == 403
    assert json.loads(body)["message"] == (
        'forbidden: User "system:anonymous" cannot get path "/.well-known/openid-configuration"'
    )
