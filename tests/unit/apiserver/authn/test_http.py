"""Authentication in the HTTP application: the Status a refusal gets, the user a
SelfSubjectReview (kubectl auth whoami) shows, impersonation over real headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.authn.anonymous import PUBLIC_INFO_PATHS
from kubeling.apiserver.authn.chain import build_chain
from kubeling.apiserver.authn.impersonation import Impersonation
from kubeling.apiserver.authn.token_file import StaticTokens
from kubeling.apiserver.authz.impersonation import AuthorizerImpersonation
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.storage.memory import MemoryStore
from tests.unit.apiserver.authz._support import binding, policy, role, rule, subject

API = "https://kubernetes.default.svc.cluster.local"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
STATIC = StaticTokens(
    {"static-1": UserInfo("alice", uid="1001", groups=("dev",))},
)

Request = Callable[..., Awaitable[tuple[int, Any]]]

# RBAC for the impersonation checks: authenticated users may impersonate anyone.
IMPERSONATORS = policy(
    cluster_roles=[role("impersonator", rule(["impersonate"], ["*"], ["*"]))],
    cluster_role_bindings=[
        binding(
            "impersonators",
            "ClusterRole",
            "impersonator",
            subject("Group", "system:authenticated"),
        )
    ],
)


async def _server(anonymous_paths: frozenset[str] | None) -> TestServer:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    chain = build_chain(api_audiences=[API], static_tokens=STATIC, anonymous_paths=anonymous_paths)
    app = ApiServerApp(
        registry,
        authentication=chain.authentication,
        impersonation=Impersonation(AuthorizerImpersonation(RBACAuthorizer(lambda: IMPERSONATORS))),
        token_reviewer=chain.token_reviewer,
    )
    server = TestServer(app.app)
    await server.start_server()
    return server


@pytest.fixture(params=["limited", "open"])
async def request_to(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Request]]:
    """A server whose anonymous requests are limited to the public-info paths or not
    (the default: the authorizer decides), and a function that calls it."""
    paths = PUBLIC_INFO_PATHS if request.param == "limited" else None
    server = await _server(paths)
    async with aiohttp.ClientSession() as session:

        async def call(
            method: str, path: str, *, token: str = "", json: Any = None, **headers: str
        ) -> tuple[int, Any]:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            async with session.request(
                method, server.make_url(path), json=json, headers=headers
            ) as response:
                body = await response.read()
                is_json = response.content_type == "application/json"
                return response.status, (await response.json() if is_json else body)

        try:
            yield request.param, call
        finally:
            await server.close()


async def _whoami(call: Request, **options: Any) -> tuple[int, Any]:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    return await call("POST", WHOAMI, json=body, **options)


async def test_a_bad_token_is_401_everywhere(request_to: tuple[str, Request]) -> None:
    """An unknown token: Kubernetes' 401 Status, on /version too (never anonymous)."""
    _, call = request_to
    for path in ("/version", "/api/v1/namespaces"):
        code, body = await call("GET", path, token="nope")
        assert code == 401
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


async def test_whoami_with_a_static_token(request_to: tuple[str, Request]) -> None:
    """SelfSubjectReview shows the token's user as authenticated."""
    _, call = request_to
    code, body = await _whoami(call, token="static-1")
    assert code == 201
    assert body["status"] == {
        "userInfo": {
            "username": "alice",
            "uid": "1001",
            "groups": ["dev", "system:authenticated"],
        }
    }


async def test_anonymous(request_to: tuple[str, Request]) -> None:
    """No credentials: /version answers; elsewhere 401 while anonymous requests are
    limited, and system:anonymous once they are not."""
    mode, call = request_to
    code, body = await call("GET", "/version")
    assert (code, body["minor"]) == (200, "32")
    code, body = await _whoami(call)
    if mode == "limited":
        assert (code, body["reason"]) == (401, "Unauthorized")
    else:
        assert code == 201
        assert body["status"]["userInfo"] == {
            "username": "system:anonymous",
            "groups": ["system:unauthenticated"],
        }


async def test_impersonation(request_to: tuple[str, Request]) -> None:
    """--as/--as-group/--as-uid/extra headers: whoami shows the impersonated user."""
    _, call = request_to
    headers = {
        "Impersonate-User": "jane",
        "Impersonate-Uid": "u-9",
        "Impersonate-Extra-Scopes": "view",
    }
    code, body = await _whoami(call, token="static-1", **headers)
    assert code == 201
    assert body["status"]["userInfo"] == {
        "username": "jane",
        "uid": "u-9",
        "groups": ["system:authenticated"],
        "extra": {"scopes": ["view"]},
    }


async def test_impersonation_refused(request_to: tuple[str, Request]) -> None:
    """The anonymous user may not impersonate (RBAC binds the right to authenticated
    users only); a group without a user is 400."""
    _, call = request_to
    code, body = await call("GET", "/version", **{"Impersonate-User": "admin"})
    assert code == 403
    assert body["message"] == (
        'users "admin" is forbidden: User "system:anonymous" cannot impersonate resource '
        '"users" in API group "" at the cluster scope'
    )
    code, body = await call("GET", "/version", token="static-1", **{"Impersonate-Group": "x"})
    assert (code, body["reason"]) == (400, "BadRequest")


async def test_token_review_of_a_static_token(request_to: tuple[str, Request]) -> None:
    """TokenReview knows the static tokens too."""
    _, call = request_to
    review = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": "static-1"},
    }
    code, body = await call(
        "POST", "/apis/authentication.k8s.io/v1/tokenreviews", token="static-1", json=review
    )
    assert code == 201
    assert body["status"]["user"]["username"] == "alice"
    assert body["status"]["audiences"] == [API]
