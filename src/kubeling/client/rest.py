"""The REST client: every verb on any resource, over aiohttp, failures as typed ``StatusError``.

:class:`ApiClient` owns the HTTP session (TLS, credentials, ``User-Agent``) and sends requests;
``client.resource(PODS)`` gives a :class:`ResourceClient` with the Kubernetes verbs on one
resource. Objects go in and come out as plain dicts: the JSON the API speaks. Nothing here knows
any kind's fields.

Failures:

- An HTTP error with a ``Status`` body raises :class:`kubeling.api.errors.StatusError` rebuilt
  from it, so ``errors.is_not_found(err)``, ``is_conflict``, ``is_already_exists``, ``is_invalid``,
  ``is_gone``/``is_resource_expired`` work exactly as on the server side.
- An HTTP error without one (a proxy's HTML page, an empty 503) raises the ``StatusError`` that
  client-go makes of it (:func:`kubeling.api.errors.generic_server_response`).
- No usable HTTP answer at all (refused, reset, TLS failure, timeout, a garbled watch stream)
  raises :class:`TransportError`, with aiohttp's exception chained as its cause.

A 429 or 5xx answer with a ``Retry-After`` header is retried after that many seconds, up to
``max_retries`` times (client-go's default is 10); then its error is raised. A watch's ``ERROR``
event raises its ``StatusError`` from the iterator (410 Expired when the resource version is too
old), so ``async for event in pods.watch(...)`` either yields events or raises.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, NamedTuple

import aiohttp

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.api.groupversion import GroupResource
from kubeling.client.config import ClientConfig, ConfigError
from kubeling.client.resources import Resource

__all__ = [
    "ApiClient",
    "NoKindMatchError",
    "Obj",
    "PatchType",
    "ResourceClient",
    "TransportError",
    "WatchEvent",
]

logger = logging.getLogger(__name__)

Obj = dict[str, Any]

_TOKEN_FILE_REFRESH_SECONDS: Final = 60.0  # client-go's cachingTokenSource period
# A watch's socket may stay silent up to its timeoutSeconds; past that plus this, it is dead.
_WATCH_READ_GRACE_SECONDS: Final = 30.0


class TransportError(Exception):
    """The request got no usable HTTP answer: refused, reset, TLS failure, timeout, garbled."""


class NoKindMatchError(LookupError):
    """Discovery found no resource serving the kind: ``no matches for kind "X" in version "v"``."""


class PatchType(enum.StrEnum):
    """The four patch formats, by the ``Content-Type`` that selects them."""

    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


class WatchEvent(NamedTuple):
    """One watch event: ``ADDED``, ``MODIFIED``, ``DELETED`` or ``BOOKMARK``, and the object
    (for a bookmark, only ``kind``, ``apiVersion`` and ``metadata.resourceVersion``)."""

    type: str
    object: Obj


_WATCH_TYPES: Final = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})


class ApiClient:
    """An HTTP session to one API server; use as ``async with ApiClient(config) as client``.

    The session is opened on first use inside the running loop and closed by :meth:`close`.
    ``request_timeout`` bounds every request but watches, which are bounded by their own
    ``timeoutSeconds``. ``max_concurrent_requests`` (default: no bound) makes further
    requests wait for one in flight to finish, so that a component under load reuses that
    many connections rather than opening one, with its TLS handshake, per request.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        max_retries: int = 10,
        request_timeout: float = 60.0,
        max_concurrent_requests: int | None = None,
    ) -> None:
        self.config = config
        self.max_retries = max_retries
        self.request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[float, str] | None = None
        # Each request in flight holds a connection of its own (HTTP/1.1): a bound keeps a
        # busy component on a few reused connections instead of a new TLS handshake for
        # every request beyond them. Watches are not counted.
        self._slots = (
            asyncio.Semaphore(max_concurrent_requests) if max_concurrent_requests else None
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections (open watches end with a TransportError)."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
            # Let the transports' close callbacks run before the caller's loop may end.
            await asyncio.sleep(0)

    def resource(self, resource: Resource) -> ResourceClient:
        """The verbs on ``resource``: ``client.resource(PODS).get("web", namespace="default")``."""
        return ResourceClient(self, resource)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        content_type: str = "application/json",
        resource: GroupResource | None = None,
        name: str = "",
    ) -> Any:
        """Send one request and return its decoded JSON body (``None`` when empty).

        ``body`` is encoded as JSON unless it is ``bytes``. ``resource`` and ``name`` only
        complete the message of an error whose response carried no ``Status``.
        """
        if self._slots is None:
            raw = await self._send(method, path, params, body, content_type, resource, name)
        else:
            async with self._slots:
                raw = await self._send(method, path, params, body, content_type, resource, name)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as error:
            raise TransportError(f"{method} {path}: response is not JSON") from error

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: object,
        content_type: str,
        resource: GroupResource | None,
        name: str,
    ) -> bytes:
        async with self._open(
            method,
            path,
            params=params,
            body=body,
            content_type=content_type,
            resource=resource,
            name=name,
            client_timeout=aiohttp.ClientTimeout(total=self.request_timeout),
        ) as response:
            try:
                return await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                raise TransportError(f"{method} {path}: {error}") from error

    async def find_resource(self, api_version: str, kind: str) -> Resource:
        """The resource serving ``kind`` at ``api_version``, found through discovery.

        Raises :class:`NoKindMatchError` when the group/version serves no such kind.
        """
        group, _, version = api_version.rpartition("/")
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = await self.request("GET", path)
        except StatusError as error:
            if errors.is_not_found(error):
                raise NoKindMatchError(
                    f'no matches for kind "{kind}" in version "{api_version}"'
                ) from error
            raise
        for entry in (listing or {}).get("resources") or []:
            if entry.get("kind") == kind and "/" not in entry.get("name", "/"):
                return Resource(
                    group=group,
                    version=version,
                    plural=entry["name"],
                    kind=kind,
                    namespaced=bool(entry.get("namespaced")),
                )
        raise NoKindMatchError(f'no matches for kind "{kind}" in version "{api_version}"')

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        body: object,
        content_type: str,
        resource: GroupResource | None,
        name: str,
        client_timeout: aiohttp.ClientTimeout,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """The successful response to a request, retried on Retry-After; errors raised typed."""
        data = body if isinstance(body, bytes) or body is None else _encode(body)
        headers = {"Accept": "application/json", "User-Agent": self.config.user_agent}
        if data is not None:
            headers["Content-Type"] = content_type
        token = self._bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        session = self._get_session()
        url = self.config.server + path
        attempt = 0
        while True:
            try:
                response = await session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=client_timeout,
                    server_hostname=self.config.tls_server_name,
                )
            except (aiohttp.ClientError, TimeoutError) as error:
                raise TransportError(f"{method} {path}: {error or type(error).__name__}") from error
            try:
                if response.status < 300:
                    yield response
                    return
                retry_after = _retry_after(response)
                text = await _read_text(response)
            finally:
                response.release()
            if retry_after is not None and attempt < self.max_retries:
                attempt += 1
                logger.info(
                    "%s %s: %d, retrying after %ss (%d/%d)",
                    method,
                    path,
                    response.status,
                    retry_after,
                    attempt,
                    self.max_retries,
                )
                await asyncio.sleep(retry_after)
                continue
            raise _error_from_response(
                response.status, text, method, resource, name, retry_after or 0
            )

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ssl_context = self.config.ssl_context()
            # No connection limit: every watch holds a connection for its whole life.
            # Before Python 3.12.8 a TLS connection closed on release (a cancelled
            # request) shuts down in the background and can outlive the loop: aiohttp's
            # cleanup of closed transports aborts those when the session closes.
            connector = aiohttp.TCPConnector(
                ssl=ssl_context or False,
                limit=0,
                enable_cleanup_closed=aiohttp.connector.NEEDS_CLEANUP_CLOSED,
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _bearer_token(self) -> str | None:
        """``token``, else ``token_file``'s content, re-read once a minute as it rotates."""
        if self.config.token:
            return self.config.token
        if self.config.token_file is None:
            return None
        now = time.monotonic()
        if self._token is not None and now - self._token[0] < _TOKEN_FILE_REFRESH_SECONDS:
            return self._token[1]
        try:
            token = self.config.token_file.read_text().strip()
        except OSError as error:
            raise ConfigError(
                f"cannot read token file {self.config.token_file}: {error}"
            ) from error
        self._token = (now, token)
        return token


class ResourceClient:
    """The Kubernetes verbs on one resource.

    ``namespace`` addresses the object's namespace; for create, update and apply it defaults to
    the body's ``metadata.namespace``. It is required for one object of a namespaced resource,
    optional for lists, watches and deletecollection (empty: all namespaces), and ignored for a
    cluster-scoped resource.
    """

    def __init__(self, client: ApiClient, resource: Resource) -> None:
        self.client = client
        self.resource = resource

    async def get(
        self, name: str, *, namespace: str = "", subresource: str = "", resource_version: str = ""
    ) -> Obj:
        """GET one object (or its subresource); ``resource_version="0"`` allows a cached read."""
        params = {"resourceVersion": resource_version} if resource_version else None
        path = self._path(self._namespace(namespace), name, subresource)
        return await self._call("GET", path, name=name, params=params)

    async def list(
        self,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> Obj:
        """One page of the collection: the List object, ``metadata.continue`` set if more."""
        params = _params(
            labelSelector=label_selector,
            fieldSelector=field_selector,
            limit=str(limit) if limit else "",
            resourceVersion=resource_version,
            resourceVersionMatch=resource_version_match,
            **{"continue": continue_token},
        )
        return await self._call("GET", self.resource.path(namespace=namespace), params=params)

    async def create(
        self,
        body: Mapping[str, Any],
        *,
        namespace: str = "",
        name: str = "",
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
        field_validation: str = "",
    ) -> Obj:
        """POST ``body``; with ``name`` and ``subresource``, POST to that object's subresource
        (``pods/binding``, ``pods/eviction``)."""
        namespace = self._namespace(namespace, body)
        path = self._path(namespace, name, subresource) if subresource else self._path(namespace)
        params = _write_params(dry_run, field_manager, field_validation)
        return await self._call("POST", path, name=name, params=params, body=body)

    async def update(
        self,
        body: Mapping[str, Any],
        *,
        namespace: str = "",
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "",
        field_validation: str = "",
    ) -> Obj:
        """PUT ``body`` over the object it names; its ``metadata.resourceVersion`` (if set) must
        still be current, or the update fails with 409 Conflict."""
        name = _name_of(body)
        path = self._path(self._namespace(namespace, body), name, subresource)
        params = _write_params(dry_run, field_manager, field_validation)
        return await self._call("PUT", path, name=name, params=params, body=body)

    async def update_status(
        self,
        body: Mapping[str, Any],
        *,
        namespace: str = "",
        dry_run: bool = False,
        field_manager: str = "",
        field_validation: str = "",
    ) -> Obj:
        """PUT ``body`` to the ``status`` subresource (only its status is written)."""
        return await self.update(
            body,
            namespace=namespace,
            subresource="status",
            dry_run=dry_run,
            field_manager=field_manager,
            field_validation=field_validation,
        )

    async def patch(
        self,
        name: str,
        patch: object,
        *,
        patch_type: PatchType = PatchType.STRATEGIC,
        namespace: str = "",
        subresource: str = "",
        field_manager: str = "",
        force: bool | None = None,
        dry_run: bool = False,
        field_validation: str = "",
    ) -> Obj:
        """PATCH the object with ``patch`` (a JSON value, or raw ``bytes``) of ``patch_type``.

        ``force`` is only valid with :attr:`PatchType.APPLY`, which also requires a
        ``field_manager`` (the API server says so with a 400 otherwise).
        """
        path = self._path(self._namespace(namespace), name, subresource)
        params = _write_params(dry_run, field_manager, field_validation)
        if force is not None:
            params["force"] = "true" if force else "false"
        return await self._call(
            "PATCH", path, name=name, params=params, body=patch, content_type=patch_type.value
        )

    async def apply(
        self,
        body: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        namespace: str = "",
        subresource: str = "",
        dry_run: bool = False,
        field_validation: str = "",
    ) -> Obj:
        """Server-side apply ``body`` (the fields ``field_manager`` wants to own); ``force``
        takes over fields other managers own instead of failing with 409 Conflict."""
        return await self.patch(
            _name_of(body),
            body,
            patch_type=PatchType.APPLY,
            namespace=self._namespace(namespace, body),
            subresource=subresource,
            field_manager=field_manager,
            force=force,
            dry_run=dry_run,
            field_validation=field_validation,
        )

    async def delete(
        self,
        name: str,
        *,
        namespace: str = "",
        propagation_policy: str = "",
        grace_period_seconds: int | None = None,
        precondition_uid: str = "",
        precondition_resource_version: str = "",
        dry_run: bool = False,
    ) -> Obj:
        """DELETE the object; returns what the server answers: the object (still there while
        finalizers or a grace period hold it) or a ``Status`` of kind Success.

        ``propagation_policy`` is ``Background``, ``Foreground`` or ``Orphan``; the
        preconditions make the delete fail with 409 Conflict unless the object still has that
        uid / resourceVersion.
        """
        options = _delete_options(propagation_policy, grace_period_seconds, dry_run)
        preconditions = _params(uid=precondition_uid, resourceVersion=precondition_resource_version)
        if preconditions:
            options["preconditions"] = preconditions
        path = self._path(self._namespace(namespace), name)
        return await self._call("DELETE", path, name=name, body=options)

    async def delete_collection(
        self,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: str = "",
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """DELETE every object matching the selectors (in ``namespace``, or everywhere)."""
        params = _params(labelSelector=label_selector, fieldSelector=field_selector)
        options = _delete_options(propagation_policy, grace_period_seconds, dry_run)
        return await self._call(
            "DELETE", self.resource.path(namespace=namespace), params=params, body=options
        )

    async def watch(
        self,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str = "",
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        send_initial_events: bool | None = None,
    ) -> AsyncGenerator[WatchEvent, None]:
        """Watch the collection: every change after ``resource_version`` as a :class:`WatchEvent`.

        Without a resource version (or ``"0"``) the server first sends an ``ADDED`` for every
        object that exists. The iterator ends when the server ends the watch
        (``timeout_seconds``); an ``ERROR`` event raises its ``StatusError`` (410 Expired when
        ``resource_version`` is too old); a broken stream raises :class:`TransportError`. Close
        it (``contextlib.aclosing``) to stop watching early.
        """
        params = _params(
            watch="true",
            labelSelector=label_selector,
            fieldSelector=field_selector,
            resourceVersion=resource_version,
            allowWatchBookmarks="true" if allow_bookmarks else "",
            timeoutSeconds=str(timeout_seconds) if timeout_seconds else "",
        )
        if send_initial_events is not None:
            # the API server requires the pair, as client-go's watch-list sends it
            params["sendInitialEvents"] = "true" if send_initial_events else "false"
            params["resourceVersionMatch"] = "NotOlderThan"
        path = self.resource.path(namespace=namespace)
        read_timeout = timeout_seconds + _WATCH_READ_GRACE_SECONDS if timeout_seconds else None
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.client.request_timeout, sock_read=read_timeout
        )
        async with self.client._open(
            "GET",
            path,
            params=params,
            body=None,
            content_type="",
            resource=self.resource.group_resource,
            name="",
            client_timeout=timeout,
        ) as response:
            pending = bytearray()
            ended = False
            try:
                async for chunk in response.content.iter_any():
                    pending += chunk
                    while (end := pending.find(b"\n")) >= 0:
                        line = bytes(pending[:end])
                        del pending[: end + 1]
                        if line.strip():
                            yield _watch_event(line)
                ended = True
            except (aiohttp.ClientError, TimeoutError) as error:
                raise TransportError(f"watch {self.resource}: {error or 'timed out'}") from error
            finally:
                if not ended:
                    # Stopped mid-stream (closed early, or failed): HTTP/1.1 cannot end a
                    # streamed response but by dropping its connection, so drop it now rather
                    # than leave a TLS shutdown pending that may outlive the event loop.
                    _abort(response)
            if bytes(pending).strip():
                yield _watch_event(bytes(pending))

    def _path(self, namespace: str, name: str = "", subresource: str = "") -> str:
        return self.resource.path(namespace=namespace, name=name, subresource=subresource)

    def _namespace(self, namespace: str, body: Mapping[str, Any] | None = None) -> str:
        """The namespace an object request goes to; refuse to guess one for a namespaced kind."""
        if not self.resource.namespaced:
            return ""
        if not namespace and body is not None:
            namespace = str((body.get("metadata") or {}).get("namespace") or "")
        if not namespace:
            raise ValueError(f"{self.resource} is namespaced: a namespace is required")
        return namespace

    async def _call(
        self,
        method: str,
        path: str,
        *,
        name: str = "",
        params: Mapping[str, str] | None = None,
        body: object = None,
        content_type: str = "application/json",
    ) -> Obj:
        result = await self.client.request(
            method,
            path,
            params=params or None,
            body=body,
            content_type=content_type,
            resource=self.resource.group_resource,
            name=name,
        )
        if not isinstance(result, dict):
            raise TransportError(f"{method} {path}: expected a JSON object, got {result!r:.80}")
        return result


def _abort(response: aiohttp.ClientResponse) -> None:
    connection = response.connection
    if connection is not None and connection.transport is not None:
        connection.transport.abort()


def _encode(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _params(**values: str) -> dict[str, str]:
    """The query parameters that are set (empty strings are left out)."""
    return {key: value for key, value in values.items() if value}


def _write_params(dry_run: bool, field_manager: str, field_validation: str) -> dict[str, str]:
    return _params(
        dryRun="All" if dry_run else "",
        fieldManager=field_manager,
        fieldValidation=field_validation,
    )


def _delete_options(
    propagation_policy: str, grace_period_seconds: int | None, dry_run: bool
) -> dict[str, Any]:
    """A ``DeleteOptions`` body, as client-go sends it."""
    options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
    if propagation_policy:
        options["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    if dry_run:
        options["dryRun"] = ["All"]
    return options


def _name_of(body: Mapping[str, Any]) -> str:
    name = (body.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("the object has no metadata.name")
    return name


def _retry_after(response: aiohttp.ClientResponse) -> int | None:
    """Seconds to wait before retrying, when the server asked for it (client-go ``checkWait``:
    a whole number of seconds, on a 429 or a 5xx)."""
    if response.status != 429 and not 500 <= response.status <= 599:
        return None
    header = response.headers.get("Retry-After", "")
    try:
        seconds = int(header)
    except ValueError:
        return None
    return max(seconds, 0)


async def _read_text(response: aiohttp.ClientResponse) -> str:
    try:
        return (await response.read()).decode("utf-8", errors="replace")
    except (aiohttp.ClientError, TimeoutError):
        return ""


def _error_from_response(
    code: int,
    text: str,
    method: str,
    resource: GroupResource | None,
    name: str,
    retry_after: int,
) -> StatusError:
    """The ``Status`` in the body when there is one; else client-go's generic error."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        if not body.get("code"):
            body = {**body, "code": code}
        return StatusError.from_status(body)
    return errors.generic_server_response(
        code,
        method,
        resource or GroupResource("", ""),
        name,
        text.strip(),
        retry_after_seconds=retry_after,
        unexpected=True,
    )


def _watch_event(line: bytes) -> WatchEvent:
    try:
        event = json.loads(line)
    except ValueError as error:
        raise TransportError(f"watch: undecodable event {line[:80]!r}") from error
    kind = event.get("type") if isinstance(event, dict) else None
    obj = event.get("object") if isinstance(event, dict) else None
    if not isinstance(obj, dict):
        raise TransportError(f"watch: event without an object {line[:80]!r}")
    if kind == "ERROR":
        if not obj.get("code"):
            obj = {**obj, "code": 500}
        raise StatusError.from_status(obj)
    if kind not in _WATCH_TYPES:
        raise TransportError(f"watch: unknown event type {kind!r}")
    return WatchEvent(kind, obj)
