"""Bad input over the wire: every malformed request gets a Status with the right code.

Requests go straight to a running server over HTTPS with the admin client
certificate, so the tests see exactly what a client sees: the HTTP status and
the Status body. After the abuse, the stored objects are still intact.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from kubeling.cli.kubeconfig import load_kubeconfig
from tests.support.cluster import RunningServer, running_server


class _Client:
    def __init__(self, server: RunningServer, workdir: Path) -> None:
        config = load_kubeconfig(server.kubeconfig)
        assert config.ca_pem is not None
        assert config.client_cert_pem is not None
        assert config.client_key_pem is not None
        cert, key, ca = workdir / "c.crt", workdir / "c.key", workdir / "ca.crt"
        cert.write_bytes(config.client_cert_pem)
        key.write_bytes(config.client_key_pem)
        ca.write_bytes(config.ca_pem)
        self.url = server.url
        self.pool = urllib3.PoolManager(
            cert_reqs=ssl.CERT_REQUIRED, ca_certs=str(ca), cert_file=str(cert), key_file=str(key)
        )
        self.anonymous = urllib3.PoolManager(cert_reqs=ssl.CERT_REQUIRED, ca_certs=str(ca))

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        *,
        anonymous: bool = False,
    ) -> tuple[int, Any]:
        pool = self.anonymous if anonymous else self.pool
        response = pool.request(
            method,
            self.url + path,
            body=body,
            headers={"Content-Type": content_type},
            retries=False,
        )
        try:
            return response.status, json.loads(response.data)
        except ValueError:
            return response.status, response.data


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Client]:
    root = tmp_path_factory.mktemp("badinput")
    with running_server(root) as server:
        client = _Client(server, root)
        status, _ = client.request(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            json.dumps({"metadata": {"name": "keep"}, "data": {"a": "1"}}).encode(),
        )
        assert status == 201
        yield client
        # nothing stored was lost or corrupted by the bad requests
        status, kept = client.request("GET", "/api/v1/namespaces/default/configmaps/keep")
        assert status == 200
        assert kept["data"] == {"a": "1"}


CM = "/api/v1/namespaces/default/configmaps"
TOKEN = "/api/v1/namespaces/default/serviceaccounts/nobody/token"
TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews"
PROTOBUF = "application/vnd.kubernetes.protobuf"


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "code", "reason"),
    [
        ("POST", CM, b"{not json", "application/json", 400, "BadRequest"),
        ("POST", CM, b"a: [unclosed", "application/yaml", 400, "BadRequest"),
        ("POST", CM, b"[1, 2]", "application/json", 400, "BadRequest"),
        (
            "POST",
            CM,
            b'{"kind":"Secret","metadata":{"name":"x"}}',
            "application/json",
            400,
            "BadRequest",
        ),
        (
            "POST",
            CM,
            b'{"apiVersion":"apps/v1","metadata":{"name":"x"}}',
            "application/json",
            400,
            "BadRequest",
        ),
        ("POST", CM, b'{"metadata":{"name":"Not_Valid"}}', "application/json", 422, "Invalid"),
        ("POST", CM, b'{"metadata":{"name":"x"}}', "text/html", 415, "UnsupportedMediaType"),
        ("POST", CM, b"k8s\x00garbage", "application/vnd.kubernetes.protobuf", 400, "BadRequest"),
        (
            "POST",
            CM,
            b'{"metadata":{"name":"x"},"data":{"a":1}}',
            "application/json",
            400,
            "BadRequest",
        ),
        (
            "POST",
            CM + "?fieldValidation=Bogus",
            b'{"metadata":{"name":"x"}}',
            "application/json",
            400,
            "BadRequest",
        ),
        ("GET", CM + "?labelSelector=a%20in%20(", None, "application/json", 400, "BadRequest"),
        ("GET", CM + "?fieldSelector=spec.bogus%3D1", None, "application/json", 400, "BadRequest"),
        ("GET", CM + "?continue=bm90LWEtdG9rZW4", None, "application/json", 400, "BadRequest"),
        ("GET", CM + "?limit=-1", None, "application/json", 400, "BadRequest"),
        ("GET", CM + "/missing", None, "application/json", 404, "NotFound"),
        (
            "GET",
            "/api/v1/namespaces/default/bogusresources",
            None,
            "application/json",
            404,
            "NotFound",
        ),
        ("PATCH", CM + "/keep", b"{}", "application/xml", 415, "UnsupportedMediaType"),
        (
            "PATCH",
            CM + "/keep",
            b'[{"op":"remove","path":"/nope"}]',
            "application/json-patch+json",
            422,
            "Invalid",
        ),
        (
            "PATCH",
            CM + "/keep",
            b'{"data": "notamap"}',
            "application/merge-patch+json",
            400,
            "BadRequest",
        ),
        (
            "PUT",
            CM + "/keep",
            b'{"metadata":{"name":"other"}}',
            "application/json",
            400,
            "BadRequest",
        ),
        (
            "PUT",
            CM + "/keep",
            b'{"metadata":{"name":"keep","resourceVersion":"1"}}',
            "application/json",
            409,
            "Conflict",
        ),
        ("POST", CM + "/keep", b"{}", "application/json", 405, "MethodNotAllowed"),
        (
            "DELETE",
            CM + "/keep",
            b'{"propagationPolicy":"Sometimes"}',
            "application/json",
            400,
            "BadRequest",
        ),
        (
            "DELETE",
            CM + "/keep",
            b'{"preconditions":{"uid":"nope"}}',
            "application/json",
            409,
            "Conflict",
        ),
        (
            "POST",
            "/api/v1/namespaces/nosuchns/configmaps",
            b'{"metadata":{"name":"x"}}',
            "application/json",
            404,
            "NotFound",
        ),
        ("POST", TOKEN, b"k8s\x00garbage", PROTOBUF, 400, "BadRequest"),
        ("POST", TOKEN, b"{not json", "application/json", 400, "BadRequest"),
        (
            "POST",
            TOKEN,
            b'{"spec":{"expirationSeconds":"1h"}}',
            "application/json",
            400,
            "BadRequest",
        ),
        ("POST", TOKEN, b'{"kind":"Pod"}', "application/json", 400, "BadRequest"),
        ("POST", TOKEN, b"{}", "application/json", 404, "NotFound"),
        ("GET", TOKEN, None, "application/json", 405, "MethodNotAllowed"),
        ("POST", TOKEN_REVIEWS, b'{"spec":{}}', "application/json", 400, "BadRequest"),
        ("POST", TOKEN_REVIEWS, b"k8s\x00garbage", PROTOBUF, 400, "BadRequest"),
        ("POST", TOKEN_REVIEWS, b'{"spec":{"token":7}}', "application/json", 400, "BadRequest"),
    ],
)
def test_malformed_requests_get_a_status(
    api: _Client,
    method: str,
    path: str,
    body: bytes | None,
    content_type: str,
    code: int,
    reason: str,
) -> None:
    """Each malformed request is answered with its Kubernetes code and reason, never 500."""
    status, answer = api.request(method, path, body, content_type)
    assert status == code, answer
    assert answer["kind"] == "Status"
    assert (answer["code"], answer["reason"]) == (code, reason)


def test_huge_body_is_413(api: _Client) -> None:
    """A body above the 3 MiB limit is 413 RequestEntityTooLarge."""
    value = json.dumps({"metadata": {"name": "huge"}, "data": {"a": "x" * (4 * 1024 * 1024)}})
    status, answer = api.request("POST", CM, value.encode())
    assert status == 413
    assert (answer["kind"], answer["reason"]) == ("Status", "RequestEntityTooLarge")


def test_deeply_nested_body_is_a_clean_400(api: _Client) -> None:
    """A pathologically nested document is refused, not a crash."""
    status, answer = api.request("POST", CM, b"[" * 100_000 + b"]" * 100_000)
    assert status == 400
    assert answer["reason"] == "BadRequest"


def test_no_client_certificate_is_anonymous_and_forbidden(api: _Client) -> None:
    """Without credentials the request is system:anonymous, which RBAC refuses with 403
    everywhere but the public-info paths; /version stays open."""
    status, answer = api.request("GET", CM, anonymous=True)
    assert status == 403
    assert answer["reason"] == "Forbidden"
    assert 'User "system:anonymous" cannot list resource "configmaps"' in answer["message"]
    status, version = api.request("GET", "/version", anonymous=True)
    assert status == 200
    assert version["minor"] == "32"


def test_warning_header_for_unknown_fields(api: _Client) -> None:
    """fieldValidation=Warn stores the object and warns about the unknown field."""
    response = api.pool.request(
        "POST",
        api.url + CM + "?fieldValidation=Warn",
        body=b'{"metadata":{"name":"warned"},"bogus":1}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 201
    assert response.headers.get("Warning") == '299 - "unknown field \\"bogus\\""'
    assert "bogus" not in json.loads(response.data)
