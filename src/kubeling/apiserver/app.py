"""The API server's HTTP application (aiohttp).

One handler serves every resource path: it parses the request info from the
URL (``request_info``), authenticates the caller, authorizes the request
(``authz``: a 403 with Kubernetes' message when no authorizer allows it),
finds the resource in the registry, and calls the generic ``ResourceStore``
verb. Non-resource paths (``/version``, ``/healthz``, discovery, OpenAPI),
authorized the same way, have their own small handlers. Every failure leaves
as a Kubernetes ``Status`` with its code: ``StatusError`` as it is, anything
unexpected as a logged 500 whose body says nothing of the internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import platform
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from kubeling import __version__
from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.api.schema import Object, definition_for
from kubeling.apiserver import codec, discovery
from kubeling.apiserver.auth.issuer_discovery import (
    CACHE_CONTROL,
    JWKS_CONTENT_TYPE,
    JWKS_PATH,
    OPENID_CONFIG_PATH,
    IssuerDiscovery,
)
from kubeling.apiserver.authn.authentication import Authentication
from kubeling.apiserver.authn.impersonation import Impersonation
from kubeling.apiserver.authn.request_user import credentials_of, set_user, user_of
from kubeling.apiserver.authn.token_review import TokenReviewer
from kubeling.apiserver.authz import (
    UNSECURED,
    Authorization,
    forbidden,
    request_attributes,
    serving,
)
from kubeling.apiserver.authz.authorizer import AlwaysAllow
from kubeling.apiserver.authz.impersonation import AuthorizerImpersonation
from kubeling.apiserver.authz.reviews import ACCESS_REVIEWS, answer_access_review
from kubeling.apiserver.customresources.scale_subresource import scale_for
from kubeling.apiserver.kubelet_proxy import STREAM_SUBRESOURCES, KubeletProxy
from kubeling.apiserver.metrics import Metrics
from kubeling.apiserver.node_join import NodeJoin
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.request_info import RequestInfo, parse_request_info
from kubeling.apiserver.request_seats import RequestSeats
from kubeling.apiserver.resource_metrics import GROUP as METRICS_GROUP
from kubeling.apiserver.resource_metrics import ResourceMetrics
from kubeling.apiserver.rest.eviction import Eviction
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import PATCH_TYPES, ResourceStore
from kubeling.apiserver.rest.subresources import Binding, Finalize
from kubeling.apiserver.rest.token_request import TokenRequests
from kubeling.apiserver.reviews import REVIEW_RESOURCES, answer_review, review_token
from kubeling.apiserver.tables import TableRequest, table_for, table_request
from kubeling.apiserver.warnings import collect_warnings, warning_header
from kubeling.apiserver.watch import IDLE, watch_events
from kubeling.storage import TransformError

__all__ = ["GIT_VERSION", "ApiServerApp", "version_info"]

log = logging.getLogger("kubeling.apiserver")

GIT_VERSION = "v1.32.4+kubeling"
_NOT_FOUND = "the server could not find the requested resource"


def _path_not_found() -> errors.StatusError:
    """Kubernetes' 404 for a path it does not serve at all (no object named)."""
    return errors.StatusError(errors.Status(code=404, reason="NotFound", message=_NOT_FOUND))


Obj = dict[str, Any]


def version_info() -> Obj:
    """``/version``: minor 32, so that kubectl's dispatcher runs kubectl 1.32."""
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": f"kubeling-{__version__}",
        "gitTreeState": "clean",
        "buildDate": "2026-11-27T00:00:00Z",
        "goVersion": f"python{platform.python_version()}",
        "compiler": "cpython",
        "platform": f"linux/{_arch()}",
    }


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _json(value: Any, *, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(
        body=codec.dumps(value),
        status=status,
        content_type=None,
        headers={"Content-Type": content_type},
    )


def _status_response(err: errors.StatusError) -> web.Response:
    response = _json(err.to_status(), status=err.code or 500)
    details = err.details
    if details is not None and details.retry_after_seconds > 0:
        # as Kubernetes' ErrorNegotiated: clients honour the header, not the body
        response.headers["Retry-After"] = str(details.retry_after_seconds)
    return response


def _success_status(rest: ResourceStore, obj: Mapping[str, Any]) -> Obj:
    meta = obj.get("metadata") or {}
    details: Obj = {
        "name": meta.get("name", ""),
        "kind": rest.resource.plural,
        "uid": meta.get("uid", ""),
    }
    if rest.resource.group:
        details["group"] = rest.resource.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def _check_declared(rest: ResourceStore, info: RequestInfo) -> None:
    """404 for a subresource the resource does not have."""
    if any(s.name == info.subresource for s in rest.resource.subresources):
        return
    if rest.custom:  # the apiextensions server names the object
        raise errors.not_found(rest.resource.group_resource, info.name)
    raise _path_not_found()


class ApiServerApp:
    """The aiohttp application over a Registry.

    With ``authentication``, every request is authenticated (401 otherwise)
    and its impersonation headers applied by ``impersonation`` (by default
    asking ``authorization``'s authorizer); the user it then acts as is on the
    request (``authn.request_user.user_of``). Without, every request is the
    unsecured superuser (plain HTTP, in tests). Then ``authorization`` decides
    (403 when it refuses); without one every request is allowed.
    ``token_reviewer`` answers TokenReviews; without one no token is recognised.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        authentication: Authentication | None = None,
        impersonation: Impersonation | None = None,
        server_address: str = "127.0.0.1:6443",
        openapi: Any = None,
        token_reviewer: TokenReviewer | None = None,
        token_requests: TokenRequests | None = None,
        issuer_discovery: IssuerDiscovery | None = None,
        kubelet_proxy: KubeletProxy | None = None,
        resource_metrics: ResourceMetrics | None = None,
        node_join: NodeJoin | None = None,
        authorization: Authorization | None = None,
        seats: RequestSeats | None = None,
    ) -> None:
        self.registry = registry
        self._seats = seats or RequestSeats()
        self._authentication = authentication
        #: None: nothing is authorized (every request is allowed).
        self._authorization = authorization
        authorizer = authorization.authorizer if authorization is not None else AlwaysAllow()
        self._impersonation = impersonation or Impersonation(AuthorizerImpersonation(authorizer))
        #: ``host:port`` clients reach this server at (discovery, the JWKS URI);
        #: the server sets it again once its port is known.
        self.server_address = server_address
        self._openapi = openapi
        self._token_reviewer = token_reviewer
        self._token_requests = token_requests
        self._issuer_discovery = issuer_discovery
        self._kubelet_proxy = kubelet_proxy
        self._resource_metrics = resource_metrics
        self._node_join = node_join
        self.metrics = Metrics()
        self.app = web.Application(client_max_size=codec.MAX_BODY_BYTES + 1024)
        # Every path, a decoded newline in it too (``.`` would not match it, and aiohttp's
        # own 404 would answer before authentication).
        self.app.router.add_route("*", "/{tail:[\\s\\S]*}", self._handle)

    # -- entry ---------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        info = parse_request_info(request.method, request.path, request.query)
        warnings = collect_warnings()
        try:
            response = await self._dispatch(request, info)
        except errors.StatusError as err:
            response = _status_response(err)
        except asyncio.CancelledError:
            raise
        except TransformError as err:
            # a stored object that cannot be decrypted (encryption at rest)
            response = _status_response(errors.internal_error(err))
        except web.HTTPException as http_error:
            if http_error.status < 400:
                raise  # redirects (OpenAPI's stale hashes) pass through
            # aiohttp's own refusals (a body over the size limit...) as Statuses too
            if http_error.status == 413:
                response = _status_response(
                    errors.request_entity_too_large("the request body is too large")
                )
            else:
                response = _status_response(
                    errors.StatusError(
                        errors.Status(
                            code=http_error.status,
                            reason=http_error.reason,
                            message=http_error.text or http_error.reason,
                        )
                    )
                )
        except Exception as err:  # a bug: logged, answered as 500
            log.exception("internal error serving %s %s", request.method, request.path)
            response = _status_response(errors.internal_error(f"{type(err).__name__}"))
        if info.is_resource_request:
            self.metrics.observe(
                verb=info.verb,
                group=info.group,
                version=info.version,
                resource=info.resource,
                subresource=info.subresource,
                code=response.status,
                seconds=time.monotonic() - started,
            )
        if warnings and not response.prepared:
            for text in warnings:
                response.headers.add("Warning", warning_header(text))
        if log.isEnabledFor(logging.DEBUG):
            user = user_of(request)
            log.debug(
                "request verb=%s uri=%s user=%s status=%d latency_ms=%.1f user_agent=%s",
                request.method,
                json.dumps(request.path_qs),
                json.dumps(user.name if user else ""),
                response.status,
                (time.monotonic() - started) * 1000,
                json.dumps(request.headers.get("User-Agent", "")),
            )
        return response

    def _authorize(self, request: web.Request, info: RequestInfo, user: UserInfo) -> None:
        """403 unless the authorizers allow the request."""
        if self._authorization is None:
            return
        attributes = request_attributes(user, info, method=request.method, query=request.query)
        result = self._authorization.authorizer.authorize(attributes)
        if not result.allowed:
            raise forbidden(attributes, result.reason)

    async def _dispatch(self, request: web.Request, info: RequestInfo) -> web.StreamResponse:
        path = request.path
        if self._node_join is not None and path in self._node_join.paths:
            # Joining nodes have no client certificate yet: they bring a bootstrap token.
            return await self._node_join.handle(request)
        serving(None)
        user = await self._identify(request)
        serving(user)
        if self._node_join is not None and path == self._node_join.serving_path:
            # A node's own serving certificate: the caller's identity is the authorization.
            return await self._node_join.handle_serving(request, user)
        self._authorize(request, info, user)
        if path == "/version":
            return _json(version_info())
        if path == "/metrics":
            return web.Response(
                text=self.metrics.render(self.registry) + "\n".join(self._seats.metrics()) + "\n",
                headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
            )
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/api" or path == "/apis":
            return self._discovery_root(request, core=path == "/api")
        if path.startswith("/openapi/"):
            return self._openapi_response(request)
        if path in (OPENID_CONFIG_PATH, JWKS_PATH):
            return self._issuer_discovery_response(path)
        if not info.is_resource_request:
            return self._discovery_group(info)
        if self._resource_metrics is not None and info.group == METRICS_GROUP:
            return await self._metrics(request, info, self._resource_metrics)
        rest = self.registry.lookup(info.group, info.version, info.resource)
        if rest is None:
            raise _path_not_found()
        async with self._seats.serving(info, user):
            return await self._resource(request, info, rest)

    async def _identify(self, request: web.Request) -> UserInfo:
        """Authentication, then impersonation: who the request acts as, also put on
        the request (``user_of``) for what comes after. Without authentication
        (plain HTTP, in tests) every request is the unsecured superuser, as on
        Kubernetes' old insecure port."""
        if self._authentication is None:
            user = UNSECURED
        else:
            user = await self._authentication.authenticate(credentials_of(request))
            user = await self._impersonation.apply(user, request.headers.items())
        set_user(request, user)
        return user

    # -- discovery -----------------------------------------------------------

    def _served_resources(self) -> list[Resource]:
        """What discovery lists: the registry's resources and the resource metrics API."""
        resources = self.registry.resources()
        if self._resource_metrics is not None:
            resources += self._resource_metrics.resources
        return resources

    def _discovery_root(self, request: web.Request, *, core: bool) -> web.Response:
        resources = self._served_resources()
        if discovery.wants_aggregated(request.headers.get("Accept", "")):
            return _json(
                discovery.aggregated(resources, core=core),
                content_type=discovery.AGGREGATED_CONTENT_TYPE,
            )
        if core:
            return _json(discovery.api_versions(self.server_address))
        return _json(discovery.api_group_list(resources))

    def _discovery_group(self, info: RequestInfo) -> web.Response:
        parts = [p for p in info.path.split("/") if p]
        resources = self._served_resources()
        if parts[0] == "api" and len(parts) == 2:
            doc = discovery.api_resource_list(resources, "", parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            doc = discovery.api_resource_list(resources, parts[1], parts[2])
        elif parts[0] == "apis" and len(parts) == 2:
            versions = self.registry.group_versions().get(parts[1])
            if versions is None and self._resource_metrics is not None:
                versions = [
                    r.version for r in self._resource_metrics.resources if r.group == parts[1]
                ][:1] or None
            doc = discovery.api_group(parts[1], versions) if versions else None
        else:
            doc = None
        if doc is None:
            raise _path_not_found()
        return _json(doc)

    async def _metrics(
        self, request: web.Request, info: RequestInfo, metrics: ResourceMetrics
    ) -> web.Response:
        """``metrics.k8s.io``: served in-process (see :mod:`resource_metrics`)."""
        if info.version not in {r.version for r in metrics.resources}:
            raise _path_not_found()
        answer = await metrics.serve(info, request.query)
        if answer is None:
            raise _path_not_found()
        return _json(answer)

    def _openapi_response(self, request: web.Request) -> web.Response:
        if self._openapi is None:
            raise _path_not_found()
        response: web.Response = self._openapi(request)
        return response

    def _issuer_discovery_response(self, path: str) -> web.Response:
        """The service account issuer's OIDC discovery documents (404 without an issuer)."""
        if self._issuer_discovery is None:
            raise _path_not_found()
        if path == JWKS_PATH:
            doc, content_type = self._issuer_discovery.jwks(), JWKS_CONTENT_TYPE
        else:
            doc = self._issuer_discovery.openid_configuration(self.server_address)
            content_type = "application/json"
        response = _json(doc, content_type=content_type)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response

    # -- resources -----------------------------------------------------------

    async def _read_body(self, request: web.Request, type: Object | None) -> Any:
        return (await self._read_body_strict(request, type))[0]

    async def _read_body_strict(
        self, request: web.Request, type: Object | None
    ) -> tuple[Any, list[str]]:
        """The decoded body; a protobuf body is read as ``type`` (refused without one)."""
        body = await request.read()
        if not body:
            raise errors.bad_request("the request body is empty")
        return codec.decode_body_strict(body, request.headers.get("Content-Type", ""), type=type)

    async def _resource(
        self, request: web.Request, info: RequestInfo, rest: ResourceStore
    ) -> web.StreamResponse:
        verb, sub = info.verb, info.subresource
        namespace = info.namespace if rest.namespaced else ""
        if rest.namespaced and info.resource == "namespaces":
            namespace = ""
        if verb not in rest.resource.verbs and not sub:
            raise errors.method_not_supported(rest.resource.group_resource, verb)
        if sub and sub != "status":
            return await self._subresource(request, info, rest, namespace)
        if sub and rest.custom:
            _check_declared(rest, info)
        table = table_request(request.headers.get("Accept", ""), request.query)
        query = request.query
        agent = request.headers.get("User-Agent", "")
        if verb == "get":
            obj = await rest.get(namespace, info.name)
            return self._object_response(rest, obj, table)
        if verb == "list":
            list_options = ListOptions.parse(query)
            list_options.check_for(watch=False)
            if table is None:
                raw = await rest.list_json(namespace, list_options)
                if raw is not None:
                    return web.Response(body=raw, headers={"Content-Type": "application/json"})
            listed = await rest.list(namespace, list_options)
            return self._object_response(rest, listed, table)
        if verb == "watch":
            return await self._watch(request, rest, namespace, table)
        if verb == "create" and (rest.resource.group, rest.resource.plural) in REVIEW_RESOURCES:
            body, duplicates = await self._read_body_strict(request, rest.resource.type)
            user = user_of(request)
            assert user is not None  # _dispatch identified the caller first
            if rest.resource.plural in ACCESS_REVIEWS:
                authorization = self._authorization
                review = answer_access_review(
                    rest.resource.plural,
                    body,
                    requester=user,
                    namespace=namespace,
                    authorizer=authorization.authorizer if authorization else AlwaysAllow(),
                    resolver=authorization.rule_resolver if authorization else AlwaysAllow(),
                    options=WriteOptions.parse(query, user_agent=agent),
                    duplicates=duplicates,
                )
                return _json(review, status=201)
            if rest.resource.plural == "tokenreviews":
                review = await review_token(
                    body,
                    reviewer=self._token_reviewer,
                    options=WriteOptions.parse(query, user_agent=agent),
                    duplicates=duplicates,
                )
                return _json(review, status=201)
            if not isinstance(body, dict):
                raise errors.bad_request("the request body must be a JSON object")
            return _json(
                answer_review(
                    rest.resource.group,
                    rest.resource.plural,
                    body,
                    user=user,
                    api_version=rest.resource.gvk.api_version,
                    kind=rest.resource.kind,
                ),
                status=201,
            )
        if verb == "create":
            if info.name and not sub:
                raise errors.method_not_supported(rest.resource.group_resource, "create")
            rest.strategy.admit_create()
            body, duplicates = await self._read_body_strict(request, rest.resource.type)
            created = await rest.create(
                namespace, body, WriteOptions.parse(query, user_agent=agent), duplicates=duplicates
            )
            return _json(created, status=201)
        if verb == "update":
            body, duplicates = await self._read_body_strict(request, rest.resource.type)
            updated = await rest.update(
                namespace,
                info.name,
                body,
                WriteOptions.parse(query, user_agent=agent),
                subresource=sub,
                duplicates=duplicates,
            )
            return _json(updated)
        if verb == "patch":
            content_type = codec.media_type(request.headers.get("Content-Type", ""))
            patch_type = PATCH_TYPES.get(content_type)
            if patch_type is None:
                raise errors.unsupported_media_type(list(PATCH_TYPES))
            body = await self._read_body(request, rest.resource.type)
            result = await rest.patch(
                namespace,
                info.name,
                patch_type,
                body,
                # apply needs an explicit fieldManager; other writes default it
                WriteOptions.parse(query, user_agent="" if patch_type == "apply" else agent),
                subresource=sub,
            )
            return _json(result.obj, status=201 if result.created else 200)
        if verb == "delete":
            raw = await request.read()
            body = codec.decode_body(raw, request.headers.get("Content-Type", "")) if raw else None
            if body is not None and not isinstance(body, dict):
                raise errors.bad_request("DeleteOptions must be a JSON object")
            obj, gone = await rest.delete(namespace, info.name, DeleteOptions.parse(query, body))
            if gone and not rest.strategy.returns_deleted_object:
                return _json(_success_status(rest, obj))
            return _json(obj)
        if verb == "deletecollection":
            raw = await request.read()
            body = codec.decode_body(raw, request.headers.get("Content-Type", "")) if raw else None
            listed = await rest.delete_collection(
                namespace,
                ListOptions.parse(query),
                DeleteOptions.parse(query, body if isinstance(body, dict) else None),
            )
            return _json(listed)
        raise errors.method_not_supported(rest.resource.group_resource, verb)

    async def _subresource(
        self, request: web.Request, info: RequestInfo, rest: ResourceStore, namespace: str
    ) -> web.StreamResponse:
        """scale, binding, eviction, finalize, token, and the pod streams (log, exec, attach,
        portforward: proxied to the kubelet); status goes through the verbs."""
        verb, sub, query = info.verb, info.subresource, request.query
        agent = request.headers.get("User-Agent", "")
        _check_declared(rest, info)
        if sub in STREAM_SUBRESOURCES and (rest.resource.group, rest.resource.plural) == (
            "",
            "pods",
        ):
            allowed = ("get",) if sub == "log" else ("get", "create")
            if verb not in allowed or self._kubelet_proxy is None:
                raise errors.method_not_supported(f"pods/{sub}", verb)
            return await self._kubelet_proxy.serve(request, namespace, info.name, sub)
        declared = next(s for s in rest.resource.subresources if s.name == sub)
        if sub == "token" and self._token_requests is None:
            # Kubernetes serves serviceaccounts/token only when it has an issuer and key.
            raise _path_not_found()
        # A subresource's body is its own kind (Scale, Binding, TokenRequest...).
        body_type = (
            rest.resource.type
            if declared.gvk == rest.resource.gvk
            else definition_for(declared.gvk)
        )
        if sub == "scale":
            scale = scale_for(rest)
            if verb == "get":
                return _json(await scale.get(namespace, info.name))
            body = await self._read_body(request, body_type)
            if verb == "update":
                return _json(
                    await scale.update(
                        namespace, info.name, body, WriteOptions.parse(query, user_agent=agent)
                    )
                )
            if verb == "patch":
                patch_type = PATCH_TYPES.get(
                    codec.media_type(request.headers.get("Content-Type", ""))
                )
                if patch_type is None:
                    raise errors.unsupported_media_type(list(PATCH_TYPES))
                return _json(
                    await scale.patch(
                        namespace,
                        info.name,
                        patch_type,
                        body,
                        WriteOptions.parse(query, user_agent=agent),
                    )
                )
        elif sub == "token" and verb == "create" and self._token_requests is not None:
            body, duplicates = await self._read_body_strict(request, body_type)
            issued = await self._token_requests.create(
                namespace,
                info.name,
                body,
                WriteOptions.parse(query, user_agent=agent),
                duplicates=duplicates,
            )
            return _json(issued, status=201)
        elif sub == "binding" and verb == "create":
            body = await self._read_body(request, body_type)
            result = await Binding(rest).create(
                namespace, info.name, body, WriteOptions.parse(query, user_agent=agent)
            )
            return _json(result, status=201)
        elif sub == "eviction" and verb == "create":
            body = await self._read_body(request, body_type)
            budgets = self.registry.lookup("policy", "v1", "poddisruptionbudgets")
            answer = await Eviction(rest, budgets).create(
                namespace, info.name, body, dry_run=WriteOptions.parse(query).dry_run
            )
            return _json(answer, status=int(answer.get("code") or 201))
        elif sub == "finalize" and verb == "update":
            body = await self._read_body(request, body_type)
            return _json(
                await Finalize(rest).update(
                    info.name, body, WriteOptions.parse(query, user_agent=agent)
                )
            )
        raise errors.method_not_supported(f"{rest.resource.group_resource}/{sub}", verb)

    def _object_response(
        self, rest: ResourceStore, obj: Obj, table: TableRequest | None
    ) -> web.Response:
        if table is None:
            return _json(obj)
        return _json(
            table_for(rest.resource, obj, table, printer=rest.printer),
            content_type="application/json;as=Table;v=v1;g=meta.k8s.io",
        )

    async def _watch(
        self,
        request: web.Request,
        rest: ResourceStore,
        namespace: str,
        table: TableRequest | None,
    ) -> web.StreamResponse:
        options = ListOptions.parse(request.query)
        options.check_for(watch=True)
        events = watch_events(rest, namespace, options)
        # The first event may fail (bad selector...): raise before sending 200.
        response = web.StreamResponse(
            status=200,
            headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"},
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        first = True
        try:
            async with asyncio.timeout(options.timeout_seconds or 1800):
                async for event in events:
                    if event is IDLE:
                        if request.transport is None or request.transport.is_closing():
                            return response  # the client went away: free its watch
                        continue
                    raw = event.pop("raw", b"")
                    if raw and table is None:
                        await response.write(
                            b'{"type":"' + event["type"].encode() + b'","object":' + raw + b"}\n"
                        )
                        continue
                    if table is not None and event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        event = {
                            "type": event["type"],
                            "object": table_for(
                                rest.resource,
                                event["object"],
                                table,
                                with_columns=first,
                                printer=rest.printer,
                            ),
                        }
                        first = False
                    await response.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")
        except TimeoutError:
            pass
        except errors.StatusError as err:
            await response.write(codec.dumps({"type": "ERROR", "object": err.to_status()}) + b"\n")
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        finally:
            await events.aclose()
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()  # the client may have gone while the watch ended
        return response
