"""/openapi/v2 over HTTP: negotiation, ETag and 304, gzip, Vary, one encoding per generation."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from kubeling.api import errors
from kubeling.api.schema import Object
from kubeling.apiserver import openapi_http
from kubeling.apiserver.openapi_http import V2_PROTOBUF_CONTENT_TYPE, make_handler
from kubeling.apiserver.openapi_protobuf import OpenAPIEncodeError, encode_document
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.registry.resource import Resource
from kubeling.storage.memory import MemoryStore

KUBECTL_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
Handler = Any


@pytest.fixture
def registry() -> Registry:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        if resource.group in ("", "authentication.k8s.io"):
            registry.add(resource)
    return registry


@pytest.fixture
def handler(registry: Registry) -> Handler:
    return make_handler(registry)


def get(handler: Handler, headers: Mapping[str, str] | None = None) -> web.Response:
    response: web.Response = handler(make_mocked_request("GET", "/openapi/v2", headers=headers))
    return response


def body(response: web.Response) -> bytes:
    assert isinstance(response.body, bytes)
    return response.body


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (KUBECTL_ACCEPT, V2_PROTOBUF_CONTENT_TYPE),
        (V2_PROTOBUF_CONTENT_TYPE, V2_PROTOBUF_CONTENT_TYPE),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html, application/json;q=0.9", "application/json"),
        (f"application/json;q=0.5, {KUBECTL_ACCEPT}", V2_PROTOBUF_CONTENT_TYPE),
        (f"{KUBECTL_ACCEPT};q=0.5, application/json", "application/json"),
    ],
)
def test_negotiation(handler: Handler, accept: str, content_type: str) -> None:
    """kube-openapi's offers and order; both protobuf spellings answer with the new one."""
    response = get(handler, {"Accept": accept} if accept else {})
    assert response.status == 200
    assert response.headers["Content-Type"] == content_type


def test_the_protobuf_is_the_json_document_encoded(handler: Handler) -> None:
    """The protobuf body is the gnostic Document of the very JSON served beside it."""
    document = json.loads(body(get(handler, {"Accept": "application/json"})))
    assert document["swagger"] == "2.0"
    assert body(get(handler, {"Accept": KUBECTL_ACCEPT})) == encode_document(document)


def test_unacceptable_media_type_is_406(handler: Handler) -> None:
    with pytest.raises(errors.StatusError) as caught:
        get(handler, {"Accept": "text/html"})
    assert caught.value.code == 406
    assert caught.value.reason == "NotAcceptable"
    assert KUBECTL_ACCEPT in caught.value.message


def test_headers(handler: Handler) -> None:
    """One ETag for both forms (the JSON's SHA-512), Vary, no caching without revalidation."""
    json_response = get(handler, {"Accept": "application/json"})
    protobuf_response = get(handler, {"Accept": KUBECTL_ACCEPT})
    etag = f'"{hashlib.sha512(body(json_response)).hexdigest().upper()}"'
    for response in (json_response, protobuf_response):
        assert response.headers["Etag"] == etag
        assert response.headers.getall("Vary") == ["Accept-Encoding", "Accept"]
        assert response.headers["Cache-Control"] == "no-cache, private"
        assert response.headers["Last-Modified"].endswith(" GMT")


def test_if_none_match_answers_304(handler: Handler) -> None:
    etag = get(handler).headers["Etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = get(handler, {"Accept": KUBECTL_ACCEPT, "If-None-Match": header})
        assert response.status == 304, header
        assert response.body is None
        assert response.headers["Etag"] == etag
        assert "Content-Type" not in response.headers
    assert get(handler, {"If-None-Match": '"other"'}).status == 200


def test_if_modified_since_answers_304(handler: Handler) -> None:
    """Without If-None-Match, the build time decides; with it, If-Modified-Since is ignored."""
    last_modified = get(handler).headers["Last-Modified"]
    assert get(handler, {"If-Modified-Since": last_modified}).status == 304
    stale = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert get(handler, {"If-Modified-Since": stale}).status == 200
    both = {"If-Modified-Since": last_modified, "If-None-Match": '"other"'}
    assert get(handler, both).status == 200


@pytest.mark.parametrize("accept", ["application/json", KUBECTL_ACCEPT])
def test_gzip(handler: Handler, accept: str) -> None:
    """Compressed when Accept-Encoding takes gzip, as gziphandler does; same ETag."""
    plain = get(handler, {"Accept": accept})
    zipped = get(handler, {"Accept": accept, "Accept-Encoding": "deflate, gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body(zipped)) == body(plain)
    assert zipped.headers["Etag"] == plain.headers["Etag"]
    refused = get(handler, {"Accept": accept, "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_encoded_once_per_generation(registry: Registry, handler: Handler) -> None:
    """The protobuf is built on first use and kept until the registry changes."""
    cache = openapi_http.OpenAPICache(registry)
    first = cache.v2()
    assert first.protobuf() is cache.v2().protobuf()
    etag = get(handler).headers["Etag"]
    registry.add(
        Resource(
            group="example.com",
            version="v1",
            kind="Gadget",
            plural="gadgets",
            singular="gadget",
            namespaced=True,
            type=Object("io.k8s.test.http.v1.Placeholder", "", [], preserve_unknown=True),
        ),
        custom=True,
        openapi_schema={"type": "object", "properties": {"size": {"type": "integer"}}},
    )
    assert cache.v2() is not first
    assert b"com.example.v1.Gadget" in cache.v2().protobuf().raw
    changed = get(handler, {"Accept": KUBECTL_ACCEPT})
    assert changed.headers["Etag"] != etag
    assert b"com.example.v1.Gadget" in body(changed)
    assert get(handler, {"If-None-Match": etag}).status == 200


def test_a_document_without_protobuf_form_is_503(
    handler: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As kube-openapi answers when gnostic cannot parse the spec; JSON is still served."""

    def refuse(document: Mapping[str, Any]) -> bytes:
        raise OpenAPIEncodeError("definitions.A: unexpected key 'oneOf'")

    monkeypatch.setattr(openapi_http, "encode_document", refuse)
    with pytest.raises(errors.StatusError) as caught:
        get(handler, {"Accept": KUBECTL_ACCEPT})
    assert caught.value.code == 503
    assert "unexpected key 'oneOf'" in caught.value.message
    assert get(handler, {"Accept": "application/json"}).status == 200


def test_last_modified_is_whole_seconds_utc() -> None:
    """HTTP dates have no fractions, so the build time compares exactly with them."""
    built = openapi_http.OpenAPICache(Registry(MemoryStore())).v2().last_modified
    assert built.microsecond == 0
    assert built.utcoffset() == timedelta(0)
