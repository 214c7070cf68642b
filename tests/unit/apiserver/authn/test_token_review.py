"""TokenReview through the whole token chain: static and bootstrap tokens are good for
the API server's audiences only; errors read as Kubernetes clusters report them."""

from __future__ import annotations

from typing import Any

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.chain import build_chain
from kubeling.apiserver.authn.token_file import StaticTokens
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.reviews import review_token
from tests.unit.apiserver.tokens._support import FakeObjects

API = "https://kubernetes.default.svc.cluster.local"


async def _status(spec: dict[str, Any]) -> dict[str, Any]:
    chain = build_chain(
        api_audiences=[API, "api"],
        static_tokens=StaticTokens({"static-1": UserInfo("alice", uid="1", groups=("dev",))}),
        bootstrap_secrets=FakeObjects(),
    )
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
    review = await review_token(body, reviewer=chain.token_reviewer, options=WriteOptions())
    status: dict[str, Any] = review["status"]
    return status


async def test_static_token_for_the_api_server() -> None:
    """No audiences named: the API server's, all of them in the answer."""
    assert await _status({"token": "static-1"}) == {
        "authenticated": True,
        "user": {"username": "alice", "uid": "1", "groups": ["dev", "system:authenticated"]},
        "audiences": [API, "api"],
    }


async def test_static_token_audiences() -> None:
    """Audiences shared with the API server's are kept (in the order asked); a review for
    other audiences only does not recognise the token."""
    status = await _status({"token": "static-1", "audiences": ["vault", "api"]})
    assert status["audiences"] == ["api"]
    assert await _status({"token": "static-1", "audiences": ["vault"]}) == {
        "user": {},
        "error": "invalid bearer token",
    }


async def test_unknown_tokens() -> None:
    """Tokens of no kind, or a bootstrap token without its Secret: invalid bearer token."""
    for token in ("nope", "abcdef.0123456789abcdef"):
        assert await _status({"token": token}) == {"user": {}, "error": "invalid bearer token"}
