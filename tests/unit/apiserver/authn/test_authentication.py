"""The request chain: client certificates, bearer tokens (static, service account,
bootstrap), anonymous, and the 401 for everything else."""

from __future__ import annotations

import base64
import datetime
import hashlib
import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from kubeling.api.authentication.user import UserInfo
from kubeling.api.errors import StatusError
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectRef, ServiceAccountTokens
from kubeling.apiserver.authn.anonymous import PUBLIC_INFO_PATHS
from kubeling.apiserver.authn.bearer_token import bearer_token
from kubeling.apiserver.authn.chain import AuthenticationChain, build_chain
from kubeling.apiserver.authn.interface import (
    Authenticated,
    AuthenticationError,
    Credentials,
)
from kubeling.apiserver.authn.token_file import StaticTokens
from kubeling.apiserver.authn.token_union import TokenUnion
from kubeling.apiserver.authn.x509 import certificate_user
from kubeling.pki import Pki, ensure_pki, issue_client_cert
from tests.unit.apiserver.tokens._support import FakeClock, FakeObjects, make_tokens

ISSUER = "https://kubernetes.default.svc.cluster.local"
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
STATIC = StaticTokens(
    {
        "static-1": UserInfo("alice", uid="1001", groups=("dev",)),
        "static-2": UserInfo("bob", uid="1002", groups=("system:authenticated", "ops")),
    }
)


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def _without_cn(pki: Pki) -> bytes:
    """A CA-signed client certificate whose subject has only an O (DER)."""
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dev")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """DER client certificates signed by a fresh cluster CA, by who they name."""
    pki = ensure_pki(tmp_path_factory.mktemp("pki"), server_names=[], server_ips=[])
    return {
        "admin": _der(pki.admin_cert.read_bytes()),
        "node": _der(issue_client_cert(pki, "system:node:n1", ["system:nodes"])[0]),
        "no-cn": _without_cn(pki),
    }


@pytest.fixture
def objects() -> FakeObjects:
    objects = FakeObjects()
    objects.put("ServiceAccount", "dev", "builder", "sa-uid")
    return objects


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service_accounts(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects, clock: FakeClock
) -> ServiceAccountTokens:
    return make_tokens(signing_key, objects, clock)


def _chain(
    service_accounts: ServiceAccountTokens,
    objects: FakeObjects,
    *,
    anonymous: bool = True,
    anonymous_paths: frozenset[str] | None = None,
) -> AuthenticationChain:
    return build_chain(
        api_audiences=[ISSUER],
        static_tokens=STATIC,
        service_account_tokens=service_accounts,
        bootstrap_secrets=objects,
        anonymous=anonymous,
        anonymous_paths=anonymous_paths,
    )


def _sa_token(tokens: ServiceAccountTokens, **options: object) -> str:
    values: dict[str, object] = {
        "namespace": "dev",
        "service_account": ObjectRef("builder", "sa-uid"),
        "audiences": [ISSUER],
        "expiration_seconds": 3600,
        **options,
    }
    return tokens.issue(**values)  # type: ignore[arg-type]


async def _authenticate(chain: AuthenticationChain, **credentials: object) -> UserInfo:
    values: dict[str, object] = {"path": "/api/v1/pods", **credentials}
    return await chain.authentication.authenticate(Credentials(**values))  # type: ignore[arg-type]


async def _refused(chain: AuthenticationChain, **credentials: object) -> StatusError:
    with pytest.raises(StatusError) as info:
        await _authenticate(chain, **credentials)
    return info.value


# -- the Authorization header ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("  Bearer abc  ", "abc"),
        ("Bearer abc def", "abc"),
        ("Bearer  abc", ""),  # two spaces: the token is the empty second word
        ("Bearer", ""),
        ("Bearer ", ""),
        ("Basic YWxpY2U6cHc=", ""),
        ("", ""),
        ("Token abc", ""),
    ],
)
def test_bearer_token_parsing(header: str, token: str) -> None:
    """Kubernetes' rules: case-insensitive scheme, the second space-separated word."""
    assert bearer_token(header) == token


# -- client certificates ---------------------------------------------------------------


def test_certificate_user(certificates: dict[str, bytes]) -> None:
    """CN is the user, O the groups, and the credential id is the certificate's SHA-256."""
    der = certificates["node"]
    assert certificate_user(der) == UserInfo(
        "system:node:n1",
        groups=("system:nodes",),
        extra={CREDENTIAL_ID: ("X509SHA256=" + hashlib.sha256(der).hexdigest(),)},
    )
    assert certificate_user(certificates["no-cn"]) is None


async def test_certificate_authenticates(
    certificates: dict[str, bytes], service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """The admin certificate: kubernetes-admin in system:masters and system:authenticated."""
    user = await _authenticate(
        _chain(service_accounts, objects), peer_certificate=certificates["admin"]
    )
    assert (user.name, user.uid, user.groups) == (
        "kubernetes-admin",
        "",
        ("system:masters", "system:authenticated"),
    )
    assert user.extra[CREDENTIAL_ID][0].startswith("X509SHA256=")


async def test_certificate_beats_a_token(
    certificates: dict[str, bytes], service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """A certificate and a token: the certificate is asked first and wins, even over a
    bad token (as kube-apiserver's chain: x509 before bearer)."""
    chain = _chain(service_accounts, objects)
    for token in ("static-1", "garbage"):
        user = await _authenticate(
            chain, peer_certificate=certificates["node"], authorization=f"Bearer {token}"
        )
        assert user.name == "system:node:n1"


async def test_certificate_without_cn_falls_through(
    certificates: dict[str, bytes], service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """A certificate without a CN names no one: the token, or anonymous, is next."""
    chain = _chain(service_accounts, objects)
    user = await _authenticate(
        chain, peer_certificate=certificates["no-cn"], authorization="Bearer static-1"
    )
    assert user.name == "alice"
    user = await _authenticate(chain, peer_certificate=certificates["no-cn"])
    assert user.name == "system:anonymous"


# -- bearer tokens ---------------------------------------------------------------------


async def test_static_tokens(service_accounts: ServiceAccountTokens, objects: FakeObjects) -> None:
    """A static token's user, with system:authenticated added once."""
    chain = _chain(service_accounts, objects)
    assert await _authenticate(chain, authorization="Bearer static-1") == UserInfo(
        "alice", uid="1001", groups=("dev", "system:authenticated")
    )
    bob = await _authenticate(chain, authorization="Bearer static-2")
    assert bob.groups == ("system:authenticated", "ops")


async def test_service_account_token(
    service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """system:serviceaccount:dev:builder, its groups, uid and the token's extra."""
    user = await _authenticate(
        _chain(service_accounts, objects),
        authorization=f"Bearer {_sa_token(service_accounts)}",
    )
    assert user == UserInfo(
        "system:serviceaccount:dev:builder",
        uid="sa-uid",
        groups=("system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"),
        extra={CREDENTIAL_ID: ("JTI=j1",)},
    )


async def test_bootstrap_token(
    service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """A bootstrap token in the chain: system:bootstrap:<id>, and system:authenticated."""
    data = {
        "token-id": "abcdef",
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-authentication": "true",
    }
    objects.put(
        "Secret",
        "kube-system",
        "bootstrap-token-abcdef",
        "u",
        type="bootstrap.kubernetes.io/token",
        data={key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    )
    user = await _authenticate(
        _chain(service_accounts, objects), authorization="Bearer abcdef.0123456789abcdef"
    )
    assert user == UserInfo(
        "system:bootstrap:abcdef", groups=("system:bootstrappers", "system:authenticated")
    )


@pytest.mark.parametrize(
    "case", ["expired", "wrong audience", "deleted account", "other key", "unknown"]
)
async def test_bad_tokens_are_401_never_anonymous(
    service_accounts: ServiceAccountTokens,
    objects: FakeObjects,
    clock: FakeClock,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token that does not authenticate is 401 Unauthorized, with anonymous on; the log
    says why but never shows the token."""
    chain = _chain(service_accounts, objects)
    token = _sa_token(service_accounts)
    reason = "invalid bearer token"
    if case == "expired":
        clock.advance(3600 + 61)
        reason = "service account token has expired"
    elif case == "wrong audience":
        token = _sa_token(service_accounts, audiences=["vault"])
        reason = "token audiences"
    elif case == "deleted account":
        objects.remove("ServiceAccount", "dev", "builder")
        reason = 'serviceaccounts "builder" not found'
    elif case == "other key":
        other = make_tokens(
            rsa.generate_private_key(public_exponent=65537, key_size=2048), objects, clock
        )
        token = _sa_token(other)
        reason = "invalid signature"
    else:
        token = "no-such-token"
    with caplog.at_level(logging.INFO):
        refused = await _refused(chain, authorization=f"Bearer {token}")
    assert refused.to_status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reason in logged
    assert token not in logged


async def test_union_gathers_refusals() -> None:
    """Two token authenticators refusing: both reasons, bracketed as Kubernetes prints them."""

    class Refusing:
        def __init__(self, reason: str) -> None:
            self.reason = reason

        async def verify(self, token: str, *, audiences: object) -> Authenticated | None:
            raise AuthenticationError(self.reason)

    union = TokenUnion([Refusing("first"), STATIC, Refusing("second")])
    with pytest.raises(AuthenticationError) as info:
        await union.verify("x", audiences=["api"])
    assert str(info.value) == "[first, second]"
    found = await union.verify("static-1", audiences=["api"])
    assert found is not None
    assert found.user.name == "alice"
    assert await TokenUnion([STATIC]).verify("x", audiences=["api"]) is None


# -- anonymous -------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", ["", "Basic YWxpY2U6cHc=", "Bearer ", "Bearer  x"])
async def test_no_credentials_is_anonymous(
    service_accounts: ServiceAccountTokens, objects: FakeObjects, authorization: str
) -> None:
    """No certificate and no bearer token: system:anonymous in system:unauthenticated."""
    user = await _authenticate(_chain(service_accounts, objects), authorization=authorization)
    assert user == UserInfo("system:anonymous", groups=("system:unauthenticated",))


async def test_anonymous_off(service_accounts: ServiceAccountTokens, objects: FakeObjects) -> None:
    """--anonymous-auth=false: no credentials is 401, on every path."""
    chain = _chain(service_accounts, objects, anonymous=False)
    for path in ("/version", "/api/v1/pods"):
        assert (await _refused(chain, path=path)).code == 401


async def test_anonymous_limited_to_paths(
    service_accounts: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """With paths (the server's anonymous_paths setting): anonymous there, 401 elsewhere."""
    chain = _chain(service_accounts, objects, anonymous_paths=PUBLIC_INFO_PATHS)
    for path in ("/healthz", "/livez", "/readyz", "/version", "/version/"):
        assert (await _authenticate(chain, path=path)).name == "system:anonymous"
    for path in ("/api/v1/pods", "/apis", "/openid/v1/jwks", "/healthz/etcd", "/"):
        assert (await _refused(chain, path=path)).code == 401
    # credentials still work everywhere
    assert (await _authenticate(chain, authorization="Bearer static-1")).name == "alice"
