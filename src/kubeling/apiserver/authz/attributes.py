"""What a request asks to do, as authorizers see it: Kubernetes' ``authorizer.Attributes``.

A resource request names a verb, an API group and version, a namespace, a
resource, maybe a subresource and an object name; any other request is a
non-resource request: a verb (the lower-cased HTTP method) and a path.
Attributes are built from the request info the HTTP layer parsed, so the
authorizer sees exactly what will be served.

A list or watch that selects one object by ``fieldSelector=metadata.name=x``
(``kubectl get pod x -w``) is authorized for that name, as Kubernetes does,
so that a rule with ``resourceNames`` can allow it. The equality terms of a
list's or watch's field selector are kept too (``AuthorizeWithSelectors``,
on in 1.32): the Node authorizer lets a kubelet list only the pods with
``spec.nodeName`` set to its node.

>>> from kubeling.apiserver.request_info import parse_request_info
>>> user = UserInfo("alice")
>>> info = parse_request_info("GET", "/api/v1/namespaces/default/pods", {})
>>> forbidden_message(request_attributes(user, info, method="GET", query={}))
'User "alice" cannot list resource "pods" in API group "" in the namespace "default"'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubeling.api import errors, fields, naming
from kubeling.api.goformat import go_quote
from kubeling.api.groupversion import GroupResource
from kubeling.apiserver.authz.user import UserInfo
from kubeling.apiserver.request_info import RequestInfo

__all__ = ["Attributes", "forbidden", "forbidden_message", "request_attributes"]

# responsewriters.Forbidden escapes what a browser could take for HTML in the
# message (not in the authorizers' reason)
_SANITIZE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True, slots=True)
class Attributes:
    """One authorization question: may ``user`` do ``verb`` on this resource or path?"""

    user: UserInfo
    verb: str
    resource_request: bool
    path: str = ""
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    #: The ``field=value`` terms of a list's or watch's field selector, in order.
    field_equals: tuple[tuple[str, str], ...] = ()

    def selects_field(self, field: str, value: str) -> bool:
        """Whether the field selector requires ``field`` to equal ``value``."""
        return (field, value) in self.field_equals


def _field_equals(query: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The ``field=value`` terms of the request's field selector (none if it does not parse:
    the handler answers 400; the authorizer just sees no selector)."""
    try:
        selector = fields.parse(query.get("fieldSelector", ""))
    except fields.FieldSelectorParseError:
        return ()
    return tuple((t.field, t.value) for t in selector.terms() or () if t.operator == "=")


def _selected_name(field_equals: tuple[tuple[str, str], ...]) -> str:
    """The name a list or watch selects with ``metadata.name=``, if it is a valid name."""
    for field, value in field_equals:
        if field == "metadata.name":
            return value if value and not naming.path_segment_name(value, prefix=False) else ""
    return ""


def request_attributes(
    user: UserInfo, info: RequestInfo, *, method: str, query: Mapping[str, str]
) -> Attributes:
    """The attributes of an HTTP request (``info`` parsed from its path)."""
    if not info.is_resource_request:
        return Attributes(user=user, verb=method.lower(), resource_request=False, path=info.path)
    name = info.name
    field_equals: tuple[tuple[str, str], ...] = ()
    if info.verb in ("list", "watch", "deletecollection"):
        field_equals = _field_equals(query)
        if not name and info.verb != "deletecollection":
            name = _selected_name(field_equals)
    return Attributes(
        user=user,
        verb=info.verb,
        resource_request=True,
        path=info.path,
        namespace=info.namespace,
        api_group=info.group,
        api_version=info.version,
        resource=info.resource,
        subresource=info.subresource,
        name=name,
        field_equals=field_equals,
    )


def forbidden_message(attributes: Attributes) -> str:
    """``User "x" cannot list resource "pods" in API group "" in the namespace "y"``, or
    ``... at the cluster scope``, or ``User "x" cannot get path "/healthz"``."""
    user = go_quote(attributes.user.name)
    verb = attributes.verb
    if not attributes.resource_request:
        return f"User {user} cannot {verb} path {go_quote(attributes.path)}"
    resource = attributes.resource
    if attributes.subresource:
        resource = f"{resource}/{attributes.subresource}"
    where = (
        f"in the namespace {go_quote(attributes.namespace)}"
        if attributes.namespace
        else "at the cluster scope"
    )
    return (
        f"User {user} cannot {verb} resource {go_quote(resource)} "
        f"in API group {go_quote(attributes.api_group)} {where}"
    )


def forbidden(attributes: Attributes, reason: str = "") -> errors.StatusError:
    """The 403 Kubernetes answers a request its authorizers did not allow; the
    authorizers' ``reason``, when they gave one, follows the message."""
    message = forbidden_message(attributes).translate(_SANITIZE)
    if reason:
        message = f"{message}: {reason}"
    resource = GroupResource(attributes.api_group, attributes.resource)
    return errors.forbidden(resource, attributes.name, message)
