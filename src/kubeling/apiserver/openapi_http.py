"""Serving OpenAPI: ``/openapi/v3``, ``/openapi/v3/<group-version>`` and ``/openapi/v2``.

kubectl reads ``/openapi/v3`` before ``apply``, ``create -f``, ``edit`` and
``explain`` (KUBECTL-CONTRACT.md §3), then fetches the group-version document
through the hashed URL the root gives. The documents are built once from the
registry and rebuilt when it changes (CRDs); a hashed URL is answered with
``Cache-Control: public, immutable`` so kubectl keeps it, and a stale hash is
redirected to the current one, as kube-openapi does.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web

from kubeling.apiserver.openapi import OpenAPIDocument, build_v2, build_v3, v3_root
from kubeling.apiserver.registry.registry import Registry

__all__ = ["OpenAPICache", "make_handler"]

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


class OpenAPICache:
    """The documents of the registry's current resources, built on first use."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._key: int | None = None
        self._v3: dict[str, OpenAPIDocument] = {}
        self._v3_root = b""
        self._v2 = b""

    def _refresh(self) -> None:
        key = self.registry.generation
        if key == self._key:
            return
        resources = self.registry.resources()
        self._v3 = build_v3(resources, schema_provider=self.registry.openapi_schema)
        self._v3_root = json.dumps(v3_root(self._v3), separators=(",", ":")).encode()
        self._v2 = b""  # built lazily: only older clients ask for it
        self._key = key

    def v3_root(self) -> bytes:
        self._refresh()
        return self._v3_root

    def v3(self, path: str) -> OpenAPIDocument | None:
        self._refresh()
        return self._v3.get(path)

    def v2(self) -> bytes:
        self._refresh()
        if not self._v2:
            self._v2 = json.dumps(
                build_v2(self.registry.resources(), schema_provider=self.registry.openapi_schema),
                separators=(",", ":"),
            ).encode()
        return self._v2


def make_handler(registry: Registry) -> Callable[[web.Request], web.Response]:
    """The handler for every ``/openapi/...`` path."""
    cache = OpenAPICache(registry)

    def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/openapi/v3":
            return web.Response(body=cache.v3_root(), content_type="application/json")
        if path == "/openapi/v2":
            return web.Response(body=cache.v2(), content_type="application/json")
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
