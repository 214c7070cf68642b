"""How webhook calls fail, in Kubernetes' words.

Two kinds of failure, handled differently by the dispatchers:

- :class:`CallFailure` (``ErrCallingWebhook``): the webhook could not be
  asked or did not answer sensibly (connection refused, TLS, timeout, an
  HTTP error, a malformed AdmissionReview). ``failurePolicy`` decides:
  ``Ignore`` lets the request through, ``Fail`` refuses it with 500
  ``Internal error occurred: failed calling webhook "<name>": <reason>``.
- a rejection: the webhook answered ``allowed: false``. The request is
  refused with the webhook's status, sanitised by :func:`rejection`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kubeling.api import errors
from kubeling.api.goformat import go_quote

__all__ = ["CallFailure", "dry_run_unsupported", "rejection"]


class CallFailure(Exception):
    """The webhook could not be called, or its answer could not be used."""

    def __init__(self, webhook: str, reason: str) -> None:
        super().__init__(f"failed calling webhook {go_quote(webhook)}: {reason}")
        self.webhook = webhook
        self.reason = reason

    def to_status_error(self) -> errors.StatusError:
        """The refusal under ``failurePolicy: Fail`` (500 InternalError)."""
        return errors.internal_error(str(self))


def rejection(webhook: str, result: Mapping[str, Any] | None) -> errors.StatusError:
    """The error a denial becomes (``webhookerrors.ToStatusErr`` in 1.32).

    The webhook's status is kept, with a code of at least 400 (a denial
    without one is a 400) and ``status: Failure``; its message is prefixed
    with who denied the request (``reason`` stands in for a missing message).

    >>> err = rejection("x.example.com", {"message": "no latest tags", "code": 403})
    >>> err.code, err.message
    (403, 'admission webhook "x.example.com" denied the request: no latest tags')
    >>> rejection("x.example.com", None).code
    400
    """
    status = errors.StatusError.from_status(result or {}).status
    denied_by = f"admission webhook {go_quote(webhook)} denied the request"
    if status.message:
        message = f"{denied_by}: {status.message}"
    elif status.reason:
        message = f"{denied_by}: {status.reason}"
    else:
        message = f"{denied_by} without explanation"
    return errors.StatusError(
        replace(
            status,
            code=max(status.code, 400),
            status="Failure" if status.status in ("", "Success") else status.status,
            message=message,
        )
    )


def dry_run_unsupported(webhook: str) -> errors.StatusError:
    """400 for a dry run that would reach a webhook with side effects."""
    return errors.bad_request(f"admission webhook {go_quote(webhook)} does not support dry run")
