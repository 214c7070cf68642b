"""Serving OpenAPI: ``/openapi/v3``, ``/openapi/v3/<group-version>`` and ``/openapi/v2``.

kubectl reads ``/openapi/v3`` before ``apply``, ``create -f``, ``edit`` and
``explain`` (KUBECTL-CONTRACT.md §3), then fetches the group-version document
through the hashed URL the root gives. The documents are built once from the
registry and rebuilt when it changes (CRDs); a hashed URL is answered with
``Cache-Control: public, immutable`` so kubectl keeps it, and a stale hash is
redirected to the current one, as kube-openapi does.

``/openapi/v2`` is what kubectl falls back to for a kind without a PATCH
operation in v3 (the create-only reviews), asking for gnostic protobuf. It is
served as kube-openapi's v2 handler serves it:

- the media type is negotiated over, in this order, ``application/json``,
  ``application/com.github.proto-openapi.spec.v2@v1.0+protobuf`` (the
  spelling kubectl sends) and ``...spec.v2.v1.0+protobuf``; both protobuf
  types are answered with ``Content-Type: ...spec.v2.v1.0+protobuf``, and an
  Accept that allows none of them gets 406;
- ``Vary: Accept-Encoding`` and ``Vary: Accept``; the body is gzipped when
  Accept-Encoding takes gzip and it is at least 1400 bytes (gziphandler);
- one ETag for both forms, the upper-case hex SHA-512 of the JSON bytes,
  quoted; ``If-None-Match`` (or ``If-Modified-Since`` against the build
  time, given as ``Last-Modified``) answers 304.

The protobuf is made from the JSON bytes (as kube-openapi's ``ToProtoBinary``
does) by :mod:`kubeling.apiserver.openapi_protobuf`, and every form is built
at most once per registry generation, on first use. Range requests are not
served (the whole body is always sent).
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from kubeling.api import errors
from kubeling.apiserver.negotiation import accepts_gzip, etag_matches, negotiate
from kubeling.apiserver.openapi import (
    OpenAPIDocument,
    build_v2,
    build_v3,
    document_hash,
    v3_root,
)
from kubeling.apiserver.openapi_protobuf import OpenAPIEncodeError, encode_document
from kubeling.apiserver.registry.registry import Registry

__all__ = ["V2_PROTOBUF_CONTENT_TYPE", "OpenAPICache", "ServedBody", "SwaggerV2", "make_handler"]

log = logging.getLogger(__name__)

V2_PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

# kube-openapi's offers for /openapi/v2, in its order: (type, subtype) and
# the Content-Type the answer carries.
_V2_OFFERS = (
    ("application", "json"),
    ("application", "com.github.proto-openapi.spec.v2@v1.0+protobuf"),
    ("application", "com.github.proto-openapi.spec.v2.v1.0+protobuf"),
)
_V2_CONTENT_TYPES = ("application/json", V2_PROTOBUF_CONTENT_TYPE, V2_PROTOBUF_CONTENT_TYPE)
_GZIP_MIN_SIZE = 1400  # gziphandler's DefaultMinSize: smaller bodies go out as they are

_NOT_FOUND = json.dumps(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server could not find the requested resource",
        "reason": "NotFound",
        "code": 404,
    }
).encode()


@dataclass(slots=True)
class ServedBody:
    """Bytes to serve, and their gzip form once asked for."""

    raw: bytes
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            # Go's default level; no timestamp, so the same bytes each time.
            self._gzipped = gzip.compress(self.raw, compresslevel=6, mtime=0)
        return self._gzipped


@dataclass(slots=True)
class SwaggerV2:
    """One generation's ``/openapi/v2``: JSON, its protobuf form (made once), ETag, build time."""

    json: ServedBody
    etag: str
    last_modified: datetime
    _protobuf: ServedBody | None = field(default=None)

    def protobuf(self) -> ServedBody:
        """The gnostic ``Document`` message, encoded from the JSON on first use."""
        if self._protobuf is None:
            self._protobuf = ServedBody(encode_document(json.loads(self.json.raw)))
        return self._protobuf


class OpenAPICache:
    """The documents of the registry's current resources, built on first use."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._key: int | None = None
        self._v3: dict[str, OpenAPIDocument] = {}
        self._v3_root = b""
        self._v2: SwaggerV2 | None = None

    def _refresh(self) -> None:
        key = self.registry.generation
        if key == self._key:
            return
        resources = self.registry.resources()
        self._v3 = build_v3(
            resources,
            schema_provider=self.registry.openapi_schema,
            returns_deleted_object=self.registry.returns_deleted_object,
        )
        self._v3_root = json.dumps(v3_root(self._v3), separators=(",", ":")).encode()
        self._v2 = None  # built lazily: only some clients ask for it
        self._key = key

    def v3_root(self) -> bytes:
        self._refresh()
        return self._v3_root

    def v3(self, path: str) -> OpenAPIDocument | None:
        self._refresh()
        return self._v3.get(path)

    def v2(self) -> SwaggerV2:
        self._refresh()
        if self._v2 is None:
            body = json.dumps(
                build_v2(
                    self.registry.resources(),
                    schema_provider=self.registry.openapi_schema,
                    returns_deleted_object=self.registry.returns_deleted_object,
                ),
                separators=(",", ":"),
            ).encode()
            # HTTP dates have whole seconds; If-Modified-Since compares them.
            built = datetime.now(UTC).replace(microsecond=0)
            self._v2 = SwaggerV2(ServedBody(body), f'"{document_hash(body)}"', built)
        return self._v2


def make_handler(registry: Registry) -> Callable[[web.Request], web.Response]:
    """The handler for every ``/openapi/...`` path."""
    cache = OpenAPICache(registry)

    def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/openapi/v3":
            return web.Response(body=cache.v3_root(), content_type="application/json")
        if path == "/openapi/v2":
            return _serve_v2(request, cache.v2())
        if path.startswith("/openapi/v3/"):
            document = cache.v3(path[len("/openapi/v3/") :])
            if document is not None:
                wanted = request.query.get("hash")
                if wanted and wanted != document.hash:
                    raise web.HTTPMovedPermanently(document.server_relative_url)
                headers = {"Etag": f'"{document.hash}"'}
                if wanted:
                    headers["Cache-Control"] = "public, immutable"
                    headers["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
                else:
                    headers["Cache-Control"] = "no-cache, private"
                return web.Response(
                    body=document.body, content_type="application/json", headers=headers
                )
        return web.Response(body=_NOT_FOUND, status=404, content_type="application/json")

    return handle


def _serve_v2(request: web.Request, swagger: SwaggerV2) -> web.Response:
    """``/openapi/v2`` in the negotiated form (module docstring)."""
    headers = {"Cache-Control": "no-cache, private"}
    choice = negotiate(request.headers.get("Accept", ""), _V2_OFFERS)
    if choice is None:
        raise errors.not_acceptable([f"{type}/{subtype}" for type, subtype in _V2_OFFERS])
    headers["Etag"] = swagger.etag
    headers["Last-Modified"] = _http_date(swagger.last_modified)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        not_modified = etag_matches(if_none_match, swagger.etag)
    else:
        since = request.if_modified_since
        not_modified = since is not None and swagger.last_modified <= since
    if not_modified:
        return _with_vary(web.Response(status=304, headers=headers))
    try:
        body = swagger.json if choice == 0 else swagger.protobuf()
    except OpenAPIEncodeError as err:
        log.error("OpenAPI v2 has no protobuf form: %s", err)
        raise errors.service_unavailable(
            f"the OpenAPI v2 document has no protobuf form: {err}"
        ) from err
    payload = body.raw
    if len(payload) >= _GZIP_MIN_SIZE and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        payload = body.gzipped()
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = _V2_CONTENT_TYPES[choice]
    return _with_vary(web.Response(body=payload, headers=headers))


def _with_vary(response: web.Response) -> web.Response:
    # gziphandler adds its Vary first, then kube-openapi's handler its own.
    response.headers.add("Vary", "Accept-Encoding")
    response.headers.add("Vary", "Accept")
    return response


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
