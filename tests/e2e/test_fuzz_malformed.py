"""Hand-written malformed requests against a real ``kubeling server``: tokens,
certificates, Authorization and impersonation headers, bodies, query parameters, paths
and HTTP framing that no well-behaved client sends.

Each request must get a 4xx answer (the code Kubernetes gives where it is certain),
never a 5xx, and a request without valid credentials must never reach a protected
resource (no 2xx). Requests are written on a raw TLS socket, so that the test, not a
client library, decides every byte: the method line, the headers (non-ASCII, missing
Host), the HTTP version. The number of requests sent is printed (``pytest -s``) and
recorded in docs/security.md; test_bad_input.py checks the exact Status bodies of the
usual bad inputs.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.apiserver.auth import jwt
from kubeling.apiserver.auth.serviceaccount_tokens import DEFAULT_ISSUER, ObjectRef, token_claims
from kubeling.pki import Pki, ensure_pki, issue_client_cert
from tests.support.cluster import RunningServer, running_server
from tests.support.fuzzing import AdminFiles, Tally, admin_files

CM = "/api/v1/namespaces/default/configmaps"
SECRETS = "/api/v1/namespaces/default/secrets"
PUBLIC = ("/healthz", "/livez", "/readyz", "/version")


@dataclass(frozen=True)
class _Answer:
    code: int
    body: bytes

    def json(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.body)
        return value


@dataclass
class _Target:
    server: RunningServer
    admin: AdminFiles
    root: Path
    tally: Tally

    def context(self, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.admin.ca))
        if cert is not None:
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        return context

    def raw(self, request: bytes, *, cert: tuple[Path, Path] | None = None) -> _Answer:
        """Send ``request`` as it is on a new TLS connection; the answer's code and body."""
        host, port = self.server.url.removeprefix("https://").split(":")
        with (
            socket.create_connection((host, int(port)), timeout=30) as plain,
            self.context(cert).wrap_socket(plain, server_hostname=host) as tls,
        ):
            tls.sendall(request)
            received = b""
            while chunk := tls.recv(65536):
                received += chunk
        if not received:
            raise ConnectionResetError("the server closed the connection without an answer")
        head, _, body = received.partition(b"\r\n\r\n")
        code = int(head.split(b" ", 2)[1])
        self.tally.record(code)
        if b"transfer-encoding: chunked" in head.lower():
            body = _unchunk(body)
        return _Answer(code, body)

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str | bytes] | None = None,
        body: bytes = b"",
        admin: bool = False,
        cert: tuple[Path, Path] | None = None,
        version: str = "HTTP/1.1",
    ) -> _Answer:
        """An HTTP request with ``headers`` (and Host, unless given as empty), closed after."""
        all_headers: dict[str, str | bytes] = {"Host": self.server.url.removeprefix("https://")}
        all_headers |= headers or {}
        all_headers["Connection"] = "close"
        all_headers["Content-Length"] = str(len(body))
        lines = [f"{method} {path} {version}".encode()]
        for name, value in all_headers.items():
            if value == "" and name == "Host":
                continue
            lines.append(
                name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
            )
        request = b"\r\n".join(lines) + b"\r\n\r\n" + body
        return self.raw(request, cert=(self.admin.cert, self.admin.key) if admin else cert)


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size.split(b";")[0] or b"0", 16)
        if length == 0:
            break
        out += rest[:length]
        body = rest[length + 2 :]
    return out


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Target]:
    root = tmp_path_factory.mktemp("malformed")
    with running_server(root) as server:
        server.kubectl("create", "serviceaccount", "fuzz", "-n", "default")
        server.kubectl("create", "secret", "generic", "keep", "-n", "default", "--from-literal=a=1")
        tally = Tally()
        yield _Target(server, admin_files(server, root), root, tally)
        print(f"\nfuzz, malformed requests: {tally.summary()}")
        # nothing stored was lost or corrupted
        kept = server.kubectl_json("get", "secret", "keep", "-n", "default")
        assert kept["data"] == {"a": "MQ=="}


def _refused(answer: _Answer, *codes: int) -> None:
    assert answer.code in codes, (answer.code, answer.body[:300])


# -- bearer tokens -------------------------------------------------------------------


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _service_account_claims(target: _Target, *, now: int, seconds: int) -> dict[str, object]:
    account = target.server.kubectl_json("get", "serviceaccount", "fuzz", "-n", "default")
    uid = str(account["metadata"]["uid"])  # type: ignore[index]
    return token_claims(
        issuer=DEFAULT_ISSUER,
        namespace="default",
        service_account=ObjectRef("fuzz", uid),
        audiences=[DEFAULT_ISSUER],
        now=now,
        expiration_seconds=seconds,
        jti="fuzz",
    )


def _unsigned(claims: dict[str, object]) -> str:
    """A JWT with ``alg: none`` and no signature, the classic forgery."""
    header = jwt.b64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = jwt.b64url_encode(json.dumps(claims).encode())
    return f"{header}.{payload}."


def test_malformed_bearer_tokens_are_401_or_anonymous(target: _Target) -> None:
    """Every token that is not a valid credential is a 401 (an empty one is no token:
    anonymous, 403), whatever its shape: never a 2xx, never a 5xx."""
    now = int(time.time())
    claims = _service_account_claims(target, now=now, seconds=3600)
    sa_key = Pki.at(target.server.data_dir / "pki").service_account_signing_key()
    expired = jwt.sign(
        _service_account_claims(target, now=now - 7200, seconds=3600),
        sa_key,
        kid=jwt.key_id(sa_key.public_key()),
    )
    # sanity: the same claims, signed by the cluster key and not expired, do authenticate
    valid = jwt.sign(claims, sa_key, kid=jwt.key_id(sa_key.public_key()))
    whoami = target.send(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        headers={"Authorization": f"Bearer {valid}", "Content-Type": "application/json"},
        body=b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
    )
    assert whoami.code == 201, whoami.body
    other = _other_key()
    tokens_401 = [
        "x",
        "not-a-token",
        "A" * 4000,
        "abcdef.0123456789abcdef",  # a bootstrap token's shape, no such Secret
        "ABCDEF.0123456789ABCDEF",  # not a bootstrap token: upper case
        "abcdef.0123456789abcde",  # one character short
        "a.b.c",
        "...",
        "eyJhbGciOiJub25lIn0.e30.",
        _unsigned(claims),
        jwt.sign(claims, other, kid=jwt.key_id(other.public_key())),  # signed by another key
        jwt.sign(claims, other, kid=jwt.key_id(sa_key.public_key())),  # our kid, wrong key
        jwt.sign({**claims, "aud": ["someone-else"]}, sa_key, kid=jwt.key_id(sa_key.public_key())),
        jwt.sign({**claims, "sub": "system:serviceaccount:default:nope"}, sa_key, kid="x"),
        expired,
        valid[:-4] + "AAAA",  # signature tampered
        valid + "x",
        "Bearer",
    ]
    for token in tokens_401:
        for path in (SECRETS, "/version"):
            answer = target.send("GET", path, headers={"Authorization": f"Bearer {token}"})
            _refused(answer, 401)
            assert answer.json()["reason"] == "Unauthorized"
    # not a token at all: the request is anonymous, which RBAC refuses the secrets
    for authorization in ("Bearer ", "Bearer  two-spaces", "Bearer"):
        _refused(target.send("GET", SECRETS, headers={"Authorization": authorization}), 403)


def test_tokens_huge_or_not_ascii_are_refused_cleanly(target: _Target) -> None:
    """A token too large for a header line, or with bytes no token has."""
    _refused(
        target.send("GET", SECRETS, headers={"Authorization": "Bearer " + "A" * 100_000}),
        400,
        401,
        431,
    )
    for raw in (b"Bearer \xff\xfe\x00x", "Bearer tökén".encode(), b"Bearer \xe2\x80\x8b"):
        answer = target.send("GET", SECRETS, headers={"Authorization": raw})
        _refused(answer, 400, 401)


def test_odd_authorization_schemes_are_anonymous(target: _Target) -> None:
    """Schemes Kubernetes does not authenticate with are ignored: the request is
    anonymous (403 on a secret, 200 on /version); ``bearer`` in any case is a token."""
    for authorization in (
        "Basic YWRtaW46YWRtaW4=",
        "Digest username=admin",
        "Negotiate abc",
        "Token abc",
        "",
        "Bearer\tabc",
    ):
        headers = {"Authorization": authorization}
        _refused(target.send("GET", SECRETS, headers=headers), 403)
        _refused(target.send("GET", "/version", headers=headers), 200)
    _refused(target.send("GET", SECRETS, headers={"Authorization": "bEaReR abc"}), 401)
    # two Authorization headers: still no way in
    two = (
        f"GET {SECRETS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
        "Authorization: Basic YQ==\r\nConnection: close\r\n\r\n"
    ).encode()
    _refused(target.raw(two), 400, 401, 403)


# -- certificates --------------------------------------------------------------------


def test_a_client_certificate_from_another_ca_fails_the_handshake(target: _Target) -> None:
    """A certificate the cluster CA did not sign never authenticates: kubeling refuses it
    in the TLS handshake, or right after it under TLS 1.3 (Kubernetes completes the
    handshake and answers 401; docs/differences.md)."""
    foreign = ensure_pki(target.root / "foreign-pki", server_names=["x"], server_ips=[])
    cert_pem, key_pem = issue_client_cert(foreign, "admin", ["system:masters"])
    cert, key = target.root / "foreign.crt", target.root / "foreign.key"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):  # no answer
        target.send("GET", SECRETS, cert=(cert, key))
    target.tally.record(0)  # a refused handshake: no HTTP answer


def test_a_cluster_certificate_with_a_bad_token_is_the_certificate_user(target: _Target) -> None:
    """The certificate is checked first, as in Kubernetes: a garbage token beside it does
    not matter, and the user is still only what RBAC lets it do."""
    pki = Pki.at(target.server.data_dir / "pki")
    cert_pem, key_pem = issue_client_cert(pki, "mallory", ["team"])
    cert, key = target.root / "mallory.crt", target.root / "mallory.key"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    answer = target.send("GET", SECRETS, headers={"Authorization": "Bearer junk"}, cert=(cert, key))
    _refused(answer, 403)
    assert 'User "mallory" cannot list resource "secrets"' in str(answer.json()["message"])


# -- impersonation -------------------------------------------------------------------


def test_impersonation_without_rights_is_refused(target: _Target) -> None:
    """Impersonation headers from users who may not impersonate: 403 (400 for groups
    without a user), never the impersonated identity."""
    pki = Pki.at(target.server.data_dir / "pki")
    cert_pem, key_pem = issue_client_cert(pki, "eve", ["team"])
    cert, key = target.root / "eve.crt", target.root / "eve.key"
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    eve = (cert, key)
    cases: list[tuple[dict[str, str | bytes], tuple[Path, Path] | None, tuple[int, ...]]] = [
        ({"Impersonate-User": "kubernetes-admin"}, eve, (403,)),
        ({"Impersonate-User": "x", "Impersonate-Group": "system:masters"}, eve, (403,)),
        ({"Impersonate-Group": "system:masters"}, eve, (400,)),
        ({"Impersonate-Uid": "0"}, eve, (400,)),
        ({"Impersonate-User": "system:serviceaccount:kube-system:default"}, eve, (403,)),
        ({"Impersonate-User": "kubernetes-admin"}, None, (403,)),
        ({"Impersonate-User": "kubernetes-admin", "Authorization": "Bearer junk"}, None, (401,)),
        ({"Impersonate-User": "admin", "Impersonate-Extra-Scopes": "x"}, eve, (403,)),
        ({"Impersonate-User": ""}, eve, (400, 403)),
        ({"Impersonate-User": b"\xff\xfe"}, eve, (400, 403)),
    ]
    for headers, cert_used, codes in cases:
        answer = target.send("GET", SECRETS, headers=headers, cert=cert_used)
        _refused(answer, *codes)


# -- bodies --------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b'{"metadata":{"name":"deep"},"data":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body", "codes"),
    [
        ("POST", CM, "application/json", b"", (400,)),
        ("POST", CM, "application/json", b"\xef\xbb\xbf{}", (400, 422)),
        ("POST", CM, "application/json", b'{"metadata":{"name":"\xff"}}', (400,)),
        ("POST", CM, "application/json", b'{"metadata":{"name":"n"},"data":{"a":NaN}}', (400,)),
        ("POST", CM, "application/json", b'{"metadata":{"name":"n","name":"m"}}', (201, 400, 422)),
        ("POST", CM, "application/json", b"1e400", (400,)),
        ("POST", CM, "application/json", b'"just a string"', (400,)),
        ("POST", CM, "application/json", b"null", (400,)),
        ("POST", CM, "application/json", _nested(10_000), (400,)),
        ("POST", CM, "application/yaml", b"a: &a [*a]", (400,)),
        ("POST", CM, "application/yaml", b"- " * 5_000 + b"x", (400,)),
        ("POST", CM, "application/yaml", b"!!python/object:os.system {}", (400,)),
        ("POST", CM, "application/json", b"[" * 100_000, (400,)),
        ("POST", CM, "application/json", b" " * (4 * 1024 * 1024), (400, 413)),
        ("POST", CM, "multipart/form-data; boundary=x", b"--x--", (415,)),
        ("POST", CM, "application/json; charset=utf-16", b"{}", (400, 415, 422)),
        ("POST", CM, "", b"{}", (400, 415, 422)),
        ("POST", CM, "application/vnd.kubernetes.protobuf", b"k8s\x00" + b"\xff" * 64, (400,)),
        ("PATCH", CM + "/deep", "application/json-patch+json", b'[{"op":"evil"}]', (400, 404, 422)),
        ("PATCH", CM + "/deep", "application/merge-patch+json", _nested(10_000), (400, 404)),
        ("PATCH", CM + "/deep", "application/strategic-merge-patch+json", b"[]", (400, 404)),
        ("PATCH", CM + "/deep", "application/apply-patch+yaml", b"{{{{", (400, 404)),
        (
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            "application/json",
            b'{"metadata":{"name":"big"},"spec":{"replicas":1180591620717411303424}}',
            (400, 422),
        ),
        (
            "POST",
            SECRETS,
            "application/json",
            b'{"metadata":{"name":"s"},"data":{"k":"not base64!"}}',
            (400,),
        ),
    ],
)
def test_malformed_bodies_are_4xx(
    target: _Target, method: str, path: str, content_type: str, body: bytes, codes: tuple[int, ...]
) -> None:
    """Bodies that are not JSON, nested past any parser's depth, huge, of a bad type."""
    headers: dict[str, str | bytes] = {"Content-Type": content_type} if content_type else {}
    _refused(target.send(method, path, headers=headers, body=body, admin=True), *codes)


# -- query parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "query", "codes"),
    [
        ("GET", "limit=-1", (400,)),
        ("GET", "limit=abc", (400,)),
        ("GET", "limit=99999999999999999999999", (400, 200)),
        # any value but 0 and false is a watch, as in Kubernetes: 1 s of one
        ("GET", "watch=maybe&timeoutSeconds=1", (200,)),
        ("GET", "watch=1&timeoutSeconds=1&resourceVersionMatch=NotOlderThan", (422,)),
        ("GET", "resourceVersionMatch=Exact", (422,)),
        ("GET", "watch=1&sendInitialEvents=false&timeoutSeconds=1", (422,)),
        ("GET", "sendInitialEvents=true", (422,)),
        ("GET", "resourceVersion=abc", (400,)),
        ("GET", "resourceVersion=-1", (400,)),
        ("GET", "resourceVersion=1&resourceVersionMatch=Sometimes", (400,)),
        ("GET", "timeoutSeconds=-5", (400, 200)),
        ("GET", "fieldSelector=a==b==c", (400,)),
        ("GET", "fieldSelector=metadata.name", (400,)),
        ("GET", "fieldSelector=%00", (400,)),
        ("GET", "labelSelector=a%20in%20(", (400,)),
        ("GET", "labelSelector=!!", (400,)),
        ("GET", "labelSelector=a=b,", (400,)),
        ("GET", "labelSelector=" + "a" * 10_000 + "=b", (400,)),
        ("GET", "continue=%ff%fe", (400,)),
        ("GET", "allowWatchBookmarks=1&watch=1&sendInitialEvents=maybe", (422,)),
        ("POST", "dryRun=Maybe", (400,)),
        ("POST", "fieldManager=" + "m" * 200, (400, 422)),
        ("POST", "fieldValidation=Loose", (400,)),
        ("DELETE", "gracePeriodSeconds=abc", (400,)),
        ("DELETE", "propagationPolicy=Sometimes", (400,)),
        ("GET", "%zz=1", (200, 400)),
        ("GET", "pretty=%ff", (200, 400)),
    ],
)
def test_bad_query_parameters_are_400(
    target: _Target, method: str, query: str, codes: tuple[int, ...]
) -> None:
    """Query parameters that do not parse or name nothing Kubernetes has."""
    body = b'{"metadata":{"name":"q"}}' if method == "POST" else b""
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    path = CM + ("/q" if method == "DELETE" else "")
    _refused(target.send(method, f"{path}?{query}", headers=headers, body=body, admin=True), *codes)


# -- paths ---------------------------------------------------------------------------

TRAVERSALS = [
    "/api/v1/namespaces/default/configmaps/../secrets",
    "/api/v1/namespaces/default/configmaps/..%2fsecrets",
    "/api/v1/namespaces/default/configmaps/%2e%2e/secrets",
    "/api/v1/namespaces/../namespaces/default/secrets",
    "/healthz/../api/v1/namespaces/default/secrets",
    "/version/../api/v1/namespaces/default/secrets",
    "/readyz/%2e%2e/api/v1/namespaces/default/secrets",
    "//api/v1/namespaces/default/secrets",
    "/api/v1/namespaces/default/secrets/keep/../keep",
    "/api/v1/namespaces/default/secrets/%6beep",
    "/api/v1/namespaces/default/secrets/keep%00",
    "/api/v1/namespaces/default/secrets/keep;x=1",
    "/api/v1/namespaces/default/secrets/keep/",
    "/api/./v1/namespaces/default/secrets",
    "/API/V1/namespaces/default/secrets",
    "/api/v1/namespaces/default/secrets?x=../../",
    "/apis/../api/v1/namespaces/default/secrets",
    "/openapi/v2/../../api/v1/namespaces/default/secrets",
    "/api/v1/namespaces/default/pods/x/proxy/../../secrets",
    "/api/v1/namespaces/%2e%2e/secrets",
    "/api/v1/namespaces/default/secrets/" + "x" * 10_000,
    "*",
    "http://evil.example/api/v1/namespaces/default/secrets",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_tricks_never_reach_a_secret_anonymously(target: _Target, path: str) -> None:
    """Dot segments, encodings and odd request targets: anonymous gets no secret (403,
    or 400/404 when the path names nothing), the admin no 5xx."""
    anonymous = target.send("GET", path)
    _refused(anonymous, 400, 403, 404)
    assert b'"a":"MQ=="' not in anonymous.body
    admin = target.send("GET", path, admin=True)
    assert admin.code < 500, admin.body[:300]


def test_a_decoded_newline_in_the_path_is_authenticated_first(target: _Target) -> None:
    """A name with %0A/%0D in it: the request is still the API server's (403 anonymous, 404
    for the admin: no such object), never the HTTP library's own 404 before authentication."""
    path = "/api/v1/namespaces/default/pods/a%0Ab%0D%0Ac"
    anonymous = target.send("PUT", path, headers={"Content-Type": "application/json"}, body=b"{}")
    _refused(anonymous, 403)
    assert b'"kind":"Status"' in anonymous.body
    admin = target.send("GET", path, admin=True)
    _refused(admin, 404)
    assert b'"kind":"Status"' in admin.body


# -- HTTP framing --------------------------------------------------------------------


def test_http_framing_oddities_get_no_server_error(target: _Target) -> None:
    """HTTP/1.0, a missing Host, a bad method or version, a lying Content-Length."""
    # HTTP/1.0 without Host is legal: anonymous /version answers, secrets do not
    _refused(target.send("GET", "/version", headers={"Host": ""}, version="HTTP/1.0"), 200)
    _refused(target.send("GET", SECRETS, headers={"Host": ""}, version="HTTP/1.0"), 403)
    _refused(target.send("GET", SECRETS, headers={"Host": ""}, version="HTTP/1.0", admin=True), 200)
    # HTTP/1.1 requires Host (Go answers 400); never a secret to the anonymous
    _refused(target.send("GET", SECRETS, headers={"Host": ""}), 400, 403)
    _refused(target.send("GET", SECRETS, headers={"Host": "evil.example:1"}), 403)
    for request in (
        b"GET /version HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"BREW /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /version\r\n\r\n",
        b"\x16\x03\x01 not http at all\r\n\r\n",
        b"POST " + CM.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST " + CM.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nzz\r\n",
        b"GET /version HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
        b"GET /version HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 1000 + b"\r\n",
    ):
        try:
            answer = target.raw(request)
        except (ConnectionResetError, ValueError, IndexError):
            continue  # the server hung up on it: no answer, no error either
        assert 400 <= answer.code < 500 or answer.code == 200, answer
