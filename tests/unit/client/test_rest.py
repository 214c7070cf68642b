"""The REST client against a scripted HTTP server on 127.0.0.1: requests, errors, retries, watch.

The server answers each request with the next scripted response and records what it got, so the
tests see both sides of the wire without a real API server.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.client.config import ClientConfig
from kubeling.client.resources import CONFIGMAPS, NODES, PODS
from kubeling.client.rest import (
    ApiClient,
    NoKindMatchError,
    PatchType,
    TransportError,
    WatchEvent,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    url: str = ""
    script: list[Handler] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def respond(self, status: int, body: Any = None, **headers: str) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            if isinstance(body, str):
                return web.Response(status=status, text=body, headers=headers)
            return web.json_response(body, status=status, headers=headers)

        self.script.append(handler)

    def stream(self, *chunks: bytes) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for chunk in chunks:
                await response.write(chunk)
            await response.write_eof()
            return response

        self.script.append(handler)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                json.loads(raw) if raw else None,
            )
        )
        return await self.script.pop(0)(request)


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(api: FakeApi) -> AsyncIterator[ApiClient]:
    async with ApiClient(ClientConfig(server=api.url, user_agent="test-agent/1.0")) as c:
        yield c


def _status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


async def test_get_sends_json_headers_and_returns_the_object(
    api: FakeApi, client: ApiClient
) -> None:
    """GET on the object's path with Accept and User-Agent; the JSON comes back as a dict."""
    api.respond(200, {"kind": "Pod", "metadata": {"name": "web"}})
    pod = await client.resource(PODS).get("web", namespace="default", resource_version="0")
    assert pod["metadata"]["name"] == "web"
    seen = api.seen[0]
    assert (seen.method, seen.path, seen.query) == (
        "GET",
        "/api/v1/namespaces/default/pods/web",
        {"resourceVersion": "0"},
    )
    assert seen.headers["Accept"] == "application/json"
    assert seen.headers["User-Agent"] == "test-agent/1.0"


@pytest.mark.parametrize(
    ("status", "predicate"),
    [
        (_status(404, "NotFound", 'pods "x" not found'), errors.is_not_found),
        (_status(409, "AlreadyExists", 'pods "x" already exists'), errors.is_already_exists),
        (_status(409, "Conflict", "Operation cannot be fulfilled"), errors.is_conflict),
        (_status(410, "Expired", "too old resource version: 1 (5)"), errors.is_resource_expired),
        (_status(410, "Gone", "gone"), errors.is_gone),
        (_status(403, "Forbidden", "nope"), errors.is_forbidden),
    ],
)
async def test_status_bodies_become_typed_errors(
    api: FakeApi, client: ApiClient, status: dict[str, Any], predicate: Any
) -> None:
    """A Status body is rebuilt as the StatusError the server raised: same code, reason, text."""
    api.respond(status["code"], status)
    with pytest.raises(StatusError) as caught:
        await client.resource(PODS).get("x", namespace="default")
    assert predicate(caught.value)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        status["code"],
        status["reason"],
        status["message"],
    )


async def test_invalid_keeps_every_cause(api: FakeApi, client: ApiClient) -> None:
    """422 Invalid arrives with its field causes."""
    cause = {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.x"}
    api.respond(422, _status(422, "Invalid", "Pod is invalid", kind="Pod", causes=[cause]))
    with pytest.raises(StatusError) as caught:
        await client.resource(PODS).create({"metadata": {"name": "p"}}, namespace="default")
    assert errors.is_invalid(caught.value)
    assert caught.value.details is not None
    assert [(c.field, c.reason) for c in caught.value.details.causes] == [
        ("spec.x", "FieldValueRequired")
    ]


@pytest.mark.parametrize(
    ("code", "body", "method", "reason", "message"),
    [
        (
            502,
            "<html>bad gateway</html>",
            "GET",
            "InternalError",
            'an error on the server ("<html>bad gateway</html>") has prevented the request '
            "from succeeding (get pods web)",
        ),
        (
            404,
            "",
            "GET",
            "NotFound",
            "the server could not find the requested resource (get pods web)",
        ),
        (409, "", "POST", "AlreadyExists", "the server reported a conflict (post pods web)"),
        (
            503,
            "",
            "GET",
            "ServiceUnavailable",
            "the server is currently unable to handle the request (get pods web)",
        ),
    ],
)
async def test_responses_without_a_status_get_client_gos_generic_error(
    api: FakeApi,
    client: ApiClient,
    code: int,
    body: str,
    method: str,
    reason: str,
    message: str,
) -> None:
    """NewGenericServerResponse: reason from the code, the body as an unexpected cause."""
    api.respond(code, body)
    with pytest.raises(StatusError) as caught:
        await client.request(
            method,
            "/api/v1/namespaces/default/pods/web",
            resource=PODS.group_resource,
            name="web",
        )
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        code,
        reason,
        message,
    )
    assert caught.value.details is not None
    assert [c.reason for c in caught.value.details.causes] == [
        errors.CAUSE_UNEXPECTED_SERVER_RESPONSE
    ]


async def test_429_with_retry_after_is_retried(api: FakeApi, client: ApiClient) -> None:
    """Too many requests with Retry-After: wait and send again, then succeed."""
    api.respond(429, _status(429, "TooManyRequests", "slow down"), **{"Retry-After": "0"})
    api.respond(503, "", **{"Retry-After": "0"})
    api.respond(200, {"kind": "Node", "metadata": {"name": "n"}})
    node = await client.resource(NODES).get("n")
    assert node["metadata"]["name"] == "n"
    assert len(api.seen) == 3


async def test_retries_are_bounded(api: FakeApi) -> None:
    """After max_retries the 429 itself is raised."""
    async with ApiClient(ClientConfig(server=api.url), max_retries=2) as client:
        for _ in range(3):
            api.respond(429, _status(429, "TooManyRequests", "slow down"), **{"Retry-After": "0"})
        with pytest.raises(StatusError) as caught:
            await client.resource(NODES).get("n")
    assert errors.is_too_many_requests(caught.value)
    assert len(api.seen) == 3


async def test_concurrent_requests_are_bounded(api: FakeApi) -> None:
    """With max_concurrent_requests, requests beyond the bound wait for a slot."""
    in_flight = peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return web.json_response({"kind": "Node", "metadata": {"name": "n"}})

    api.script.extend([slow] * 10)
    async with ApiClient(ClientConfig(server=api.url), max_concurrent_requests=3) as client:
        nodes = await asyncio.gather(*(client.resource(NODES).get("n") for _ in range(10)))
    assert [node["metadata"]["name"] for node in nodes] == ["n"] * 10
    assert peak == 3


async def test_429_without_retry_after_is_not_retried(api: FakeApi, client: ApiClient) -> None:
    """No Retry-After, no retry (client-go's checkWait)."""
    api.respond(429, _status(429, "TooManyRequests", "slow down"))
    with pytest.raises(StatusError):
        await client.resource(NODES).get("n")
    assert len(api.seen) == 1


async def test_unreachable_server_is_a_transport_error() -> None:
    """Connection refused: TransportError, aiohttp's error chained."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with ApiClient(ClientConfig(server=f"http://127.0.0.1:{port}")) as client:
        with pytest.raises(TransportError) as caught:
            await client.resource(NODES).list()
    assert caught.value.__cause__ is not None


async def test_bearer_tokens_inline_or_from_a_file(api: FakeApi, tmp_path: Path) -> None:
    """Authorization: Bearer <token>, the token given or read from token_file."""
    (tmp_path / "token").write_text("from-file\n")
    for config, expected in (
        (ClientConfig(server=api.url, token="inline"), "Bearer inline"),
        (ClientConfig(server=api.url, token_file=tmp_path / "token"), "Bearer from-file"),
    ):
        api.respond(200, {})
        async with ApiClient(config) as client:
            await client.request("GET", "/version")
        assert api.seen[-1].headers["Authorization"] == expected


async def test_write_verbs_send_what_kubernetes_expects(api: FakeApi, client: ApiClient) -> None:
    """create/update/update_status/patch/apply/delete/deletecollection: paths, bodies, params."""
    cms = client.resource(CONFIGMAPS)
    body = {"metadata": {"name": "cm", "namespace": "ns", "resourceVersion": "7"}}
    for _ in range(8):
        api.respond(200, {"kind": "ConfigMap"})
    await cms.create(body, field_manager="me", dry_run=True)
    await cms.update(body)
    await cms.update_status(body)
    await cms.patch("cm", [{"op": "add"}], namespace="ns", patch_type=PatchType.JSON)
    await cms.apply(body, field_manager="me", force=True)
    await cms.delete(
        "cm",
        namespace="ns",
        propagation_policy="Foreground",
        grace_period_seconds=0,
        precondition_uid="u1",
        precondition_resource_version="7",
    )
    await cms.delete_collection(namespace="ns", label_selector="a=b")
    await cms.list(namespace="ns", limit=2, continue_token="tok", label_selector="x")
    got = [(s.method, s.path, s.query, s.headers.get("Content-Type")) for s in api.seen]
    one = "/api/v1/namespaces/ns/configmaps/cm"
    collection = "/api/v1/namespaces/ns/configmaps"
    assert got == [
        ("POST", collection, {"fieldManager": "me", "dryRun": "All"}, "application/json"),
        ("PUT", one, {}, "application/json"),
        ("PUT", one + "/status", {}, "application/json"),
        ("PATCH", one, {}, "application/json-patch+json"),
        ("PATCH", one, {"fieldManager": "me", "force": "true"}, "application/apply-patch+yaml"),
        ("DELETE", one, {}, "application/json"),
        ("DELETE", collection, {"labelSelector": "a=b"}, "application/json"),
        ("GET", collection, {"limit": "2", "continue": "tok", "labelSelector": "x"}, None),
    ]
    assert api.seen[5].body == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Foreground",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "u1", "resourceVersion": "7"},
    }


async def test_namespaced_objects_need_a_namespace(client: ApiClient) -> None:
    """Nothing is sent for a namespaced object without a namespace: it is a caller's bug."""
    with pytest.raises(ValueError, match="namespace is required"):
        await client.resource(PODS).get("p")
    with pytest.raises(ValueError, match="namespace is required"):
        await client.resource(PODS).create({"metadata": {"name": "p"}})


async def test_watch_parses_lines_split_across_chunks(api: FakeApi, client: ApiClient) -> None:
    """Events come out whole however the stream is chunked; bookmarks included."""
    lines = [
        {"type": "ADDED", "object": {"metadata": {"name": "a", "resourceVersion": "5"}}},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "9"}}},
        {"type": "DELETED", "object": {"metadata": {"name": "a", "resourceVersion": "10"}}},
    ]
    raw = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    api.stream(raw[:7], raw[7:60], raw[60:-1], raw[-1:])
    async with aclosing(
        client.resource(PODS).watch(namespace="ns", resource_version="4", timeout_seconds=30)
    ) as events:
        got = [event async for event in events]
    assert got == [WatchEvent(line["type"], line["object"]) for line in lines]
    assert api.seen[0].query == {
        "watch": "true",
        "resourceVersion": "4",
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "30",
    }


async def test_watch_error_event_raises_its_status(api: FakeApi, client: ApiClient) -> None:
    """An ERROR event (410 Expired) raises the StatusError it carries."""
    error = _status(410, "Expired", "too old resource version: 1 (5)")
    api.stream(json.dumps({"type": "ERROR", "object": error}).encode() + b"\n")
    with pytest.raises(StatusError) as caught:
        async for _ in client.resource(PODS).watch(resource_version="1"):
            pass
    assert errors.is_resource_expired(caught.value)


async def test_a_garbled_watch_stream_is_a_transport_error(api: FakeApi, client: ApiClient) -> None:
    """A line that is not a watch event ends the watch with a TransportError."""
    api.stream(b'{"type":"ADDED","object":{}}\n', b"not json\n")
    with pytest.raises(TransportError, match="undecodable"):
        async for _ in client.resource(PODS).watch():
            pass


async def test_find_resource_by_kind(api: FakeApi, client: ApiClient) -> None:
    """Discovery finds the plural and scope of a kind; an unknown kind says so."""
    listing = {
        "kind": "APIResourceList",
        "resources": [
            {"name": "widgets", "kind": "Widget", "namespaced": True},
            {"name": "widgets/status", "kind": "Widget", "namespaced": True},
        ],
    }
    api.respond(200, listing)
    api.respond(200, listing)
    api.respond(404, "")
    found = await client.find_resource("example.com/v1", "Widget")
    assert (found.group, found.version, found.plural, found.namespaced) == (
        "example.com",
        "v1",
        "widgets",
        True,
    )
    assert api.seen[0].path == "/apis/example.com/v1"
    with pytest.raises(NoKindMatchError, match='no matches for kind "Gadget"'):
        await client.find_resource("example.com/v1", "Gadget")
    with pytest.raises(NoKindMatchError):
        await client.find_resource("nothing.io/v1", "Widget")
