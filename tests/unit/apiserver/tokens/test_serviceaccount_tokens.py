"""Service account tokens: the claims issued, and every check verify makes, in order."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.apiserver.auth import jwt
from kubeling.apiserver.auth.serviceaccount_tokens import (
    Binding,
    InvalidTokenError,
    ObjectRef,
    ServiceAccountTokens,
)
from tests.unit.apiserver.tokens._support import NOW, FakeClock, FakeObjects, make_tokens

ISSUER = "https://kubernetes.default.svc.cluster.local"
SA_UID = "sa-uid-1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def objects() -> FakeObjects:
    objects = FakeObjects()
    objects.put("ServiceAccount", "dev", "builder", SA_UID)
    return objects


@pytest.fixture
def tokens(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects, clock: FakeClock
) -> ServiceAccountTokens:
    return make_tokens(signing_key, objects, clock)


def _issue(
    tokens: ServiceAccountTokens,
    *,
    audiences: tuple[str, ...] = (ISSUER,),
    expiration_seconds: int = 3600,
    binding: Binding | None = None,
    warn_after_seconds: int = 0,
) -> str:
    """A token for dev/builder."""
    return tokens.issue(
        namespace="dev",
        service_account=ObjectRef("builder", SA_UID),
        audiences=audiences,
        expiration_seconds=expiration_seconds,
        binding=binding or Binding(),
        warn_after_seconds=warn_after_seconds,
    )


def _payload(token: str) -> bytes:
    return jwt.b64url_decode(token.split(".")[1])


# -- issuing ----------------------------------------------------------------------------


def test_issued_claims_are_kubernetes_bound_token_claims(tokens: ServiceAccountTokens) -> None:
    """iss, sub, aud (a list), iat = nbf, exp, jti and the kubernetes.io claim, keys sorted."""
    token = _issue(tokens)
    now = int(NOW)
    assert json.loads(_payload(token)) == {
        "aud": [ISSUER],
        "exp": now + 3600,
        "iat": now,
        "iss": ISSUER,
        "jti": "j1",
        "kubernetes.io": {
            "namespace": "dev",
            "serviceaccount": {"name": "builder", "uid": SA_UID},
        },
        "nbf": now,
        "sub": "system:serviceaccount:dev:builder",
    }
    assert _payload(token).startswith(b'{"aud":["https://')
    header = jwt.parse(token).header
    assert header == {"alg": "RS256", "kid": tokens.key_id}


def test_pod_bound_claims_name_the_pod_and_its_node(tokens: ServiceAccountTokens) -> None:
    """A pod binding records the pod and its node; a node without uid is written by name."""
    binding = Binding(pod=ObjectRef("web", "pod-uid"), node=ObjectRef("node-1"))
    claims = json.loads(_payload(_issue(tokens, binding=binding, warn_after_seconds=3607)))
    assert claims["kubernetes.io"] == {
        "namespace": "dev",
        "node": {"name": "node-1"},
        "pod": {"name": "web", "uid": "pod-uid"},
        "serviceaccount": {"name": "builder", "uid": SA_UID},
        "warnafter": int(NOW) + 3607,
    }


@pytest.mark.parametrize(
    ("binding", "claim"),
    [
        (Binding(secret=ObjectRef("s", "s-uid")), "secret"),
        (Binding(node=ObjectRef("n", "n-uid")), "node"),
    ],
)
def test_secret_and_node_bound_claims(
    tokens: ServiceAccountTokens, binding: Binding, claim: str
) -> None:
    """A secret or node binding records just that object."""
    private = json.loads(_payload(_issue(tokens, binding=binding)))["kubernetes.io"]
    assert set(private) == {"namespace", "serviceaccount", claim}


def test_a_token_binds_one_object_type() -> None:
    """A secret and a pod at once is refused, as Kubernetes' Claims refuses it."""
    with pytest.raises(ValueError, match="one object type"):
        Binding(pod=ObjectRef("p"), secret=ObjectRef("s"))


def test_api_audiences_default_to_the_issuer(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects, clock: FakeClock
) -> None:
    """With no --api-audiences the server's audience is its issuer."""
    assert make_tokens(signing_key, objects, clock).api_audiences == (ISSUER,)
    other = make_tokens(signing_key, objects, clock, api_audiences=("api", "vault"))
    assert other.api_audiences == ("api", "vault")


# -- verifying: success ----------------------------------------------------------------


async def test_verify_authenticates_the_service_account(tokens: ServiceAccountTokens) -> None:
    """User name, uid, groups and the credential id; audiences the API server accepts."""
    result = await tokens.verify(_issue(tokens))
    assert result is not None
    assert result.audiences == (ISSUER,)
    user = result.user
    assert user.name == "system:serviceaccount:dev:builder"
    assert user.uid == SA_UID
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:dev")
    assert user.extra == {"authentication.kubernetes.io/credential-id": ("JTI=j1",)}


async def test_verify_reports_bound_pod_and_node(
    tokens: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """A pod-bound token's extra has pod name/uid and node name/uid, keys sorted."""
    objects.put("Pod", "dev", "web", "pod-uid")
    binding = Binding(pod=ObjectRef("web", "pod-uid"), node=ObjectRef("node-1", "node-uid"))
    result = await tokens.verify(_issue(tokens, binding=binding))
    assert result is not None
    assert result.user.extra == {
        "authentication.kubernetes.io/credential-id": ("JTI=j1",),
        "authentication.kubernetes.io/node-name": ("node-1",),
        "authentication.kubernetes.io/node-uid": ("node-uid",),
        "authentication.kubernetes.io/pod-name": ("web",),
        "authentication.kubernetes.io/pod-uid": ("pod-uid",),
    }
    # the node of a pod-bound token is reported, not looked up
    assert ("Node", "", "node-1") not in objects.asked


async def test_verify_intersects_audiences_in_token_order(tokens: ServiceAccountTokens) -> None:
    """The accepted audiences are the token's that the caller names, in the token's order."""
    token = _issue(tokens, audiences=("a", "b", "c"))
    result = await tokens.verify(token, audiences=["c", "x", "a"])
    assert result is not None
    assert result.audiences == ("a", "c")


async def test_expiry_allows_the_leeway(tokens: ServiceAccountTokens, clock: FakeClock) -> None:
    """Up to 60 s past exp (go-jose's leeway) the token still verifies; after, it has expired."""
    token = _issue(tokens, expiration_seconds=600)
    clock.advance(600 + 60)
    assert await tokens.verify(token) is not None
    clock.advance(1)
    with pytest.raises(InvalidTokenError, match=r"^service account token has expired$"):
        await tokens.verify(token)


# -- verifying: not ours ---------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        '{"payload":"e30","signatures":[]}',
        "e30.e30.e30",  # no issuer at all
    ],
)
async def test_tokens_that_are_not_ours_are_none(tokens: ServiceAccountTokens, token: str) -> None:
    """Unparseable tokens and tokens without our issuer go to other authenticators."""
    assert await tokens.verify(token) is None


async def test_another_issuer_is_not_ours(
    signing_key: rsa.RSAPrivateKey, objects: FakeObjects, clock: FakeClock
) -> None:
    """A token signed by our own key but naming another issuer is still not ours."""
    foreign = make_tokens(signing_key, objects, clock, issuer="https://elsewhere")
    tokens = make_tokens(signing_key, objects, clock)
    assert await tokens.verify(_issue(foreign)) is None


# -- verifying: ours but invalid ---------------------------------------------------------


async def test_tampered_claims_fail_the_signature(tokens: ServiceAccountTokens) -> None:
    """Changing the subject (re-encoded, same signature) is a crypto failure."""
    header, payload, signature = _issue(tokens).split(".")
    claims = json.loads(jwt.b64url_decode(payload))
    claims["kubernetes.io"]["serviceaccount"]["name"] = "admin"
    forged = f"{header}.{jwt.b64url_encode(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(forged)
    assert str(info.value) == "go-jose/go-jose: error in cryptographic primitive"


async def test_a_foreign_key_with_our_kid_fails_the_signature(
    tokens: ServiceAccountTokens, other_key: rsa.RSAPrivateKey
) -> None:
    """Our issuer and kid, another key: the signature does not verify."""
    claims = json.loads(_payload(_issue(tokens)))
    forged = jwt.sign(claims, other_key, kid=tokens.key_id)
    with pytest.raises(InvalidTokenError, match="error in cryptographic primitive"):
        await tokens.verify(forged)


async def test_an_unknown_kid_has_no_key(
    tokens: ServiceAccountTokens, other_key: rsa.RSAPrivateKey
) -> None:
    """A kid we do not publish: Kubernetes' "no keys found"."""
    claims = json.loads(_payload(_issue(tokens)))
    forged = jwt.sign(claims, other_key, kid=jwt.key_id(other_key.public_key()))
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(forged)
    assert str(info.value) == "invalid signature, no keys found"


async def test_wrong_audience_is_refused_with_kubernetes_message(
    tokens: ServiceAccountTokens,
) -> None:
    """A token for vault is no good for the API server, and the message lists both sides."""
    token = _issue(tokens, audiences=("vault",))
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == (
        'token audiences ["vault"] is invalid for the target audiences '
        '["https://kubernetes.default.svc.cluster.local"]'
    )
    assert await tokens.verify(token, audiences=["vault"]) is not None


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        (-61, "service account token is not valid yet"),
        (3600 + 61, "service account token has expired"),
    ],
)
async def test_time_window(
    tokens: ServiceAccountTokens, clock: FakeClock, shift: float, message: str
) -> None:
    """Before nbf or after exp, beyond the leeway, the token is refused."""
    token = _issue(tokens)
    clock.advance(shift)
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == message


async def test_issued_in_the_future(
    tokens: ServiceAccountTokens, clock: FakeClock, signing_key: rsa.RSAPrivateKey
) -> None:
    """iat later than now plus the leeway (with nbf fine) is refused."""
    claims = json.loads(_payload(_issue(tokens)))
    claims["iat"] = int(NOW) + 120
    forged = jwt.sign(claims, signing_key, kid=tokens.key_id)
    with pytest.raises(InvalidTokenError, match=r"^service account token is issued in the future$"):
        await tokens.verify(forged)


async def test_deleted_service_account(tokens: ServiceAccountTokens, objects: FakeObjects) -> None:
    """The service account must still exist: its NotFound message is the reason."""
    token = _issue(tokens)
    objects.remove("ServiceAccount", "dev", "builder")
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == 'serviceaccounts "builder" not found'


async def test_recreated_service_account(
    tokens: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """A service account of the same name but another uid does not vouch for old tokens."""
    token = _issue(tokens)
    objects.put("ServiceAccount", "dev", "builder", "sa-uid-2")
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == f"service account UID (sa-uid-2) does not match claim ({SA_UID})"


async def test_terminating_objects_expire_after_the_leeway(
    tokens: ServiceAccountTokens, objects: FakeObjects, clock: FakeClock
) -> None:
    """An object whose deletionTimestamp is more than 60 s past no longer vouches."""
    token = _issue(tokens)
    sa = objects.objects[("ServiceAccount", "dev", "builder")]
    sa["metadata"]["deletionTimestamp"] = "2027-01-15T08:00:00Z"  # NOW is 08:00:00
    assert await tokens.verify(token) is not None
    clock.advance(61)
    with pytest.raises(InvalidTokenError, match=r"^service account dev/builder has been deleted$"):
        await tokens.verify(token)


@pytest.mark.parametrize("kind", ["Pod", "Secret", "Node"])
async def test_bound_object_deleted_invalidates(
    tokens: ServiceAccountTokens, objects: FakeObjects, kind: str
) -> None:
    """Once the bound pod, secret or node is gone, the token is invalidated."""
    namespace = "" if kind == "Node" else "dev"
    objects.put(kind, namespace, "bound", "b-uid")
    ref = ObjectRef("bound", "b-uid")
    binding = Binding(**{kind.lower(): ref})
    token = _issue(tokens, binding=binding)
    assert await tokens.verify(token) is not None
    objects.remove(kind, namespace, "bound")
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == "service account token has been invalidated"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("Pod", "pod UID (new) does not match service account pod ref claim (b-uid)"),
        ("Secret", "secret UID (new) does not match service account secret ref claim (b-uid)"),
        ("Node", "node UID (new) does not match service account node ref claim (b-uid)"),
    ],
)
async def test_bound_object_recreated(
    tokens: ServiceAccountTokens, objects: FakeObjects, kind: str, message: str
) -> None:
    """A bound object recreated under the same name has a new uid: the token is refused."""
    namespace = "" if kind == "Node" else "dev"
    objects.put(kind, namespace, "bound", "b-uid")
    binding = Binding(**{kind.lower(): ObjectRef("bound", "b-uid")})
    token = _issue(tokens, binding=binding)
    objects.put(kind, namespace, "bound", "new")
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(token)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exp": "soon"}, "go-jose/go-jose/jwt: expected number for numeric date value"),
        (
            {"aud": 7},
            "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience",
        ),
        (
            {"jti": 5},
            "json: cannot unmarshal number into Go struct field Claims.jti of type string",
        ),
    ],
)
async def test_badly_typed_claims(
    tokens: ServiceAccountTokens,
    signing_key: rsa.RSAPrivateKey,
    change: dict[str, object],
    message: str,
) -> None:
    """Claims of the wrong JSON type fail as Go's decoder fails them (signed or not)."""
    claims = json.loads(_payload(_issue(tokens)))
    claims.update(change)
    forged = jwt.sign(claims, signing_key, kid=tokens.key_id)
    with pytest.raises(InvalidTokenError) as info:
        await tokens.verify(forged)
    assert str(info.value) == message


async def test_a_single_string_audience_is_read(
    tokens: ServiceAccountTokens, signing_key: rsa.RSAPrivateKey
) -> None:
    """ "aud" may be one string (JWT allows it; go-jose reads it)."""
    claims = json.loads(_payload(_issue(tokens)))
    claims["aud"] = ISSUER
    result = await tokens.verify(jwt.sign(claims, signing_key, kid=tokens.key_id))
    assert result is not None
    assert result.audiences == (ISSUER,)
