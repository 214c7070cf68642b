"""The outcome of one plugin call: a code, human-readable reasons, and who said it.

Plugins never raise for an expected outcome: a node that does not fit, a pod that
must wait, a plugin that has nothing to do for this pod. They return a ``Status``.
An unexpected failure (a bug, a missing cycle-state entry) is a ``Status`` with code
``ERROR`` carrying the exception, which aborts the cycle and sends the pod to the
back-off queue, as upstream's ``framework.AsStatus``.

The reasons are the exact strings Kubernetes writes into a pod's ``PodScheduled``
condition, so they are part of the API: each plugin keeps them as constants.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

__all__ = ["Code", "Status", "success"]


class Code(enum.IntEnum):
    """Upstream's status codes, with their numbering."""

    SUCCESS = 0
    # A plugin failed unexpectedly; the scheduling attempt is aborted.
    ERROR = 1
    # The node does not fit now; preemption might help.
    UNSCHEDULABLE = 2
    # The node does not fit, and preempting pods on it would not change that.
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    # A Permit plugin holds the pod before binding.
    WAIT = 4
    # The plugin has nothing to do for this pod (PreFilter, PreScore, Bind).
    SKIP = 5


@dataclass(frozen=True, slots=True)
class Status:
    """An immutable status; ``with_plugin`` returns a copy naming the plugin.

    >>> s = Status(Code.UNSCHEDULABLE, ("Insufficient cpu", "Insufficient memory"))
    >>> s.message(), s.is_rejected(), s.with_plugin("NodeResourcesFit").plugin
    ('Insufficient cpu, Insufficient memory', True, 'NodeResourcesFit')
    """

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""
    error: BaseException | None = field(default=None, compare=False)

    @classmethod
    def unschedulable(cls, *reasons: str) -> Status:
        """A rejection that preemption might resolve."""
        return cls(Code.UNSCHEDULABLE, reasons)

    @classmethod
    def unresolvable(cls, *reasons: str) -> Status:
        """A rejection that preemption cannot resolve."""
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)

    @classmethod
    def skip(cls) -> Status:
        """The plugin opts out of its later extension points for this pod."""
        return _SKIP

    @classmethod
    def as_error(cls, error: BaseException, plugin: str = "") -> Status:
        """An unexpected failure, carrying the exception (upstream's ``AsStatus``)."""
        return cls(Code.ERROR, (), plugin, error)

    def is_success(self) -> bool:
        """True for ``SUCCESS``."""
        return self.code is Code.SUCCESS

    def is_rejected(self) -> bool:
        """True for either unschedulable code."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    def is_skip(self) -> bool:
        """True for ``SKIP``."""
        return self.code is Code.SKIP

    def is_wait(self) -> bool:
        """True for ``WAIT``."""
        return self.code is Code.WAIT

    def all_reasons(self) -> tuple[str, ...]:
        """The reasons, preceded by the error's text when there is one (upstream ``Reasons``)."""
        if self.error is not None:
            return (str(self.error), *self.reasons)
        return self.reasons

    def message(self) -> str:
        """The reasons joined with ``", "``, as upstream's ``Status.Message``."""
        return ", ".join(self.all_reasons())

    def with_plugin(self, plugin: str) -> Status:
        """A copy attributed to ``plugin``."""
        return replace(self, plugin=plugin)


_SUCCESS = Status()
_SKIP = Status(Code.SKIP)


def success() -> Status:
    """The shared success status."""
    return _SUCCESS
