"""TokenReview: the answer's shape for valid, rejected and foreign tokens, and bad requests."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeling.api.errors import StatusError
from kubeling.apiserver.auth.serviceaccount_tokens import ObjectRef, ServiceAccountTokens
from kubeling.apiserver.authn.token_review import TokenReviewer
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.reviews import review_token
from tests.unit.apiserver.tokens._support import FakeClock, FakeObjects, make_tokens

ISSUER = "https://kubernetes.default.svc.cluster.local"


@pytest.fixture
def objects() -> FakeObjects:
    objects = FakeObjects()
    objects.put("ServiceAccount", "dev", "builder", "sa-uid")
    return objects


@pytest.fixture
def tokens(signing_key: rsa.RSAPrivateKey, objects: FakeObjects) -> ServiceAccountTokens:
    return make_tokens(signing_key, objects, FakeClock())


def _token(tokens: ServiceAccountTokens, audiences: tuple[str, ...] = (ISSUER,)) -> str:
    return tokens.issue(
        namespace="dev",
        service_account=ObjectRef("builder", "sa-uid"),
        audiences=audiences,
        expiration_seconds=3600,
    )


def _reviewer(tokens: ServiceAccountTokens) -> TokenReviewer:
    return TokenReviewer(tokens, api_audiences=tokens.api_audiences)


async def _review(tokens: ServiceAccountTokens | None, spec: dict[str, Any]) -> dict[str, Any]:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
    reviewer = _reviewer(tokens) if tokens is not None else None
    return await review_token(body, reviewer=reviewer, options=WriteOptions())


async def test_a_valid_token_is_authenticated(tokens: ServiceAccountTokens) -> None:
    """The user with system:authenticated added, the credential id, the accepted audiences."""
    token = _token(tokens)
    review = await _review(tokens, {"token": token})
    assert review == {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "metadata": {"creationTimestamp": None},
        "spec": {"token": token},
        "status": {
            "authenticated": True,
            "user": {
                "username": "system:serviceaccount:dev:builder",
                "uid": "sa-uid",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:dev",
                    "system:authenticated",
                ],
                "extra": {"authentication.kubernetes.io/credential-id": ["JTI=j1"]},
            },
            "audiences": [ISSUER],
        },
    }


async def test_review_audiences(tokens: ServiceAccountTokens) -> None:
    """spec.audiences replace the API server's: a vault token passes for vault only."""
    token = _token(tokens, ("vault",))
    assert (await _review(tokens, {"token": token, "audiences": ["vault"]}))["status"][
        "audiences"
    ] == ["vault"]
    refused = (await _review(tokens, {"token": token}))["status"]
    assert refused == {
        "user": {},
        "error": '[invalid bearer token, token audiences ["vault"] is invalid for the target '
        'audiences ["https://kubernetes.default.svc.cluster.local"]]',
    }


async def test_a_rejected_token_reports_the_reason(
    tokens: ServiceAccountTokens, objects: FakeObjects
) -> None:
    """authenticated is absent (false), user empty, and the chain's error with the reason."""
    token = _token(tokens)
    objects.remove("ServiceAccount", "dev", "builder")
    status = (await _review(tokens, {"token": token}))["status"]
    assert status == {
        "user": {},
        "error": '[invalid bearer token, serviceaccounts "builder" not found]',
    }


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
async def test_a_foreign_token_is_invalid_bearer_token(
    tokens: ServiceAccountTokens, token: str
) -> None:
    """A token no authenticator recognises: just "invalid bearer token"."""
    status = (await _review(tokens, {"token": token}))["status"]
    assert status == {"user": {}, "error": "invalid bearer token"}


async def test_without_a_signing_key_no_token_is_ours(tokens: ServiceAccountTokens) -> None:
    """A server with no issuer recognises no token."""
    status = (await _review(None, {"token": _token(tokens)}))["status"]
    assert status == {"user": {}, "error": "invalid bearer token"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"spec": {}}, "token is required for TokenReview in authentication"),
        ({}, "token is required for TokenReview in authentication"),
        ({"spec": {"token": ""}}, "token is required for TokenReview in authentication"),
        (
            {"spec": {"token": 5}},
            'TokenReview in version "v1" cannot be handled as a TokenReview: ',
        ),
        (
            {"spec": {"token": "t", "who": "me"}},
            'TokenReview in version "v1" cannot be handled as a TokenReview: strict decoding '
            'error: unknown field "spec.who"',
        ),
        (
            {"kind": "TokenRequest", "spec": {"token": "t"}},
            'TokenRequest in version "v1" cannot be handled as a TokenReview',
        ),
        ("token", "the request body must be a JSON object"),
    ],
)
async def test_bad_reviews_are_400(tokens: ServiceAccountTokens, body: Any, message: str) -> None:
    """No token, a badly typed or unknown field, another kind: 400 BadRequest."""
    with pytest.raises(StatusError) as info:
        await review_token(body, reviewer=_reviewer(tokens), options=WriteOptions())
    assert info.value.code == 400
    assert info.value.message.startswith(message)


async def test_duplicate_fields_are_refused(tokens: ServiceAccountTokens) -> None:
    """Duplicate JSON fields (reported by the decoder) fail strict validation."""
    with pytest.raises(StatusError) as info:
        await review_token(
            {"spec": {"token": "t"}},
            reviewer=_reviewer(tokens),
            options=WriteOptions(),
            duplicates=['duplicate field "spec.token"'],
        )
    assert info.value.message.endswith('strict decoding error: duplicate field "spec.token"')
