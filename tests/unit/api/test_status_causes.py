"""Status causes: the NamespaceTerminating cause a refused create carries."""

from __future__ import annotations

from kubeling.api import errors


def test_namespace_terminating_cause_is_found() -> None:
    """``has_status_cause`` reads a Status' causes (the client side of NamespaceLifecycle)."""
    cause = errors.StatusCause(reason=errors.CAUSE_NAMESPACE_TERMINATING, message="m")
    err = errors.forbidden("configmaps", "x", "being terminated", causes=(cause,))
    wire = errors.StatusError.from_status(err.to_status())
    assert errors.has_status_cause(wire, errors.CAUSE_NAMESPACE_TERMINATING)
    assert not errors.has_status_cause(
        errors.forbidden("configmaps", "x", "no"), "NamespaceTerminating"
    )
    assert wire.to_status()["details"]["causes"] == [
        {"reason": "NamespaceTerminating", "message": "m"}
    ]
