"""What one probe attempt says: Kubernetes' ``probe.Result`` and the prober's errors."""

from __future__ import annotations

import enum

__all__ = ["ProbeError", "ProbeResult"]


class ProbeResult(enum.StrEnum):
    """The outcome of running a probe's handler once (``pkg/probe``).

    ``WARNING`` counts as success but is reported (an HTTP probe that stopped at a redirect
    to another host); ``UNKNOWN`` counts as failure without an event.
    """

    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class ProbeError(Exception):
    """The probe could not be run at all (a port name that the container does not have, an
    exec that the runtime refused): the attempt is thrown away, as Kubernetes does."""
