"""Joining a node against a real ``kubeling server``: /cacerts, /kubeling/v1/join, bad input."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from kubeling.api import errors
from kubeling.api.bootstraptoken import token_secret
from kubeling.cli.agent import JoinError, ensure_serving_cert, join
from kubeling.cli.token import TokenOptions, create_token
from kubeling.client import ApiClient, ClientConfig, load_client_config
from kubeling.client.resources import NODES, SECRETS
from kubeling.pki import ca_cert_hash, identity_from_cert, new_client_csr
from tests.support.cluster import RunningServer

Obj = dict[str, Any]


def admin(server: RunningServer) -> ClientConfig:
    return load_client_config(server.kubeconfig)


async def new_token(server: RunningServer, **options: Any) -> str:
    return await create_token(admin(server), TokenOptions(**options))


def csr_body(csr_pem: bytes, **spec: Any) -> Obj:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "spec": {
            "request": base64.b64encode(csr_pem).decode(),
            "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "usages": ["digital signature", "client auth"],
            **spec,
        },
    }


def csr_for(common_name: str, organizations: list[str]) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    name.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(name))
    return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def serving_body(csr_pem: bytes, **spec: Any) -> Obj:
    serving: Obj = {
        "signerName": "kubernetes.io/kubelet-serving",
        "usages": ["digital signature", "server auth"],
    }
    return csr_body(csr_pem, **{**serving, **spec})


def serving_csr(
    common_name: str = "system:node:served-1",
    organizations: tuple[str, ...] = ("system:nodes",),
    sans: tuple[x509.GeneralName, ...] = (x509.IPAddress(ipaddress.ip_address("127.0.0.2")),),
) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    name.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(name))
    if sans:
        csr = csr.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def csr_with_basic_constraints() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
            x509.NameAttribute(NameOID.COMMON_NAME, "system:node:n"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(name)
    csr = csr.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


async def test_wrong_methods_get_405(kubeling_server: RunningServer) -> None:
    assert (await post(kubeling_server, "/kubeling/v1/join", b"", None, "GET"))[0] == 405
    assert (await post(kubeling_server, "/cacerts", b"", None, "POST"))[0] == 405


async def post(
    server: RunningServer, path: str, body: bytes | Obj, token: str | None, method: str = "POST"
) -> tuple[int, Obj]:
    ca = admin(server).ca_pem
    assert ca is not None
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            server.url + path,
            data=data,
            json=payload,
            headers=headers,
            ssl=ssl.create_default_context(cadata=ca.decode()),
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_cacerts_is_the_cluster_ca_for_anyone(kubeling_server: RunningServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(kubeling_server.url + "/cacerts", ssl=False) as response,
    ):
        assert response.status == 200
        assert await response.read() == admin(kubeling_server).ca_pem


async def test_a_node_joins_with_a_token_and_is_then_system_node(
    kubeling_server: RunningServer, tmp_path: Path
) -> None:
    token = await new_token(kubeling_server)
    config = admin(kubeling_server)
    assert config.ca_pem is not None
    pin = ca_cert_hash(config.ca_pem)
    ca_pem, cert_pem, key_pem = await join(kubeling_server.url, token, "joined-1", ca_pin=pin)
    assert ca_pem == config.ca_pem
    cert = x509.load_pem_x509_certificate(cert_pem)
    identity = identity_from_cert(cert.public_bytes(serialization.Encoding.DER))
    assert identity is not None
    assert (identity.user, identity.groups) == ("system:node:joined-1", ("system:nodes",))
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert cert.public_key() == key.public_key()
    # The API server takes the new certificate: the node may read its own Node, and (the Node
    # authorizer) no other.
    node = ClientConfig(
        server=kubeling_server.url, ca_pem=ca_pem, client_cert_pem=cert_pem, client_key_pem=key_pem
    )
    async with ApiClient(node) as client:
        listed = await client.resource(NODES).list(field_selector="metadata.name=joined-1")
        assert listed["kind"] == "NodeList"
        with pytest.raises(errors.StatusError) as refused:
            await client.resource(NODES).list()
        assert refused.value.code == 403
        assert refused.value.status.message.endswith(
            "node 'joined-1' cannot read all nodes, only its own Node object"
        )


async def test_a_join_answer_is_an_approved_csr(kubeling_server: RunningServer) -> None:
    token = await new_token(kubeling_server)
    csr_pem, _ = new_client_csr("system:node:joined-2", ["system:nodes"])
    code, answer = await post(kubeling_server, "/kubeling/v1/join", csr_body(csr_pem), token)
    assert code == 201, answer
    assert answer["kind"] == "CertificateSigningRequest"
    assert answer["metadata"]["name"].startswith("node-csr-")
    assert answer["spec"]["username"] == "system:bootstrap:" + token.split(".")[0]
    assert "system:bootstrappers" in answer["spec"]["groups"]
    [approved] = answer["status"]["conditions"]
    assert (approved["type"], approved["status"], approved["reason"]) == (
        "Approved",
        "True",
        "AutoApproved",
    )
    assert base64.b64decode(answer["status"]["certificate"]).startswith(b"-----BEGIN CERTIFICATE")


async def test_a_wrong_ca_pin_sends_no_token(kubeling_server: RunningServer) -> None:
    with pytest.raises(JoinError, match="does not match --ca-cert-hash"):
        await join(kubeling_server.url, "abcdef.0123456789abcdef", "n", ca_pin="sha256:" + "0" * 64)


async def test_tokens_that_do_not_authenticate_get_401(kubeling_server: RunningServer) -> None:
    async with ApiClient(admin(kubeling_server)) as client:
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
        expired = token_secret("expird.0123456789abcdef", ttl=datetime.timedelta(hours=1), now=past)
        signing_only = token_secret(
            "signon.0123456789abcdef", ttl=None, now=past, usages=["signing"]
        )
        for secret in (expired, signing_only):
            await client.resource(SECRETS).create(secret)
    csr_pem, _ = new_client_csr("system:node:n", ["system:nodes"])
    good = await new_token(kubeling_server)
    for token in (
        None,
        "",
        "not-a-token",
        "abcdef.0123456789abcdef",  # no such Secret
        good.split(".")[0] + ".ffffffffffffffff",  # wrong secret
        "expird.0123456789abcdef",
        "signon.0123456789abcdef",
    ):
        code, status = await post(kubeling_server, "/kubeling/v1/join", csr_body(csr_pem), token)
        assert (code, status["reason"], status["message"]) == (401, "Unauthorized", "Unauthorized")


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{not json", 400, "not a JSON object"),
        ({"apiVersion": "v1", "kind": "Pod"}, 400, "must be a certificates.k8s.io/v1"),
        (
            csr_body(csr_for("system:node:n", ["system:masters"])),
            422,
            "subject organization is not system:nodes",
        ),
        (
            csr_body(csr_for("system:node:n", ["system:nodes", "system:masters"])),
            422,
            "subject organization is not system:nodes",
        ),
        (
            csr_body(csr_for("admin", ["system:nodes"])),
            422,
            "subject common name does not begin with system:node:",
        ),
        (csr_body(csr_for("system:node:Bad_Name", ["system:nodes"])), 422, "not a valid node"),
        (
            csr_body(csr_for("system:node:n", ["system:nodes"]), usages=["server auth"]),
            422,
            "usages did not match",
        ),
        (
            csr_body(csr_for("system:node:n", ["system:nodes"]), signerName="example.com/x"),
            422,
            "spec.signerName: Unsupported value",
        ),
        (csr_body(b"", request="%%%"), 422, "spec.request: Invalid value"),
        (csr_body(b"garbage"), 422, "PEM block type must be CERTIFICATE REQUEST"),
        (
            csr_body(serving_csr("system:node:n", sans=(x509.DNSName("n"),))),
            422,
            "spec.request: Invalid value: DNS subjectAltNames are not allowed",
        ),
        (
            csr_body(serving_csr("system:node:n", sans=())),
            201,
            "",
        ),
        (csr_body(csr_with_basic_constraints()), 422, "must not ask for extensions"),
    ],
)
async def test_bad_join_requests_get_their_status(
    kubeling_server: RunningServer, body: bytes | Obj, code: int, message: str
) -> None:
    token = await new_token(kubeling_server)
    got, status = await post(kubeling_server, "/kubeling/v1/join", body, token)
    assert got == code, status
    if code != 201:
        assert status["kind"] == "Status"
        assert message in status["message"]


# -- the kubelet serving certificate ------------------------------------------------------


async def joined_node(server: RunningServer, node: str) -> ClientConfig:
    """The credentials ``node`` gets by joining."""
    ca_pem, cert_pem, key_pem = await join(server.url, await new_token(server), node)
    return ClientConfig(
        server=server.url, ca_pem=ca_pem, client_cert_pem=cert_pem, client_key_pem=key_pem
    )


async def ask_serving(config: ClientConfig, body: bytes | Obj) -> tuple[int, Obj]:
    async with ApiClient(config) as client:
        try:
            answer = await client.request("POST", "/kubeling/v1/kubelet-serving", body=body)
        except errors.StatusError as err:
            return err.code, dict(err.to_status())
    return 201, answer


async def test_a_joined_node_gets_its_serving_certificate_with_its_client_cert(
    kubeling_server: RunningServer, tmp_path: Path
) -> None:
    node = await joined_node(kubeling_server, "served-1")
    cert_path, key_path, ca_path = await ensure_serving_cert(
        node, node_name="served-1", node_ip="127.0.0.2", root_dir=tmp_path / "kubelet"
    )
    assert ca_path.read_bytes() == node.ca_pem
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=system:node:served-1,O=system:nodes"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.2")]
    assert sans.get_values_for_type(x509.DNSName)[0] == "served-1"
    # A client that trusts the cluster CA accepts it for the node's address.
    assert node.ca_pem is not None
    store = Store([x509.load_pem_x509_certificate(node.ca_pem)])
    verifier = (
        PolicyBuilder()
        .store(store)
        .build_server_verifier(x509.IPAddress(ipaddress.ip_address("127.0.0.2")))
    )
    verifier.verify(cert, [])
    # Still good: kept as it is. Another address: asked for again, with the client cert only.
    before = cert_path.read_bytes()
    await ensure_serving_cert(
        node, node_name="served-1", node_ip="127.0.0.2", root_dir=tmp_path / "kubelet"
    )
    assert cert_path.read_bytes() == before
    await ensure_serving_cert(
        node, node_name="served-1", node_ip="127.0.0.9", root_dir=tmp_path / "kubelet"
    )
    renewed = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ips = renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ips.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.9")]


async def test_only_a_node_gets_a_serving_certificate_and_only_its_own(
    kubeling_server: RunningServer,
) -> None:
    node = await joined_node(kubeling_server, "served-2")
    code, status = await ask_serving(node, serving_body(serving_csr("system:node:served-3")))
    assert (code, status["reason"]) == (403, "Forbidden")
    assert status["message"] == (
        'certificatesigningrequests.certificates.k8s.io "' + status["details"]["name"] + '" is '
        "forbidden: node 'served-2' may only request a serving certificate for itself "
        "(system:node:served-2), not for system:node:served-3"
    )
    own = serving_body(
        serving_csr("system:node:served-2", sans=(x509.DNSName("kubernetes.default"),))
    )
    code, status = await ask_serving(node, own)
    assert code == 403, status
    assert (
        "may not name the API server in its serving certificate: kubernetes.default"
        in (status["message"])
    ), status
    code, answer = await ask_serving(node, serving_body(serving_csr("system:node:served-2")))
    assert code == 201, answer
    assert answer["spec"]["username"] == "system:node:served-2"
    assert answer["status"]["conditions"][0]["reason"] == "AutoApproved"
    # Not a node: the admin, a bootstrap token, nobody.
    token = await new_token(kubeling_server)
    for who in (
        admin(kubeling_server),
        ClientConfig(server=kubeling_server.url, ca_pem=node.ca_pem, token=token),
        ClientConfig(server=kubeling_server.url, ca_pem=node.ca_pem),
    ):
        code, status = await ask_serving(who, serving_body(serving_csr()))
        assert code == 403, status
        assert "is not a node" in status["message"], status
    bad = ClientConfig(
        server=kubeling_server.url, ca_pem=node.ca_pem, token="abcdef.0000000000000000"
    )
    code, status = await ask_serving(bad, serving_body(serving_csr()))
    assert code == 401, status


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            serving_body(serving_csr("system:node:served-4", sans=())),
            422,
            "DNS or IP subjectAltName is required",
        ),
        (
            serving_body(
                serving_csr(
                    "system:node:served-4", sans=(x509.RFC822Name("a@b.c"), x509.DNSName("x"))
                )
            ),
            422,
            "spec.request: Invalid value: Email subjectAltNames are not allowed",
        ),
        (
            serving_body(serving_csr("system:node:served-4", organizations=())),
            422,
            "subject organization is not system:nodes",
        ),
        (
            serving_body(serving_csr("system:node:served-4"), usages=["server auth"]),
            422,
            "spec.usages: Invalid value: usages did not match "
            "[digital signature key encipherment server auth]",
        ),
        (
            csr_body(serving_csr("system:node:served-4")),
            422,
            "spec.signerName: Unsupported value",
        ),
        (serving_body(b"garbage"), 422, "PEM block type must be CERTIFICATE REQUEST"),
        (b"[]", 400, "not a JSON object"),
    ],
)
async def test_bad_serving_requests_get_their_status(
    kubeling_server: RunningServer, body: bytes | Obj, code: int, message: str
) -> None:
    node = await joined_node(kubeling_server, "served-4")
    got, status = await ask_serving(node, body)
    assert got == code, status
    assert status["kind"] == "Status"
    assert message in status["message"], status
