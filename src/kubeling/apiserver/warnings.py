"""Warnings for the current request, sent back as ``Warning:`` headers.

Deep code (field validation in the store) adds warnings without threading a
list through every call, as Kubernetes does with ``warning.AddWarning(ctx)``;
the HTTP layer opens a collection per request and turns it into
``Warning: 299 - "<text>"`` headers, which kubectl prints.
"""

from __future__ import annotations

import contextvars

__all__ = ["add_warning", "collect_warnings", "warning_header"]

_current: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "kubeling_request_warnings", default=None
)


def collect_warnings() -> list[str]:
    """Start collecting this request's warnings; returns the (live) list."""
    warnings: list[str] = []
    _current.set(warnings)
    return warnings


def add_warning(text: str) -> None:
    """Record a warning for the current request (dropped outside a request)."""
    warnings = _current.get()
    if warnings is not None and text not in warnings:
        warnings.append(text)


def warning_header(text: str) -> str:
    """A Warning header value (RFC 7234, code 299) as the API server writes it.

    >>> warning_header('unknown field "spec.x"')
    '299 - "unknown field \\\\"spec.x\\\\""'
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'
