"""Field paths and the ErrorBody text of field errors."""

from __future__ import annotations

import pytest

from kubeling.api import field
from kubeling.api.field import FieldError, FieldErrorType, FieldPath


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FieldPath("metadata", "name"), "metadata.name"),
        (FieldPath("spec").child("containers").index(0).child("name"), "spec.containers[0].name"),
        (
            FieldPath("spec").child("containers").index(2).child("env").key("FOO"),
            "spec.containers[2].env[FOO]",
        ),
        (
            FieldPath("metadata").child("labels").key("app.kubernetes.io/name"),
            "metadata.labels[app.kubernetes.io/name]",
        ),
        (FieldPath("values").index(0).key("app"), "values[0][app]"),
    ],
)
def test_path_string(path: FieldPath, expected: str) -> None:
    """Children join with dots and subscripts use unquoted brackets."""
    assert str(path) == expected


def test_paths_are_immutable_values() -> None:
    """Extending a path leaves the original unchanged and equal paths compare equal."""
    spec = FieldPath("spec")
    spec.child("replicas")
    assert str(spec) == "spec"
    assert FieldPath("spec").child("replicas") == FieldPath("spec", "replicas")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            field.invalid(FieldPath("spec", "replicas"), -1, "must be greater than or equal to 0"),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            field.required(FieldPath("metadata", "name"), "name or generateName is required"),
            "metadata.name: Required value: name or generateName is required",
        ),
        (field.required("spec.containers", ""), "spec.containers: Required value"),
        (
            field.not_supported(
                FieldPath("spec", "restartPolicy"), "Sometimes", ["Always", "Never", "OnFailure"]
            ),
            'spec.restartPolicy: Unsupported value: "Sometimes": '
            'supported values: "Always", "Never", "OnFailure"',
        ),
        (field.not_supported("spec.x", "y", []), 'spec.x: Unsupported value: "y"'),
        (
            field.duplicate("spec.ports[1].name", "http"),
            'spec.ports[1].name: Duplicate value: "http"',
        ),
        (field.not_found("spec.x", "y"), 'spec.x: Not found: "y"'),
        (
            field.forbidden("spec.nodeName", "may not be set"),
            "spec.nodeName: Forbidden: may not be set",
        ),
        (
            field.too_long("metadata.annotations", 262144),
            "metadata.annotations: Too long: may not be more than 262144 bytes",
        ),
        (field.too_long("x", 1), "x: Too long: may not be more than 1 byte"),
        (field.too_long("x", -1), "x: Too long: value is too long"),
        (field.too_many("x", 5, 4), "x: Too many: 5: must have at most 4 items"),
        (field.too_many("x", -1, 1), "x: Too many: must have at most 1 item"),
        (field.internal_error("spec", RuntimeError("boom")), "spec: Internal error: boom"),
        (field.invalid("x", True, "d"), "x: Invalid value: true: d"),
        (field.invalid("x", 0.5, "d"), "x: Invalid value: 0.5: d"),
        (field.invalid("x", 2.0, "d"), "x: Invalid value: 2: d"),
        (field.invalid("x", None, "d"), "x: Invalid value: null: d"),
        (field.invalid("x", 'a"b', "d"), 'x: Invalid value: "a\\"b": d'),
        (field.invalid("x", ["a", "b"], "d"), 'x: Invalid value: ["a","b"]: d'),
        (field.invalid("x", {"b": 1, "a": "<"}, "d"), 'x: Invalid value: {"a":"\\u003c","b":1}: d'),
        (field.invalid("x", "", ""), 'x: Invalid value: ""'),
    ],
)
def test_error_message(error: FieldError, expected: str) -> None:
    """str() matches Kubernetes' "<path>: <ErrorBody>" format."""
    assert str(error) == expected


def test_body_drops_the_path() -> None:
    """body() is the cause message: the text after "<path>: "."""
    error = field.invalid("spec.replicas", -1, "must be greater than or equal to 0")
    assert error.body() == "Invalid value: -1: must be greater than or equal to 0"
    assert error.type is FieldErrorType.INVALID
    assert str(error.type) == "FieldValueInvalid"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (FieldErrorType.REQUIRED, "FieldValueRequired"),
        (FieldErrorType.INVALID, "FieldValueInvalid"),
        (FieldErrorType.NOT_SUPPORTED, "FieldValueNotSupported"),
        (FieldErrorType.DUPLICATE, "FieldValueDuplicate"),
        (FieldErrorType.FORBIDDEN, "FieldValueForbidden"),
        (FieldErrorType.TOO_LONG, "FieldValueTooLong"),
        (FieldErrorType.TOO_MANY, "FieldValueTooMany"),
        (FieldErrorType.NOT_FOUND, "FieldValueNotFound"),
        (FieldErrorType.INTERNAL, "InternalError"),
        (FieldErrorType.TYPE_INVALID, "FieldValueTypeInvalid"),
    ],
)
def test_cause_reasons(kind: FieldErrorType, reason: str) -> None:
    """Each error type's value is the wire cause reason Kubernetes uses."""
    assert kind.value == reason


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "[a, b]"),
        (["a", "b", "a"], "[a, b]"),
        (["a", "a"], "a"),
    ],
)
def test_aggregate_message(messages: list[str], expected: str) -> None:
    """Aggregates drop repeats and bracket more than one message."""
    assert field.aggregate_message(messages) == expected


def test_dedupe_keeps_first_of_each_message() -> None:
    """Errors with the same full message collapse to the first."""
    a = field.required("a")
    errors = [a, field.required("b"), FieldError(FieldErrorType.REQUIRED, "a")]
    assert field.dedupe(errors) == [a, field.required("b")]
