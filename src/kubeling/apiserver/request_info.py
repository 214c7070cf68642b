"""Reading a request's path: which resource, which object, which verb.

Kubernetes URLs have a fixed grammar (the API server's RequestInfoFactory):

    /api/v1/namespaces/{ns}/{resource}[/{name}[/{subresource}]]
    /api/v1/{resource}[/{name}[/{subresource}]]          (cluster-scoped, or all namespaces)
    /apis/{group}/{version}/...                          (the same below the version)
    /api/v1/watch/...                                    (legacy watch prefix)

``namespaces`` is itself a resource: ``/api/v1/namespaces/default`` is the
namespace named default, and ``/api/v1/namespaces/default/status`` its status
subresource. The verb comes from the method, whether a name is present, and
``?watch=true``.

>>> info = parse_request_info("GET", "/apis/apps/v1/namespaces/ns/deployments/web/scale", {})
>>> (info.group, info.version, info.namespace, info.resource, info.name, info.subresource)
('apps', 'v1', 'ns', 'deployments', 'web', 'scale')
>>> info.verb
'get'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RequestInfo", "parse_request_info", "query_flag"]

_METHOD_VERBS = {
    "POST": "create",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
    "GET": "get",
    "HEAD": "get",
}


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What a request path addresses. Non-resource paths (``/healthz``) have
    ``is_resource_request`` False and only ``path`` and ``verb`` set."""

    path: str
    verb: str
    is_resource_request: bool = False
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def query_flag(value: str | None) -> bool:
    """A boolean query parameter as Kubernetes converts one: absent is false, and any
    value but ``0`` and ``false`` (any case) is true, the empty one included.

    >>> [query_flag(v) for v in (None, "false", "0", "true", "1", "", "maybe")]
    [False, False, False, True, True, True, True]
    """
    return value is not None and value.lower() not in ("0", "false")


def parse_request_info(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    """Parse ``path`` (without the query) into a RequestInfo."""
    verb = _METHOD_VERBS.get(method.upper(), method.lower())
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(path=path, verb=verb)
    prefix, rest = parts[0], parts[1:]
    if prefix == "api":
        group = ""
        if not rest:
            return RequestInfo(path=path, verb=verb)
        version, rest = rest[0], rest[1:]
    else:
        if len(rest) < 2:
            return RequestInfo(path=path, verb=verb)
        group, version, rest = rest[0], rest[1], rest[2:]
    if not rest:  # the group-version's discovery document
        return RequestInfo(path=path, verb=verb)

    watch = False
    if rest[0] == "watch":  # deprecated /watch/ prefix
        watch, rest = True, rest[1:]
    namespace = ""
    if len(rest) >= 2 and rest[0] == "namespaces":
        if len(rest) == 2 or (len(rest) == 3 and rest[2] in ("status", "finalize")):
            # the namespace object itself, or its subresource
            segments = ["namespaces", rest[1], *rest[2:]]
        else:
            namespace, segments = rest[1], rest[2:]
    else:
        segments = rest
    resource = segments[0] if segments else ""
    name = segments[1] if len(segments) > 1 else ""
    subresource = "/".join(segments[2:])
    if resource == "namespaces" and name and not namespace:
        # /api/v1/namespaces/x: the namespace an object lives in is itself.
        namespace = name

    if watch or (verb == "get" and not name and query_flag(query.get("watch"))):
        verb = "watch"
    elif verb == "get" and not name:
        verb = "list"
    elif verb == "delete" and not name:
        verb = "deletecollection"
    return RequestInfo(
        path=path,
        verb=verb,
        is_resource_request=True,
        api_prefix=prefix,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        name=name,
        subresource=subresource,
    )
