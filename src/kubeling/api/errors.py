"""API errors: a ``StatusError`` *is* the wire ``Status`` it will be sent as.

Kubernetes has no separate "error object" and "response body": a handler fails
by returning a ``metav1.Status`` and the server writes it out unchanged, with
its ``code`` as the HTTP status. kubectl and the client libraries then branch
on ``reason`` (``NotFound``, ``AlreadyExists``, ``Conflict``...) and show
``message`` verbatim. So the constructors here reproduce apimachinery's
``k8s.io/apimachinery/pkg/api/errors`` messages byte for byte, including its
quirks:

* ``details.kind`` holds the resource *plural* (``pods``) for resource errors,
  but the *Kind* (``Pod``) for ``invalid``, exactly as upstream.
* ``details.group`` and the other detail fields are omitted when empty, and a
  constructor that sets ``details`` in Go always emits it, even as ``{}``.
* ``invalid`` aggregates *every* field error into one message (``[a, b]`` for
  more than one) and one cause each; validators never raise one at a time.

The predicates (``is_not_found``...) follow upstream too: they match on
``reason`` and fall back to the HTTP ``code`` only when the reason is one
Kubernetes does not know, and they look through ``raise ... from`` chains the
way Go's ``errors.As`` looks through wrapped errors.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NotRequired, TypedDict

from kubeling.api.field import FieldError, aggregate_message, dedupe
from kubeling.api.goformat import go_quote
from kubeling.api.groupversion import GroupKind, GroupResource

__all__ = [
    "CAUSE_NAMESPACE_TERMINATING",
    "CAUSE_UNEXPECTED_SERVER_RESPONSE",
    "Status",
    "StatusCause",
    "StatusCauseDict",
    "StatusDetails",
    "StatusDetailsDict",
    "StatusDict",
    "StatusError",
    "StatusReason",
    "already_exists",
    "bad_request",
    "conflict",
    "forbidden",
    "generate_name_conflict",
    "generic_server_response",
    "gone",
    "has_status_cause",
    "internal_error",
    "invalid",
    "is_already_exists",
    "is_bad_request",
    "is_conflict",
    "is_forbidden",
    "is_gone",
    "is_internal_error",
    "is_invalid",
    "is_method_not_supported",
    "is_not_acceptable",
    "is_not_found",
    "is_request_entity_too_large",
    "is_resource_expired",
    "is_server_timeout",
    "is_service_unavailable",
    "is_timeout",
    "is_too_many_requests",
    "is_unauthorized",
    "is_unsupported_media_type",
    "method_not_supported",
    "not_acceptable",
    "not_found",
    "reason_for_error",
    "request_entity_too_large",
    "resource_expired",
    "server_timeout",
    "service_unavailable",
    "timeout",
    "too_many_requests",
    "unauthorized",
    "unsupported_media_type",
]


class StatusReason(enum.StrEnum):
    """``metav1.StatusReason``: the machine-readable why of a failure."""

    UNKNOWN = ""
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    CONFLICT = "Conflict"
    GONE = "Gone"
    INVALID = "Invalid"
    SERVER_TIMEOUT = "ServerTimeout"
    STORE_READ_ERROR = "StorageReadError"
    TIMEOUT = "Timeout"
    TOO_MANY_REQUESTS = "TooManyRequests"
    BAD_REQUEST = "BadRequest"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    NOT_ACCEPTABLE = "NotAcceptable"
    REQUEST_ENTITY_TOO_LARGE = "RequestEntityTooLarge"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    INTERNAL_ERROR = "InternalError"
    EXPIRED = "Expired"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


# Every reason but Unknown; a predicate falls back to the code only outside this set.
_KNOWN_REASONS: Final = frozenset(StatusReason) - {StatusReason.UNKNOWN}


class StatusCauseDict(TypedDict, total=False):
    """Wire form of ``metav1.StatusCause``."""

    reason: str
    message: str
    field: str


class StatusDetailsDict(TypedDict, total=False):
    """Wire form of ``metav1.StatusDetails``."""

    name: str
    group: str
    kind: str
    uid: str
    causes: list[StatusCauseDict]
    retryAfterSeconds: int


class StatusDict(TypedDict):
    """Wire form of a failure ``metav1.Status``."""

    kind: str
    apiVersion: str
    metadata: dict[str, Any]
    status: str
    message: NotRequired[str]
    reason: NotRequired[str]
    details: NotRequired[StatusDetailsDict]
    code: NotRequired[int]


@dataclass(frozen=True, slots=True)
class StatusCause:
    """One reason a request failed; for ``Invalid``, one field error."""

    reason: str = ""
    message: str = ""
    field: str = ""

    def to_dict(self) -> StatusCauseDict:
        """The wire form, empty fields omitted."""
        out: StatusCauseDict = {}
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        if self.field:
            out["field"] = self.field
        return out


@dataclass(frozen=True, slots=True)
class StatusDetails:
    """What the failure was about; ``kind`` is a plural for resource errors."""

    name: str = ""
    group: str = ""
    kind: str = ""
    uid: str = ""
    causes: tuple[StatusCause, ...] = ()
    retry_after_seconds: int = 0

    def to_dict(self) -> StatusDetailsDict:
        """The wire form, empty fields omitted (so possibly ``{}``)."""
        out: StatusDetailsDict = {}
        if self.name:
            out["name"] = self.name
        if self.group:
            out["group"] = self.group
        if self.kind:
            out["kind"] = self.kind
        if self.uid:
            out["uid"] = self.uid
        if self.causes:
            out["causes"] = [cause.to_dict() for cause in self.causes]
        if self.retry_after_seconds:
            out["retryAfterSeconds"] = self.retry_after_seconds
        return out


@dataclass(frozen=True, slots=True)
class Status:
    """A failure ``metav1.Status``: HTTP code, reason, message and details."""

    code: int
    reason: str
    message: str
    details: StatusDetails | None = None
    status: str = field(default="Failure")

    def to_dict(self) -> StatusDict:
        """The wire form, keys in the order the Go encoder writes them."""
        out: StatusDict = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": self.status,
        }
        if self.message:
            out["message"] = self.message
        if self.reason:
            out["reason"] = self.reason
        if self.details is not None:
            out["details"] = self.details.to_dict()
        if self.code:
            out["code"] = self.code
        return out


class StatusError(Exception):
    """An API failure whose data is the wire ``Status``.

    >>> err = not_found("pods", "web")
    >>> str(err), err.code, err.reason
    ('pods "web" not found', 404, 'NotFound')
    """

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status

    @property
    def code(self) -> int:
        """The HTTP status code."""
        return self.status.code

    @property
    def reason(self) -> str:
        """The ``StatusReason`` (a plain string when read from the wire)."""
        return self.status.reason

    @property
    def message(self) -> str:
        """The human-readable message, shown verbatim by kubectl."""
        return self.status.message

    @property
    def details(self) -> StatusDetails | None:
        """The ``details`` block, if this kind of failure carries one."""
        return self.status.details

    def to_status(self) -> StatusDict:
        """The JSON body to send: ``{"kind": "Status", ..., "code": 404}``."""
        return self.status.to_dict()

    @classmethod
    def from_status(cls, body: Mapping[str, Any]) -> StatusError:
        """Rebuild an error from a wire ``Status`` (the client side of ``to_status``)."""
        details: StatusDetails | None = None
        raw = body.get("details")
        if isinstance(raw, Mapping):
            details = StatusDetails(
                name=str(raw.get("name", "")),
                group=str(raw.get("group", "")),
                kind=str(raw.get("kind", "")),
                uid=str(raw.get("uid", "")),
                causes=tuple(
                    StatusCause(
                        reason=str(c.get("reason", "")),
                        message=str(c.get("message", "")),
                        field=str(c.get("field", "")),
                    )
                    for c in raw.get("causes") or ()
                    if isinstance(c, Mapping)
                ),
                retry_after_seconds=int(raw.get("retryAfterSeconds", 0)),
            )
        return cls(
            Status(
                code=int(body.get("code", 0)),
                reason=str(body.get("reason", "")),
                message=str(body.get("message", "")),
                details=details,
                status=str(body.get("status", "Failure")),
            )
        )

    def __repr__(self) -> str:
        return f"StatusError({self.code}, {self.reason!r}, {self.message!r})"


def _gr(resource: GroupResource | str) -> GroupResource:
    return resource if isinstance(resource, GroupResource) else GroupResource.parse(resource)


def _error(
    code: int, reason: StatusReason, message: str, details: StatusDetails | None = None
) -> StatusError:
    return StatusError(Status(code=code, reason=reason.value, message=message, details=details))


def not_found(resource: GroupResource | str, name: str) -> StatusError:
    """404 NotFound: ``pods "x" not found`` / ``deployments.apps "x" not found``."""
    gr = _gr(resource)
    details = StatusDetails(name=name, group=gr.group, kind=gr.resource)
    return _error(404, StatusReason.NOT_FOUND, f"{gr} {go_quote(name)} not found", details)


def already_exists(resource: GroupResource | str, name: str) -> StatusError:
    """409 AlreadyExists: ``pods "x" already exists``."""
    gr = _gr(resource)
    details = StatusDetails(name=name, group=gr.group, kind=gr.resource)
    message = f"{gr} {go_quote(name)} already exists"
    return _error(409, StatusReason.ALREADY_EXISTS, message, details)


def generate_name_conflict(
    resource: GroupResource | str, name: str, retry_after_seconds: int
) -> StatusError:
    """409 AlreadyExists for a ``generateName`` whose random suffix collided."""
    gr = _gr(resource)
    details = StatusDetails(
        name=name, group=gr.group, kind=gr.resource, retry_after_seconds=retry_after_seconds
    )
    message = (
        f"{gr} {go_quote(name)} already exists, "
        "the server was not able to generate a unique name for the object"
    )
    return _error(409, StatusReason.ALREADY_EXISTS, message, details)


def conflict(resource: GroupResource | str, name: str, err: BaseException | str) -> StatusError:
    """409 Conflict: ``Operation cannot be fulfilled on pods "x": <err>``."""
    gr = _gr(resource)
    details = StatusDetails(name=name, group=gr.group, kind=gr.resource)
    message = f"Operation cannot be fulfilled on {gr} {go_quote(name)}: {err}"
    return _error(409, StatusReason.CONFLICT, message, details)


def invalid(kind: GroupKind | str, name: str, errors: Iterable[FieldError]) -> StatusError:
    """422 Invalid: ``Pod "x" is invalid: spec.containers[0].name: Required value``.

    Every field error becomes one cause; the message joins them all, and
    identical messages appear once.
    """
    gk = kind if isinstance(kind, GroupKind) else GroupKind.parse(kind)
    errs = list(errors)
    causes = tuple(StatusCause(reason=str(e.type), message=e.body(), field=e.field) for e in errs)
    details = StatusDetails(name=name, group=gk.group, kind=gk.kind, causes=causes)
    message = f"{gk} {go_quote(name)} is invalid"
    if errs:
        message += ": " + aggregate_message(str(e) for e in dedupe(errs))
    return _error(422, StatusReason.INVALID, message, details)


def bad_request(message: str) -> StatusError:
    """400 BadRequest with ``message`` as given."""
    return _error(400, StatusReason.BAD_REQUEST, message)


def unauthorized(message: str = "") -> StatusError:
    """401 Unauthorized; the message defaults to ``not authorized``."""
    return _error(401, StatusReason.UNAUTHORIZED, message or "not authorized")


def forbidden(
    resource: GroupResource | str,
    name: str,
    err: BaseException | str,
    *,
    causes: Sequence[StatusCause] = (),
) -> StatusError:
    """403 Forbidden: ``pods "x" is forbidden: <err>``, ``pods is forbidden: <err>``
    without a name, ``forbidden: <err>`` without a resource; ``causes`` say why to
    clients that branch on them (:data:`CAUSE_NAMESPACE_TERMINATING`)."""
    gr = _gr(resource)
    if gr.is_empty():
        message = f"forbidden: {err}"
    elif not name:
        message = f"{gr} is forbidden: {err}"
    else:
        message = f"{gr} {go_quote(name)} is forbidden: {err}"
    details = StatusDetails(name=name, group=gr.group, kind=gr.resource, causes=tuple(causes))
    return _error(403, StatusReason.FORBIDDEN, message, details)


def method_not_supported(resource: GroupResource | str, action: str) -> StatusError:
    """405 MethodNotAllowed: ``create is not supported on resources of kind "x"``."""
    gr = _gr(resource)
    details = StatusDetails(group=gr.group, kind=gr.resource)
    message = f"{action} is not supported on resources of kind {go_quote(str(gr))}"
    return _error(405, StatusReason.METHOD_NOT_ALLOWED, message, details)


def not_acceptable(accepted: Sequence[str]) -> StatusError:
    """406 NotAcceptable, as the apiserver's content negotiation reports it."""
    message = "only the following media types are accepted: " + ", ".join(accepted)
    return _error(406, StatusReason.NOT_ACCEPTABLE, message)


def gone(message: str) -> StatusError:
    """410 Gone (deprecated upstream in favour of ``resource_expired``)."""
    return _error(410, StatusReason.GONE, message)


def resource_expired(message: str) -> StatusError:
    """410 Expired, e.g. ``too old resource version: 1 (5)`` for a compacted watch."""
    return _error(410, StatusReason.EXPIRED, message)


def request_entity_too_large(message: str) -> StatusError:
    """413 RequestEntityTooLarge: ``Request entity too large: <message>``."""
    return _error(
        413, StatusReason.REQUEST_ENTITY_TOO_LARGE, f"Request entity too large: {message}"
    )


def unsupported_media_type(accepted: Sequence[str]) -> StatusError:
    """415 UnsupportedMediaType, as the apiserver's body decoding reports it."""
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted)
    )
    return _error(415, StatusReason.UNSUPPORTED_MEDIA_TYPE, message)


def too_many_requests(message: str, retry_after_seconds: int = 0) -> StatusError:
    """429 TooManyRequests with a retry hint (``NewTooManyRequests``)."""
    details = StatusDetails(retry_after_seconds=retry_after_seconds)
    return _error(429, StatusReason.TOO_MANY_REQUESTS, message, details)


def internal_error(err: BaseException | str) -> StatusError:
    """500 InternalError: ``Internal error occurred: <err>``, the error as the one cause."""
    details = StatusDetails(causes=(StatusCause(message=str(err)),))
    return _error(500, StatusReason.INTERNAL_ERROR, f"Internal error occurred: {err}", details)


def server_timeout(
    resource: GroupResource | str, operation: str, retry_after_seconds: int
) -> StatusError:
    """500 ServerTimeout: the operation may be retried after ``retry_after_seconds``."""
    gr = _gr(resource)
    details = StatusDetails(
        name=operation, group=gr.group, kind=gr.resource, retry_after_seconds=retry_after_seconds
    )
    message = (
        f"The {operation} operation against {gr} could not be completed at this time, "
        "please try again."
    )
    return _error(500, StatusReason.SERVER_TIMEOUT, message, details)


def service_unavailable(message: str) -> StatusError:
    """503 ServiceUnavailable with ``message`` as given."""
    return _error(503, StatusReason.SERVICE_UNAVAILABLE, message)


def timeout(message: str, retry_after_seconds: int = 0) -> StatusError:
    """504 Timeout: ``Timeout: <message>``."""
    details = StatusDetails(retry_after_seconds=retry_after_seconds)
    return _error(504, StatusReason.TIMEOUT, f"Timeout: {message}", details)


# The cause type a client adds when the server's answer was not a Status at all.
CAUSE_UNEXPECTED_SERVER_RESPONSE: Final = "UnexpectedServerResponse"
# The cause of a create refused because its namespace is terminating
# (``v1.NamespaceTerminatingCause``): controllers drop such work rather than retry.
CAUSE_NAMESPACE_TERMINATING: Final = "NamespaceTerminating"

# generic_server_response: the reason and message a bare HTTP code stands for.
_GENERIC_RESPONSES: Final[dict[int, tuple[StatusReason, str]]] = {
    400: (StatusReason.BAD_REQUEST, "the server rejected our request for an unknown reason"),
    401: (StatusReason.UNAUTHORIZED, "the server has asked for the client to provide credentials"),
    404: (StatusReason.NOT_FOUND, "the server could not find the requested resource"),
    405: (
        StatusReason.METHOD_NOT_ALLOWED,
        "the server does not allow this method on the requested resource",
    ),
    409: (StatusReason.CONFLICT, "the server reported a conflict"),
    422: (StatusReason.INVALID, "the server rejected our request due to an error in our request"),
    429: (
        StatusReason.TOO_MANY_REQUESTS,
        "the server has received too many requests and has asked us to try again later",
    ),
    503: (StatusReason.SERVICE_UNAVAILABLE, "the server is currently unable to handle the request"),
    504: (
        StatusReason.TIMEOUT,
        "the server was unable to return a response in the time allotted, "
        "but may still be processing the request",
    ),
}


def generic_server_response(
    code: int,
    verb: str,
    resource: GroupResource | str,
    name: str,
    server_message: str,
    *,
    retry_after_seconds: int = 0,
    unexpected: bool = False,
) -> StatusError:
    """The error a client makes of an HTTP failure that carried no ``Status`` body.

    apimachinery's ``NewGenericServerResponse``: the code picks the reason and a
    fixed message (403, 406 and 415 keep the server's own text, a 409 to a POST
    is AlreadyExists), suffixed with the verb, resource and name when known.
    ``unexpected`` records ``server_message`` as an ``UnexpectedServerResponse``
    cause (the body was not in the API's format at all).

    >>> str(generic_server_response(404, "GET", "pods", "web", ""))
    'the server could not find the requested resource (get pods web)'
    """
    gr = _gr(resource)
    reason, message = (
        StatusReason.UNKNOWN,
        (f"the server responded with the status code {code} but did not return more information"),
    )
    if code in _GENERIC_RESPONSES:
        reason, message = _GENERIC_RESPONSES[code]
        if code == 409 and verb.upper() == "POST":
            reason = StatusReason.ALREADY_EXISTS
    elif code == 403:
        reason, message = StatusReason.FORBIDDEN, server_message
    elif code == 406:
        reason = StatusReason.NOT_ACCEPTABLE
        message = (
            server_message
            if server_message and server_message != "unknown"
            else "the server was unable to respond with a content type that the client supports"
        )
    elif code == 415:
        reason, message = StatusReason.UNSUPPORTED_MEDIA_TYPE, server_message
    elif code >= 500:
        reason = StatusReason.INTERNAL_ERROR
        message = (
            f"an error on the server ({go_quote(server_message)}) "
            "has prevented the request from succeeding"
        )
    if not gr.is_empty():
        message += f" ({verb.lower()} {gr} {name})" if name else f" ({verb.lower()} {gr})"
    causes = (
        (StatusCause(reason=CAUSE_UNEXPECTED_SERVER_RESPONSE, message=server_message),)
        if unexpected
        else ()
    )
    details = StatusDetails(
        name=name,
        group=gr.group,
        kind=gr.resource,
        causes=causes,
        retry_after_seconds=retry_after_seconds,
    )
    return _error(code, reason, message, details)


def _find_status(err: BaseException | None) -> Status | None:
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, StatusError):
            return err.status
        seen.add(id(err))
        err = err.__cause__
    return None


def has_status_cause(err: BaseException | None, cause_type: str) -> bool:
    """True if the ``StatusError`` in ``err``'s cause chain has a cause of ``cause_type``
    (``apierrors.HasStatusCause``)."""
    status = _find_status(err)
    if status is None or status.details is None:
        return False
    return any(cause.reason == cause_type for cause in status.details.causes)


def reason_for_error(err: BaseException | None) -> str:
    """The ``reason`` of the ``StatusError`` in ``err``'s cause chain, or ``""``."""
    status = _find_status(err)
    return status.reason if status is not None else ""


def _matches(err: BaseException | None, reason: StatusReason, code: int | None) -> bool:
    status = _find_status(err)
    if status is None:
        return False
    if status.reason == reason:
        return True
    return code is not None and status.code == code and status.reason not in _KNOWN_REASONS


def is_not_found(err: BaseException | None) -> bool:
    """True for NotFound, or a 404 with an unknown reason."""
    return _matches(err, StatusReason.NOT_FOUND, 404)


def is_already_exists(err: BaseException | None) -> bool:
    """True for AlreadyExists (by reason only)."""
    return _matches(err, StatusReason.ALREADY_EXISTS, None)


def is_conflict(err: BaseException | None) -> bool:
    """True for Conflict, or a 409 with an unknown reason."""
    return _matches(err, StatusReason.CONFLICT, 409)


def is_invalid(err: BaseException | None) -> bool:
    """True for Invalid, or a 422 with an unknown reason."""
    return _matches(err, StatusReason.INVALID, 422)


def is_gone(err: BaseException | None) -> bool:
    """True for Gone, or a 410 with an unknown reason."""
    return _matches(err, StatusReason.GONE, 410)


def is_resource_expired(err: BaseException | None) -> bool:
    """True for Expired (by reason only)."""
    return _matches(err, StatusReason.EXPIRED, None)


def is_not_acceptable(err: BaseException | None) -> bool:
    """True for NotAcceptable, or a 406 with an unknown reason."""
    return _matches(err, StatusReason.NOT_ACCEPTABLE, 406)


def is_unsupported_media_type(err: BaseException | None) -> bool:
    """True for UnsupportedMediaType, or a 415 with an unknown reason."""
    return _matches(err, StatusReason.UNSUPPORTED_MEDIA_TYPE, 415)


def is_method_not_supported(err: BaseException | None) -> bool:
    """True for MethodNotAllowed, or a 405 with an unknown reason."""
    return _matches(err, StatusReason.METHOD_NOT_ALLOWED, 405)


def is_service_unavailable(err: BaseException | None) -> bool:
    """True for ServiceUnavailable, or a 503 with an unknown reason."""
    return _matches(err, StatusReason.SERVICE_UNAVAILABLE, 503)


def is_bad_request(err: BaseException | None) -> bool:
    """True for BadRequest, or a 400 with an unknown reason."""
    return _matches(err, StatusReason.BAD_REQUEST, 400)


def is_unauthorized(err: BaseException | None) -> bool:
    """True for Unauthorized, or a 401 with an unknown reason."""
    return _matches(err, StatusReason.UNAUTHORIZED, 401)


def is_forbidden(err: BaseException | None) -> bool:
    """True for Forbidden, or a 403 with an unknown reason."""
    return _matches(err, StatusReason.FORBIDDEN, 403)


def is_timeout(err: BaseException | None) -> bool:
    """True for Timeout, or a 504 with an unknown reason."""
    return _matches(err, StatusReason.TIMEOUT, 504)


def is_server_timeout(err: BaseException | None) -> bool:
    """True for ServerTimeout (by reason only: no code means "retry me")."""
    return _matches(err, StatusReason.SERVER_TIMEOUT, None)


def is_internal_error(err: BaseException | None) -> bool:
    """True for InternalError, or a 500 with an unknown reason."""
    return _matches(err, StatusReason.INTERNAL_ERROR, 500)


def is_too_many_requests(err: BaseException | None) -> bool:
    """True for TooManyRequests or *any* 429 (upstream's backward-compatible rule)."""
    status = _find_status(err)
    return status is not None and (
        status.reason == StatusReason.TOO_MANY_REQUESTS or status.code == 429
    )


def is_request_entity_too_large(err: BaseException | None) -> bool:
    """True for RequestEntityTooLarge or *any* 413 (upstream's backward-compatible rule)."""
    status = _find_status(err)
    return status is not None and (
        status.reason == StatusReason.REQUEST_ENTITY_TOO_LARGE or status.code == 413
    )
