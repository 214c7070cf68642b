"""Denials and call failures, as Kubernetes reports them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.apiserver.admission.webhook.failures import (
    CallFailure,
    dry_run_unsupported,
    rejection,
)


@pytest.mark.parametrize(
    ("status", "code", "reason", "message"),
    [
        (None, 400, "", 'admission webhook "w.example.com" denied the request without explanation'),
        ({"message": "no"}, 400, "", 'admission webhook "w.example.com" denied the request: no'),
        ({"code": 403, "reason": "Forbidden", "message": "no"}, 403, "Forbidden",
         'admission webhook "w.example.com" denied the request: no'),
        ({"code": 200, "message": "no"}, 400, "",
         'admission webhook "w.example.com" denied the request: no'),
        ({"code": 422, "reason": "Invalid"}, 422, "Invalid",
         'admission webhook "w.example.com" denied the request: Invalid'),
    ],
)  # fmt: skip
def test_rejection(status: dict[str, Any] | None, code: int, reason: str, message: str) -> None:
    """The webhook's status, at least a 400, its message prefixed with who denied."""
    err = rejection("w.example.com", status)
    assert (err.code, err.reason, err.message) == (code, reason, message)
    assert err.status.status == "Failure"


def test_rejection_keeps_a_success_status_a_failure() -> None:
    """A denial that says ``status: Success`` is still a failure."""
    assert rejection("w.example.com", {"status": "Success"}).status.status == "Failure"


def test_call_failure_under_fail_is_an_internal_error() -> None:
    """500 InternalError naming the webhook and why the call failed."""
    failure = CallFailure("w.example.com", "failed to call webhook: boom")
    err = failure.to_status_error()
    assert (err.code, err.reason) == (500, "InternalError")
    assert err.message == (
        'Internal error occurred: failed calling webhook "w.example.com": '
        "failed to call webhook: boom"
    )


def test_dry_run_unsupported() -> None:
    """400 naming the webhook that cannot take a dry run."""
    err = dry_run_unsupported("w.example.com")
    assert (err.code, err.reason) == (400, "BadRequest")
    assert err.message == 'admission webhook "w.example.com" does not support dry run'
