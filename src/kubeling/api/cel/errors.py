"""The two ways a CEL expression fails: it does not compile, or it errs when run.

``CompileError`` carries every problem the parser and the type checker found,
shown as cel-go shows them (see ``source``). ``EvalError`` is a runtime
error: in CEL an error is a *value* that flows through the expression until
something absorbs it (``false && error`` is ``false``) or it reaches the top.
The interpreter carries it as a Python exception and catches it exactly where
CEL absorbs errors. Its message is cel-go's (``no such key: x``, ``integer
overflow``, ``division by zero``...), because Kubernetes shows it to users.
"""

from __future__ import annotations

from kubeling.api.cel.source import Issues

__all__ = ["CelError", "CompileError", "CostLimitExceeded", "EvalError"]


class CelError(Exception):
    """Anything that went wrong with a CEL expression."""


class CompileError(CelError):
    """The expression does not parse or does not type-check."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        super().__init__(str(issues))


class EvalError(CelError):
    """A runtime error value, e.g. ``no such key: spec``."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class CostLimitExceeded(EvalError):
    """The evaluation used more than its cost limit and was stopped."""

    def __init__(self) -> None:
        super().__init__("operation cancelled: actual cost limit exceeded")
