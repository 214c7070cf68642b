"""StatusError constructors, wire Status bodies and predicates."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kubeling.api import errors, field
from kubeling.api.errors import StatusError
from kubeling.api.groupversion import GroupKind, GroupResource


@pytest.mark.parametrize(
    ("error", "code", "reason", "message"),
    [
        (errors.not_found("pods", "x"), 404, "NotFound", 'pods "x" not found'),
        (
            errors.not_found(GroupResource("apps", "deployments"), "x"),
            404,
            "NotFound",
            'deployments.apps "x" not found',
        ),
        (
            errors.not_found("deployments.apps", "x"),
            404,
            "NotFound",
            'deployments.apps "x" not found',
        ),
        (errors.already_exists("pods", "x"), 409, "AlreadyExists", 'pods "x" already exists'),
        (
            errors.generate_name_conflict("pods", "web-abcde", 1),
            409,
            "AlreadyExists",
            'pods "web-abcde" already exists, '
            "the server was not able to generate a unique name for the object",
        ),
        (
            errors.conflict(
                "pods",
                "x",
                "the object has been modified; please apply your changes to the "
                "latest version and try again",
            ),
            409,
            "Conflict",
            'Operation cannot be fulfilled on pods "x": the object has been modified; please '
            "apply your changes to the latest version and try again",
        ),
        (errors.bad_request("bad"), 400, "BadRequest", "bad"),
        (errors.unauthorized(), 401, "Unauthorized", "not authorized"),
        (errors.unauthorized("Unauthorized"), 401, "Unauthorized", "Unauthorized"),
        (errors.forbidden("pods", "x", "no"), 403, "Forbidden", 'pods "x" is forbidden: no'),
        (errors.forbidden("pods", "", "no"), 403, "Forbidden", "pods is forbidden: no"),
        (errors.forbidden(GroupResource("", ""), "", "no"), 403, "Forbidden", "forbidden: no"),
        (
            errors.method_not_supported("bindings", "list"),
            405,
            "MethodNotAllowed",
            'list is not supported on resources of kind "bindings"',
        ),
        (
            errors.not_acceptable(["application/json", "application/yaml"]),
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml",
        ),
        (errors.gone("gone"), 410, "Gone", "gone"),
        (
            errors.resource_expired("too old resource version: 1 (5)"),
            410,
            "Expired",
            "too old resource version: 1 (5)",
        ),
        (
            errors.request_entity_too_large("limit is 3145728"),
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        ),
        (
            errors.unsupported_media_type(["application/json"]),
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json",
        ),
        (errors.too_many_requests("slow down", 1), 429, "TooManyRequests", "slow down"),
        (
            errors.internal_error(RuntimeError("boom")),
            500,
            "InternalError",
            "Internal error occurred: boom",
        ),
        (
            errors.server_timeout("pods", "create", 2),
            500,
            "ServerTimeout",
            "The create operation against pods could not be completed at this time, "
            "please try again.",
        ),
        (errors.service_unavailable("down"), 503, "ServiceUnavailable", "down"),
        (errors.timeout("too slow", 5), 504, "Timeout", "Timeout: too slow"),
    ],
)
def test_constructor(error: StatusError, code: int, reason: str, message: str) -> None:
    """Each constructor gives apimachinery's code, reason and exact message."""
    assert (error.code, error.reason, error.message, str(error)) == (code, reason, message, message)


def test_not_found_wire_status() -> None:
    """The wire Status omits the empty group and names the resource plural as kind."""
    assert errors.not_found("pods", "x").to_status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "x" not found',
        "reason": "NotFound",
        "details": {"name": "x", "kind": "pods"},
        "code": 404,
    }


def test_wire_key_order() -> None:
    """Keys come in the order the Go encoder writes them."""
    body = errors.not_found("deployments.apps", "x").to_status()
    assert list(body) == [
        "kind",
        "apiVersion",
        "metadata",
        "status",
        "message",
        "reason",
        "details",
        "code",
    ]
    assert list(body["details"]) == ["name", "group", "kind"]


@pytest.mark.parametrize(
    ("error", "details"),
    [
        (errors.bad_request("x"), None),
        (errors.forbidden(GroupResource("", ""), "", "no"), {}),
        (errors.too_many_requests("x", 0), {}),
        (errors.too_many_requests("x", 3), {"retryAfterSeconds": 3}),
        (errors.timeout("x", 2), {"retryAfterSeconds": 2}),
        (errors.internal_error("boom"), {"causes": [{"message": "boom"}]}),
        (
            errors.method_not_supported("deployments.apps", "x"),
            {"group": "apps", "kind": "deployments"},
        ),
        (
            errors.server_timeout("pods", "get", 1),
            {"name": "get", "kind": "pods", "retryAfterSeconds": 1},
        ),
    ],
)
def test_details_block(error: StatusError, details: object) -> None:
    """details is absent, {} or filled exactly where apimachinery sets it."""
    assert error.to_status().get("details") == details


def test_invalid_aggregates_every_field_error() -> None:
    """Invalid joins all messages in brackets and gives one cause per error."""
    err = errors.invalid(
        "Pod",
        "x",
        [
            field.required("spec.containers[0].name"),
            field.invalid("spec.containers[0].image", "", "must not be empty"),
        ],
    )
    assert err.code == 422
    assert err.message == (
        'Pod "x" is invalid: [spec.containers[0].name: Required value, '
        'spec.containers[0].image: Invalid value: "": must not be empty]'
    )
    assert err.to_status()["details"] == {
        "name": "x",
        "kind": "Pod",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value",
                "field": "spec.containers[0].name",
            },
            {
                "reason": "FieldValueInvalid",
                "message": 'Invalid value: "": must not be empty',
                "field": "spec.containers[0].image",
            },
        ],
    }


@pytest.mark.parametrize(
    ("kind", "errs", "message"),
    [
        (
            "Pod",
            [field.required("spec.containers[0].name")],
            'Pod "x" is invalid: spec.containers[0].name: Required value',
        ),
        (GroupKind("apps", "Deployment"), [], 'Deployment.apps "x" is invalid'),
        (
            "Pod",
            [field.required("a"), field.required("a")],
            'Pod "x" is invalid: a: Required value',
        ),
    ],
)
def test_invalid_message(kind: GroupKind | str, errs: list[field.FieldError], message: str) -> None:
    """One error is shown bare, none gives no suffix, repeats are shown once."""
    assert errors.invalid(kind, "x", errs).message == message


def test_invalid_keeps_duplicate_causes() -> None:
    """Repeated errors are deduplicated in the message but every cause stays."""
    err = errors.invalid("Pod", "x", [field.required("a"), field.required("a")])
    assert err.details is not None
    assert len(err.details.causes) == 2


def test_invalid_details_use_kind_and_group() -> None:
    """details.kind is the Kind (not a plural) for Invalid, with the group."""
    body = errors.invalid("Deployment.apps", "x", []).to_status()
    assert body["details"] == {"name": "x", "group": "apps", "kind": "Deployment"}


def test_name_is_go_quoted() -> None:
    """Names are quoted as Go's %q does."""
    assert errors.not_found("pods", 'a"b').message == 'pods "a\\"b" not found'


Predicate = Callable[[BaseException | None], bool]


@pytest.mark.parametrize(
    ("predicate", "error"),
    [
        (errors.is_not_found, errors.not_found("pods", "x")),
        (errors.is_already_exists, errors.already_exists("pods", "x")),
        (errors.is_conflict, errors.conflict("pods", "x", "y")),
        (errors.is_invalid, errors.invalid("Pod", "x", [])),
        (errors.is_bad_request, errors.bad_request("x")),
        (errors.is_unauthorized, errors.unauthorized()),
        (errors.is_forbidden, errors.forbidden("pods", "x", "y")),
        (errors.is_method_not_supported, errors.method_not_supported("pods", "x")),
        (errors.is_not_acceptable, errors.not_acceptable([])),
        (errors.is_gone, errors.gone("x")),
        (errors.is_resource_expired, errors.resource_expired("x")),
        (errors.is_request_entity_too_large, errors.request_entity_too_large("x")),
        (errors.is_unsupported_media_type, errors.unsupported_media_type([])),
        (errors.is_too_many_requests, errors.too_many_requests("x")),
        (errors.is_internal_error, errors.internal_error("x")),
        (errors.is_server_timeout, errors.server_timeout("pods", "get", 1)),
        (errors.is_service_unavailable, errors.service_unavailable("x")),
        (errors.is_timeout, errors.timeout("x")),
    ],
)
def test_predicate_matches_its_constructor(predicate: Predicate, error: StatusError) -> None:
    """Each predicate recognizes its own error and rejects another."""
    assert predicate(error)
    other = errors.bad_request("x") if predicate is not errors.is_bad_request else errors.gone("x")
    assert not predicate(other)
    assert not predicate(None)
    assert not predicate(ValueError("x"))


def test_predicates_fall_back_to_code_for_unknown_reasons() -> None:
    """A 404 with an unknown reason is NotFound; a known other reason is not."""
    unknown = StatusError(errors.Status(code=404, reason="Weird", message="m"))
    assert errors.is_not_found(unknown)
    known = StatusError(errors.Status(code=404, reason="Gone", message="m"))
    assert not errors.is_not_found(known)
    assert not errors.is_already_exists(StatusError(errors.Status(409, "", "m")))
    assert errors.is_too_many_requests(StatusError(errors.Status(429, "Conflict", "m")))


def test_predicates_follow_explicit_causes() -> None:
    """An error raised "from" a StatusError matches like the wrapped error (errors.As)."""
    outer = RuntimeError("lookup failed")
    outer.__cause__ = errors.not_found("pods", "x")
    assert errors.is_not_found(outer)
    assert errors.reason_for_error(outer) == "NotFound"
    assert errors.reason_for_error(RuntimeError("plain")) == ""


def test_from_status_round_trips() -> None:
    """A wire Status rebuilds an equal error."""
    original = errors.invalid("Pod", "x", [field.required("spec.containers")])
    rebuilt = StatusError.from_status(original.to_status())
    assert rebuilt.status == original.status
    assert errors.is_invalid(rebuilt)


@pytest.mark.parametrize(
    ("code", "verb", "resource", "name", "server_message", "reason", "message"),
    [
        (403, "GET", "pods", "p", "you shall not", "Forbidden", "you shall not (get pods p)"),
        (
            406,
            "GET",
            "",
            "",
            "unknown",
            "NotAcceptable",
            "the server was unable to respond with a content type that the client supports",
        ),
        (
            415,
            "PATCH",
            "deployments.apps",
            "d",
            "bad type",
            "UnsupportedMediaType",
            "bad type (patch deployments.apps d)",
        ),
        (409, "PUT", "pods", "p", "", "Conflict", "the server reported a conflict (put pods p)"),
        (
            422,
            "POST",
            "pods",
            "",
            "",
            "Invalid",
            "the server rejected our request due to an error in our request (post pods)",
        ),
        (
            418,
            "GET",
            "",
            "",
            "teapot",
            "",
            "the server responded with the status code 418 but did not return more information",
        ),
    ],
)
def test_generic_server_response(
    code: int,
    verb: str,
    resource: str,
    name: str,
    server_message: str,
    reason: str,
    message: str,
) -> None:
    """NewGenericServerResponse: the reason and message a bare HTTP code stands for."""
    err = errors.generic_server_response(
        code, verb, resource, name, server_message, retry_after_seconds=3
    )
    assert (err.code, err.reason, err.message) == (code, reason, message)
    assert err.details is not None
    assert err.details.retry_after_seconds == 3
    assert err.details.causes == ()
